//! `GET /api/GetAllMobileCert?NationalCode=…|TrackingCode=…[&CAName=…][&CustomerCode=…]`:
//! a person's active certificates issued through this service. One of NationalCode and
//! TrackingCode is required and TrackingCode wins; CAName and CustomerCode filter.

use crate::pki::error::{Kind, PkiError};
use crate::pki::report::{cert_item, cert_list, is_active, lifecycles_of};
use crate::pki::state::TrackingRecord;
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::Value;

/// `GetAllMobileCert`'s query, every parameter bound once (each empty when absent).
struct Request {
    national_code: String,
    tracking_code: String,
    ca_name: String,
    customer_code: String,
}

impl Request {
    fn parse(f: &Fields) -> Result<Request, PkiError> {
        Ok(Request {
            national_code: f.str_or_empty("NationalCode")?,
            tracking_code: f.str_or_empty("TrackingCode")?,
            ca_name: f.str_or_empty("CAName")?,
            customer_code: f.str_or_empty("CustomerCode")?,
        })
    }
}

/// parse → (unauthenticated, as upstream) the filter's customer → the lifecycles by tracking
/// code or national code → render the active ones the filters keep.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let Request {
        national_code: national,
        tracking_code: tracking,
        ca_name: ca,
        customer_code,
    } = Request::parse(f)?;
    let customer = match customer_code.as_str() {
        "" => String::new(),
        sent => ctx.customer_bare("CustomerCode", sent)?.code.clone(),
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
