//! Chaos on purpose: named, seeded fault rules — off by default, logged at start, journaled.
//!
//! A rule matches requests by API and operation (the PKI method, the Podpishi `oper`), and
//! optionally by the value of one request field (a "magic" national code or BIN that always
//! fails), and fires on a trigger: always, on the n-th matching call, on the first n, or with a
//! probability drawn from the rule's own seeded generator — the same seed gives the same
//! sequence, run after run. Rules come from the scenario (`[[faults]]`) or `/__admin/faults`.
//!
//! Actions: a delay (fixed or uniform between bounds) before the normal answer; the API's own
//! error shape with a chosen code and message; a bare HTTP status; a TCP reset; a connection
//! closed without an answer; the real answer truncated to half; a malformed body (a proxy's
//! HTML error page under the API's content type).
//!
//! The request pipeline (`pipeline`) calls [`Faults::decide`] after binding the request
//! and before the handler, and applies the action (handlers never see faults).

use serde::{Deserialize, Serialize};
use std::sync::Mutex;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Shown in the journal; assigned (`fault-N`) when empty.
    #[serde(default)]
    pub name: String,
    /// `pki`, `podpishi`, or `*`.
    pub api: String,
    /// Method or `oper`, any case; absent matches every operation.
    #[serde(default)]
    pub operation: Option<String>,
    /// Match only when this request field (any case; PKI `personData.` fields too) …
    #[serde(default)]
    pub field: Option<String>,
    /// … has this value.
    #[serde(default)]
    pub value: Option<String>,
    pub action: Action,
    #[serde(default)]
    pub trigger: Trigger,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Wait `ms`, or a uniform time in `[min_ms, max_ms]`, then answer normally.
    Delay {
        #[serde(default)]
        ms: Option<u64>,
        #[serde(default)]
        min_ms: Option<u64>,
        #[serde(default)]
        max_ms: Option<u64>,
    },
    /// The API's own error shape with this code and message.
    Error { code: i64, message: String },
    /// A bare HTTP status (and optional body).
    Status {
        status: u16,
        #[serde(default)]
        body: Option<String>,
    },
    /// Reset the TCP connection (RST) instead of answering.
    Reset,
    /// Close the connection without an answer.
    Empty,
    /// Send the first half of the real answer's body.
    Truncate,
    /// Send a proxy's HTML error page instead of the API's body.
    Malformed,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(tag = "when", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    #[default]
    Always,
    /// Only the n-th matching call (1-based).
    Nth { n: u64 },
    /// The first n matching calls.
    First { n: u64 },
    /// Each matching call with probability `p`, from a generator seeded with `seed`.
    Probability { p: f64, seed: u64 },
}

/// Every action kind, as a rule writes it (`kind = "delay"`), with what it does to a request:
/// the contract coverage report's universe of faults.
pub const KINDS: &[(&str, &str)] = &[
    ("delay", "the answer comes late"),
    ("error", "the API's own error shape with the rule's code"),
    ("status", "a bare HTTP status"),
    ("reset", "the connection reset"),
    ("empty", "the connection closed without an answer"),
    ("truncate", "half of the answer's body"),
    ("malformed", "a proxy's HTML error page instead of the body"),
];

impl Action {
    /// The kind, as [`KINDS`] and a rule's `kind` name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Delay { .. } => "delay",
            Action::Error { .. } => "error",
            Action::Status { .. } => "status",
            Action::Reset => "reset",
            Action::Empty => "empty",
            Action::Truncate => "truncate",
            Action::Malformed => "malformed",
        }
    }
}

/// What a `malformed` fault sends: a proxy's error page where the API's body was expected.
pub const MALFORMED_BODY: &[u8] = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";

/// What to do with one request.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub rule: String,
    pub action: Action,
    /// For delays: the chosen wait.
    pub delay_ms: u64,
}

impl Decision {
    /// How the journal shows it.
    pub fn describe(&self) -> String {
        match &self.action {
            Action::Delay { .. } => format!("{}: delay {} ms", self.rule, self.delay_ms),
            Action::Error { code, .. } => format!("{}: error {code}", self.rule),
            Action::Status { status, .. } => format!("{}: HTTP {status}", self.rule),
            Action::Reset => format!("{}: connection reset", self.rule),
            Action::Empty => format!("{}: closed without answer", self.rule),
            Action::Truncate => format!("{}: body truncated", self.rule),
            Action::Malformed => format!("{}: malformed body", self.rule),
        }
    }
}

struct Armed {
    rule: FaultRule,
    calls: u64,
    rng: u64,
}

