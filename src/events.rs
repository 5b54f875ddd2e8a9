//! Behaviour over time: scheduled scenario events and reactions to requests, on the scenario
//! clock.
//!
//! - An **event** happens at a time relative to the scenario's start (`at = "+30s"`): a CA goes
//!   down or up, the clock jumps, a customer's credit changes.
//! - A **reaction** follows matching requests: "when a tracking code is registered for profile
//!   P, approve it after 5 s", "after the 3rd IsApproved poll of a tracking code, approve it".
//!   It matches a journaled request by API, operation, success and optionally a request field,
//!   and acts on the request's record (its tracking code) after a delay — or it follows a
//!   transition of a state machine ("when a tracking code is approved, however"), reported by
//!   the one observer of applied transitions ([`crate::changes`]), and acts on its record.
//!
//! Both become [`Pending`] actions in one [`Schedule`], run when the clock passes their time:
//! before each request is served, after the clock is moved through the control API, and by a
//! background tick while the clock runs. With a frozen clock nothing happens until a test
//! advances it — deterministic by construction.

use crate::journal::Meta;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Mutex;
use time::OffsetDateTime;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// When, relative to the scenario clock's start: `+30s`, `+2h`, `+1d`.
    pub at: String,
    pub action: ActionSpec,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReactionSpec {
    /// Which requests this reaction follows.
    pub on: Match,
    /// How long after the request (scenario clock): `5s`, `2h`; default immediately.
    #[serde(default)]
    pub after: Option<String>,
    /// React to the n-th matching request of the same record (default 1: the first).
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(rename = "do")]
    pub action: ActionSpec,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// `pki` or `podpishi`.
    pub api: String,
    /// The method or `oper`, any case. Give this or `transition`.
    #[serde(default)]
    pub operation: Option<String>,
    /// A transition of the API's state machine (`approve`, `issue`, `sign`, …; any case),
    /// however it was applied: by a request, the control API, the dashboard or another
    /// reaction. Give this or `operation`.
    #[serde(default)]
    pub transition: Option<String>,
    /// Only successful requests (default true); for an `operation` match.
    #[serde(default)]
    pub success: Option<bool>,
    /// A request field (any case; `personData.X` for nested) …
    #[serde(default)]
    pub field: Option<String>,
    /// … and the value it must have.
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionSpec {
    /// Approve the record's tracking code as an RA officer.
    Approve {
        #[serde(default)]
        approver: Option<String>,
    },
    /// Reject the record's tracking code.
    Reject {
        #[serde(default)]
        reason: Option<String>,
    },
    /// Switch a CA on or off.
    CaAvailability { ca: String, available: bool },
    /// Move the clock.
    ClockJump { by: String },
    /// Set or change a PKI customer's credit.
    Credit {
        customer: String,
        #[serde(default)]
        set: Option<i64>,
        #[serde(default)]
        add: Option<i64>,
    },
    /// PKI: the provider's face authentication of the record's tracking code ends with
    /// `outcome` (`verified`, the default, or `failed`); the order is listed by
    /// `GET /__admin/pki/face-auth?trackingCode=`.
    FaceAuth {
        #[serde(default)]
        outcome: Option<String>,
    },
    /// Podpishi: the named test signer signs the record's document.
    Sign { signer: String },
    /// Podpishi: the counterparty refuses to sign the record's document.
    Refuse {
        #[serde(default)]
        reason: Option<String>,
    },
}

/// Every action kind, as a scenario writes it (`kind = "approve"`), whether it acts on the
/// triggering request's record (so only a reaction can run it: a timed event has no record),
/// and what it does: the contract coverage report's universe of events and reactions.
pub const ACTION_KINDS: &[(&str, bool, &str)] = &[
    ("approve", true, "an RA officer approves a tracking code"),
    ("reject", true, "an RA officer rejects a tracking code"),
    ("ca_availability", false, "a CA goes down or up"),
    ("clock_jump", false, "the clock jumps"),
    ("credit", false, "a customer's credit changes"),
    ("face_auth", true, "the provider's face authentication ends"),
    ("sign", true, "the counterparty signs a document"),
    ("refuse", true, "the counterparty refuses a document"),
];

