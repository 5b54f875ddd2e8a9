//! `POST /api/GetUserCertHistory`: every lifecycle of a person under this customer.
//!
//! Signed over `Unicode(SerialNumber + rnd)`; `rnd` is "a random string" (the PKI document,
//! line 758), which names no uniqueness rule: the same `rnd` from the same customer within
//! `pki.replay_window_seconds` is accepted with an `rnd-repeated` warning (refused under
//! `portability = "refuse"`).

use crate::pki::error::{Kind, PkiError};
use crate::pki::report::{cert_item, cert_list, lifecycles_of};
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::Value;

/// `GetUserCertHistory`'s body, every field bound once (`customercode` and `signature` are
/// the signed opening's, [`Ctx::signed_customer`]). Both as sent, empty when absent: the
/// signature covers them untrimmed, and their absence is refused after the signature.
struct Request {
    serial_number: String,
    rnd: String,
}

impl Request {
    fn parse(f: &Fields) -> Result<Request, PkiError> {
        Ok(Request {
            serial_number: f.opt_str("SerialNumber")?.unwrap_or_default(),
            rnd: f.opt_str("rnd")?.unwrap_or_default(),
        })
    }

    /// Both fields are given (checked once the signature verified).
    fn require(&self) -> Result<(), PkiError> {
        if self.serial_number.trim().is_empty() {
            return Err(PkiError::new(
                Kind::MissingField,
                "SerialNumber is missing: the person's national code or the company's legal ID",
            ));
        }
        if self.rnd.is_empty() {
            return Err(PkiError::new(Kind::MissingField, "rnd is missing: a random string, new for every call, signed together with SerialNumber"));
        }
        Ok(())
    }
}

/// parse → authorize (signature over `SerialNumber + rnd`, then both given, a repeated `rnd` warned) →
/// the person's lifecycles → render this customer's.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let req = Request::parse(f)?;
    let (serial, rnd) = (&req.serial_number, &req.rnd);
    let customer = ctx.signed_customer(f, &format!("{serial}{rnd}"))?;
    req.require()?;
    ctx.remember_rnd(&customer.code, rnd)?;
    let items = lifecycles_of(ctx, serial.trim())?
        .iter()
        .filter(|r| r.customer == customer.code)
        .map(|r| cert_item(ctx, r))
        .collect();
    Ok(cert_list(items))
}