#[derive(Default)]
pub struct Faults {
    rules: Mutex<Vec<Armed>>,
    counter: Mutex<u64>,
    /// Whether any rule exists: the hot path checks this without taking the lock.
    any: std::sync::atomic::AtomicBool,
}

/// SplitMix64: tiny, fast, and the same sequence for the same seed on every platform.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(state: &mut u64) -> f64 {
    (next(state) >> 11) as f64 / (1u64 << 53) as f64
}

impl FaultRule {
    /// The rule as a scenario writes it (one TOML inline table), for the start-up log.
    pub fn describe(&self) -> String {
        toml::Value::try_from(self)
            .map(|v| match v {
                toml::Value::Table(t) => {
                    let mut inline = toml_edit::InlineTable::new();
                    for (k, v) in t {
                        if let Ok(v) = v.to_string().parse::<toml_edit::Value>() {
                            inline.insert(&k, v);
                        }
                    }
                    format!("[[faults]] {inline}")
                }
                other => other.to_string(),
            })
            .unwrap_or_else(|_| self.name.clone())
    }

    /// Problems with a rule, as (field, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut p = Vec::new();
        if !["pki", "podpishi", "*"].contains(&self.api.as_str()) {
            p.push((
                "api".into(),
                format!("'{}' is not pki, podpishi or *", self.api),
            ));
        }
        if self.field.is_some() != self.value.is_some() {
            p.push(("field".into(), "field and value go together".into()));
        }
        match &self.action {
            Action::Delay { ms, min_ms, max_ms } => {
                // At most ten minutes: a longer wait is a hang, not a delay (and keeps the
                // arithmetic of uniform delays in range).
                const MAX: u64 = 600_000;
                let ok = ms.is_some_and(|m| m <= MAX)
                    || matches!((min_ms, max_ms), (Some(a), Some(b)) if a <= b && *b <= MAX);
                if !ok {
                    p.push((
                        "action".into(),
                        "a delay needs ms, or min_ms <= max_ms, at most 600000 ms".into(),
                    ));
                }
            }
            Action::Status { status, .. } if !(100..=599).contains(status) => {
                p.push((
                    "action.status".into(),
                    format!("{status} is not an HTTP status"),
                ));
            }
            _ => {}
        }
        match &self.trigger {
            Trigger::Nth { n: 0 } => p.push(("trigger.n".into(), "n counts from 1".into())),
            Trigger::Probability { p: prob, .. } if !(0.0..=1.0).contains(prob) => {
                p.push(("trigger.p".into(), format!("{prob} is not between 0 and 1")))
            }
            _ => {}
        }
        p
    }
}

impl Faults {
    pub fn new(rules: Vec<FaultRule>) -> Faults {
        let f = Faults::default();
        f.replace(rules);
        f
    }

    /// Replaces every rule (counters and generators start over).
    pub fn replace(&self, rules: Vec<FaultRule>) {
        let mut armed = crate::sync::lock(&self.rules);
        armed.clear();
        self.any.store(false, std::sync::atomic::Ordering::Release);
        drop(armed);
        // Unnamed rules are numbered again from 1: a reset gives the same names.
        *crate::sync::lock(&self.counter) = 0;
        for r in rules {
            self.add(r);
        }
    }

    /// Adds a rule; returns its name.
    pub fn add(&self, mut rule: FaultRule) -> String {
        if rule.name.is_empty() {
            let mut c = crate::sync::lock(&self.counter);
            *c += 1;
            rule.name = format!("fault-{c}");
        }
        let seed = match rule.trigger {
            Trigger::Probability { seed, .. } => seed,
            _ => 0,
        };
        let name = rule.name.clone();
        crate::sync::lock(&self.rules).push(Armed {
            rule,
            calls: 0,
            rng: seed,
        });
        self.any.store(true, std::sync::atomic::Ordering::Release);
        name
    }

    pub fn remove(&self, name: &str) -> bool {
        let mut rules = crate::sync::lock(&self.rules);
        let before = rules.len();
        rules.retain(|a| a.rule.name != name);
        self.any
            .store(!rules.is_empty(), std::sync::atomic::Ordering::Release);
        rules.len() != before
    }

    pub fn list(&self) -> Vec<(FaultRule, u64)> {
        crate::sync::lock(&self.rules)
            .iter()
            .map(|a| (a.rule.clone(), a.calls))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        !self.armed()
    }

