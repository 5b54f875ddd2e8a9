//! The transitions the models apply, gathered where they happen and handed once to one observer.
//!
//! Each API's model records every transition it has applied — after its store transaction has
//! committed, never from inside it (a transaction may run more than once) — into the
//! [`Changes`] of whatever caused it: one upstream request, one control-API call, one scenario
//! event or reaction. When that request is finished, its changes go with its journal entry to
//! the pipeline's one observer (`pipeline::observe`), which logs them, keeps them in the
//! journal and lets reactions follow them. A refused request records nothing: a model records
//! only what it wrote.

use serde::Serialize;
use std::sync::Mutex;

/// One applied transition of a state machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The state machine: `tracking` (a PKI tracking code), `certificate` (a PKI certificate)
    /// or `permission` (a Podpishi document's permission).
    pub machine: &'static str,
    /// The transition's name in its model's `TRANSITIONS` table (`approve`, `sign`, …).
    pub transition: &'static str,
    /// The state before (`[*]` when the transition created the record).
    pub from: &'static str,
    /// The state after; equal to `from` for a transition that keeps the state (`confirm`).
    pub to: &'static str,
    /// Whose world it changed: the PKI customer code, or the Podpishi login that acted (the
    /// document owner's when the control plane acted as the counterparty).
    pub tenant: String,
    /// The record: a tracking code, a certificate (`CA/serial`, the serial in hex), or a
    /// document number.
    pub record: String,
    /// The permission of the document (its `indexnum`), for the `permission` machine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<u64>,
}

/// The changes one request applied, in order. Shared by reference with the model calls the
/// request makes; drained once when the request is finished.
#[derive(Debug)]
pub struct Changes {
    list: Mutex<Vec<Change>>,
    /// False for [`READS`]: a model built for reads only.
    open: bool,
}

impl Default for Changes {
    fn default() -> Changes {
        Changes::new()
    }
}

/// Where a model built only for reads points: a transition applied through it would be
/// observed by no one, so it is logged as the defect it is and not kept.
pub static READS: Changes = Changes {
    list: Mutex::new(Vec::new()),
    open: false,
};

impl Changes {
    pub const fn new() -> Changes {
        Changes {
            list: Mutex::new(Vec::new()),
            open: true,
        }
    }

    /// Records a transition that has been written.
    pub fn push(&self, change: Change) {
        if !self.open {
            tracing::error!(
                "{} {} of {} was applied through a read-only model: no observer saw it",
                change.machine,
                change.transition,
                change.record
            );
            return;
        }
        crate::sync::lock(&self.list).push(change);
    }

    /// What was recorded, leaving nothing behind.
    pub fn take(&self) -> Vec<Change> {
        std::mem::take(&mut *crate::sync::lock(&self.list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(transition: &'static str) -> Change {
        Change {
            machine: "tracking",
            transition,
            from: "AwaitingApproval",
            to: "Approved",
            tenant: "1001".into(),
            record: "T1".into(),
            permission: None,
        }
    }

    #[test]
    fn take_returns_the_changes_in_order_once() {
        let c = Changes::new();
        c.push(change("approve"));
        c.push(change("issue"));
        let names: Vec<_> = c.take().iter().map(|c| c.transition).collect();
        assert_eq!(names, ["approve", "issue"]);
        assert!(c.take().is_empty());
    }

    #[test]
    fn a_read_only_model_keeps_nothing() {
        READS.push(change("approve"));
        assert!(READS.take().is_empty());
    }
}
