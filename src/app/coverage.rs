//! The contract coverage universe, built where both APIs are known: every operation of their
//! route tables, every error of their catalogues, every portability warning kind each can
//! raise, every fault kind, every row and state of the transition tables (tracking code and
//! certificate, permission), the clock's travels and the scenario action kinds — all read from
//! the code's own tables, in the report's reading order (docs/coverage.md).

use crate::coverage::{Edge, Universe};

/// The universe of the coverage report.
pub fn universe() -> Universe {
    let mut u = Universe::default();
    pki(&mut u);
    podpishi(&mut u);
    for (travel, what) in crate::admin::world::CLOCK_TRAVELS {
        u.scenario("clock", travel, what);
    }
    // An event has no triggering record: the kinds that act on one can only be reactions.
    for (kind, on_record, what) in crate::events::ACTION_KINDS {
        if !on_record {
            u.scenario("event", kind, what);
        }
    }
    for (kind, _, what) in crate::events::ACTION_KINDS {
        u.scenario("reaction", kind, what);
    }
    u
}

fn pki(u: &mut Universe) {
    use crate::pki::routes::{CRL, ROUTES};
    for r in ROUTES.iter().chain([&CRL]) {
        u.operation("pki", r.name, r.summary);
    }
    // A retired kind is never answered: no test could reach it.
    for (kind, name, code, _, meaning) in crate::pki::error::CATALOGUE {
        if !kind.raised() {
            continue;
        }
        u.error("pki", name, *code, meaning);
    }
    shared(u, "pki");
    let edges: Vec<Edge> = crate::pki::model::TRANSITIONS
        .iter()
        .map(|e| Edge {
            machine: "tracking",
            transition: e.transition.name(),
            from: e.from.map_or("[*]", |s| s.name()),
            to: e.to.name(),
        })
        .collect();
    machine(u, "pki", &edges);
    let edges: Vec<Edge> = crate::pki::model::CERTIFICATE_TRANSITIONS
        .iter()
        .map(|e| Edge {
            machine: "certificate",
            transition: e.transition.name(),
            from: e.from.map_or("[*]", |s| s.name()),
            to: e.to.name(),
        })
        .collect();
    machine(u, "pki", &edges);
}

fn podpishi(u: &mut Universe) {
    use crate::podpishi::model::PermState;
    u.operation("podpishi", "upload", "a document uploaded to /api.php");
    for (name, _, summary) in crate::podpishi::COMMANDS {
        u.operation("podpishi", name, summary);
    }
    u.operation(
        "podpishi",
        "cabinet",
        "the web cabinet of a partner's session",
    );
    for (_, name, status, meaning) in crate::podpishi::error::CATALOGUE {
        u.error("podpishi", name, i64::from(*status), meaning);
    }
    shared(u, "podpishi");
    let node = |s: PermState| match s {
        PermState::Absent => "[*]",
        s => s.name(),
    };
    let edges: Vec<Edge> = crate::podpishi::model::TRANSITIONS
        .iter()
        .map(|&(from, t, to)| Edge {
            machine: "permission",
            transition: t.name(),
            from: node(from),
            to: node(to),
        })
        .collect();
    machine(u, "podpishi", &edges);
}

/// What every API has: the warning kinds it can raise and the fault kinds.
fn shared(u: &mut Universe, api: &'static str) {
    for (kind, of, risk) in crate::portability::CATALOGUE {
        if *of == api || *of == "both" {
            u.warning(api, kind, risk);
        }
    }
    for (kind, what) in crate::faults::KINDS {
        u.fault(api, kind, what);
    }
}

/// A machine's transitions, then the states they enter.
fn machine(u: &mut Universe, api: &'static str, edges: &[Edge]) {
    for e in edges {
        let same = edges
            .iter()
            .filter(|o| o.from == e.from && o.to == e.to)
            .count();
        u.transition(api, *e, same == 1, &phrase(e));
    }
    let mut states: Vec<&'static str> = Vec::new();
    for e in edges {
        if e.to != "[*]" && !states.contains(&e.to) {
            states.push(e.to);
        }
    }
    for s in states {
        u.state(api, edges[0].machine, s);
    }
}

/// How an integrator reads a transition nobody saw ("your tests never saw …").
fn phrase(e: &Edge) -> String {
    match (e.machine, e.transition, e.from, e.to) {
        ("tracking", "register", _, "AwaitingApproval") => {
            "a tracking code registered that waits for approval".into()
        }
        ("tracking", "register", _, to) => format!("a tracking code registered straight to {to}"),
        ("tracking", "amend", from, _) => format!("a registration amended while {from}"),
        ("tracking", "approve", ..) => "an identity approved".into(),
        ("tracking", "reject", from, _) => format!("an identity rejected while {from}"),
        ("tracking", "issue", from, _) => format!("a certificate issued from {from}"),
        ("tracking", "confirm", ..) => "a certificate's receipt confirmed".into(),
        ("tracking", "revoke", ..) => "a certificate revoked".into(),
        ("certificate", "issue", ..) => "a certificate issued (Active)".into(),
        ("certificate", "revoke", ..) => "a certificate revoked (into its CA's CRL)".into(),
        ("permission", "upload", _, to) => format!("an upload create a {to} permission"),
        ("permission", "getcreateinvoice", _, to) => {
            format!("an invoice create a {to} permission")
        }
        ("permission", "sign", ..) => "a permission signed".into(),
        ("permission", "refuse", ..) => "a document refused by its counterparty".into(),
        ("permission", "delpermission", ..) => "a permission deleted".into(),
        (m, t, from, to) => format!("a {m} go {from} → {to} ({t})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_transition_is_phrased() {
        let u = universe();
        let mut ids: Vec<&str> = u.outcomes.iter().map(|o| o.id.as_str()).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate ids");
        // The ids docs/coverage.md names for invoices, partner sessions and certificates.
        for id in [
            "permission:[*]->signed:getcreateinvoice",
            "permission:[*]->unsigned:getcreateinvoice",
            "podpishi:authuserbypartner:ok",
            "podpishi:cabinet:ok",
            "certificate:[*]->Active",
            "certificate:Active->Revoked",
            "certificate:Revoked",
        ] {
            assert!(ids.contains(&id), "{id} is not in the universe");
        }
        assert!(ids.contains(&"reaction:approve") && ids.contains(&"event:credit"));
        assert!(!ids.contains(&"event:approve"));
        assert!(!ids.contains(&"pki:error:ReplayedRequest"));
        for o in u.outcomes.iter().filter(|o| o.group == "transition") {
            assert!(
                !o.never.contains(" go "),
                "{} has no phrase: {}",
                o.id,
                o.never
            );
        }
    }
}
