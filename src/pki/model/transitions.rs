//! The tracking-code state machine as data: every (state, transition, next state) the model
//! applies. Each transition's precondition asks [`allowed`], so this table is what the code
//! does, not a picture of it; a unit test checks every precondition function against it, and
//! the docs' state diagram can be drawn from [`TRANSITIONS`].
//!
//! Expiry is not in the table: it changes no stored state. An `Issued` lifecycle whose
//! certificate is past its NotAfter reads as `Expired` in reports
//! ([`super::tracking::report_status`]) and counts as ended for RegisterInfo.
//!
//! One tracking code per subject DN (the PKI document, lines 403–405): registering the subject
//! of an ended lifecycle (Revoked, Rejected, or Issued with its certificate expired) again is a
//! `register` from that state — the same tracking code, its lifecycle restarted, the ended one
//! kept for the reports ([`super::tracking`]). The government public CA, which the document
//! excepts, gives a new tracking code instead (`register` from nothing).

use crate::pki::state::{CertStatus, Status};

/// A change of a tracking record's state, named as the model's functions are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    /// RegisterInfo creates a lifecycle: a new tracking code, or the same tracking code
    /// restarted after its lifecycle ended.
    Register,
    /// RegisterInfo again for a live lifecycle with another profile, token type or P12
    /// password before issue: the same tracking code, its state kept.
    Amend,
    /// RequestApprove, the control API, a scenario reaction or the dashboard.
    Approve,
    /// The RA refuses the identity (control API, scenario reaction).
    Reject,
    /// IssueCertificateByTrackingCode (charges the customer's credit).
    Issue,
    /// RecievedCertConfirmation: recorded in the history, the state kept.
    Confirm,
    /// RevokeCertificate: the certificate goes into its CA's CRL.
    Revoke,
}

impl Transition {
    pub fn name(self) -> &'static str {
        match self {
            Transition::Register => "register",
            Transition::Amend => "amend",
            Transition::Approve => "approve",
            Transition::Reject => "reject",
            Transition::Issue => "issue",
            Transition::Confirm => "confirm",
            Transition::Revoke => "revoke",
        }
    }
}

/// One edge of the state machine. `from` is `None` for a lifecycle that does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: Option<Status>,
    pub transition: Transition,
    pub to: Status,
    /// The guard beyond the state, drawn beside the transition's name ("" for none).
    pub when: &'static str,
}

const fn edge(from: Option<Status>, transition: Transition, to: Status) -> Edge {
    Edge {
        from,
        transition,
        to,
        when: "",
    }
}

/// An edge taken only when `when` holds besides the state.
const fn guarded(from: Status, transition: Transition, to: Status, when: &'static str) -> Edge {
    Edge {
        from: Some(from),
        transition,
        to,
        when,
    }
}

use Status::*;
use Transition::*;

/// Every transition the PKI model applies.
pub const TRANSITIONS: &[Edge] = &[
    // The profile decides: one that needs approval (in person or remote) waits for it.
    edge(None, Register, Registered),
    edge(None, Register, AwaitingApproval),
    edge(Some(Registered), Amend, Registered),
    edge(Some(AwaitingApproval), Amend, AwaitingApproval),
    edge(Some(Approved), Amend, Approved),
    edge(Some(AwaitingApproval), Approve, Approved),
    edge(Some(Registered), Reject, Rejected),
    edge(Some(AwaitingApproval), Reject, Rejected),
    edge(Some(Approved), Reject, Rejected),
    edge(Some(Registered), Issue, Issued),
    edge(Some(Approved), Issue, Issued),
    edge(Some(Issued), Confirm, Issued),
    edge(Some(Issued), Revoke, Revoked),
    // The subject registered again after its lifecycle ended: the same tracking code,
    // restarted (the PKI document, lines 403–405); the profile decides the state, as above.
    edge(Some(Revoked), Register, Registered),
    edge(Some(Revoked), Register, AwaitingApproval),
    edge(Some(Rejected), Register, Registered),
    edge(Some(Rejected), Register, AwaitingApproval),
    guarded(Issued, Register, Registered, "certificate expired"),
    guarded(Issued, Register, AwaitingApproval, "certificate expired"),
];

/// Whether `transition` may start from `from`.
pub fn allowed(transition: Transition, from: Status) -> bool {
    next(transition, from).is_some()
}

/// The state `transition` leads to from `from` (`None`: not allowed). For `register`, where
/// the profile chooses between two states, the first; ask [`leads_to`] for a given one.
pub fn next(transition: Transition, from: Status) -> Option<Status> {
    TRANSITIONS
        .iter()
        .find(|e| e.transition == transition && e.from == Some(from))
        .map(|e| e.to)
}

