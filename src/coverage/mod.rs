//! Contract coverage: which outcomes of both APIs a client's test suite has reached, per server
//! run and per tenant (the PKI customer code, the Podpishi login), kept through
//! `/__admin/reset` until cleared on purpose (`DELETE /__admin/coverage`).
//!
//! The **universe** of outcomes comes from the code, never from a hand-kept list: the app
//! builds it once from both APIs' route tables, error catalogues and transition tables, the
//! portability catalogue, the fault kinds, the scenario action kinds and the clock's travels
//! ([`Universe::build`] is handed each), and installs it with [`Coverage::install`]. The
//! pipeline's one observer (`pipeline::observe`) hands every finished request's
//! [`crate::journal::Meta`] to [`Coverage::count`]: a few counter increments behind one lock,
//! with no allocation once the tenant has been seen.
//!
//! [`report`] turns the counts into the JSON `GET /__admin/coverage` serves (every outcome with
//! its count, and the never-reached ones in reading order); [`format`] prints a report as text,
//! Markdown or JUnit XML; [`require`] checks a team's list of required outcomes against one.
//! docs/coverage.md describes all of it.

mod count;
pub mod format;
pub mod report;
pub mod require;

pub use count::Coverage;
pub use report::{Filter, NeverRow, OutcomeRow, Report};

use crate::sync::FastMap;

/// One outcome a test suite can reach.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Stable: `pki:RevokeCertificate:ok`, `tracking:Issued->Revoked`, `podpishi:error:WrongState`.
    pub id: String,
    /// `pki`, `podpishi`, or `scenario` (clock travel, events, reactions).
    pub api: &'static str,
    /// `operation`, `error`, `warning`, `fault`, `transition`, `state`, `clock`, `event`,
    /// `reaction`.
    pub group: &'static str,
    /// What it is about: the operation, the error kind, the warning kind, the state machine, …
    pub subject: &'static str,
    /// What reaching it means, as the report prints it.
    pub text: String,
    /// How the report reads it never reached ("your tests never saw …").
    pub never: String,
    /// The error's code or status, for `error` outcomes.
    pub code: Option<i64>,
    /// Something a client should not reach (a portability warning).
    pub avoid: bool,
}

/// Every outcome, in the report's reading order, and the indexes that find one from what a
/// request's journal entry says.
#[derive(Default)]
pub struct Universe {
    pub outcomes: Vec<Outcome>,
    apis: FastMap<&'static str, ApiIndex>,
    /// (machine, transition, from, to)
    transitions: FastMap<(&'static str, &'static str, &'static str, &'static str), usize>,
    /// (machine, state)
    states: FastMap<(&'static str, &'static str), usize>,
    /// (`clock`, `event` or `reaction`, the travel or the action kind)
    scenario: FastMap<(&'static str, &'static str), usize>,
}

#[derive(Default)]
struct ApiIndex {
    /// Operation → its `ok` outcome (calls are counted beside it).
    ops: FastMap<&'static str, usize>,
    errors: FastMap<&'static str, usize>,
    warnings: FastMap<&'static str, usize>,
    faults: FastMap<&'static str, usize>,
}

/// One transition table row, as a model's `TRANSITIONS` says it (`[*]` for "no record yet").
#[derive(Clone, Copy, Debug)]
pub struct Edge {
    pub machine: &'static str,
    pub transition: &'static str,
    pub from: &'static str,
    pub to: &'static str,
}

