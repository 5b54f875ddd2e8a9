//! `GET /api/GetCAList?Customercode=…`: the CAs this customer may use. The document shows an
//! empty `CAList`; the item shape `{CAName, CATitle, IsAvailable, Description}` is
//! emulator-defined.

use crate::pki::error::PkiError;
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

/// `GetCAList`'s query, every parameter bound once.
struct Request {
    customercode: String,
}

impl Request {
    fn parse(f: &Fields) -> Result<Request, PkiError> {
        Ok(Request {
            customercode: f.str("Customercode")?,
        })
    }
}

/// parse → authorize (the bare customer code) → the customer's CAs, from the world → render.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let req = Request::parse(f)?;
    let customer = ctx.customer_bare("Customercode", &req.customercode)?;
    let list: Vec<Value> = customer
        .spec
        .cas
        .iter()
        .filter_map(|name| ctx.world.ca(name).ok())
        .map(|ca| {
            json!({
                "CAName": ca.spec.name,
                "CATitle": ca.spec.title,
                "IsAvailable": ca.available.load(Ordering::Relaxed),
                "Description": ca.spec.description,
            })
        })
        .collect();
    Ok(json!({"IsSuccess": true, "CAList": list, "ErrorCode": 0, "ErrorMessage": ""}))
}
