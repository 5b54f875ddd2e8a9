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
//! - [`signing`] verifies CMS signatures against a permission and records them; upload,
//!   `addsignature` and the [`counterparty`] verbs (the control plane's "sign as the
//!   counterparty") share it.
//!
//! Handlers are synchronous: they read the clock once and change state in one store
//! transaction, so a refusal leaves nothing behind.

pub mod api;
pub mod cabinet;
pub mod counterparty;
pub mod ctx;
pub mod documents;
pub mod endpoints;
pub mod error;
pub mod openapi;
pub mod routes;
pub mod scenario;
pub mod signing;
pub mod state;
pub mod wire;
pub mod world;
pub mod xml;

pub use ctx::Ctx;
pub use documents::put_document;
pub use routes::{Reply, COMMANDS};
pub use world::World;
pub use xml::{ok_resp, permission_xml};

use crate::clock::Clock;
use crate::store::{Decoded, Store, Table};
use error::{Kind, PodpishiError};
use state::{keys, Account};
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
                accounts: Decoded::new(Table::PodAccounts),
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
        let world = &self.inner.world;
        self.inner.store.write::<_, PodpishiError>(|tx| {
            for (i, a) in world.spec.accounts.iter().enumerate() {
                let k = keys::account(&a.login);
                if tx.get::<Account, _>(Table::PodAccounts, &k)?.is_some() {
                    continue;
                }
                let sid = a.service_id.unwrap_or(1000 + i as u64 + 1);
                let acc = Account {
                    login: a.login.clone(),
                    apikey: a.apikey.clone(),
                    bins: a.bins.clone(),
                    balance: a.balance,
                    partner: a.partner,
                    blocked: a.blocked,
                    service_id: sid,
                    registered_by: None,
                    remote_id: None,
                };
                tx.put(Table::PodAccounts, &k, &acc)?;
                tx.put(
                    Table::PodAccounts,
                    &keys::service_id(sid),
                    &acc.login.to_lowercase(),
                )?;
                for b in &acc.bins {
                    tx.put(Table::PodAccounts, &keys::bin(b, &acc.login), &())?;
                }
            }
            Ok(())
        })?;
        Ok(())
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
        if login.chars().count() > 30 {
            return Err(auth(format!(
                "login '{login}' is longer than 30 characters"
            )));
        }
        if apikey.chars().count() != 32 {
            return Err(auth(format!(
                "apikey has {} characters; it has exactly 32",
                apikey.chars().count()
            )));
        }
        let acc = self
            .inner
            .store
            .get_decoded(&self.inner.accounts, &keys::account(login))?
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
