//! The PKI's stored records and their states (docs/pki.md lists the statuses; "Reference:
//! emulator-defined choices" the transitions signsim adds). The state machine itself is data:
//! [`super::model::TRANSITIONS`] (drawn by [`super::model::transitions::mermaid`]).
//!
//! Records are values in the store (JSON); every change is a transition of
//! [`super::model`], one `Store::write` transaction together with its indexes and the credit
//! debit. Keys: see [`keys`].

use crate::store::codec;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Registered,
    AwaitingApproval,
    Approved,
    Issued,
    Revoked,
    /// The RA refused the identity (control API): the lifecycle ended without a certificate.
    Rejected,
}

impl Status {
    /// Revoked and Rejected end a lifecycle: registering the subject again restarts it under
    /// the same tracking code (a new one in the government public CA).
    pub fn is_final(self) -> bool {
        matches!(self, Status::Revoked | Status::Rejected)
    }

    pub fn name(self) -> &'static str {
        match self {
            Status::Registered => "Registered",
            Status::AwaitingApproval => "AwaitingApproval",
            Status::Approved => "Approved",
            Status::Issued => "Issued",
            Status::Revoked => "Revoked",
            Status::Rejected => "Rejected",
        }
    }
}

/// The applicant's data as registered (after name lookup).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Person {
    pub national_code: String,
    pub name: String,
    pub last_name: String,
    pub en_name: String,
    pub en_last_name: String,
    pub father_name: String,
    pub is_man: Option<bool>,
    pub postal_code: String,
    pub telephone: String,
    pub is_foreign: bool,
    pub birth_certificate_id: String,
    pub birth_date: String,
    pub city: String,
    pub province_name: String,
    pub agency_sn: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryEntry {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub event: String,
}

/// One lifecycle of one applicant under one customer and CA.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrackingRecord {
    pub code: String,
    pub customer: String,
    pub ca: String,
    pub profile: String,
    pub token_type: String,
    /// SHA-256 (hex) of the P12 password given at registration.
    #[serde(default)]
    pub p12_password_sha256: Option<String>,
    pub person: Person,
    /// .NET-style display of the subject the certificate will carry.
    pub subject_dn: String,
    /// Subject in DER order as (attribute short name, value).
    pub subject: Vec<(String, String)>,
    pub status: Status,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    /// Extra charge for names looked up in the registry, added at issue.
    pub lookup_charge: u64,
    pub approval: Option<Approval>,
    pub issue: Option<Issue>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub confirmed_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub history: Vec<HistoryEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Approval {
    pub approver: String,
    pub order_id: String,
    pub remote: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Issue {
    pub serial: u64,
    /// Base64 DER certificate.
    pub certificate: String,
    /// The CSR as the client sent it (returned by RegisterInfo while the certificate is active).
    pub csr: String,
    pub payment_id: String,
    pub charged: i64,
    /// Base64 PKCS#12 handed out for a P12 token (the key is not kept anywhere else).
    #[serde(default)]
    pub p12: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertStatus {
    Active,
    Revoked,
}

impl CertStatus {
    /// The state's name in the certificate machine's table and diagram.
    pub fn name(self) -> &'static str {
        match self {
            CertStatus::Active => "Active",
            CertStatus::Revoked => "Revoked",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertRecord {
    pub ca: String,
    pub serial: u64,
    pub tracking_code: String,
    pub customer: String,
    pub national_code: String,
    pub certificate: String,
    pub status: CertStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoke_reason: Option<u8>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomerState {
    pub credit: i64,
}

/// Store keys of the PKI tables.
pub mod keys {
    use super::codec;

    pub fn tracking(code: &str) -> Vec<u8> {
        codec::key(&[code])
    }
    /// An ended lifecycle of a tracking code that was restarted (one tracking code per subject
    /// DN): the `n`th, from 1, kept beside the live one in `PkiTracking` for the reports.
    pub fn past_lifecycle(code: &str, n: u64) -> Vec<u8> {
        codec::key(&[code, &codec::be(n)])
    }
    /// Every ended lifecycle of a tracking code, oldest first.
    pub fn past_lifecycles(code: &str) -> Vec<u8> {
        codec::key(&[code, ""])
    }
    pub fn face_auth(order_id: &str) -> Vec<u8> {
        codec::key(&[order_id])
    }
    /// One tracking code per Subject DN in a CA, for each customer (the profile is not part
    /// of it: the document promises one tracking code per Subject DN).
    pub fn subject(customer: &str, ca: &str, dn: &str) -> Vec<u8> {
        codec::key(&[customer, ca, dn])
    }
    pub fn cert(ca: &str, serial: u64) -> Vec<u8> {
        codec::key(&[ca, &codec::be(serial)])
    }
    pub fn revoked_prefix(ca: &str) -> Vec<u8> {
        codec::key(&[ca, ""])
    }
    pub fn by_person(national_code: &str, tracking: &str) -> Vec<u8> {
        codec::key(&[national_code, tracking])
    }
    /// The report index: one entry per lifecycle event (`Registered`, `Issued`, `Revoked`)
    /// of a customer, ordered by time. Empty value. `lifecycle` is how many times the tracking
    /// code was restarted before (0 for most codes, whose key has no fifth part), so that a
    /// restarted code's events in the same second do not overwrite the earlier lifecycle's.
    pub fn event(
        customer: &str,
        unix: i64,
        tracking: &str,
        event: &str,
        lifecycle: u64,
    ) -> Vec<u8> {
        let at = codec::be(unix.max(0) as u64);
        match lifecycle {
            0 => codec::key(&[customer, &at, tracking, event]),
            n => codec::key(&[customer, &at, tracking, event, &codec::be(n)]),
        }
    }
    /// Events of `customer` in `[from, to]` (unix seconds, inclusive).
    pub fn event_range(customer: &str, from: i64, to: i64) -> (Vec<u8>, Vec<u8>) {
        (
            codec::key(&[customer, &codec::be(from.max(0) as u64)]),
            codec::key(&[customer, &codec::be(to.max(0) as u64 + 1)]),
        )
    }
    pub fn customer(code: &str) -> Vec<u8> {
        codec::key(&[code])
    }
}

/// An order of the provider's face-authentication service: what `RequestApprove` must carry
/// (`orderId`) when the customer uses it. Issued through the control API or a scenario
/// reaction; used once.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FaceAuthOrder {
    pub order_id: String,
    pub national_code: String,
    pub tracking_code: String,
    /// `verified` or `failed`: whether the face matched the national code's photo.
    pub outcome: String,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When RequestApprove used it.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub used_at: Option<OffsetDateTime>,
}
