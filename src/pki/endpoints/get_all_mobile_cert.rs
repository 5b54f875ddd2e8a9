//! `GET /api/GetAllMobileCert?NationalCode=…|TrackingCode=…[&CAName=…][&CustomerCode=…]`:
//! a person's active certificates issued through this service. One of NationalCode and
//! TrackingCode is required and TrackingCode wins; CAName and CustomerCode filter.

use crate::pki::error::{Kind, PkiError};
use crate::pki::report::{cert_item, cert_list, is_active, lifecycles_of};
use crate::pki::state::TrackingRecord;
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::Value;

pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let national = f.str_or_empty("NationalCode")?;
    let tracking = f.str_or_empty("TrackingCode")?;
    let ca = f.str_or_empty("CAName")?;
    let customer = match f.str_or_empty("CustomerCode")?.as_str() {
        "" => String::new(),
        _ => ctx.customer_bare(f, "CustomerCode")?.code.clone(),
    };
    let records: Vec<TrackingRecord> = if !tracking.is_empty() {
        ctx.model().tracking(&tracking)?.into_iter().collect()
    } else if !national.is_empty() {
        lifecycles_of(ctx, &national)?
    } else {
        return Err(PkiError::new(
            Kind::MissingField,
            "NationalCode or TrackingCode is required (TrackingCode wins when both are given)",
        ));
    };
    if !ca.is_empty() {
        ctx.world.ca(&ca)?;
    }
    let items = records
        .iter()
        .filter(|r| is_active(r, ctx.now))
        .filter(|r| ca.is_empty() || r.ca == ca)
        .filter(|r| customer.is_empty() || r.customer == customer)
        .map(|r| cert_item(ctx, r))
        .collect();
    Ok(cert_list(items))
}
