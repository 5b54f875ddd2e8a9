//! Approval of an applicant's identity — one transition whoever approves (RequestApprove in
//! person or remote, an RA officer through the control API, a scenario reaction, the
//! dashboard) — rejection, and the provider's face-authentication orders that a remote
//! approval uses once.

use super::transitions::{allowed, next, Transition};
use super::{Applied, Model};
use crate::pki::error::{Kind, PkiError};
use crate::pki::state::{keys, Approval, FaceAuthOrder, HistoryEntry, Status, TrackingRecord};
use crate::store::{refuse, Abort, Table, Tx};
use time::OffsetDateTime;

/// Who approves, and how: what the approval records and its history says.
pub enum Approver<'a> {
    /// An RA officer by hand (control API, scenario reaction, dashboard).
    Officer { name: &'a str },
    /// RequestApprove with a verified CMS `approverSign`; `order_id` is recorded as sent
    /// (in person it names no face-authentication session, but the request may carry one).
    InPerson { name: &'a str, order_id: &'a str },
    /// RequestApprove for a face-authentication profile; `order` is the provider's
    /// face-authentication order, used once, when the customer uses that service.
    Remote {
        name: &'a str,
        order_id: &'a str,
        order: Option<&'a str>,
    },
}

impl Approver<'_> {
    fn approval(&self, at: OffsetDateTime) -> Approval {
        let (approver, order_id, remote) = match self {
            Approver::Officer { name } => (*name, "", false),
            Approver::InPerson { name, order_id } => (*name, *order_id, false),
            Approver::Remote { name, order_id, .. } => (*name, *order_id, true),
        };
        Approval {
            approver: approver.to_string(),
            order_id: order_id.to_string(),
            remote,
            at,
        }
    }

    fn event(&self) -> String {
        match self {
            Approver::Officer { name } => format!("Approved through the control API by '{name}'"),
            Approver::InPerson { name, .. } => {
                format!("Approved by RequestApprove (in person, approver '{name}')")
            }
            Approver::Remote { name, .. } => {
                format!("Approved by RequestApprove (remote, approver '{name}')")
            }
        }
    }
}

/// The precondition of approval, whoever approves: only `AwaitingApproval`. The refusal names
/// the next valid step; `needs_approval` says whether the record's profile asks for approval
/// at all (see [`Model::needs_approval`]).
pub fn may_approve(rec: &TrackingRecord, needs_approval: bool) -> Result<(), PkiError> {
    if allowed(Transition::Approve, rec.status) {
        return Ok(());
    }
    let code = &rec.code;
    let message = match rec.status {
        Status::Registered if !needs_approval => format!("tracking code {code} is Registered and its profile '{}' needs no approval; call IssueCertificateByTrackingCode", rec.profile),
        Status::Approved => format!("tracking code {code} is already Approved; call IssueCertificateByTrackingCode"),
        other => format!("tracking code {code} is {}: only AwaitingApproval can be approved", other.name()),
    };
    Err(PkiError::new(Kind::WrongState, message))
}

/// The precondition of rejection: a lifecycle without a certificate.
pub fn may_reject(rec: &TrackingRecord) -> Result<(), PkiError> {
    if allowed(Transition::Reject, rec.status) {
        return Ok(());
    }
    Err(PkiError::new(
        Kind::WrongState,
        format!(
            "tracking code {} is {}: only a lifecycle without a certificate can be rejected",
            rec.code,
            rec.status.name()
        ),
    ))
}

