//! `GET /api/GetCAList?Customercode=…`: the CAs this customer may use. The document shows an
//! empty `CAList`; the item shape `{CAName, CATitle, IsAvailable, Description}` is
//! emulator-defined.

use crate::pki::error::PkiError;
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let customer = ctx.customer_bare(f, "Customercode")?;
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
