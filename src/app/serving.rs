//! The APIs a request is served by, as each thread keeps them.
//!
//! Rationale: taking the APIs from the app's locks on every request — a read lock and a
//! reference count both connection lanes write — moved those cache lines from one core to the
//! other on every request. Each thread keeps its own handles to the APIs in force
//! ([`Copies`]) and takes them again only when a scenario load or reset has replaced them.

use crate::pki::Pki;
use crate::podpishi::Podpishi;
use crate::sync::Copies;
use std::sync::Arc;

/// The APIs in force, as one thread holds them.
type Held = (Option<Arc<Pki>>, Option<Arc<Podpishi>>);

/// The APIs in force, kept per thread.
#[derive(Default)]
pub(super) struct Serving {
    held: Copies<Held>,
}

/// How a thread takes the app's APIs again.
type Take<'a> = &'a dyn Fn() -> (Option<Pki>, Option<Podpishi>);

impl Serving {
    /// This thread's handle to the PKI API in force; `take` reads the app's when they changed.
    pub(super) fn pki(&self, take: Take) -> Option<Arc<Pki>> {
        self.held.with(|| hold(take), |(pki, _)| pki.clone())
    }

    /// This thread's handle to the Podpishi API in force.
    pub(super) fn podpishi(&self, take: Take) -> Option<Arc<Podpishi>> {
        self.held.with(|| hold(take), |(_, pod)| pod.clone())
    }

    /// The app's APIs were replaced: every thread takes them again, and no thread keeps the
    /// old ones (their store and world) alive until its next request.
    pub(super) fn replaced(&self) {
        self.held.changed();
    }
}

/// Handles of this thread's own (their counts written by this thread alone).
fn hold(take: Take) -> Held {
    let (pki, podpishi) = take();
    (pki.map(Arc::new), podpishi.map(Arc::new))
}
