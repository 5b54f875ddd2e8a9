//! `POST /api/IsApproved {trackingCode}`: whether the applicant's identity approval is done.
//! Unsigned, as in the document. `ResultCode` is false only while the tracking code waits for
//! approval (or after the RA rejected it); a profile without approval counts as approved.

use crate::pki::error::PkiError;
use crate::pki::state::Status;
use crate::pki::wire::Fields;
use crate::pki::Ctx;
use serde_json::{json, Value};

/// `IsApproved`'s body, every field bound once.
struct Request {
    tracking_code: String,
}

impl Request {
    fn parse(f: &Fields) -> Result<Request, PkiError> {
        Ok(Request {
            tracking_code: f.str("trackingCode")?,
        })
    }
}

/// parse → (unsigned, as upstream) the tracking record → render its approval.
pub fn handle(ctx: &mut Ctx<'_>, f: &Fields) -> Result<Value, PkiError> {
    let Request {
        tracking_code: code,
    } = Request::parse(f)?;
    let rec = ctx.model().tracking_known(&code)?;
    let approved = !matches!(rec.status, Status::AwaitingApproval | Status::Rejected);
    Ok(json!({
        "ResultCode": approved,
        "Description": format!("tracking code {code} is {}", rec.status.name()),
        "Message": if approved { "Success" } else { "Unsuccess" },
    }))
}
