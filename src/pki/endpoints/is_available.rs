//! `GET /api/IsAvailable?caName=…`: whether a CA is issuing right now.

use crate::pki::error::PkiError;
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let ca = ctx.world.ca(&f.str("caName")?)?;
    let up = ca.available.load(Ordering::Relaxed);
    let description = if up {
        ""
    } else {
        "the CA is temporarily unavailable"
    };
    Ok(json!({"IsAvailable": up, "Description": description, "ErrorCode": 0, "ErrorMessage": ""}))
}
