//! Podpishi's model: the only code that reads or writes the lifecycle tables
//! (`pod.documents`, `pod.files`, `pod.by_owner`, `pod.by_reference`, `pod.accounts`,
//! `pod.partner_trn`, `pod.outbox`, `pod.sessions`; [`super::state`] lists their keys).
//!
//! Handlers parse a request, authorize it and make one call here; the call checks its
//! precondition, writes every table it affects in ONE [`Store::write`] (all or nothing, so a
//! refusal leaves nothing behind and a crash never leaves half a document) and returns what
//! changed. Why one home: a rule added to a transition (say, "a deleted permission can not be
//! signed") then holds on every path that applies it — `addsignature`, the control API's and
//! the dashboard's "sign as the counterparty", and scenario reactions all call
//! [`permissions::sign`].
//!
//! - [`documents`]: upload (charges the document count), invoices, the document and its files,
//!   the by-BIN listing;
//! - [`permissions`]: sign, refuse, delete — the permission state machine of [`TRANSITIONS`];
//! - [`accounts`]: seeding, lookups, blocking, registration by a partner;
//! - [`partner`]: partner packages (`addpackage2client`) and their transactions;
//! - [`sessions`]: cabinet sessions; [`outbox`]: the emails the service would send;
//! - [`inspect`]: the control API's read-only views (dumps, JSON of stored records).
//!
//! [`Store::write`]: crate::store::Store::write

pub mod accounts;
pub mod documents;
pub mod inspect;
pub mod outbox;
pub mod partner;
pub mod permissions;
pub mod sessions;

use super::state::Permission;
use crate::changes::{Change, Changes};

/// Where a permission is in its life. A permission also has a kind (`signed_type`: 1 the
/// owner's, 2 to sign, 3 to view only); the kind is a guard of some transitions (a view-only
/// permission can not be signed), not a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PermState {
    /// Not stored yet: the document that will hold it is being created.
    Absent,
    /// Stored, neither signed nor deleted.
    Unsigned,
    /// Signed (`signed=1`); final.
    Signed,
    /// Deleted or refused (`sign_deleted=1`); final, kept so getstatus shows what happened.
    Deleted,
}

impl PermState {
    /// The state of a stored permission.
    pub fn of(p: &Permission) -> PermState {
        if p.signed {
            PermState::Signed
        } else if p.sign_deleted {
            PermState::Deleted
        } else {
            PermState::Unsigned
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PermState::Absent => "absent",
            PermState::Unsigned => "unsigned",
            PermState::Signed => "signed",
            PermState::Deleted => "deleted",
        }
    }
}

/// A change of a permission's state, by the operation that applies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transition {
    /// `POST /api.php`: the owner's permission (signed when `signature_pem` came with it) and
    /// the receiver's.
    Upload,
    /// `getcreateinvoice`: the service's signed permission and the client's view-only one.
    CreateInvoice,
    /// `addsignature`, or the counterparty signing through the control API or a reaction.
    Sign,
    /// The counterparty declining in its cabinet (control API, reactions).
    Refuse,
    /// `delpermission`: the owner withdraws a permission, or its holder declines.
    DeletePermission,
}

impl Transition {
    pub fn name(self) -> &'static str {
        match self {
            Transition::Upload => "upload",
            Transition::CreateInvoice => "getcreateinvoice",
            Transition::Sign => "sign",
            Transition::Refuse => "refuse",
            Transition::DeletePermission => "delpermission",
        }
    }
}

/// The permission state machine: (from, transition, to). The transition functions consult it
/// for their precondition ([`allows`]); the docs' diagram is drawn from it. A transition that
/// creates a permission may enter more than one state (an upload's owner permission is signed
/// when the upload carries the owner's signature).
pub const TRANSITIONS: &[(PermState, Transition, PermState)] = &[
    (PermState::Absent, Transition::Upload, PermState::Unsigned),
    (PermState::Absent, Transition::Upload, PermState::Signed),
    (
        PermState::Absent,
        Transition::CreateInvoice,
        PermState::Signed,
    ),
    (
        PermState::Absent,
        Transition::CreateInvoice,
        PermState::Unsigned,
    ),
    (PermState::Unsigned, Transition::Sign, PermState::Signed),
    (PermState::Unsigned, Transition::Refuse, PermState::Deleted),
    (
        PermState::Unsigned,
        Transition::DeletePermission,
        PermState::Deleted,
    ),
];

/// Whether `t` may start from `from` (a row of [`TRANSITIONS`] says so).
pub fn allows(t: Transition, from: PermState) -> bool {
    TRANSITIONS.iter().any(|&(f, x, _)| x == t && f == from)
}

/// Whether `t` applied from `from` may end in `to`.
pub fn leads(from: PermState, t: Transition, to: PermState) -> bool {
    TRANSITIONS.contains(&(from, t, to))
}

/// [`TRANSITIONS`] as a Mermaid `stateDiagram-v2`, for the docs: `[*]` is both the absent
/// permission and the end of the final states (those no transition leaves).
pub fn mermaid() -> String {
    let node = |s: PermState| match s {
        PermState::Absent => "[*]",
        other => other.name(),
    };
    let mut out = String::from("stateDiagram-v2\n");
    for &(from, t, to) in TRANSITIONS {
        out.push_str(&format!(
            "    {} --> {}: {}\n",
            node(from),
            node(to),
            t.name()
        ));
    }
    for s in [PermState::Unsigned, PermState::Signed, PermState::Deleted] {
        if !TRANSITIONS.iter().any(|&(f, ..)| f == s) {
            out.push_str(&format!("    {} --> [*]\n", s.name()));
        }
    }
    out
}

/// A permission that changed state: what a permission transition returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    pub num: u64,
    pub i: u64,
    pub transition: Transition,
    pub from: PermState,
    pub to: PermState,
}

/// Records permission changes that have been written, for the one observer; `tenant` is the
/// login that acted.
pub(crate) fn record(changes: &Changes, changed: &[Changed], tenant: &str) {
    for c in changed {
        changes.push(Change {
            machine: "permission",
            transition: c.transition.name(),
            from: match c.from {
                PermState::Absent => "[*]",
                s => s.name(),
            },
            to: c.to.name(),
            tenant: tenant.to_string(),
            record: c.num.to_string(),
            permission: Some(c.i),
        });
    }
}

impl Changed {
    fn new(num: u64, i: u64, transition: Transition, from: PermState, to: PermState) -> Changed {
        debug_assert!(
            leads(from, transition, to),
            "{transition:?}: {from:?} → {to:?} is not in TRANSITIONS"
        );
        Changed {
            num,
            i,
            transition,
            from,
            to,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diagram_draws_every_row_of_the_table_and_ends_the_final_states() {
        let d = mermaid();
        assert_eq!(
            d,
            "stateDiagram-v2\n    [*] --> unsigned: upload\n    [*] --> signed: upload\n    [*] --> signed: getcreateinvoice\n    [*] --> unsigned: getcreateinvoice\n    unsigned --> signed: sign\n    unsigned --> deleted: refuse\n    unsigned --> deleted: delpermission\n    signed --> [*]\n    deleted --> [*]\n"
        );
    }

    #[test]
    fn a_signed_or_deleted_permission_is_final() {
        for s in [PermState::Signed, PermState::Deleted] {
            for t in [
                Transition::Sign,
                Transition::Refuse,
                Transition::DeletePermission,
            ] {
                assert!(!allows(t, s), "{t:?} from {s:?}");
            }
        }
    }
}