/// Whether the table has the edge `from --transition--> to` (`from` `None`: no lifecycle yet).
pub fn leads_to(from: Option<Status>, transition: Transition, to: Status) -> bool {
    TRANSITIONS
        .iter()
        .any(|e| e.from == from && e.transition == transition && e.to == to)
}

/// The state machine as a Mermaid `stateDiagram-v2`, one line per edge of [`TRANSITIONS`]
/// in its order (`[*]` is "no lifecycle yet" and the end after a final state, which the
/// government public CA's lifecycles reach: they are not restarted): what the docs' diagram
/// is drawn from, or checked against.
pub fn mermaid() -> String {
    let mut out = String::from("stateDiagram-v2\n");
    for e in TRANSITIONS {
        let from = e.from.map_or("[*]", Status::name);
        let when = match e.when {
            "" => String::new(),
            w => format!(" ({w})"),
        };
        out.push_str(&format!(
            "    {from} --> {}: {}{when}\n",
            e.to.name(),
            e.transition.name()
        ));
    }
    for s in STATES.iter().filter(|s| s.is_final()) {
        out.push_str(&format!("    {} --> [*]\n", s.name()));
    }
    out
}

/// Every stored state, for tests and diagrams.
pub const STATES: [Status; 6] = [
    Registered,
    AwaitingApproval,
    Approved,
    Issued,
    Revoked,
    Rejected,
];

/// One edge of the certificate state machine. `from` is `None` for a certificate not issued yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertEdge {
    pub from: Option<CertStatus>,
    pub transition: Transition,
    pub to: CertStatus,
}

/// Every transition the PKI model applies to an issued certificate (a `PkiCerts` record, named
/// `CA/serial` in hex), beside its tracking code's: `issue` creates it Active, `revoke` puts it
/// into its CA's CRL. Expiry, as for the tracking code, changes no stored state.
pub const CERTIFICATE_TRANSITIONS: &[CertEdge] = &[
    CertEdge {
        from: None,
        transition: Issue,
        to: CertStatus::Active,
    },
    CertEdge {
        from: Some(CertStatus::Active),
        transition: Revoke,
        to: CertStatus::Revoked,
    },
];

/// The state a certificate's `transition` leads to from `from` (`None`: not allowed).
pub fn certificate_next(transition: Transition, from: CertStatus) -> Option<CertStatus> {
    CERTIFICATE_TRANSITIONS
        .iter()
        .find(|e| e.transition == transition && e.from == Some(from))
        .map(|e| e.to)
}

