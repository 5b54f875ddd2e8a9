//! Tracking records: RegisterInfo's transitions (register, amend) and the reads of
//! lifecycles — by tracking code, by person (`PkiByPerson`), and what reports make of them.
//!
//! One tracking code per subject DN in a CA (the PKI document, lines 403–405): registering the
//! subject of an ended lifecycle again restarts it under the same code (`register` from
//! Revoked, Rejected or an expired Issued); the ended lifecycle is kept under
//! [`keys::past_lifecycle`] and the reports list it beside the live one. The government public
//! CA, excepted by the document, gives a new code for every registration.

use super::transitions::{allowed, leads_to, Transition};
use super::Model;
use crate::pki::error::{Kind, PkiError};
use crate::pki::state::{keys, HistoryEntry, Status, TrackingRecord};
use crate::store::{codec, Abort, Table, Tx};
use std::sync::Arc;
use time::OffsetDateTime;

/// What a RegisterInfo asks for, after every check: the lifecycle it names is the
/// customer's, in the CA, for the subject DN (one tracking code per subject DN in a CA).
pub struct Registration<'r> {
    pub customer: &'r str,
    pub ca: &'r str,
    /// The government public CA gives a new tracking code for every registration.
    pub government: bool,
    pub subject_dn: &'r str,
    pub profile: &'r str,
    pub token_type: &'r str,
    pub p12_password_sha256: Option<&'r str>,
    pub now: OffsetDateTime,
}

impl Registration<'_> {
    /// Whether a registration already asks for the token this one asks for.
    fn same_as(&self, r: &TrackingRecord) -> bool {
        r.profile.eq_ignore_ascii_case(self.profile)
            && r.token_type == self.token_type
            && r.p12_password_sha256.as_deref() == self.p12_password_sha256
    }

    fn subject_key(&self) -> Vec<u8> {
        keys::subject(self.customer, self.ca, self.subject_dn)
    }
}

/// How RegisterInfo's transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// A new lifecycle (a new tracking code).
    New,
    /// The live lifecycle of the subject DN, returned as it was.
    Existing,
    /// The live lifecycle, now for the registration's profile and token type.
    Amended,
    /// The subject's ended lifecycle started again under the same tracking code.
    Restarted,
}

