//! What a scenario names must exist: every operation, CA, profile, customer, account, BIN,
//! signer and tariff that fault rules, reactions and events refer to is checked against the
//! world the scenario builds (and the API route tables), with "did you mean" — a rule that can
//! never match is a problem, not a silence. The control API checks fault rules it is sent the
//! same way.

use crate::faults::FaultRule;
use crate::scenario::model::ScenarioFile;
use crate::scenario::Checker;

/// The names a scenario's world offers.
pub struct Names {
    pki_operations: Vec<&'static str>,
    podpishi_operations: Vec<&'static str>,
    cas: Vec<String>,
    profiles: Vec<String>,
    customers: Vec<String>,
    logins: Vec<String>,
    bins: Vec<String>,
    signers: Vec<String>,
    tariffs: Vec<String>,
}

impl Names {
    pub fn of(file: &ScenarioFile) -> Names {
        let pki = file.pki.as_ref();
        let pod = file.podpishi.as_ref();
        let mut podpishi_operations = vec!["upload"];
        podpishi_operations.extend(crate::podpishi::COMMANDS.iter().map(|(n, ..)| *n));
        Names {
            pki_operations: crate::pki::routes::ROUTES.iter().map(|r| r.name).collect(),
            podpishi_operations,
            cas: pki
                .map(|p| p.cas.iter().map(|c| c.name.clone()).collect())
                .unwrap_or_default(),
            profiles: pki
                .map(|p| {
                    p.cas
                        .iter()
                        .flat_map(|c| c.profiles.iter().map(|p| p.name.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            customers: pki
                .map(|p| p.customers.iter().map(|c| c.code.clone()).collect())
                .unwrap_or_default(),
            logins: pod
                .map(|p| p.accounts.iter().map(|a| a.login.clone()).collect())
                .unwrap_or_default(),
            bins: pod
                .map(|p| p.accounts.iter().flat_map(|a| a.bins.clone()).collect())
                .unwrap_or_default(),
            signers: pod
                .map(|p| p.signers.iter().map(|s| s.name.clone()).collect())
                .unwrap_or_default(),
            tariffs: pod
                .map(|p| p.tariffs.iter().map(|t| t.id.to_string()).collect())
                .unwrap_or_default(),
        }
    }

    fn operations(&self, api: &str) -> Vec<&'static str> {
        match api {
            "pki" => self.pki_operations.clone(),
            "podpishi" => self.podpishi_operations.clone(),
            _ => self
                .pki_operations
                .iter()
                .chain(&self.podpishi_operations)
                .copied()
                .collect(),
        }
    }

    /// A problem with an operation name for `api`, or `None`.
    pub fn operation_problem(&self, api: &str, operation: &str) -> Option<String> {
        let known = self.operations(api);
        if known.iter().any(|o| o.eq_ignore_ascii_case(operation)) {
            return None;
        }
        let what = match api {
            "pki" => "a PKI method",
            "podpishi" => "a Podpishi operation (upload or an oper)",
            _ => "an operation of either API",
        };
        Some(unknown(operation, what, &known))
    }

    /// A problem with a request field's value that names a thing of the world.
    pub fn value_problem(&self, field: &str, value: &str) -> Option<String> {
        let last = field
            .rsplit('.')
            .next()
            .unwrap_or(field)
            .to_ascii_lowercase();
        let (list, what): (&[String], &str) = match last.as_str() {
            "caname" => (&self.cas, "a CA of the scenario"),
            "profilename" => (&self.profiles, "a profile of the scenario"),
            "customercode" => (&self.customers, "a customer of the scenario"),
            "login" => (&self.logins, "a Podpishi account of the scenario"),
            "owner_bin" | "receiver_bin" | "bin2client" => {
                (&self.bins, "a BIN/IIN of the scenario's accounts")
            }
            "tarif" => (&self.tariffs, "a tariff of the scenario"),
            _ => return None,
        };
        let bare = if last == "customercode" {
            value.split('-').next().unwrap_or(value)
        } else {
            value
        };
        if list.iter().any(|x| x.eq_ignore_ascii_case(bare.trim())) {
            return None;
        }
        let names: Vec<&str> = list.iter().map(String::as_str).collect();
        Some(unknown(value, what, &names))
    }

    /// Every problem of a fault rule as (field, message).
    pub fn fault_problems(&self, rule: &FaultRule) -> Vec<(String, String)> {
        let mut p = Vec::new();
        if let Some(op) = &rule.operation {
            if let Some(m) = self.operation_problem(&rule.api, op) {
                p.push(("operation".into(), m));
            }
        }
        if let (Some(field), Some(value)) = (&rule.field, &rule.value) {
            if let Some(m) = self.value_problem(field, value) {
                p.push(("value".into(), m));
            }
        }
        p
    }

    /// Checks the faults, reactions and events of `file`.
    pub fn check(&self, file: &ScenarioFile, ck: &mut Checker) {
        for (i, rule) in file.faults.iter().enumerate() {
            for (field, m) in self.fault_problems(rule) {
                ck.problem(&format!("faults[{i}].{field}"), m);
            }
        }
        for (i, r) in file.reactions.iter().enumerate() {
            if let Some(m) =
                r.on.operation
                    .as_deref()
                    .and_then(|op| self.operation_problem(&r.on.api, op))
            {
                ck.problem(&format!("reactions[{i}].on.operation"), m);
            }
            if let Some(m) =
                r.on.transition
                    .as_deref()
                    .and_then(|t| transition_problem(&r.on.api, t))
            {
                ck.problem(&format!("reactions[{i}].on.transition"), m);
            }
            if let (Some(field), Some(value)) = (&r.on.field, &r.on.value) {
                if let Some(m) = self.value_problem(field, value) {
                    ck.problem(&format!("reactions[{i}].on.value"), m);
                }
            }
            self.action(&r.action, &format!("reactions[{i}].do"), ck);
        }
        for (i, e) in file.events.iter().enumerate() {
            self.action(&e.action, &format!("events[{i}].action"), ck);
        }
    }

    fn action(&self, a: &crate::events::ActionSpec, at: &str, ck: &mut Checker) {
        use crate::events::ActionSpec as A;
        let (field, value, list, what): (&str, &str, &[String], &str) = match a {
            A::CaAvailability { ca, .. } => ("ca", ca, &self.cas, "a CA of the scenario"),
            A::Credit { customer, .. } => (
                "customer",
                customer,
                &self.customers,
                "a customer of the scenario",
            ),
            A::Sign { signer } => (
                "signer",
                signer,
                &self.signers,
                "a test signer of the scenario",
            ),
            _ => return,
        };
        if !list.iter().any(|x| x == value) {
            let names: Vec<&str> = list.iter().map(String::as_str).collect();
            ck.problem(&format!("{at}.{field}"), unknown(value, what, &names));
        }
    }
}

fn unknown(value: &str, what: &str, known: &[&str]) -> String {
    let list = if known.is_empty() {
        "(the scenario has none)".to_string()
    } else {
        known.join(", ")
    };
    match crate::suggest::closest(value, known.iter().copied()) {
        Some(c) => format!("'{value}' is not {what}; did you mean '{c}'? They are: {list}"),
        None => format!("'{value}' is not {what}; they are: {list}"),
    }
}

/// A problem with a reaction's `transition`: not a transition of the API's state machine.
fn transition_problem(api: &str, transition: &str) -> Option<String> {
    let mut known: Vec<&str> = match api {
        "pki" => crate::pki::model::TRANSITIONS
            .iter()
            .map(|e| e.transition.name())
            .collect(),
        "podpishi" => crate::podpishi::model::TRANSITIONS
            .iter()
            .map(|(_, t, _)| t.name())
            .collect(),
        _ => return None,
    };
    known.dedup();
    if known.iter().any(|t| t.eq_ignore_ascii_case(transition)) {
        return None;
    }
    let what = match api {
        "pki" => "a transition of a tracking code",
        _ => "a transition of a document's permission",
    };
    Some(unknown(transition, what, &known))
}
