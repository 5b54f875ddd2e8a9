//! What the report methods share: reading a person's lifecycles through the by-person index,
//! and the certificate item shape of GetUserCertHistory / GetAllCert / GetAllMobileCert.
//!
//! Report cost follows the result: a person's records come from `PkiByPerson`
//! (national code → tracking codes), a customer's activity from the event index
//! `PkiByCustomerTime` (customer, time, tracking code, event); nothing scans all records.

use super::error::PkiError;
use super::state::{keys, Status, TrackingRecord};
use super::Ctx;
use crate::clock::wire_time;
use crate::store::{codec, Table};
use serde_json::{json, Value};
use time::OffsetDateTime;

/// Every lifecycle of the person with this national code (or legal ID), oldest first.
pub fn lifecycles_of(ctx: &Ctx<'_>, national_code: &str) -> Result<Vec<TrackingRecord>, PkiError> {
    let prefix = codec::key(&[national_code, ""]);
    let mut out = Vec::new();
    for key in ctx
        .store
        .keys_with_prefix(Table::PkiByPerson, &prefix, usize::MAX)?
    {
        if let Some(code) = codec::split(&key).get(1) {
            if let Some(rec) = ctx
                .store
                .get::<TrackingRecord>(Table::PkiTracking, &keys::tracking(code))?
            {
                out.push(rec);
            }
        }
    }
    out.sort_by_key(|r| r.code.parse::<u64>().unwrap_or(u64::MAX));
    Ok(out)
}

/// The status reports show: Registered (also while awaiting or after approval), Issued,
/// Revoked — and Expired once the clock is past the certificate's NotAfter.
pub fn report_status(rec: &TrackingRecord, now: OffsetDateTime) -> &'static str {
    match rec.status {
        Status::Registered | Status::AwaitingApproval | Status::Approved => "Registered",
        Status::Revoked => "Revoked",
        Status::Rejected => "Rejected",
        Status::Issued => match not_after(rec) {
            Some(t) if t < now => "Expired",
            _ => "Issued",
        },
    }
}

/// True for an issued, unrevoked, unexpired certificate.
pub fn is_active(rec: &TrackingRecord, now: OffsetDateTime) -> bool {
    report_status(rec, now) == "Issued"
}

fn not_after(rec: &TrackingRecord) -> Option<OffsetDateTime> {
    let issue = rec.issue.as_ref()?;
    let der = crate::crypto::b64_decode(&issue.certificate).ok()?;
    crate::crypto::x509::parse_certificate(&der)
        .ok()
        .map(|c| c.not_after)
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