impl Model<'_> {
    pub fn tracking(&self, code: &str) -> Result<Option<TrackingRecord>, PkiError> {
        Ok(self.store.get(Table::PkiTracking, &keys::tracking(code))?)
    }

    /// The tracking record, refused as unknown when there is none.
    pub fn tracking_known(&self, code: &str) -> Result<TrackingRecord, PkiError> {
        self.tracking(code)?
            .ok_or_else(|| PkiError::tracking_unknown(code))
    }

    /// Every lifecycle of the person with this national code (or legal ID), oldest first: the
    /// ended lifecycles of a restarted tracking code come before its live one.
    pub fn lifecycles_of(&self, national_code: &str) -> Result<Vec<TrackingRecord>, PkiError> {
        let mut out = Vec::new();
        for rec in self.lifecycles_but(national_code, None)? {
            out.extend(self.past_lifecycles(&rec.code)?);
            out.push(rec);
        }
        Ok(out)
    }

    /// The ended lifecycles of a restarted tracking code, oldest first (none for most codes).
    pub fn past_lifecycles(&self, code: &str) -> Result<Vec<TrackingRecord>, PkiError> {
        Ok(self
            .store
            .scan_prefix::<TrackingRecord>(
                Table::PkiTracking,
                &keys::past_lifecycles(code),
                usize::MAX,
            )?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
    }

    /// The person's lifecycles, oldest first, without reading the one named `skip` (a
    /// RegisterInfo repeat asks for the others on every call).
    fn lifecycles_but(
        &self,
        national_code: &str,
        skip: Option<&str>,
    ) -> Result<Vec<TrackingRecord>, PkiError> {
        let prefix = codec::key(&[national_code, ""]);
        let mut out = Vec::new();
        for key in self
            .store
            .keys_with_prefix(Table::PkiByPerson, &prefix, usize::MAX)?
        {
            // The code is the key's second part, read in place (an idempotent repeat asks on
            // every call); a part that is not UTF-8 names no record.
            let Some(code) = codec::part(&key, 1).filter(|c| Some(*c) != skip) else {
                continue;
            };
            if let Some(rec) = self.tracking(code)? {
                out.push(rec);
            }
        }
        out.sort_by_key(|r| r.code.parse::<u64>().unwrap_or(u64::MAX));
        Ok(out)
    }

    /// Another lifecycle of the same customer, CA and subject DN with an active certificate
    /// (the government CA gives a new tracking code per registration, so the subject's
    /// certificate may belong to an earlier one).
    pub fn active_sibling(
        &self,
        rec: &TrackingRecord,
        now: OffsetDateTime,
    ) -> Result<Option<TrackingRecord>, PkiError> {
        Ok(self
            .lifecycles_but(&rec.person.national_code, Some(&rec.code))?
            .into_iter()
            .find(|o| {
                o.customer == rec.customer
                    && o.ca == rec.ca
                    && o.subject_dn == rec.subject_dn
                    && is_active(o, now)
            }))
    }

    /// The live lifecycle of the registration's subject DN, read without a transaction
    /// through the decoded cache (registering again is the common case). `None` in the
    /// government CA, whose registrations always start a new lifecycle.
    pub fn live_registration(
        &self,
        reg: &Registration<'_>,
    ) -> Result<Option<Arc<TrackingRecord>>, PkiError> {
        if reg.government {
            return Ok(None);
        }
        let Some(code) = self
            .store
            .get_decoded(&self.hot.subjects, &reg.subject_key())?
        else {
            return Ok(None);
        };
        Ok(self
            .store
            .get_decoded(&self.hot.tracking, &keys::tracking(&code))?
            .filter(|r| !ended(r, reg.now)))
    }

    /// RegisterInfo's transition, given the live lifecycle read by
    /// [`Model::live_registration`]: that lifecycle when it asks for the same token already
    /// (no transaction); otherwise one transaction that amends the live lifecycle before issue,
    /// restarts the subject's ended lifecycle under its tracking code, or creates a new one —
    /// each from `new_record` (its code is filled in here) with its indexes.
    pub fn register(
        &self,
        reg: &Registration<'_>,
        live: Option<Arc<TrackingRecord>>,
        new_record: impl Fn() -> TrackingRecord,
    ) -> Result<(Arc<TrackingRecord>, Registered), PkiError> {
        if let Some(rec) = live.filter(|r| reg.same_as(r)) {
            return Ok((rec, Registered::Existing));
        }
        let first = self.world.first_tracking_code;
        let skey = reg.subject_key();
        let now = reg.now;
        let (rec, how, from) = self.store.write(|tx: &Tx<'_>| {
            let previous: Option<TrackingRecord> =
                match tx.get::<String, PkiError>(Table::PkiSubjects, &skey)? {
                    Some(code) => tx.get(Table::PkiTracking, &keys::tracking(&code))?,
                    None => None,
                };
            if let Some(prev) = previous
                .as_ref()
                .filter(|p| !reg.government && !ended(p, now))
            {
                if !reg.same_as(prev) && may_amend(prev, now).is_ok() {
                    let updated = amended(prev, reg);
                    tx.put(Table::PkiTracking, &keys::tracking(&updated.code), &updated)?;
                    return Ok((updated, Registered::Amended, Some(prev.status)));
                }
                return Ok((prev.clone(), Registered::Existing, Some(prev.status)));
            }
            let mut rec = new_record();
            let restart = previous
                .as_ref()
                .filter(|p| !reg.government && may_restart(p, now))
                .filter(|p| leads_to(Some(p.status), Transition::Register, rec.status));
            let (code, lifecycle) = match restart {
                Some(prev) => (prev.code.clone(), keep_ended(tx, prev, now)?),
                None => (tx.next_seq("pki.tracking", first)?.to_string(), 0),
            };
            rec.code = code.clone();
            match (restart, previous.as_ref()) {
                (Some(prev), _) => rec.history.push(HistoryEntry {
                    at: now,
                    event: format!(
                        "lifecycle restarted by RegisterInfo: the subject's tracking code, {} since {}, starts again (one tracking code per subject DN)",
                        report_status(prev, now),
                        crate::clock::wire_time(prev.revoked_at.unwrap_or(prev.registered_at)),
                    ),
                }),
                // In the government CA the previous lifecycle may still hold the active certificate.
                (None, Some(prev)) if prev.status == Status::Issued => {
                    rec.history.push(HistoryEntry {
                        at: now,
                        event: format!(
                            "subject already holds an active certificate under tracking code {}",
                            prev.code
                        ),
                    })
                }
                (None, _) => {}
            }
            tx.put(Table::PkiTracking, &keys::tracking(&code), &rec)?;
            tx.put(Table::PkiSubjects, &skey, &code)?;
            tx.put_raw(
                Table::PkiByPerson,
                &keys::by_person(&rec.person.national_code, &code),
                b"",
            )?;
            tx.put_raw(
                Table::PkiByCustomerTime,
                &keys::event(&rec.customer, now.unix_timestamp(), &code, "Registered", lifecycle),
                b"",
            )?;
            Ok::<_, Abort<PkiError>>(match restart {
                Some(prev) => (rec, Registered::Restarted, Some(prev.status)),
                None => (rec, Registered::New, None),
            })
        })?;
        match how {
            Registered::New | Registered::Restarted => {
                self.record(Transition::Register, from, &rec)
            }
            Registered::Amended => self.record(Transition::Amend, Some(rec.status), &rec),
            Registered::Existing => {}
        }
        Ok((Arc::new(rec), how))
    }
}

