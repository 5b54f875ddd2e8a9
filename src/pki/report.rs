//! What the report methods share: a person's lifecycles (read by the model through the
//! by-person index, so report cost follows the result), the status reports show, and the
//! certificate item shape of GetUserCertHistory / GetAllCert / GetAllMobileCert.

use super::error::PkiError;
pub use super::model::tracking::{is_active, report_status};
use super::state::TrackingRecord;
use super::Ctx;
use crate::clock::wire_time;
use serde_json::{json, Value};

/// Every lifecycle of the person with this national code (or legal ID), oldest first.
pub fn lifecycles_of(ctx: &Ctx<'_>, national_code: &str) -> Result<Vec<TrackingRecord>, PkiError> {
    ctx.model().lifecycles_of(national_code)
}

/// `{Id, TrackingCode, Status, Issuer, Certificate, RegisterDate, IssueDate, RevokeDate}`.
pub fn cert_item(ctx: &Ctx<'_>, rec: &TrackingRecord) -> Value {
    let issuer = ctx
        .world
        .ca(&rec.ca)
        .map(|c| c.signer.subject_display.clone())
        .unwrap_or_default();
    json!({
        "Id": rec.code.parse::<u64>().unwrap_or_default(),
        "TrackingCode": rec.code,
        "Status": report_status(rec, ctx.now),
        "Issuer": issuer,
        "Certificate": rec.issue.as_ref().map(|i| i.certificate.clone()).unwrap_or_default(),
        "RegisterDate": wire_time(rec.registered_at),
        "IssueDate": rec.issue.as_ref().map(|i| wire_time(i.at)).unwrap_or_default(),
        "RevokeDate": rec.revoked_at.map(wire_time).unwrap_or_default(),
    })
}

/// The envelope of the certificate-list reports.
pub fn cert_list(items: Vec<Value>) -> Value {
    json!({"IsSuccess": true, "CertList": items, "ErrorCode": 0, "ErrorMessage": ""})
}