impl ActionSpec {
    /// The kind, as [`ACTION_KINDS`] and a scenario's `kind` name it.
    pub fn kind(&self) -> &'static str {
        match self {
            ActionSpec::Approve { .. } => "approve",
            ActionSpec::Reject { .. } => "reject",
            ActionSpec::CaAvailability { .. } => "ca_availability",
            ActionSpec::ClockJump { .. } => "clock_jump",
            ActionSpec::Credit { .. } => "credit",
            ActionSpec::FaceAuth { .. } => "face_auth",
            ActionSpec::Sign { .. } => "sign",
            ActionSpec::Refuse { .. } => "refuse",
        }
    }

    /// Whether the action acts on the triggering request's record (its tracking code or
    /// document): such an action can be a reaction, never a timed event.
    pub fn needs_record(&self) -> bool {
        match self {
            ActionSpec::Approve { .. }
            | ActionSpec::Reject { .. }
            | ActionSpec::FaceAuth { .. }
            | ActionSpec::Sign { .. }
            | ActionSpec::Refuse { .. } => true,
            ActionSpec::CaAvailability { .. }
            | ActionSpec::ClockJump { .. }
            | ActionSpec::Credit { .. } => false,
        }
    }

    /// Problems, as (field, message), that can be told without the world.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut p = Vec::new();
        match self {
            ActionSpec::ClockJump { by } if crate::clock::parse_duration(by).is_err() => {
                p.push((
                    "by".into(),
                    format!("'{by}' is not a duration like 30d, 2h, 90s"),
                ));
            }
            ActionSpec::Credit { set, add, .. } if set.is_some() == add.is_some() => {
                p.push(("set".into(), "give exactly one of set, add".into()));
            }
            ActionSpec::FaceAuth { outcome: Some(o) } if o != "verified" && o != "failed" => {
                p.push(("outcome".into(), format!("'{o}' is not verified or failed")));
            }
            _ => {}
        }
        p
    }
}

/// An action waiting for its time.
#[derive(Clone, Debug)]
pub struct Pending {
    pub at: OffsetDateTime,
    pub action: ActionSpec,
    /// The record the action applies to (tracking code, document number).
    pub record: Option<String>,
    /// Why it was scheduled, for the log and the journal.
    pub origin: String,
}

pub struct Schedule {
    pending: Mutex<Vec<Pending>>,
    /// The earliest pending time (unix nanoseconds; `i64::MAX` when none): the per-request
    /// check reads this instead of taking the lock — a lock both connection lanes took twice
    /// a request moved its cache line between the cores each time.
    next_at: AtomicI64,
    /// Whether any reaction is installed (lock-free check for every request).
    any_reactions: AtomicBool,
    reactions: Mutex<Vec<ReactionSpec>>,
    /// (reaction index, record) → matching requests seen.
    counts: Mutex<HashMap<(usize, String), u64>>,
    /// Actions run so far (newest last), for the control API.
    done: Mutex<Vec<String>>,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            pending: Mutex::new(Vec::new()),
            next_at: AtomicI64::new(i64::MAX),
            any_reactions: AtomicBool::new(false),
            reactions: Mutex::new(Vec::new()),
            counts: Mutex::new(HashMap::new()),
            done: Mutex::new(Vec::new()),
        }
    }
}

/// Unix nanoseconds, at most `i64::MAX - 1` (a time beyond 2262): `i64::MAX` is kept for an
/// empty schedule, so the per-request check never needs the lock.
fn nanos(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos())
        .unwrap_or(i64::MAX)
        .min(i64::MAX - 1)
}

fn earliest(pending: &[Pending]) -> i64 {
    pending
        .iter()
        .map(|p| nanos(p.at))
        .min()
        .unwrap_or(i64::MAX)
}

impl Schedule {
    /// Starts over with a scenario's events (from `start`) and reactions.
    pub fn install(&self, start: OffsetDateTime, events: &[EventSpec], reactions: &[ReactionSpec]) {
        let mut pending = crate::sync::lock(&self.pending);
        pending.clear();
        for (i, e) in events.iter().enumerate() {
            let offset =
                crate::clock::parse_duration(e.at.trim_start_matches('+')).unwrap_or_default();
            pending.push(Pending {
                at: start + offset,
                action: e.action.clone(),
                record: None,
                origin: format!("events[{i}] at {}", e.at),
            });
        }
        self.next_at.store(earliest(&pending), Ordering::Release);
        drop(pending);
        self.any_reactions
            .store(!reactions.is_empty(), Ordering::Release);
        *crate::sync::lock(&self.reactions) = reactions.to_vec();
        crate::sync::lock(&self.counts).clear();
        crate::sync::lock(&self.done).clear();
    }

    pub fn add(&self, p: Pending) {
        let at = nanos(p.at);
        crate::sync::lock(&self.pending).push(p);
        self.next_at.fetch_min(at, Ordering::AcqRel);
    }

    /// Schedules the reactions a served request triggers: by what it was (API, operation,
    /// success, a field), or by a transition it applied.
    /// `now` is read only when a reaction is declared (most requests meet none).
    pub fn observe(&self, meta: &Meta, now: impl FnOnce() -> OffsetDateTime) {
        if !self.any_reactions.load(Ordering::Acquire) {
            return;
        }
        let now = now();
        let reactions = crate::sync::lock(&self.reactions);
        for (i, r) in reactions.iter().enumerate() {
            for record in matches(&r.on, meta) {
                self.react(i, r, record, meta, now);
            }
        }
    }