/// The certificate machine as a Mermaid `stateDiagram-v2`, one line per edge of
/// [`CERTIFICATE_TRANSITIONS`], then `[*]` after each state no transition leaves.
pub fn certificate_mermaid() -> String {
    let mut out = String::from("stateDiagram-v2\n");
    for e in CERTIFICATE_TRANSITIONS {
        let from = e.from.map_or("[*]", CertStatus::name);
        out.push_str(&format!(
            "    {from} --> {}: {}\n",
            e.to.name(),
            e.transition.name()
        ));
    }
    for s in [CertStatus::Active, CertStatus::Revoked] {
        if !CERTIFICATE_TRANSITIONS.iter().any(|e| e.from == Some(s)) {
            out.push_str(&format!("    {} --> [*]\n", s.name()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{approval, certificates};
    use super::*;
    use crate::pki::error::PkiError;
    use crate::pki::state::{Person, TrackingRecord};
    use std::collections::BTreeSet;
    use time::OffsetDateTime;

    fn record(status: Status) -> TrackingRecord {
        TrackingRecord {
            code: "1000".into(),
            customer: "C".into(),
            ca: "CA".into(),
            profile: "P".into(),
            token_type: "USERGENERATED".into(),
            p12_password_sha256: None,
            person: Person::default(),
            subject_dn: "CN=x".into(),
            subject: Vec::new(),
            status,
            registered_at: OffsetDateTime::UNIX_EPOCH,
            lookup_charge: 0,
            approval: None,
            issue: None,
            confirmed_at: None,
            revoked_at: None,
            history: Vec::new(),
        }
    }

    fn table_from(t: Transition) -> BTreeSet<&'static str> {
        TRANSITIONS
            .iter()
            .filter(|e| e.transition == t)
            .filter_map(|e| e.from.map(Status::name))
            .collect()
    }

    fn accepted(
        precondition: impl Fn(&TrackingRecord) -> Result<(), PkiError>,
    ) -> BTreeSet<&'static str> {
        STATES
            .iter()
            .filter(|s| precondition(&record(**s)).is_ok())
            .map(|s| s.name())
            .collect()
    }

    /// Each transition function accepts exactly the from-states the table lists: the table is
    /// what the code does (a state added to one and not the other fails here).
    #[test]
    fn every_precondition_accepts_exactly_the_tables_from_states() {
        let amend = |r: &TrackingRecord| -> Result<(), PkiError> {
            super::super::tracking::may_amend(r, OffsetDateTime::UNIX_EPOCH)
        };
        let cases: [(Transition, BTreeSet<&str>); 6] = [
            (Approve, accepted(|r| approval::may_approve(r, true))),
            (Reject, accepted(approval::may_reject)),
            (Issue, accepted(certificates::may_issue)),
            (Confirm, accepted(certificates::may_confirm)),
            (Revoke, accepted(certificates::may_revoke)),
            (Amend, accepted(amend)),
        ];
        for (t, got) in cases {
            assert_eq!(got, table_from(t), "{} from-states", t.name());
        }
        // Whether the profile asks for approval changes the refusal's wording, not the rule.
        assert_eq!(
            accepted(|r| approval::may_approve(r, false)),
            table_from(Approve)
        );
        // A lifecycle is created from nothing, or restarted from an ended one (an Issued one
        // only once its certificate expired), into the two states a profile chooses.
        let restart = STATES
            .iter()
            .filter(|s| super::super::tracking::restartable(**s, **s == Issued))
            .map(|s| s.name())
            .collect::<BTreeSet<_>>();
        assert_eq!(restart, table_from(Register));
        assert!(!super::super::tracking::restartable(Issued, false));
        let register: BTreeSet<_> = TRANSITIONS
            .iter()
            .filter(|e| e.transition == Register)
            .map(|e| (e.from.map(Status::name), e.to.name()))
            .collect();
        let mut expected = BTreeSet::new();
        for from in [None, Some("Revoked"), Some("Rejected"), Some("Issued")] {
            expected.insert((from, "AwaitingApproval"));
            expected.insert((from, "Registered"));
        }
        assert_eq!(register, expected);
    }

    #[test]
    fn the_diagram_has_one_line_per_edge_and_ends_after_the_final_states() {
        let diagram = mermaid();
        assert!(diagram.starts_with("stateDiagram-v2\n"), "{diagram}");
        assert!(
            diagram.contains("    [*] --> AwaitingApproval: register\n"),
            "{diagram}"
        );
        assert!(
            diagram.contains("    AwaitingApproval --> Approved: approve\n"),
            "{diagram}"
        );
        assert!(
            diagram.contains("    Issued --> Revoked: revoke\n"),
            "{diagram}"
        );
        assert!(diagram.contains("    Rejected --> [*]\n"), "{diagram}");
        assert!(
            diagram.contains("    Issued --> Registered: register (certificate expired)\n"),
            "{diagram}"
        );
        assert_eq!(
            diagram.lines().count(),
            1 + TRANSITIONS.len() + 2,
            "{diagram}"
        );
    }

    #[test]
    fn the_certificate_machine_is_issued_active_and_revoked_once() {
        assert_eq!(
            certificate_mermaid(),
            "stateDiagram-v2\n    [*] --> Active: issue\n    Active --> Revoked: revoke\n    Revoked --> [*]\n"
        );
        assert_eq!(
            certificate_next(Revoke, CertStatus::Active),
            Some(CertStatus::Revoked)
        );
        assert_eq!(certificate_next(Revoke, CertStatus::Revoked), None);
    }

    /// Each (state, transition) has one next state — but `register`, whose two next states the
    /// profile chooses — and a final state is left only by `register` (the restart).
    #[test]
    fn the_machine_is_deterministic_and_final_states_are_left_only_by_register() {
        for e in TRANSITIONS {
            let same: Vec<_> = TRANSITIONS
                .iter()
                .filter(|o| o.from == e.from && o.transition == e.transition && e.from.is_some())
                .collect();
            let most = if e.transition == Register { 2 } else { 1 };
            assert!(same.len() <= most, "{e:?} is ambiguous");
            if let Some(from) = e.from {
                assert!(
                    !from.is_final() || e.transition == Register,
                    "{e:?} leaves a final state"
                );
            }
        }
        assert!(leads_to(Some(Revoked), Register, AwaitingApproval));
        assert!(!leads_to(Some(Registered), Register, Registered));
    }
}
