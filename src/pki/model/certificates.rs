//! Certificates: issue (charges the customer's credit), confirm receipt, revoke (into the
//! CA's CRL), and the reads of `PkiCerts` / `PkiRevoked`.

use super::transitions::{allowed, next, Transition};
use super::{Applied, Model};
use crate::pki::error::{Kind, PkiError};
use crate::pki::state::{
    keys, CertRecord, CertStatus, CustomerState, HistoryEntry, Issue, Status, TrackingRecord,
};
use crate::store::{refuse, Abort, Table, Tx};
use time::OffsetDateTime;

/// What IssueCertificateByTrackingCode asks for, after every check of the request.
pub struct IssueRequest<'r> {
    pub code: &'r str,
    pub customer: &'r str,
    pub ca: &'r str,
    pub profile: &'r str,
    /// The profile's price plus the registration's name-lookup charge.
    pub price: i64,
    pub csr: &'r str,
    pub p12: bool,
    pub payment_id: &'r str,
    pub now: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

/// What the issuer made for a serial: the certificate (DER) and, for a P12 token, the
/// PKCS#12 (base64).
pub struct Made {
    pub der: Vec<u8>,
    pub p12: Option<String>,
}

/// An issue's outcome: the issue recorded, and whether this call charged for it (a repeat of
/// the same request gets the same answer uncharged).
pub struct Issued {
    pub issue: Issue,
    pub charged_now: bool,
}

/// Whether `issue` answers the same request again: the same CSR, or for a P12 token `none`.
pub fn same_request(issue: &Issue, csr_text: &str, p12: bool) -> bool {
    if p12 {
        csr_text.trim().eq_ignore_ascii_case("none")
    } else {
        issue.csr.trim() == csr_text.trim()
    }
}

/// The precondition of issue: Registered, or Approved when the profile needs approval.
pub fn may_issue(rec: &TrackingRecord) -> Result<(), PkiError> {
    if allowed(Transition::Issue, rec.status) {
        return Ok(());
    }
    let code = &rec.code;
    let message = match rec.status {
        Status::AwaitingApproval => format!("tracking code {code} is AwaitingApproval: profile '{}' requires identity approval; call RequestApprove first", rec.profile),
        Status::Issued => format!(
            "tracking code {code} is Issued and its certificate (serial {:x}) is active; to issue for a new key call RevokeCertificate first, then RegisterInfo again",
            rec.issue.as_ref().map(|i| i.serial).unwrap_or_default()
        ),
        Status::Rejected => format!("tracking code {code} is Rejected: the RA refused the identity; call RegisterInfo to start again"),
        Status::Revoked => format!("tracking code {code} is Revoked; call RegisterInfo again to restart its lifecycle (the same tracking code; a new one in the government public CA)"),
        other => format!("tracking code {code} is {}: no certificate can be issued", other.name()),
    };
    Err(PkiError::new(Kind::WrongState, message))
}

/// The precondition of confirming receipt: an issued certificate (again is accepted).
pub fn may_confirm(rec: &TrackingRecord) -> Result<(), PkiError> {
    if allowed(Transition::Confirm, rec.status) {
        return Ok(());
    }
    let code = &rec.code;
    Err(PkiError::new(Kind::WrongState, match rec.status {
        Status::Revoked => format!("tracking code {code} is Revoked: its certificate can no longer be confirmed"),
        other => format!("tracking code {code} is {}: no certificate has been issued yet; call IssueCertificateByTrackingCode first", other.name()),
    }))
}

/// The precondition of revocation on the tracking record: its certificate is issued. (The
/// certificate's own state is checked first: an active certificate's lifecycle is Issued.)
pub fn may_revoke(rec: &TrackingRecord) -> Result<(), PkiError> {
    if allowed(Transition::Revoke, rec.status) {
        return Ok(());
    }
    Err(PkiError::new(
        Kind::WrongState,
        format!(
            "tracking code {} is {}: only an issued certificate can be revoked",
            rec.code,
            rec.status.name()
        ),
    ))
}

