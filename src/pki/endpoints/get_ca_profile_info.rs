//! `GET /api/GetCAProfileInfo?Customercode=…&caName=…`: the profiles of a CA, in the
//! document's item shape.

use crate::pki::error::PkiError;
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::{json, Value};

pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let customer = ctx.customer_bare(f, "Customercode")?;
    let ca = ctx.ca_for(customer, &f.str("caName")?)?;
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
