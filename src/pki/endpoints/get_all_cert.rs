//! `GET /api/GetAllCert?SerialNumber=…`: the person's active certificates across every CA
//! and customer. The upstream asks each CA and is slow: the scenario's
//! `pki.get_all_cert_latency_ms` delays the answer (applied by the route wrapper).
//! Response shape (emulator-defined): `{IsSuccess, CertList, ErrorCode, ErrorMessage}`.

use crate::pki::error::PkiError;
use crate::pki::report::{cert_item, cert_list, is_active, lifecycles_of};
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::Value;

pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let serial = f.str("SerialNumber")?;
    let items = lifecycles_of(ctx, &serial)?
        .iter()
        .filter(|r| is_active(r, ctx.now))
        .map(|r| cert_item(ctx, r))
        .collect();
    Ok(cert_list(items))
}
