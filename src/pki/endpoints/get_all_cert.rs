//! `GET /api/GetAllCert?SerialNumber=…`: the person's active certificates across every CA
//! and customer. The upstream asks each CA and is slow: the scenario's
//! `pki.get_all_cert_latency_ms` delays the answer (applied by the route wrapper).
//! Response shape (emulator-defined): `{IsSuccess, CertList, ErrorCode, ErrorMessage}`.

use crate::pki::error::PkiError;
use crate::pki::report::{cert_item, cert_list, is_active, lifecycles_of};
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::Value;

/// `GetAllCert`'s query, every parameter bound once.
struct Request {
    serial_number: String,
}

impl Request {
    fn parse(f: &Fields) -> Result<Request, PkiError> {
        Ok(Request {
            serial_number: f.str("SerialNumber")?,
        })
    }
}

/// parse → (unauthenticated, as upstream) the person's lifecycles → render the active ones.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let req = Request::parse(f)?;
    let items = lifecycles_of(ctx, &req.serial_number)?
        .iter()
        .filter(|r| is_active(r, ctx.now))
        .map(|r| cert_item(ctx, r))
        .collect();
    Ok(cert_list(items))
}
