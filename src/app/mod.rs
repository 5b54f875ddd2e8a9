//! Wiring: opens the store, loads the scenario, builds each API, binds the listener, and
//! routes each request once, in one table of every API's routes. It handles no API request
//! itself: every one goes through the one pipeline (`pipeline`), handed the route found.
//!
//! Paths: `/api/…` and `/crl/…` belong to the PKI API, `/api.php`, `/apistatus.php` and
//! `/cabinet` to Podpishi, `/__admin/…` to the control API (each API's `routes::paths` says
//! so). A path no API owns gets a 404 naming the method, the path and the active scenario
//! (journaled as API `other`).
//!
//! The APIs are rebuilt — not mutated — when the scenario is reset or replaced: [`App::load`]
//! validates a scenario completely before anything changes, then swaps it in.
//!
//! Files: `startup` binds and builds the [`App`], `mount` is the routing table and what the app
//! answers itself, `serving` keeps each thread's handles to the APIs in force, `scenario` loads
//! a whole scenario, `reactions` performs scheduled events and reactions, `control` is the app
//! as the control API's `Control` handle, `ready` the ready file, `names` the scenario's name
//! checks.

mod control;
pub mod coverage;
mod mount;
pub mod names;
mod reactions;
pub mod ready;
pub mod scenario;
mod serving;
mod startup;

pub use startup::{build, TLS_NAMES};

use crate::clock::Clock;
use crate::config::{Config, ScenarioSource};
use crate::pipeline::Shared;
use crate::pki::Pki;
use crate::podpishi::Podpishi;
use crate::scenario::Problem;
use crate::store::Store;
use scenario::Scenario;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Instant;

pub use scenario::{load as load_scenario, load_embedded, load_file, load_text};