/// A certificate a client sent back: the CA that issued it, its serial and its DER.
pub struct Sent {
    pub ca: String,
    pub serial: u64,
    pub der: Vec<u8>,
}

impl Sent {
    /// Refuses unless `stored` (the base64 DER this CA issued) is byte for byte what was sent:
    /// issuer and serial can be copied into a forged or altered certificate.
    pub fn must_equal(&self, stored: &str) -> Result<(), PkiError> {
        let stored = crate::crypto::b64_decode(stored).unwrap_or_default();
        if stored == self.der {
            return Ok(());
        }
        let at = stored
            .iter()
            .zip(&self.der)
            .position(|(a, b)| a != b)
            .unwrap_or(stored.len().min(self.der.len()));
        Err(PkiError::new(
            Kind::CertificateUnknown,
            format!(
                "certificate names CA '{}' and serial {:x}, but it is not the certificate that CA issued with that serial (it differs from byte {at} on; {} bytes sent, {} issued): send the certificate exactly as IssueCertificateByTrackingCode returned it",
                self.ca,
                self.serial,
                self.der.len(),
                stored.len()
            ),
        ))
    }
}

pub fn unknown_certificate(ca: &str, serial_hex: &str) -> PkiError {
    PkiError::new(
        Kind::CertificateUnknown,
        format!("CA '{ca}' has not issued a certificate with serial {serial_hex}"),
    )
}

