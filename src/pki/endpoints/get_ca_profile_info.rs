//! `GET /api/GetCAProfileInfo?Customercode=…&caName=…`: the profiles of a CA, in the
//! document's item shape.

use crate::pki::error::PkiError;
use crate::pki::wire::{Field, Fields};
use crate::pki::Ctx;
use serde_json::{json, Value};

/// `GetCAProfileInfo`'s query, every parameter bound once.
struct Request<'f> {
    customercode: String,
    /// Read after the customer is known: an unknown customer is refused before a missing CA.
    ca_name: Field<'f>,
}

impl<'f> Request<'f> {
    fn parse(f: &'f Fields) -> Result<Request<'f>, PkiError> {
        Ok(Request {
            customercode: f.str("Customercode")?,
            ca_name: f.field("caName"),
        })
    }
}

/// parse → authorize (the bare customer code, a CA it may use) → the CA's profiles, from the
/// world → render.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let req = Request::parse(f)?;
    let customer = ctx.customer_bare("Customercode", &req.customercode)?;
    let ca = ctx.ca_for(customer, &req.ca_name.str()?)?;
    let profiles: Vec<Value> = ca
        .profiles
        .iter()
        .map(|p| {
            json!({
                "SubjectDNConfig": p.template.text,
                "ProfileName": p.spec.name,
                "Price": p.spec.price,
                "FaceAuth": p.spec.face_auth,
                "InputType": p.spec.input_type,
                "Approval": p.spec.approval,
                "ProductId": p.spec.product_id,
                "Description": p.spec.description,
            })
        })
        .collect();
    Ok(json!({"IsSuccess": true, "Profile": profiles, "ErrorCode": 0, "ErrorMessage": ""}))
}