    /// True when at least one rule exists (lock-free).
    pub fn armed(&self) -> bool {
        self.any.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The fault for this request, if a rule matches and fires. `field` looks a request field
    /// up by name.
    pub fn decide(
        &self,
        api: &str,
        operation: &str,
        field: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Decision> {
        let mut rules = crate::sync::lock(&self.rules);
        for armed in rules.iter_mut() {
            let r = &armed.rule;
            if r.api != "*" && !r.api.eq_ignore_ascii_case(api) {
                continue;
            }
            if r.operation
                .as_ref()
                .is_some_and(|o| !o.eq_ignore_ascii_case(operation))
            {
                continue;
            }
            if let (Some(name), Some(value)) = (&r.field, &r.value) {
                if field(name).as_deref().map(str::trim) != Some(value.trim()) {
                    continue;
                }
            }
            armed.calls += 1;
            let fire = match armed.rule.trigger {
                Trigger::Always => true,
                Trigger::Nth { n } => armed.calls == n,
                Trigger::First { n } => armed.calls <= n,
                Trigger::Probability { p, .. } => unit(&mut armed.rng) < p,
            };
            if !fire {
                continue;
            }
            let delay_ms = match armed.rule.action {
                Action::Delay { ms: Some(ms), .. } => ms,
                Action::Delay {
                    min_ms: Some(a),
                    max_ms: Some(b),
                    ..
                } => a + (unit(&mut armed.rng) * (b - a + 1) as f64) as u64,
                _ => 0,
            };
            return Some(Decision {
                rule: armed.rule.name.clone(),
                action: armed.rule.action.clone(),
                delay_ms,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_kind_is_listed_as_rules_write_it() {
        let actions = [
            Action::Delay {
                ms: Some(1),
                min_ms: None,
                max_ms: None,
            },
            Action::Error {
                code: 1,
                message: "m".into(),
            },
            Action::Status {
                status: 502,
                body: None,
            },
            Action::Reset,
            Action::Empty,
            Action::Truncate,
            Action::Malformed,
        ];
        assert_eq!(actions.len(), KINDS.len());
        for (a, (kind, _)) in actions.iter().zip(KINDS) {
            assert_eq!(a.kind(), *kind);
            assert_eq!(serde_json::to_value(a).unwrap()["kind"], *kind);
        }
    }

    fn rule(trigger: Trigger) -> FaultRule {
        FaultRule {
            name: String::new(),
            api: "pki".into(),
            operation: Some("RegisterInfo".into()),
            field: None,
            value: None,
            action: Action::Reset,
            trigger,
        }
    }

    fn fires(f: &Faults, n: usize) -> Vec<bool> {
        (0..n)
            .map(|_| f.decide("pki", "registerinfo", &|_| None).is_some())
            .collect()
    }

    #[test]
    fn triggers() {
        assert_eq!(
            fires(&Faults::new(vec![rule(Trigger::Nth { n: 2 })]), 4),
            vec![false, true, false, false]
        );
        assert_eq!(
            fires(&Faults::new(vec![rule(Trigger::First { n: 2 })]), 4),
            vec![true, true, false, false]
        );
        let a = fires(
            &Faults::new(vec![rule(Trigger::Probability { p: 0.3, seed: 42 })]),
            200,
        );
        let b = fires(
            &Faults::new(vec![rule(Trigger::Probability { p: 0.3, seed: 42 })]),
            200,
        );
        let c = fires(
            &Faults::new(vec![rule(Trigger::Probability { p: 0.3, seed: 7 })]),
            200,
        );
        assert_eq!(a, b, "same seed, same sequence");
        assert_ne!(a, c);
        let hits = a.iter().filter(|x| **x).count();
        assert!((35..=85).contains(&hits), "{hits}");
        assert!(Faults::new(vec![rule(Trigger::Always)])
            .decide("podpishi", "RegisterInfo", &|_| None)
            .is_none());
    }

    #[test]
    fn field_match_and_delay_bounds() {
        let mut r = rule(Trigger::Always);
        r.field = Some("personData.NationalCode".into());
        r.value = Some("0012345679".into());
        r.action = Action::Delay {
            ms: None,
            min_ms: Some(10),
            max_ms: Some(20),
        };
        let f = Faults::new(vec![r]);
        assert!(f
            .decide("pki", "RegisterInfo", &|_| Some("0023456787".into()))
            .is_none());
        let d = f
            .decide("pki", "RegisterInfo", &|_| Some("0012345679".into()))
            .unwrap();
        assert!((10..=20).contains(&d.delay_ms));
        assert_eq!(d.rule, "fault-1");
    }
}
