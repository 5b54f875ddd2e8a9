//! Wiring: opens the store, loads the scenario, builds each API, binds the listener, and
//! mounts each API at its paths. It handles no request itself: every request goes through the
//! one pipeline (`pipeline`) of the API that owns its path.
//!
//! Paths: `/api/…` and `/crl/…` belong to the PKI API, `/api.php`, `/apistatus.php` and
//! `/cabinet` to Podpishi, `/__admin/…` to the control API. A path no API owns gets a 404
//! naming the method, the path and the active scenario (journaled as API `other`).
//!
//! The APIs are rebuilt — not mutated — when the scenario is reset or replaced: [`App::load`]
//! validates a scenario completely before anything changes, then swaps it in.

mod control;
pub mod names;
mod reactions;
pub mod scenario;

use crate::admin::Admin;
use crate::clock::Clock;
use crate::config::{Config, ScenarioSource};
use crate::journal::{Journal, Meta};
use crate::pipeline::{self, Answer, Shared};
use crate::pki::Pki;
use crate::podpishi::Podpishi;
use crate::scenario::Problem;
use crate::server::router::{Match, Router};
use crate::server::{Request, Response, Service};
use crate::store::Store;
use scenario::Scenario;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, RwLock};
use std::time::Instant;
use tokio::net::TcpListener;

pub use scenario::{load as load_scenario, load_embedded, load_file, load_text};

#[derive(Debug)]
pub enum StartError {
    Scenario(Vec<Problem>),
    Bind(std::io::Error),
    Store(String),
    Build(String),
    Config(String),
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
            StartError::Bind(e) => write!(f, "cannot listen: {e}"),
            StartError::Store(e) => write!(f, "cannot open the store: {e}"),
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
    pub base_url: String,
    pub started: Instant,
    pki: RwLock<Option<Pki>>,
    podpishi: RwLock<Option<Podpishi>>,
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
        let fresh = self
            .store()
            .fresh()
            .map_err(|e| StartError::Store(e.to_string()))?;
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
                    )
                    .map_err(|e| StartError::Build(e.message))?,
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
                .map_err(|e| StartError::Build(e.message))?,
            ),
            _ => None,
        };
        if let Some(fresh) = fresh {
            let mut current = crate::sync::write(&self.store);
            fresh
                .commit(&current)
                .map_err(|e| StartError::Store(e.to_string()))?;
            *current = fresh;
        }
        shared.clock.assume(&initial);
        shared.faults.replace(scenario.file.faults.clone());
        for (rule, _) in shared.faults.list() {
            tracing::warn!("fault rule active: {}", rule.describe());
        }
        *crate::sync::write(&self.pki) = pki;
        *crate::sync::write(&self.podpishi) = podpishi;
        shared.schedule.install(
            shared.clock.now(),
            &scenario.file.events,
            &scenario.file.reactions,
        );
        *crate::sync::write(&self.loaded) = (scenario.name().to_string(), source);
        *crate::sync::write(&self.names) = Some(names::Names::of(&scenario.file));
        Ok(())
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

/// Binds, loads and builds; returns the listener and the app to serve.
pub async fn build(config: &Config) -> Result<(TcpListener, SocketAddr, Arc<App>), StartError> {
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(StartError::Bind)?;
    let addr = listener.local_addr().map_err(StartError::Bind)?;
    if !addr.ip().is_loopback() && config.token().is_none() {
        return Err(StartError::Config(format!(
            "refusing to listen on {addr} without --admin-token{}: the control API (/__admin) would be open to the network",
            if config.admin_token.is_some() { " (the token given is blank, which is no token)" } else { "" }
        )));
    }
    let scenario = load_scenario(&config.scenario).map_err(StartError::Scenario)?;
    let store =
        Store::open(config.data_dir.as_deref()).map_err(|e| StartError::Store(e.to_string()))?;
    let base_url = config.public_url.clone().unwrap_or_else(|| {
        let host = if addr.ip().is_unspecified() {
            SocketAddr::from(([127, 0, 0, 1], addr.port()))
        } else {
            addr
        };
        format!("http://{host}")
    });
    let mut config = config.clone();
    // A blank token is no token: what the control API checks is never "".
    config.admin_token = config.token().map(str::to_string);
    let app = App {
        config: config.clone(),
        store: RwLock::new(store),
        shared: Shared {
            journal: Journal::with_budget(config.journal_size, config.journal_bytes),
            faults: Default::default(),
            clock: Clock::system(),
            schedule: Default::default(),
            warnings: Default::default(),
            gate: tokio::sync::RwLock::new(()),
        },
        base_url: base_url.trim_end_matches('/').to_string(),
        started: Instant::now(),
        pki: RwLock::new(None),
        podpishi: RwLock::new(None),
        loaded: RwLock::new((String::new(), config.scenario.clone())),
        names: RwLock::new(None),
    };
    app.install(scenario, config.scenario.clone(), None)?;
    Ok((listener, addr, Arc::new(app)))
}

/// Which API owns a path.
#[derive(Clone, Copy)]
enum Mount {
    Pki,
    Podpishi,
    Admin,
}

#[rustfmt::skip]
static MOUNTS: LazyLock<Router<Mount>> = LazyLock::new(|| {
    Router::new(false)
        // ASP.NET routes are case-insensitive, `/API/GetCAList` included; PHP file names are not.
        .any_case("/api/{*method}", Mount::Pki)
        .any("/crl/{*file}", Mount::Pki)
        .any("/api.php", Mount::Podpishi)
        .any("/apistatus.php", Mount::Podpishi)
        .any("/cabinet", Mount::Podpishi)
        .any("/__admin", Mount::Admin)
        .any("/__admin/{*route}", Mount::Admin)
});

/// The service: scheduled actions that are due, then the owning API's pipeline.
pub fn service(app: Arc<App>) -> Service {
    Arc::new(move |req: Request, peer: SocketAddr| {
        let app = app.clone();
        Box::pin(async move {
            app.run_due();
            let resp = dispatch(&app, req, peer).await;
            app.run_due();
            resp
        })
    })
}

async fn dispatch(app: &Arc<App>, req: Request, peer: SocketAddr) -> Response {
    let shared = &app.shared;
    let mount = match MOUNTS.find(req.method(), req.uri().path()) {
        Match::Found { handler, .. } => Some(*handler),
        _ => None,
    };
    match mount {
        Some(Mount::Admin) => {
            let admin = Admin {
                control: app.clone(),
                peer,
            };
            return pipeline::serve(&admin, shared, req).await;
        }
        Some(Mount::Pki) => {
            if let Some(pki) = app.pki() {
                return pipeline::serve(&pki, shared, req).await;
            }
        }
        Some(Mount::Podpishi) => {
            if let Some(pod) = app.podpishi() {
                return pipeline::serve(&pod, shared, req).await;
            }
        }
        None => {}
    }
    nothing_here(app, req)
}

/// A path no API of the loaded scenario owns.
fn nothing_here(app: &App, req: Request) -> Response {
    let (head, _) = req.into_parts();
    let seen = pipeline::Seen::of(&head);
    let body = serde_json::json!({
        "error": format!(
            "signsim has nothing at {} {}: scenario '{}' serves /api/{{Method}} and /crl/{{caName}}.crl (PKI RA), /api.php, /apistatus.php and /cabinet (Podpishi.Online), and /__admin/",
            head.method,
            head.uri.path(),
            app.scenario_name()
        )
    });
    let answer = Answer::new(404, "application/json; charset=utf-8", body.to_string());
    pipeline::finish(&app.shared, seen, Meta::new("other", ""), answer)
}
