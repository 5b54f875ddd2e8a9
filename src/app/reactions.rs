//! Scenario events and reactions, performed on the world when the clock makes them due:
//! each through an API's own verbs (approve, reject, credit, CA availability, the
//! counterparty's step), journaled as API `scenario`.

use super::App;
use crate::changes::Changes;
use crate::journal::{Body, Entry, Meta};
use crate::podpishi::counterparty::Step;
use serde_json::Value;

impl App {
    /// Runs every scheduled event and reaction whose time has come on the scenario clock.
    pub fn run_due(&self) {
        loop {
            let due = self.shared.schedule.due(|| self.shared.clock.now());
            if due.is_empty() {
                return;
            }
            for p in due {
                let changes = Changes::new();
                let outcome = self.perform(&p, &changes);
                let line = format!(
                    "{} → {:?} on {}: {}",
                    p.origin,
                    p.action,
                    p.record.as_deref().unwrap_or("-"),
                    match &outcome {
                        Ok(m) => m.clone(),
                        Err(e) => format!("failed: {e}"),
                    }
                );
                tracing::info!("scenario: {line}");
                let operation = if p.origin.starts_with("events") {
                    "event"
                } else {
                    "reaction"
                };
                let id = self.shared.journal.next_id();
                let changes = changes.take();
                let meta = Meta {
                    // Whose record it acted on, as its transitions say.
                    tenant: changes.first().map(|c| c.tenant.clone()),
                    success: Some(outcome.is_ok()),
                    request: crate::journal::Request::Summary(Value::String(p.origin.clone())),
                    record: p.record.clone(),
                    changes,
                    action: Some(p.action.kind()),
                    ..Meta::new("scenario", operation)
                };
                crate::pipeline::observe(&self.shared, id, &meta);
                let wall_time = crate::clock::wall_stamp();
                self.shared.journal.push(Entry {
                    id,
                    time: self.shared.clock.stamp(wall_time),
                    wall_time,
                    method: "-".into(),
                    path: "-".into(),
                    content_type: "".into(),
                    status: if outcome.is_ok() { 200 } else { 409 },
                    response: Body::text(&line),
                    duration_us: 0,
                    meta,
                });
                self.shared.schedule.record_done(line);
            }
        }
    }

    /// The counterparty's cabinet step on a document (`podpishi::counterparty`).
    fn counterparty(&self, record: &str, step: Step, changes: &Changes) -> Result<u64, String> {
        let pod = self
            .podpishi()
            .ok_or_else(|| "the scenario has no [podpishi] section".to_string())?;
        let num: u64 = record
            .parse()
            .map_err(|_| format!("record '{record}' is not a document number"))?;
        pod.counterparty(num, &step, changes)
            .map_err(|e| e.message)?;
        Ok(num)
    }

    /// One due action, through the API's own verbs; the transitions it applies go into
    /// `changes`.
    fn perform(&self, p: &crate::events::Pending, changes: &Changes) -> Result<String, String> {
        use crate::events::ActionSpec as A;
        let pki = || {
            self.pki()
                .ok_or_else(|| "the scenario has no [pki] section".to_string())
        };
        let record = || {
            p.record
                .clone()
                .ok_or_else(|| "the triggering request named no record".to_string())
        };
        match &p.action {
            A::Approve { approver } => {
                let rec = pki()?
                    .approve(
                        &record()?,
                        approver.as_deref().unwrap_or("scenario reaction"),
                        changes,
                    )
                    .map_err(|e| e.message)?;
                Ok(format!("tracking code {} approved", rec.code))
            }
            A::Reject { reason } => {
                let rec = pki()?
                    .reject(
                        &record()?,
                        reason.as_deref().unwrap_or("rejected by the scenario"),
                        changes,
                    )
                    .map_err(|e| e.message)?;
                Ok(format!("tracking code {} rejected", rec.code))
            }
            A::CaAvailability { ca, available } => {
                pki()?
                    .set_available(ca, *available)
                    .map_err(|e| e.message)?;
                Ok(format!(
                    "CA {ca} {}",
                    if *available {
                        "available"
                    } else {
                        "unavailable"
                    }
                ))
            }
            A::ClockJump { by } => {
                let d = crate::clock::parse_duration(by)?;
                self.shared.clock.advance(d)?;
                Ok(format!("clock moved by {by}"))
            }
            A::Credit { customer, set, add } => {
                let (amount, is_add) = match (set, add) {
                    (Some(n), None) => (*n, false),
                    (None, Some(n)) => (*n, true),
                    _ => return Err("give exactly one of set, add".into()),
                };
                let credit = pki()?
                    .change_credit(customer, amount, is_add)
                    .map_err(|e| e.message)?;
                Ok(format!("customer {customer} credit is now {credit}"))
            }
            A::FaceAuth { outcome } => face_auth(
                &pki()?,
                &record()?,
                outcome.as_deref().unwrap_or("verified"),
            ),
            A::Sign { signer } => {
                let num = self.counterparty(
                    &record()?,
                    Step {
                        signer: Some(signer.clone()),
                        ..Step::default()
                    },
                    changes,
                )?;
                Ok(format!("document {num} signed by {signer}"))
            }
            A::Refuse { reason } => {
                let num = self.counterparty(
                    &record()?,
                    Step {
                        action: Some("refuse".into()),
                        reason: reason.clone(),
                        ..Step::default()
                    },
                    changes,
                )?;
                Ok(format!("document {num}: the counterparty refused"))
            }
        }
    }
}

/// The provider's face authentication of tracking code `code` ends with `outcome`.
fn face_auth(pki: &crate::pki::Pki, code: &str, outcome: &str) -> Result<String, String> {
    let rec = pki
        .tracking_record(code)
        .map_err(|e| e.message)?
        .ok_or_else(|| format!("tracking code '{code}' does not exist"))?;
    let order = pki
        .face_auth(&rec.person.national_code, code, outcome)
        .map_err(|e| e.message)?;
    Ok(format!(
        "face authentication of tracking code {code}: orderId {} ({})",
        order.order_id, order.outcome
    ))
}