impl Model<'_> {
    pub fn certificate(&self, ca: &str, serial: u64) -> Result<Option<CertRecord>, PkiError> {
        Ok(self.store.get(Table::PkiCerts, &keys::cert(ca, serial))?)
    }

    /// The revoked certificates of a CA, for its CRL.
    pub fn revoked(&self, ca: &str) -> Result<Vec<CertRecord>, PkiError> {
        Ok(self
            .store
            .scan_prefix::<CertRecord>(Table::PkiRevoked, &keys::revoked_prefix(ca), usize::MAX)?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
    }

    /// Issues: `Registered | Approved → Issued`. One transaction re-reads the state, checks
    /// and debits the credit, takes the next serial of the CA, has `make` sign the
    /// certificate for it and records everything: concurrent calls can neither double-spend
    /// nor issue twice. The same request again for an Issued record is answered uncharged.
    pub fn issue(
        &self,
        req: &IssueRequest<'_>,
        make: impl Fn(u64) -> Result<Made, PkiError>,
    ) -> Result<Issued, PkiError> {
        let serial_counter = format!("pki.serial.{}", req.ca);
        let (issued, from) = self.store.write(|tx: &Tx<'_>| {
            let mut rec: TrackingRecord = tx
                .get(Table::PkiTracking, &keys::tracking(req.code))?
                .ok_or_else(|| Abort::Refuse(PkiError::tracking_unknown(req.code)))?;
            if let Some(issue) = rec
                .issue
                .as_ref()
                .filter(|i| rec.status == Status::Issued && same_request(i, req.csr, req.p12))
            {
                return Ok((
                    Issued {
                        issue: issue.clone(),
                        charged_now: false,
                    },
                    rec.status,
                ));
            }
            may_issue(&rec).map_err(Abort::Refuse)?;
            let from = rec.status;
            charge(tx, req, &rec)?;
            let serial = tx.next_seq(&serial_counter, 0x1001)?;
            let made = make(serial).map_err(Abort::Refuse)?;
            let certificate = crate::crypto::b64(&made.der);
            let issue = Issue {
                serial,
                certificate: certificate.clone(),
                csr: req.csr.to_string(),
                payment_id: req.payment_id.to_string(),
                charged: req.price,
                p12: made.p12,
                at: req.now,
            };
            rec.status = next(Transition::Issue, rec.status).unwrap_or(Status::Issued);
            rec.issue = Some(issue.clone());
            rec.history.push(HistoryEntry {
                at: req.now,
                event: format!(
                    "Issued serial {serial:x} by CA {}, charged {}",
                    req.ca, req.price
                ),
            });
            tx.put(Table::PkiTracking, &keys::tracking(req.code), &rec)?;
            tx.put(
                Table::PkiCerts,
                &keys::cert(req.ca, serial),
                &CertRecord {
                    ca: req.ca.to_string(),
                    serial,
                    tracking_code: req.code.to_string(),
                    customer: req.customer.to_string(),
                    national_code: rec.person.national_code.clone(),
                    certificate,
                    status: CertStatus::Active,
                    not_before: req.now,
                    not_after: req.not_after,
                    revoked_at: None,
                    revoke_reason: None,
                },
            )?;
            tx.put_raw(
                Table::PkiByCustomerTime,
                &keys::event(
                    req.customer,
                    req.now.unix_timestamp(),
                    req.code,
                    "Issued",
                    super::tracking::restarts(tx, req.code)?,
                ),
                b"",
            )?;
            Ok((
                Issued {
                    issue,
                    charged_now: true,
                },
                from,
            ))
        })?;
        if issued.charged_now {
            self.record_issue(req, from, issued.issue.serial);
        }
        Ok(issued)
    }

    /// Records a charged issue: the tracking code's `issue` and its new certificate's.
    fn record_issue(&self, req: &IssueRequest<'_>, from: Status, serial: u64) {
        self.changes.push(crate::changes::Change {
            machine: "tracking",
            transition: Transition::Issue.name(),
            from: from.name(),
            to: Status::Issued.name(),
            tenant: req.customer.to_string(),
            record: req.code.to_string(),
            permission: None,
        });
        self.record_certificate(
            Transition::Issue,
            None,
            CertStatus::Active,
            req.customer,
            req.ca,
            serial,
        );
    }

    /// Confirms receipt of the certificate `sent` for tracking code `code`: recorded once in
    /// the history (`Issued → Issued`); again changes nothing. Returns whether this was the
    /// first confirmation.
    pub fn confirm(
        &self,
        code: &str,
        sent: &Sent,
        now: OffsetDateTime,
    ) -> Result<(Applied, bool), PkiError> {
        let (applied, first) = self.store.write(|tx: &Tx<'_>| {
            let mut rec: TrackingRecord = tx
                .get(Table::PkiTracking, &keys::tracking(code))?
                .ok_or_else(|| Abort::Refuse(PkiError::tracking_unknown(code)))?;
            may_confirm(&rec).map_err(Abort::Refuse)?;
            let (ca, serial) = (&sent.ca, sent.serial);
            let issued = rec.issue.as_ref().map(|i| i.serial);
            if rec.ca != *ca || issued != Some(serial) {
                return refuse(PkiError::new(
                    Kind::CertificateUnknown,
                    format!("certificate (CA '{ca}', serial {serial:x}) is not the one issued for tracking code {code} (CA '{}', serial {:x})", rec.ca, issued.unwrap_or_default()),
                ));
            }
            if let Some(issue) = &rec.issue {
                sent.must_equal(&issue.certificate).map_err(Abort::Refuse)?;
            }
            let applied = |record: TrackingRecord| Applied {
                transition: Transition::Confirm,
                from: record.status,
                to: record.status,
                record,
            };
            if rec.confirmed_at.is_some() {
                return Ok((applied(rec), false));
            }
            rec.confirmed_at = Some(now);
            rec.history.push(HistoryEntry {
                at: now,
                event: "Receipt confirmed by RecievedCertConfirmation".into(),
            });
            tx.put(Table::PkiTracking, &keys::tracking(code), &rec)?;
            Ok((applied(rec), true))
        })?;
        if first {
            self.record(Transition::Confirm, Some(applied.from), &applied.record);
        }
        Ok((applied, first))
    }

    /// Revokes the certificate `sent` for `customer`: the certificate into the CA's CRL, its
    /// lifecycle `Issued → Revoked`, the event into the report index — one transaction.
    pub fn revoke(
        &self,
        sent: &Sent,
        customer: &str,
        reason: u8,
        reason_name: &str,
        now: OffsetDateTime,
    ) -> Result<Applied, PkiError> {
        let (name, serial) = (sent.ca.as_str(), sent.serial);
        let applied = self.store.write(|tx: &Tx<'_>| {
            let mut cert: CertRecord = tx
                .get(Table::PkiCerts, &keys::cert(name, serial))?
                .ok_or_else(|| Abort::Refuse(unknown_certificate(name, &format!("{serial:x}"))))?;
            sent.must_equal(&cert.certificate).map_err(Abort::Refuse)?;
            if cert.customer != customer {
                return refuse(PkiError::new(
                    Kind::NotOwner,
                    format!("certificate serial {serial:x} of CA '{name}' was issued through another customer; only that customer may revoke it"),
                ));
            }
            let Some(revoked) = super::transitions::certificate_next(Transition::Revoke, cert.status) else {
                return refuse(PkiError::new(
                    Kind::AlreadyRevoked,
                    format!(
                        "certificate serial {serial:x} of CA '{name}' is already revoked (at {}, reason {})",
                        cert.revoked_at.map(crate::clock::wire_time).unwrap_or_default(),
                        cert.revoke_reason.unwrap_or(0)
                    ),
                ));
            };
            cert.status = revoked;
            cert.revoked_at = Some(now);
            cert.revoke_reason = Some(reason);
            tx.put(Table::PkiCerts, &keys::cert(name, serial), &cert)?;
            tx.put(Table::PkiRevoked, &keys::cert(name, serial), &cert)?;
            let mut rec: TrackingRecord = tx
                .get(Table::PkiTracking, &keys::tracking(&cert.tracking_code))?
                .ok_or_else(|| Abort::Refuse(PkiError::internal("revoking", "the certificate's tracking code is missing")))?;
            let from = rec.status;
            let current = rec.issue.as_ref().map(|i| i.serial) == Some(serial) && rec.ca == name;
            if !current {
                // Its lifecycle ended (the certificate expired) and the tracking code restarted.
                return refuse(PkiError::new(
                    Kind::WrongState,
                    format!("certificate serial {serial:x} of CA '{name}' belongs to an ended lifecycle of tracking code {}, which RegisterInfo restarted; it is no longer valid and cannot be revoked", rec.code),
                ));
            }
            may_revoke(&rec).map_err(Abort::Refuse)?;
            rec.status = next(Transition::Revoke, from).unwrap_or(Status::Revoked);
            rec.revoked_at = Some(now);
            rec.history.push(HistoryEntry { at: now, event: format!("Revoked serial {serial:x}, reason {reason} ({reason_name})") });
            tx.put(Table::PkiTracking, &keys::tracking(&rec.code), &rec)?;
            let lifecycle = super::tracking::restarts(tx, &rec.code)?;
            tx.put_raw(Table::PkiByCustomerTime, &keys::event(&rec.customer, now.unix_timestamp(), &rec.code, "Revoked", lifecycle), b"")?;
            Ok(Applied { transition: Transition::Revoke, from, to: rec.status, record: rec })
        })?;
        self.record(Transition::Revoke, Some(applied.from), &applied.record);
        self.record_certificate(
            Transition::Revoke,
            Some(CertStatus::Active),
            CertStatus::Revoked,
            customer,
            name,
            serial,
        );
        Ok(applied)
    }
}

/// Debits the issue's price from the customer's credit, inside the issue's transaction;
/// refuses (nothing charged or issued) when the credit does not cover it.
fn charge(
    tx: &Tx<'_>,
    req: &IssueRequest<'_>,
    rec: &TrackingRecord,
) -> Result<(), Abort<PkiError>> {
    let ckey = keys::customer(req.customer);
    let mut credit: CustomerState = tx
        .get(Table::PkiCustomers, &ckey)?
        .unwrap_or(CustomerState { credit: 0 });
    if credit.credit < req.price {
        return refuse(PkiError::new(
            Kind::InsufficientCredit,
            format!(
                "customer {} has credit {}; issuing with profile '{}' costs {}{}: nothing was charged or issued",
                req.customer,
                credit.credit,
                req.profile,
                req.price,
                if rec.lookup_charge > 0 { format!(" (including {} for the name lookup)", rec.lookup_charge) } else { String::new() }
            ),
        ));
    }
    credit.credit -= req.price;
    tx.put(Table::PkiCustomers, &ckey, &credit)?;
    Ok(())
}
