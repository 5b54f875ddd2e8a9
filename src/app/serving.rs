//! The APIs a request is served by, as each thread keeps them.
//!
//! Rationale: taking the APIs from the app's locks on every request — a read lock and a
//! reference count both connection lanes write — moved those cache lines from one core to the
//! other on every request. Each thread keeps its own handle to the APIs in force and takes it
//! again only when a scenario load or reset has replaced them (a version it reads, which no one
//! writes between changes).

use crate::pki::Pki;
use crate::podpishi::Podpishi;
use crate::sync::PerSlot;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The APIs in force, kept per thread.
#[derive(Default)]
pub(super) struct Serving {
    /// Bumped after every replacement of the app's APIs.
    version: AtomicU64,
    slots: PerSlot<Mutex<Option<Held>>>,
}

/// One thread's handles and the version they were taken at.
struct Held {
    version: u64,
    pki: Option<Arc<Pki>>,
    podpishi: Option<Arc<Podpishi>>,
}

impl Serving {
    /// This thread's handle to the PKI API in force; `take` reads the app's when they changed.
    pub(super) fn pki(
        &self,
        take: impl FnOnce() -> (Option<Pki>, Option<Podpishi>),
    ) -> Option<Arc<Pki>> {
        self.held(take, |h| h.pki.clone())
    }

    /// This thread's handle to the Podpishi API in force.
    pub(super) fn podpishi(
        &self,
        take: impl FnOnce() -> (Option<Pki>, Option<Podpishi>),
    ) -> Option<Arc<Podpishi>> {
        self.held(take, |h| h.podpishi.clone())
    }

    fn held<R>(
        &self,
        take: impl FnOnce() -> (Option<Pki>, Option<Podpishi>),
        pick: impl FnOnce(&Held) -> R,
    ) -> R {
        // Read before the APIs: a replacement in between leaves a stale version, taken again
        // at the next request.
        let version = self.version.load(Ordering::Acquire);
        let mut slot = crate::sync::lock(self.slots.mine());
        if let Some(held) = slot.as_ref().filter(|h| h.version == version) {
            return pick(held);
        }
        let (pki, podpishi) = take();
        let held = slot.insert(Held {
            version,
            pki: pki.map(Arc::new),
            podpishi: podpishi.map(Arc::new),
        });
        pick(held)
    }

    /// The app's APIs were replaced: every thread takes them again, and no thread keeps the
    /// old ones (their store and world) alive until its next request.
    pub(super) fn replaced(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
        for slot in self.slots.all() {
            *crate::sync::lock(slot) = None;
        }
    }
}