    /// Reaction `i` met once more for `record`: scheduled when this is its `count`-th time.
    fn react(&self, i: usize, r: &ReactionSpec, record: String, meta: &Meta, now: OffsetDateTime) {
        let n = {
            let mut counts = crate::sync::lock(&self.counts);
            let c = counts.entry((i, record.clone())).or_insert(0);
            *c += 1;
            *c
        };
        if n != r.count.unwrap_or(1) {
            return;
        }
        let after = r
            .after
            .as_deref()
            .and_then(|a| crate::clock::parse_duration(a).ok())
            .unwrap_or_default();
        let what = match &r.on.transition {
            Some(t) => format!("{t} of"),
            None => meta.operation.to_string(),
        };
        self.add(Pending {
            at: now + after,
            action: r.action.clone(),
            origin: format!("reactions[{i}] to {what} {record}"),
            record: (!record.is_empty()).then_some(record),
        });
    }

    /// Takes the actions due at `now`, earliest first; `now` is read only when something is
    /// pending (every request asks, twice).
    pub fn due(&self, now: impl FnOnce() -> OffsetDateTime) -> Vec<Pending> {
        let next_at = self.next_at.load(Ordering::Acquire);
        if next_at == i64::MAX {
            return Vec::new();
        }
        let now = now();
        if nanos(now) < next_at {
            return Vec::new();
        }
        let mut pending = crate::sync::lock(&self.pending);
        let (mut due, rest): (Vec<Pending>, Vec<Pending>) =
            pending.drain(..).partition(|p| p.at <= now);
        *pending = rest;
        self.next_at.store(earliest(&pending), Ordering::Release);
        due.sort_by_key(|p| p.at);
        due
    }

    pub fn record_done(&self, line: String) {
        crate::sync::lock(&self.done).push(line);
    }

    pub fn pending(&self) -> Vec<Pending> {
        crate::sync::lock(&self.pending).clone()
    }

    pub fn done(&self) -> Vec<String> {
        crate::sync::lock(&self.done).clone()
    }
}

/// The state machine of an API's transitions, as [`crate::changes::Change`] names it.
pub fn machine_of(api: &str) -> &'static str {
    match api {
        "pki" => "tracking",
        _ => "permission",
    }
}

/// The records for which `meta` meets `m`, each once: the request's record for an operation
/// match; each record a matching transition changed for a transition match.
fn matches(m: &Match, meta: &Meta) -> Vec<String> {
    if let (Some(field), Some(value)) = (&m.field, &m.value) {
        if meta.request.field(field).as_deref() != Some(value.as_str()) {
            return Vec::new();
        }
    }
    if let Some(t) = &m.transition {
        let machine = machine_of(&m.api);
        let mut records: Vec<String> = Vec::new();
        for c in &meta.changes {
            if c.machine == machine
                && c.transition.eq_ignore_ascii_case(t)
                && !records.contains(&c.record)
            {
                records.push(c.record.clone());
            }
        }
        return records;
    }
    let operation = m.operation.as_deref().unwrap_or("");
    if !m.api.eq_ignore_ascii_case(meta.api)
        || !operation.eq_ignore_ascii_case(&meta.operation)
        || meta.success != Some(m.success.unwrap_or(true))
    {
        return Vec::new();
    }
    vec![meta.record.clone().unwrap_or_default()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_kind_is_listed_as_scenarios_write_it() {
        let actions = [
            ActionSpec::Approve { approver: None },
            ActionSpec::Reject { reason: None },
            ActionSpec::CaAvailability {
                ca: "c".into(),
                available: true,
            },
            ActionSpec::ClockJump { by: "1d".into() },
            ActionSpec::Credit {
                customer: "c".into(),
                set: Some(1),
                add: None,
            },
            ActionSpec::FaceAuth { outcome: None },
            ActionSpec::Sign { signer: "s".into() },
            ActionSpec::Refuse { reason: None },
        ];
        assert_eq!(actions.len(), ACTION_KINDS.len());
        for (a, (kind, on_record, _)) in actions.iter().zip(ACTION_KINDS) {
            assert_eq!(a.kind(), *kind);
            assert_eq!(a.needs_record(), *on_record, "{kind}");
            assert_eq!(serde_json::to_value(a).unwrap()["kind"], *kind);
        }
    }

    #[test]
    fn an_empty_schedule_is_told_without_the_clock_and_an_action_beyond_2262_still_comes_due() {
        let s = Schedule::default();
        assert!(s
            .due(|| panic!("an empty schedule reads no clock"))
            .is_empty());
        let far = time::macros::datetime!(2300-01-01 00:00 UTC);
        s.add(Pending {
            at: far,
            action: ActionSpec::Approve { approver: None },
            record: Some("1000001".into()),
            origin: "test".into(),
        });
        let now = time::macros::datetime!(2026-12-07 00:00 UTC);
        assert!(s.due(|| now).is_empty(), "not due in 2026");
        assert_eq!(s.pending().len(), 1, "still pending");
        let due = s.due(|| far + time::Duration::SECOND);
        assert_eq!(due.len(), 1, "due once its time has passed");
        assert!(s.due(|| panic!("empty again")).is_empty());
    }
}