impl Universe {
    pub fn len(&self) -> usize {
        self.outcomes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    fn push(&mut self, o: Outcome) -> usize {
        self.outcomes.push(o);
        self.outcomes.len() - 1
    }

    fn api(&mut self, api: &'static str) -> &mut ApiIndex {
        self.apis.entry(api).or_default()
    }

    /// An operation of `api`: success, with its calls counted beside it.
    pub fn operation(&mut self, api: &'static str, op: &'static str, summary: &str) {
        let i = self.push(Outcome {
            id: format!("{api}:{op}:ok"),
            api,
            group: "operation",
            subject: op,
            text: format!("{op} succeeded ({summary})"),
            never: format!("your tests never saw {op} succeed"),
            code: None,
            avoid: false,
        });
        self.api(api).ops.insert(op, i);
    }

    /// An error of `api`'s catalogue (its name, the code or status the client sees).
    pub fn error(&mut self, api: &'static str, kind: &'static str, code: i64, meaning: &str) {
        let what = if api == "podpishi" { "status" } else { "code" };
        let i = self.push(Outcome {
            id: format!("{api}:error:{kind}"),
            api,
            group: "error",
            subject: kind,
            text: format!("refused with {kind} ({what} {code}): {meaning}"),
            never: format!(
                "no {api} request was ever refused with {kind} ({what} {code}): {meaning}"
            ),
            code: Some(code),
            avoid: false,
        });
        self.api(api).errors.insert(kind, i);
    }

    /// A portability warning kind `api` can raise.
    pub fn warning(&mut self, api: &'static str, kind: &'static str, risk: &str) {
        let i = self.push(Outcome {
            id: format!("{api}:warning:{kind}"),
            api,
            group: "warning",
            subject: kind,
            text: format!("accepted with the portability warning {kind}: {risk}"),
            never: format!("no {api} request relied on {kind} (a portability warning: good)"),
            code: None,
            avoid: true,
        });
        self.api(api).warnings.insert(kind, i);
    }

    /// A fault kind that rules can inject into `api`'s requests.
    pub fn fault(&mut self, api: &'static str, kind: &'static str, what: &str) {
        let i = self.push(Outcome {
            id: format!("{api}:fault:{kind}"),
            api,
            group: "fault",
            subject: kind,
            text: format!("a fault rule injected {kind} ({what})"),
            never: format!("no {api} request ever met a fault of kind {kind} ({what})"),
            code: None,
            avoid: false,
        });
        self.api(api).faults.insert(kind, i);
    }

    /// A row of a transition table; `unique` says whether its from → to names it alone.
    pub fn transition(&mut self, api: &'static str, e: Edge, unique: bool, phrase: &str) {
        let id = match unique {
            true => format!("{}:{}->{}", e.machine, e.from, e.to),
            false => format!("{}:{}->{}:{}", e.machine, e.from, e.to, e.transition),
        };
        let i = self.push(Outcome {
            id,
            api,
            group: "transition",
            subject: e.machine,
            text: format!(
                "a {} went {} → {} ({})",
                e.machine, e.from, e.to, e.transition
            ),
            never: format!("your tests never saw {phrase}"),
            code: None,
            avoid: false,
        });
        self.transitions
            .insert((e.machine, e.transition, e.from, e.to), i);
    }

    /// A state of a machine (reached when a transition enters it).
    pub fn state(&mut self, api: &'static str, machine: &'static str, state: &'static str) {
        let i = self.push(Outcome {
            id: format!("{machine}:{state}"),
            api,
            group: "state",
            subject: machine,
            text: format!("a {machine} reached {state}"),
            never: format!("your tests never saw a {machine} in state {state}"),
            code: None,
            avoid: false,
        });
        self.states.insert((machine, state), i);
    }

    /// A scenario-side outcome: a clock travel (`clock`, `set`), or an event or reaction of an
    /// action kind (`event`, `approve`).
    pub fn scenario(&mut self, group: &'static str, kind: &'static str, what: &str) {
        let (text, never) = match group {
            "clock" => (
                format!("the clock was moved ({kind}: {what})"),
                format!("your tests never moved the clock with {kind} ({what})"),
            ),
            _ => (
                format!("a scenario {group} ran {kind} ({what})"),
                format!("no scenario {group} ever ran {kind} ({what})"),
            ),
        };
        let i = self.push(Outcome {
            id: format!("{group}:{kind}"),
            api: "scenario",
            group,
            subject: kind,
            text,
            never,
            code: None,
            avoid: false,
        });
        self.scenario.insert((group, kind), i);
    }

    /// The `ok` outcome of an operation, found by name as sent (any case, spaces around it: a
    /// Podpishi `<oper>` is journaled as written).
    fn operation_index(&self, api: &ApiIndex, op: &str) -> Option<usize> {
        if let Some(i) = api.ops.get(op) {
            return Some(*i);
        }
        let op = op.trim();
        api.ops
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(op))
            .map(|(_, i)| *i)
    }
}