impl Model<'_> {
    /// Whether the record's profile asks for approval (in person or remote). A profile the
    /// scenario no longer has counts as asking: the refusal then names only the state.
    pub fn needs_approval(&self, rec: &TrackingRecord) -> bool {
        self.world
            .ca(&rec.ca)
            .and_then(|ca| ca.profile(&rec.profile))
            .map(|p| p.spec.approval || p.spec.face_auth)
            .unwrap_or(true)
    }

    /// Approves: `AwaitingApproval → Approved`, and for a remote approval with a
    /// face-authentication order, that order used — in one transaction.
    pub fn approve(
        &self,
        code: &str,
        by: &Approver<'_>,
        now: OffsetDateTime,
    ) -> Result<Applied, PkiError> {
        let needs = self.tracking(code)?.map(|r| self.needs_approval(&r));
        self.apply(code, Transition::Approve, |tx, rec| {
            may_approve(rec, needs.unwrap_or(true)).map_err(Abort::Refuse)?;
            if let Approver::Remote {
                order: Some(order_id),
                ..
            } = by
            {
                use_order(tx, order_id, now)?;
            }
            rec.approval = Some(by.approval(now));
            rec.history.push(HistoryEntry {
                at: now,
                event: by.event(),
            });
            Ok(())
        })
    }

    /// Refuses the identity: `Registered | AwaitingApproval | Approved → Rejected`.
    pub fn reject(
        &self,
        code: &str,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<Applied, PkiError> {
        self.apply(code, Transition::Reject, |_, rec| {
            may_reject(rec).map_err(Abort::Refuse)?;
            rec.history.push(HistoryEntry {
                at: now,
                event: format!("Rejected through the control API: {reason}"),
            });
            Ok(())
        })
    }

    /// One transaction over the tracking record `code`: `change` checks the precondition and
    /// fills in the record (and may write what else the transition touches); the state moves
    /// as [`super::TRANSITIONS`] says.
    pub(super) fn apply(
        &self,
        code: &str,
        transition: Transition,
        change: impl Fn(&Tx<'_>, &mut TrackingRecord) -> Result<(), Abort<PkiError>>,
    ) -> Result<Applied, PkiError> {
        let applied = self.store.write(|tx: &Tx<'_>| {
            let mut rec: TrackingRecord = tx
                .get(Table::PkiTracking, &keys::tracking(code))?
                .ok_or_else(|| Abort::Refuse(PkiError::tracking_unknown(code)))?;
            let from = rec.status;
            change(tx, &mut rec)?;
            let Some(to) = next(transition, from) else {
                return refuse(PkiError::internal(
                    transition.name(),
                    format!(
                        "{} has no transition from {}",
                        transition.name(),
                        from.name()
                    ),
                ));
            };
            rec.status = to;
            tx.put(Table::PkiTracking, &keys::tracking(code), &rec)?;
            Ok(Applied {
                transition,
                from,
                to,
                record: rec,
            })
        })?;
        self.record(transition, Some(applied.from), &applied.record);
        Ok(applied)
    }

    /// A face-authentication order RequestApprove may use: issued, for this person and
    /// tracking code, verified, not used yet. Checked before the state, so that a used order
    /// says so rather than "already Approved".
    pub fn check_order(&self, order_id: &str, national: &str, code: &str) -> Result<(), PkiError> {
        let bad = |m: String| PkiError::new(Kind::FaceAuthInvalid, m);
        let order: FaceAuthOrder = self
            .store
            .get(Table::PkiFaceAuth, &keys::face_auth(order_id.trim()))?
            .ok_or_else(|| {
                bad(format!("orderId '{order_id}' was not issued by the provider's face authentication (in signsim: POST /__admin/pki/face-auth or a face_auth reaction issues one)"))
            })?;
        if order.tracking_code != code || order.national_code != national.trim() {
            return Err(bad(format!(
                "orderId '{order_id}' is the face authentication of national code {} for tracking code {}, not of {} for {code}",
                order.national_code, order.tracking_code, national.trim()
            )));
        }
        if order.outcome != "verified" {
            return Err(bad(format!(
                "orderId '{order_id}': the face authentication ended '{}', not verified; the applicant must authenticate again",
                order.outcome
            )));
        }
        if let Some(at) = order.used_at {
            return Err(used_order(order_id, at));
        }
        Ok(())
    }

    /// The provider's face-authentication service: a session for `tracking_code` of
    /// `national_code` ended with `outcome` (`verified` or `failed`); returns its order.
    pub fn face_auth_order(
        &self,
        national_code: &str,
        tracking_code: &str,
        outcome: &str,
        now: OffsetDateTime,
    ) -> Result<FaceAuthOrder, PkiError> {
        if !["verified", "failed"].contains(&outcome) {
            return Err(PkiError::new(
                Kind::InvalidField,
                format!("outcome '{outcome}' is not verified or failed"),
            ));
        }
        let rec = self.tracking_known(tracking_code)?;
        if rec.person.national_code != national_code {
            return Err(PkiError::new(
                Kind::TrackingCodeMismatch,
                format!(
                    "tracking code {tracking_code} was registered for another national code than '{national_code}'"
                ),
            ));
        }
        Ok(self.store.write(|tx: &Tx<'_>| {
            let seq = tx.next_seq("pki.face_auth", 1)?;
            let order = FaceAuthOrder {
                order_id: format!("FA-{seq:06}"),
                national_code: national_code.to_string(),
                tracking_code: tracking_code.to_string(),
                outcome: outcome.to_string(),
                issued_at: now,
                used_at: None,
            };
            tx.put(
                Table::PkiFaceAuth,
                &keys::face_auth(&order.order_id),
                &order,
            )?;
            Ok::<_, Abort<PkiError>>(order)
        })?)
    }

    /// The face-authentication orders issued for a tracking code.
    pub fn face_auth_orders(&self, tracking_code: &str) -> Result<Vec<FaceAuthOrder>, PkiError> {
        Ok(self
            .store
            .scan_prefix::<FaceAuthOrder>(Table::PkiFaceAuth, b"", usize::MAX)?
            .into_iter()
            .map(|(_, o)| o)
            .filter(|o| o.tracking_code == tracking_code)
            .collect())
    }
}

/// Marks the order used, in the approval's transaction: an order approves once.
fn use_order(tx: &Tx<'_>, order_id: &str, now: OffsetDateTime) -> Result<(), Abort<PkiError>> {
    let key = keys::face_auth(order_id);
    let mut order: FaceAuthOrder = tx.get(Table::PkiFaceAuth, &key)?.ok_or_else(|| {
        Abort::Refuse(PkiError::new(
            Kind::FaceAuthInvalid,
            format!("orderId '{order_id}' disappeared"),
        ))
    })?;
    if let Some(at) = order.used_at {
        return refuse(used_order(order_id, at));
    }
    order.used_at = Some(now);
    tx.put(Table::PkiFaceAuth, &key, &order)?;
    Ok(())
}

fn used_order(order_id: &str, at: OffsetDateTime) -> PkiError {
    PkiError::new(
        Kind::FaceAuthInvalid,
        format!(
            "orderId '{order_id}' was already used by a RequestApprove at {}; an order approves once",
            crate::clock::wire_time(at)
        ),
    )
}
