//! The PKI's model: the only code that reads or writes the lifecycle tables (`PkiTracking`,
//! `PkiSubjects`, `PkiCerts`, `PkiRevoked`, `PkiByPerson`, `PkiByCustomerTime`,
//! `PkiCustomers`, `PkiFaceAuth`).
//!
//! Handlers and the control plane parse and authorize; then they call one transition here,
//! which checks its precondition against [`TRANSITIONS`], writes every affected table in one
//! [`crate::store::Store::write`] (all or nothing), records the change for the one observer
//! ([`crate::changes`]) once it has committed, and returns what changed ([`Applied`]).
//! The read queries the reports and the control API need live here too, so that the store
//! layout (keys, indexes) is known in one place.
//!
//! - [`transitions`]: the tracking-code and certificate state machines as data;
//! - [`tracking`]: register, reads of lifecycles and the report index;
//! - [`approval`]: approve (in person, remote, by an officer), reject, face-auth orders;
//! - [`certificates`]: issue (charges credit), confirm, revoke (CRL), certificate reads;
//! - [`credit`]: balances, the scenario's starting credit;
//! - [`reports`]: the state dump and the customer event index.

pub mod approval;
pub mod certificates;
pub mod credit;
pub mod reports;
pub mod tracking;
pub mod transitions;

pub use transitions::{
    certificate_mermaid, mermaid, Transition, CERTIFICATE_TRANSITIONS, TRANSITIONS,
};

use super::state::{CertStatus, Status, TrackingRecord};
use super::World;
use crate::changes::{Change, Changes};
use crate::store::{Decoded, Store, Table};

/// The model over one store, for one scenario's world: cheap to build per call (three
/// references), so [`crate::pki::Ctx`] and [`crate::pki::Pki`] each hand one out.
#[derive(Clone, Copy)]
pub struct Model<'a> {
    pub store: &'a Store,
    pub world: &'a World,
    pub hot: &'a Hot,
    /// Where each applied transition is recorded, for the one observer.
    pub changes: &'a Changes,
}

impl Model<'_> {
    /// Records a transition this model has written (after its transaction committed): `from`
    /// is `None` for a tracking code it created.
    fn record(&self, transition: Transition, from: Option<Status>, rec: &TrackingRecord) {
        self.changes.push(Change {
            machine: "tracking",
            transition: transition.name(),
            from: from.map_or("[*]", Status::name),
            to: rec.status.name(),
            tenant: rec.customer.clone(),
            record: rec.code.clone(),
            permission: None,
        });
    }
}

impl Model<'_> {
    /// Records a certificate transition this model has written (after its transaction
    /// committed): the record is `CA/serial` (hex), the tenant the customer.
    fn record_certificate(
        &self,
        transition: Transition,
        from: Option<CertStatus>,
        to: CertStatus,
        customer: &str,
        ca: &str,
        serial: u64,
    ) {
        self.changes.push(Change {
            machine: "certificate",
            transition: transition.name(),
            from: from.map_or("[*]", CertStatus::name),
            to: to.name(),
            tenant: customer.to_string(),
            record: format!("{ca}/{serial:x}"),
            permission: None,
        });
    }
}

/// What one applied transition changed: the record after it, and its state before and after
/// (equal for a transition that does not move the state, such as confirming receipt).
#[derive(Debug, Clone)]
pub struct Applied {
    pub transition: Transition,
    pub from: Status,
    pub to: Status,
    pub record: TrackingRecord,
}

/// Decoded copies of what every idempotent RegisterInfo reads: the subject index and the
/// tracking record it names (see [`crate::store::decoded`]).
pub struct Hot {
    subjects: Decoded<String>,
    tracking: Decoded<TrackingRecord>,
}

impl Hot {
    pub fn new() -> Hot {
        Hot {
            subjects: Decoded::new(Table::PkiSubjects),
            tracking: Decoded::new(Table::PkiTracking),
        }
    }
}

impl Default for Hot {
    fn default() -> Hot {
        Hot::new()
    }
}
