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
    pub store: Store,
    pub shared: Shared,
    pub base_url: String,
    pub started: Instant,
    pki: RwLock<Option<Pki>>,
    podpishi: RwLock<Option<Podpishi>>,
    /// The loaded scenario's name and where it came from (reset reloads it).
    loaded: RwLock<(String, ScenarioSource)>,
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

    /// Validates `source` completely; only then empties the store and builds everything anew
    /// from it (clock, faults, APIs, balances). On problems nothing changes.
    pub fn load(&self, source: ScenarioSource) -> Result<(), StartError> {
        let scenario = load_scenario(&source).map_err(StartError::Scenario)?;
        self.store
            .clear_all()
            .map_err(|e| StartError::Store(e.to_string()))?;
        self.install(scenario, source)
    }

    /// Back to the loaded scenario's initial state.
    pub fn reset(&self) -> Result<(), StartError> {
        self.load(self.scenario_source())
    }

    fn install(&self, mut scenario: Scenario, source: ScenarioSource) -> Result<(), StartError> {
        let initial = match self.config.frozen_clock {
            Some(at) => Clock::frozen(at),
            None => scenario.initial_clock(),
        };
        let shared = &self.shared;
        shared.clock.assume(&initial);
        shared.faults.replace(scenario.file.faults.clone());
        for (rule, _) in shared.faults.list() {
            tracing::warn!("fault rule active: {}", rule.describe());
        }
        let pki = match (scenario.file.pki.as_ref(), scenario.pki.take()) {
            (Some(spec), Some(material)) => {
                let world = crate::pki::World::build(spec, material, &scenario.file.policy)
                    .map_err(StartError::Build)?;
                Some(
                    Pki::new(
                        self.store.clone(),
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
                    self.store.clone(),
                    shared.clock.clone(),
                    crate::podpishi::World::build(spec, material),
                )
                .map_err(|e| StartError::Build(e.message))?,
            ),
            _ => None,
        };
        *crate::sync::write(&self.pki) = pki;
        *crate::sync::write(&self.podpishi) = podpishi;
        shared.schedule.install(
            shared.clock.now(),
            &scenario.file.events,
            &scenario.file.reactions,
        );
        *crate::sync::write(&self.loaded) = (scenario.name().to_string(), source);
        Ok(())
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
    if !addr.ip().is_loopback() && config.admin_token.is_none() {
        return Err(StartError::Config(format!(
            "refusing to listen on {addr} without --admin-token: the control API (/__admin) would be open to the network"
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
    let app = App {
        config: config.clone(),
        store,
        shared: Shared {
            journal: Journal::new(config.journal_size),
            admin_journal: Journal::new(crate::journal::ADMIN_CAPACITY),
            faults: Default::default(),
            clock: Clock::system(),
            schedule: Default::default(),
            gate: tokio::sync::RwLock::new(()),
        },
        base_url: base_url.trim_end_matches('/').to_string(),
        started: Instant::now(),
        pki: RwLock::new(None),
        podpishi: RwLock::new(None),
        loaded: RwLock::new((String::new(), config.scenario.clone())),
    };
    app.install(scenario, config.scenario.clone())?;
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
        .any("/api/{*method}", Mount::Pki)
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
