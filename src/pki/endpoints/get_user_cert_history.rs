//! `POST /api/GetUserCertHistory`: every lifecycle of a person under this customer.
//!
//! Signed over `Unicode(SerialNumber + rnd)`; `rnd` is a one-time random string: the same
//! `rnd` from the same customer within `pki.replay_window_seconds` is refused as a replay
//! (emulator-defined window; the document only says "a random string").

use crate::pki::error::{Kind, PkiError};
use crate::pki::report::{cert_item, cert_list, lifecycles_of};
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::Value;

pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let serial = f.opt_str("SerialNumber")?.unwrap_or_default();
    let rnd = f.opt_str("rnd")?.unwrap_or_default();
    let customer = ctx.signed_customer(f, &format!("{serial}{rnd}"))?;
    if serial.trim().is_empty() {
        return Err(PkiError::new(
            Kind::MissingField,
            "SerialNumber is missing: the person's national code or the company's legal ID",
        ));
    }
    if rnd.is_empty() {
        return Err(PkiError::new(Kind::MissingField, "rnd is missing: a random string, new for every call, signed together with SerialNumber"));
    }
    ctx.remember_rnd(&customer.code, &rnd)?;
    let items = lifecycles_of(ctx, serial.trim())?
        .iter()
        .filter(|r| r.customer == customer.code)
        .map(|r| cert_item(ctx, r))
        .collect();
    Ok(cert_list(items))
}
