//! The Podpishi.Online API (Kazakhstan), as docs/podpishi.md and its
//! "Podpishi.Online choices" describe it.
//!
//! - [`routes`] holds the route tables: `POST /api.php` (upload, [`endpoints::upload`]),
//!   `POST /apistatus.php` (the commands of [`routes::COMMANDS`], one file per `oper` under
//!   [`endpoints`]) and the minimal web [`cabinet`] `GET /cabinet`.
//! - [`api`] puts the API in the request pipeline (`pipeline`): it reads the form,
//!   authenticates, decodes the command, and maps every [`error::PodpishiError`] to the wire in
//!   one place ([`error::PodpishiError::to_xml`]).
//! - [`world`] is the scenario as handlers need it, validated by [`scenario`]; [`ctx`] is what
//!   a command may use; [`state`] holds the stored records; [`xml`] writes answers.
//! - [`model`] is the only code that reads or writes the stored records ([`state`]): every
//!   state change (upload, sign, refuse, delete a permission, invoices, partner packages,
//!   registrations, sessions, the outbox) is one function there, writing in one store
//!   transaction; [`model::TRANSITIONS`] is the permission state machine.
//! - [`signing`] judges CMS signatures against a permission; upload, `addsignature` and the
//!   [`counterparty`] verbs (the control plane's "sign as the counterparty") use it, and all
//!   paths that sign go through [`model::permissions::sign`].
//!
//! Handlers are synchronous: they parse, authorize, read the clock once and make one model
//! call, so a refusal leaves nothing behind.

pub mod api;
pub mod cabinet;
pub mod counterparty;
pub mod ctx;
pub mod endpoints;
pub mod error;
pub mod model;
pub mod openapi;
pub mod routes;
pub mod scenario;
pub mod signing;
pub mod state;
pub mod wire;
pub mod world;
pub mod xml;

pub use ctx::Ctx;
pub use routes::{Reply, COMMANDS};
pub use world::World;
pub use xml::{ok_resp, permission_xml};

use crate::clock::Clock;
use crate::store::{Decoded, Store};
use error::{Kind, PodpishiError};
use state::Account;
use std::sync::Arc;
use time::OffsetDateTime;

/// The Podpishi API: cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct Podpishi {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Clock,
    world: World,
    /// The account of every request, decoded once per stored version.
    accounts: Decoded<Account>,
}

impl Podpishi {
    /// The API over `store` for a scenario's world; seeds the scenario's accounts.
    pub fn new(store: Store, clock: Clock, world: World) -> Result<Podpishi, PodpishiError> {
        let p = Podpishi {
            inner: Arc::new(Inner {
                store,
                clock,
                world,
                accounts: model::accounts::cache(),
            }),
        };
        p.seed()?;
        Ok(p)
    }

    pub fn world(&self) -> &World {
        &self.inner.world
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    /// Puts the scenario's accounts in the store unless a data directory already has them.
    fn seed(&self) -> Result<(), PodpishiError> {
        model::accounts::seed(&self.inner.store, &self.inner.world.spec.accounts)
    }

    /// login + apikey → the account (request-level `Authorization error (code=0)` otherwise).
    pub fn authenticate(
        &self,
        login: Option<&str>,
        apikey: Option<&str>,
        warnings: &mut Vec<crate::journal::Warning>,
    ) -> Result<Arc<Account>, PodpishiError> {
        let auth = |m: String| PodpishiError::new(Kind::Authorization, m);
        let login = login.map(str::trim).unwrap_or_default();
        let apikey = apikey.map(str::trim).unwrap_or_default();
        if login.is_empty() {
            return Err(auth("login is missing".into()));
        }
        if apikey.is_empty() {
            return Err(auth("apikey is missing".into()));
        }
        // Characters, counted only beyond ASCII (where each byte is one).
        let chars = |s: &str| {
            if s.is_ascii() {
                s.len()
            } else {
                s.chars().count()
            }
        };
        if chars(login) > 30 {
            return Err(auth(format!(
                "login '{login}' is longer than 30 characters"
            )));
        }
        if chars(apikey) != 32 {
            return Err(auth(format!(
                "apikey has {} characters; it has exactly 32",
                chars(apikey)
            )));
        }
        let acc = model::accounts::cached(&self.inner.store, &self.inner.accounts, login)?
            .ok_or_else(|| auth(format!("login '{login}' is not an account of this service")))?;
        if acc.apikey != apikey {
            return Err(auth(format!("apikey is not the key of account '{login}' (see Управление in the cabinet; the scenario's accounts list it)")));
        }
        if acc.login != login {
            ctx::portable(
                self.world(),
                warnings,
                "login-case",
                format!(
                    "login '{login}' matched account '{}' only case-insensitively",
                    acc.login
                ),
            )?;
        }
        Ok(acc)
    }
}
