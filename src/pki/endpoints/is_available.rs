//! `GET /api/IsAvailable?caName=…`: whether a CA is issuing right now.

use crate::pki::error::PkiError;
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

/// `IsAvailable`'s query, every parameter bound once.
struct Request {
    ca_name: String,
}

impl Request {
    fn parse(f: &Fields) -> Result<Request, PkiError> {
        Ok(Request {
            ca_name: f.str("caName")?,
        })
    }
}

/// parse → (no one to authorize) the CA's state, from the world → render.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let req = Request::parse(f)?;
    let ca = ctx.world.ca(&req.ca_name)?;
    let up = ca.available.load(Ordering::Relaxed);
    let description = if up {
        ""
    } else {
        "the CA is temporarily unavailable"
    };
    Ok(json!({"IsAvailable": up, "Description": description, "ErrorCode": 0, "ErrorMessage": ""}))
}