/// How many ended lifecycles a tracking code keeps (how often it was restarted), read in `tx`:
/// one read for a code never restarted.
pub fn restarts(tx: &Tx<'_>, code: &str) -> Result<u64, Abort<PkiError>> {
    let mut n = 0;
    while tx
        .get::<TrackingRecord, PkiError>(Table::PkiTracking, &keys::past_lifecycle(code, n + 1))?
        .is_some()
    {
        n += 1;
    }
    Ok(n)
}

/// Keeps an ended lifecycle, before its tracking code restarts, as the code's next past
/// lifecycle ([`keys::past_lifecycle`]); returns its number (the restarts so far).
fn keep_ended(
    tx: &Tx<'_>,
    prev: &TrackingRecord,
    now: OffsetDateTime,
) -> Result<u64, Abort<PkiError>> {
    let n = restarts(tx, &prev.code)? + 1;
    let mut ended = prev.clone();
    ended.history.push(HistoryEntry {
        at: now,
        event: format!(
            "lifecycle ended ({}); tracking code {} restarted by RegisterInfo",
            report_status(prev, now),
            prev.code
        ),
    });
    tx.put(
        Table::PkiTracking,
        &keys::past_lifecycle(&prev.code, n),
        &ended,
    )?;
    Ok(n)
}

/// The precondition of restarting a lifecycle under its tracking code: it ended — revoked,
/// rejected, or issued with its certificate past NotAfter.
pub fn may_restart(rec: &TrackingRecord, now: OffsetDateTime) -> bool {
    restartable(rec.status, report_status(rec, now) == "Expired")
}

/// Whether a lifecycle in `status` (`expired`: its certificate is past NotAfter) may restart:
/// what [`TRANSITIONS`](super::TRANSITIONS) lists as `register` from a state.
pub fn restartable(status: Status, expired: bool) -> bool {
    (status.is_final() || (status == Status::Issued && expired))
        && allowed(Transition::Register, status)
}

/// The precondition of amending a lifecycle: live (not ended) and not issued yet — an issued
/// lifecycle keeps its profile.
pub fn may_amend(rec: &TrackingRecord, now: OffsetDateTime) -> Result<(), PkiError> {
    if !ended(rec, now) && allowed(Transition::Amend, rec.status) {
        return Ok(());
    }
    Err(PkiError::new(
        Kind::WrongState,
        format!(
            "tracking code {} is {}: only a lifecycle before issue takes another profile or token",
            rec.code,
            rec.status.name()
        ),
    ))
}

/// Registered again with another profile, token type or P12 password before issuing: the
/// same tracking code, now for the new profile and token.
fn amended(prev: &TrackingRecord, reg: &Registration<'_>) -> TrackingRecord {
    let mut updated = prev.clone();
    updated.profile = reg.profile.to_string();
    updated.token_type = reg.token_type.to_string();
    updated.p12_password_sha256 = reg.p12_password_sha256.map(str::to_string);
    updated.history.push(HistoryEntry {
        at: reg.now,
        event: format!(
            "profile {}, TokenType {} set by RegisterInfo",
            updated.profile, updated.token_type
        ),
    });
    updated
}

/// A lifecycle that is over: revoked, rejected, or issued with a certificate past its NotAfter
/// (registering the same subject again restarts it under the same tracking code; in the
/// government public CA it starts a new one).
pub fn ended(rec: &TrackingRecord, now: OffsetDateTime) -> bool {
    rec.status.is_final() || report_status(rec, now) == "Expired"
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
