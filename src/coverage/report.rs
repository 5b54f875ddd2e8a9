//! The coverage report: the JSON `GET /__admin/coverage` serves and `serve --coverage-out`
//! writes, and what `signsim coverage` reads back to print or to check a require file against.

use super::count::Tally;
use super::Coverage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which part of the counts a report shows.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// One tenant (a PKI customer code, a Podpishi login); `None`: every tenant together.
    pub tenant: Option<String>,
    /// `pki` or `podpishi`; `None`: both, and the scenario's outcomes.
    pub api: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// When counting started: the server's start or the last `DELETE /__admin/coverage`.
    pub since: String,
    /// Every tenant counted since then, whatever the filter.
    pub tenants: Vec<String>,
    /// Outcomes in the report (the universe, or the filtered API's part of it).
    pub total: usize,
    /// How many of them were reached.
    pub reached: usize,
    /// The whole universe, in reading order, with counts (0 when never reached).
    pub outcomes: Vec<OutcomeRow>,
    /// The never-reached ones, in reading order, as an integrator reads them.
    pub never: Vec<NeverRow>,
    /// The filter applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutcomeRow {
    pub id: String,
    pub api: String,
    pub group: String,
    pub subject: String,
    pub text: String,
    pub count: u64,
    /// For an operation: how often it was called (its `count` is how often it succeeded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls: Option<u64>,
    /// For an error: the code (PKI `ErrorCode`) or status (Podpishi `<status>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// For an error, a warning or a fault: the operations it came from, with counts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub operations: BTreeMap<String, u64>,
    /// Something a client should not reach (a portability warning).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub avoid: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NeverRow {
    pub id: String,
    pub api: String,
    pub group: String,
    pub subject: String,
    pub text: String,
}

impl Coverage {
    /// The tenants counted since counting started, sorted.
    pub fn tenants(&self) -> Vec<String> {
        self.read(|s| {
            let mut t: Vec<String> = s
                .tenants
                .keys()
                .filter(|k| !k.is_empty())
                .cloned()
                .collect();
            t.sort();
            t
        })
    }

    /// The report for `filter` (a tenant never seen reads as nothing reached).
    pub fn report(&self, filter: &Filter) -> Report {
        let Some(u) = self.universe() else {
            return Report::empty();
        };
        let (since, tally) = self.read(|s| {
            let mut sum = Tally::new(u.len());
            for (name, t) in &s.tenants {
                if filter.tenant.as_deref().is_none_or(|want| want == name) {
                    sum.add(t);
                }
            }
            (crate::clock::wall_time(s.since), sum)
        });
        let mut outcomes = Vec::new();
        let mut never = Vec::new();
        for (i, o) in u.outcomes.iter().enumerate() {
            if filter.api.as_deref().is_some_and(|a| a != o.api) {
                continue;
            }
            let count = tally.counts[i];
            let calls = (o.group == "operation").then(|| tally.calls[i]);
            let operations = tally
                .by_op
                .range((i as u32, 0)..(i as u32 + 1, 0))
                .map(|(&(_, op), n)| (u.outcomes[op as usize].subject.to_string(), *n))
                .collect();
            if count == 0 {
                let text = match calls {
                    Some(0) => format!("your tests never called {}", o.subject),
                    Some(n) => format!("{} ({n} calls, none succeeded)", o.never),
                    None => o.never.clone(),
                };
                never.push(NeverRow {
                    id: o.id.clone(),
                    api: o.api.to_string(),
                    group: o.group.to_string(),
                    subject: o.subject.to_string(),
                    text,
                });
            }
            outcomes.push(OutcomeRow {
                id: o.id.clone(),
                api: o.api.to_string(),
                group: o.group.to_string(),
                subject: o.subject.to_string(),
                text: o.text.clone(),
                count,
                calls,
                code: o.code,
                operations,
                avoid: o.avoid,
            });
        }
        Report {
            since,
            tenants: self.tenants(),
            total: outcomes.len(),
            reached: outcomes.len() - never.len(),
            outcomes,
            never,
            tenant: filter.tenant.clone(),
            api: filter.api.clone(),
        }
    }
}

impl Report {
    fn empty() -> Report {
        Report {
            since: crate::clock::wall_time(crate::clock::wall_now()),
            tenants: Vec::new(),
            total: 0,
            reached: 0,
            outcomes: Vec::new(),
            never: Vec::new(),
            tenant: None,
            api: None,
        }
    }
}
