//! The PKI RA gateway API (Pendar Kooshk Iman, Iran), as docs/pki.md describes it (the
//! walk-through, "Signatures", "Errors", "Reference: emulator-defined choices").
//!
//! - [`routes`] is the route table: one line per upstream method with its properties, handled
//!   by one file per method in [`endpoints`].
//! - [`api`] puts the API in the request pipeline (`pipeline`): binding
//!   ([`wire::Fields`], property names in any case), the handler, and the single mapping of
//!   [`error::PkiError`] to the wire.
//! - [`world`] is the scenario as the handlers need it, validated by [`scenario`]; [`ctx`] is
//!   what a handler may use for one request; [`state`] holds the stored records' types.
//! - [`model`] is the only code that reads or writes the lifecycle tables: every transition
//!   of the tracking-code state machine (its table: [`model::TRANSITIONS`]) and the reads
//!   reports need.
//! - [`control`] holds the verbs of the control plane (approve, reject, credit, CA
//!   availability); [`crl`] serves revocation lists.
//!
//! Handlers are synchronous: they read the clock once ([`Ctx::now`]), do their RSA work, and
//! change state in one store transaction. Nothing here knows hyper beyond the request head.

pub mod api;
pub mod control;
pub mod crl;
pub mod ctx;
pub mod endpoints;
pub mod error;
pub mod identity;
pub mod keypool;
pub mod model;
pub mod openapi;
pub mod report;
pub mod routes;
pub mod scenario;
pub mod signature;
pub mod state;
pub mod subject;
pub mod tools;
pub mod wire;
pub mod world;

pub use ctx::Ctx;
pub use world::{Approver, Ca, Customer, Profile, World};

use crate::clock::Clock;
use crate::pipeline::GetCache;
use crate::store::Store;
use error::PkiError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// The PKI API: cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct Pki {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Clock,
    world: Arc<World>,
    base_url: String,
    /// Certificates name the request's `Host` (with this scheme) instead of `base_url`: signsim
    /// is bound to an unspecified address and was given no public URL.
    host_scheme: Option<&'static str>,
    crl_cache: Mutex<HashMap<String, crl::CachedCrl>>,
    keys: keypool::KeyPool,
    /// GetUserCertHistory `rnd` values seen: (customer, rnd) → when.
    replays: Mutex<HashMap<(String, String), OffsetDateTime>>,
    get_cache: GetCache,
    hot: model::Hot,
}

impl Pki {
    /// The API over `store` for a scenario's world; seeds the customers' starting credit.
    pub fn new(
        store: Store,
        clock: Clock,
        world: World,
        base_url: String,
        host_scheme: Option<&'static str>,
    ) -> Result<Pki, PkiError> {
        let keys = keypool::KeyPool::new(world.p12_key_pool);
        let pki = Pki {
            inner: Arc::new(Inner {
                store,
                clock,
                world: Arc::new(world),
                base_url,
                host_scheme,
                crl_cache: Mutex::new(HashMap::new()),
                keys,
                replays: Mutex::new(HashMap::new()),
                get_cache: GetCache::default(),
                hot: model::Hot::new(),
            }),
        };
        pki.seed()?;
        Ok(pki)
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    pub fn world(&self) -> Arc<World> {
        self.inner.world.clone()
    }

    /// Puts the scenario's starting balances in the store for customers that have none yet
    /// (a data directory keeps balances across restarts).
    fn seed(&self) -> Result<(), PkiError> {
        self.model().seed_credit()
    }
}
