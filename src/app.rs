//! Wiring: opens the store, loads the scenario, builds each API, binds the listener, and
//! routes a request to the API that owns its path. It handles no request itself.
//!
//! Paths: `/api/…` and `/crl/…` belong to the PKI API. Every response carries
//! `X-Signsim: <version>` so a client can tell the emulator from the real service. A path no
//! API owns gets a 404 naming the method, the path and the active scenario.

use crate::clock::Clock;
use crate::config::{Config, ScenarioSource};
use crate::pki::Pki;
use crate::scenario::{self, Problem, Scenario};
use crate::server::{Request, Response, Service};
use crate::store::Store;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug)]
pub enum StartError {
    Scenario(Vec<Problem>),
    Bind(std::io::Error),
    Store(String),
    Build(String),
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
        }
    }
}

impl std::error::Error for StartError {}

pub fn load_scenario(source: &ScenarioSource) -> Result<Scenario, Vec<Problem>> {
    match source {
        ScenarioSource::Embedded => scenario::load_embedded(),
        ScenarioSource::File(path) => scenario::load_file(path),
        ScenarioSource::Text { text, base } => {
            scenario::load_text(text, "(text)", Some(base.clone()))
        }
    }
}

/// Everything a running emulator is made of.
pub struct App {
    pub pki: Option<Pki>,
    pub podpishi: Option<crate::podpishi::Podpishi>,
    pub store: Store,
    pub clock: Clock,
    pub scenario_name: String,
}

/// Binds, loads and builds; returns the listener and the service to run on it.
pub async fn build(config: &Config) -> Result<(TcpListener, SocketAddr, Arc<App>), StartError> {
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(StartError::Bind)?;
    let addr = listener.local_addr().map_err(StartError::Bind)?;
    let mut scenario = load_scenario(&config.scenario).map_err(StartError::Scenario)?;
    let store =
        Store::open(config.data_dir.as_deref()).map_err(|e| StartError::Store(e.to_string()))?;
    let clock = match config.frozen_clock {
        Some(at) => Clock::frozen(at),
        None => scenario.initial_clock(),
    };
    let base_url = config.public_url.clone().unwrap_or_else(|| {
        let host = if addr.ip().is_unspecified() {
            SocketAddr::from(([127, 0, 0, 1], addr.port()))
        } else {
            addr
        };
        format!("http://{host}")
    });
    let pki = match (scenario.file.pki.as_ref(), scenario.pki.take()) {
        (Some(spec), Some(material)) => {
            let world = crate::pki::World::build(spec, material, &scenario.file.policy)
                .map_err(StartError::Build)?;
            Some(
                Pki::new(
                    store.clone(),
                    clock.clone(),
                    world,
                    base_url.trim_end_matches('/').to_string(),
                )
                .map_err(|e| StartError::Build(e.message))?,
            )
        }
        _ => None,
    };
    let podpishi = match (scenario.file.podpishi.as_ref(), scenario.podpishi.take()) {
        (Some(spec), Some(material)) => Some(
            crate::podpishi::Podpishi::new(
                store.clone(),
                clock.clone(),
                crate::podpishi::World::build(spec, material),
            )
            .map_err(|e| StartError::Build(e.message))?,
        ),
        _ => None,
    };
    let app = App {
        pki,
        podpishi,
        store,
        clock,
        scenario_name: scenario.name().to_string(),
    };
    Ok((listener, addr, Arc::new(app)))
}

/// The service: dispatch by path, stamp the emulator header.
pub fn service(app: Arc<App>) -> Service {
    Arc::new(move |req: Request, _peer: SocketAddr| {
        let app = app.clone();
        Box::pin(async move {
            let mut resp = dispatch(&app, req).await;
            resp.headers_mut()
                .insert("x-signsim", HeaderValue::from_static(VERSION));
            resp
        })
    })
}

async fn dispatch(app: &App, req: Request) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") || path.starts_with("/crl/") {
        if let Some(pki) = &app.pki {
            return pki.handle(req).await;
        }
    }
    if path == "/api.php"
        || path == "/apistatus.php"
        || path == "/cabinet"
        || path.starts_with("/__admin/podpishi/")
    {
        if let Some(pod) = &app.podpishi {
            return pod.handle(req).await;
        }
    }
    let body = serde_json::json!({
        "error": format!(
            "signsim has nothing at {} {}: scenario '{}' serves /api/{{Method}} and /crl/{{caName}}.crl (PKI RA), /api.php, /apistatus.php and /cabinet (Podpishi.Online)",
            req.method(),
            path,
            app.scenario_name
        )
    });
    hyper::Response::builder()
        .status(404)
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}