#[derive(Debug)]
pub enum StartError {
    Scenario(Vec<Problem>),
    /// The address could not be bound (in use, not this machine's, a privileged port).
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
    /// The ready file could not be removed or written.
    ReadyFile {
        path: std::path::PathBuf,
        error: String,
    },
    Store(String),
    /// A fresh store could not be made, seeded or switched to (a full disk): the old one stays.
    Switch(crate::store::StoreError),
    Build(String),
    Config(String),
    Tls(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Scenario(ps) => {
                writeln!(f, "the scenario has {} problem(s):", ps.len())?;
                for p in ps {
                    writeln!(f, "  {p}")?;
                }
                Ok(())
            }
            StartError::Bind { addr, error } => {
                write!(f, "cannot listen on {addr}: {error}")?;
                match error.kind() {
                    std::io::ErrorKind::AddrInUse => write!(
                        f,
                        " (another signsim, or another program, is listening there; stop it or pass --addr {}:0 to let the OS pick a free port)",
                        addr.ip()
                    ),
                    std::io::ErrorKind::AddrNotAvailable => {
                        write!(f, " ({} is not an address of this machine)", addr.ip())
                    }
                    std::io::ErrorKind::PermissionDenied => write!(
                        f,
                        " (ports below 1024 need privileges; pick a higher one or 0)"
                    ),
                    _ => Ok(()),
                }
            }
            StartError::ReadyFile { path, error } => {
                write!(f, "--ready-file {}: {error}", path.display())
            }
            StartError::Store(e) => write!(f, "cannot open the store: {e}"),
            StartError::Switch(e) => write!(f, "cannot switch to a fresh store: {e}"),
            StartError::Tls(e) => write!(f, "--tls: {e}"),
            StartError::Build(e) => write!(f, "cannot build the world: {e}"),
            StartError::Config(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// Everything a running emulator is made of.
pub struct App {
    pub config: Config,
    /// Replaced whole by reset and scenario loading (see `store`, generations).
    store: RwLock<Store>,
    pub shared: Shared,
    /// The URL written into certificates (CRL distribution points): `--public-url`, else
    /// the bound address (`127.0.0.1` for an unspecified one).
    pub base_url: String,
    /// The URL a client on this machine uses, for the first stdout line and the ready file.
    pub url: String,
    /// Bound to an unspecified address without `--public-url`: certificates name the host
    /// the request was sent to (its `Host`), with this scheme.
    host_scheme: Option<&'static str>,
    /// `--tls`: the acceptor and the root that issued the server certificate (PEM).
    tls: Option<(crate::server::tls::TlsAcceptor, String)>,
    pub started: Instant,
    pki: RwLock<Option<Pki>>,
    podpishi: RwLock<Option<Podpishi>>,
    /// The two above as each thread serves requests with them.
    serving: serving::Serving,
    /// The loaded scenario's name and where it came from (reset reloads it).
    loaded: RwLock<(String, ScenarioSource)>,
    /// What the loaded scenario's world names (for fault rules sent to the control API).
    names: RwLock<Option<names::Names>>,
}

impl App {
    pub fn pki(&self) -> Option<Pki> {
        crate::sync::read(&self.pki).clone()
    }

    pub fn podpishi(&self) -> Option<Podpishi> {
        crate::sync::read(&self.podpishi).clone()
    }

    /// [`App::pki`] for serving a request: this thread's handle (see `serving`).
    fn serving_pki(&self) -> Option<Arc<Pki>> {
        self.serving.pki(&|| (self.pki(), self.podpishi()))
    }

    /// [`App::podpishi`] for serving a request: this thread's handle.
    fn serving_podpishi(&self) -> Option<Arc<Podpishi>> {
        self.serving.podpishi(&|| (self.pki(), self.podpishi()))
    }

    pub fn scenario_name(&self) -> String {
        crate::sync::read(&self.loaded).0.clone()
    }

    pub fn scenario_source(&self) -> ScenarioSource {
        crate::sync::read(&self.loaded).1.clone()
    }

    /// The effective portability policy: `--portability`, else the scenario's.
    pub fn portability(&self) -> crate::portability::Policy {
        match self.pki() {
            Some(pki) => pki.world().policy.portability,
            None => self
                .podpishi()
                .map(|p| p.world().portability)
                .unwrap_or_default(),
        }
    }

    /// The store in force.
    pub fn store(&self) -> Store {
        crate::sync::read(&self.store).clone()
    }

    /// Validates `source` completely; only then builds everything anew from it (clock,
    /// faults, APIs, balances) on a fresh store, which replaces the old one in one atomic
    /// switch (a crash leaves the old state or the new one, whole). On problems nothing
    /// changes.
    pub fn load(&self, source: ScenarioSource) -> Result<(), StartError> {
        let scenario = load_scenario(&source).map_err(StartError::Scenario)?;
        let fresh = self.store().fresh().map_err(StartError::Switch)?;
        self.install(scenario, source, Some(fresh))
    }

    /// Back to the loaded scenario's initial state.
    pub fn reset(&self) -> Result<(), StartError> {
        self.load(self.scenario_source())
    }

    /// Builds the APIs on `fresh` (or, at start, the store in force), then switches to it.
    fn install(
        &self,
        mut scenario: Scenario,
        source: ScenarioSource,
        fresh: Option<Store>,
    ) -> Result<(), StartError> {
        let initial = match self.config.frozen_clock {
            Some(at) => Clock::frozen(at),
            None => scenario.initial_clock(),
        };
        let shared = &self.shared;
        let store = fresh.clone().unwrap_or_else(|| self.store());
        let mut policy = scenario.file.policy.clone();
        if let Some(p) = self.config.portability {
            policy.portability = p;
        }
        let pki = match (scenario.file.pki.as_ref(), scenario.pki.take()) {
            (Some(spec), Some(material)) => {
                let world =
                    crate::pki::World::build(spec, material, &policy).map_err(StartError::Build)?;
                Some(
                    Pki::new(
                        store.clone(),
                        shared.clock.clone(),
                        world,
                        self.base_url.clone(),
                        self.host_scheme,
                    )
                    .map_err(|e| match e.store_error() {
                        Some(e) => StartError::Switch(e),
                        None => StartError::Build(e.message),
                    })?,
                )
            }
            _ => None,
        };
        let podpishi = match (scenario.file.podpishi.as_ref(), scenario.podpishi.take()) {
            (Some(spec), Some(material)) => Some(
                Podpishi::new(
                    store.clone(),
                    shared.clock.clone(),
                    crate::podpishi::World::build(spec, material, policy.portability),
                )
                .map_err(|e| match e.store_error() {
                    Some(e) => StartError::Switch(e),
                    None => StartError::Build(e.message),
                })?,
            ),
            _ => None,
        };
        if let Some(fresh) = fresh {
            let mut current = crate::sync::write(&self.store);
            fresh.commit(&current).map_err(StartError::Switch)?;
            *current = fresh;
        }
        shared.clock.assume(&initial);
        shared.faults.replace(scenario.file.faults.clone());
        for (rule, _) in shared.faults.list() {
            tracing::warn!("fault rule active: {}", rule.describe());
        }
        *crate::sync::write(&self.pki) = pki;
        *crate::sync::write(&self.podpishi) = podpishi;
        self.serving.replaced();
        shared.schedule.install(
            shared.clock.now(),
            &scenario.file.events,
            &scenario.file.reactions,
        );
        *crate::sync::write(&self.loaded) = (scenario.name().to_string(), source);
        *crate::sync::write(&self.names) = Some(names::Names::of(&scenario.file));
        Ok(())
    }

    /// The TLS acceptor, under `--tls`.
    pub fn tls_acceptor(&self) -> Option<crate::server::tls::TlsAcceptor> {
        self.tls.as_ref().map(|(a, _)| a.clone())
    }

    /// The root (PEM) that issued the TLS server certificate, under `--tls`.
    pub fn tls_root(&self) -> Option<String> {
        self.tls.as_ref().map(|(_, root)| root.clone())
    }

    /// Problems of a fault rule against the loaded world (names that can never match).
    pub fn fault_problems(&self, rule: &crate::faults::FaultRule) -> Vec<(String, String)> {
        crate::sync::read(&self.names)
            .as_ref()
            .map(|n| n.fault_problems(rule))
            .unwrap_or_default()
    }

    /// `memory` or `persistent (DIR)`, for health output.
    pub fn store_mode(&self) -> String {
        match &self.config.data_dir {
            Some(d) => format!("persistent ({})", d.display()),
            None => "memory".into(),
        }
    }
}
