//! Wiring: opens the store, loads the scenario, builds each API, binds the listener, and
//! routes a request to the API that owns its path. It handles no request itself.
//!
//! Paths: `/api/…` and `/crl/…` belong to the PKI API, `/__admin/…` to the control API.
//! Every request gets an id (`X-Signsim-Request-Id`) and a journal entry; every response
//! carries `X-Signsim: <version>` so a client can tell the emulator from the real service. A
//! path no API owns gets a 404 naming the method, the path and the active scenario.
//!
//! The APIs are rebuilt — not mutated — when the scenario is reset or replaced: [`App::load`]
//! validates a scenario completely before anything changes, then swaps it in.

use crate::clock::Clock;
use crate::config::{Config, ScenarioSource};
use crate::faults::Faults;
use crate::journal::{Entry, Journal, Meta};
use crate::pki::Pki;
use crate::scenario::{self, Problem, Scenario};
use crate::server::{Request, Response, Service};
use crate::store::Store;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tokio::net::TcpListener;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

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

pub fn load_scenario(source: &ScenarioSource) -> Result<Scenario, Vec<Problem>> {
    match source {
        ScenarioSource::Embedded => scenario::load_embedded(),
        ScenarioSource::File(path) => scenario::load_file(path),
        ScenarioSource::Text { text, base } => {
            scenario::load_text(text, "(text)", Some(base.clone()))
        }
    }
}

/// The loaded scenario as the control API needs it to reset or describe.
#[derive(Clone)]
pub struct Loaded {
    pub name: String,
    pub source: ScenarioSource,
}

/// Everything a running emulator is made of.
pub struct App {
    pub config: Config,
    pub store: Store,
    pub clock: Clock,
    pub journal: Journal,
    pub faults: Arc<Faults>,
    pub schedule: crate::events::Schedule,
    pub base_url: String,
    pub started: Instant,
    /// API requests hold it shared while they run; reset and scenario loading take it
    /// exclusively, so no request of the old world writes into the store of the new one.
    pub gate: tokio::sync::RwLock<()>,
    pki: RwLock<Option<Pki>>,
    podpishi: RwLock<Option<crate::podpishi::Podpishi>>,
    loaded: RwLock<Loaded>,
}

impl App {
    pub fn pki(&self) -> Option<Pki> {
        crate::sync::read(&self.pki).clone()
    }

    pub fn podpishi(&self) -> Option<crate::podpishi::Podpishi> {
        crate::sync::read(&self.podpishi)
            .clone()
    }

    pub fn loaded(&self) -> Loaded {
        crate::sync::read(&self.loaded)
            .clone()
    }

    pub fn scenario_name(&self) -> String {
        self.loaded().name
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
        self.load(self.loaded().source)
    }

    fn install(&self, mut scenario: Scenario, source: ScenarioSource) -> Result<(), StartError> {
        let initial = match self.config.frozen_clock {
            Some(at) => Clock::frozen(at),
            None => scenario.initial_clock(),
        };
        self.clock.assume(&initial);
        self.faults.replace(scenario.file.faults.clone());
        for (rule, _) in self.faults.list() {
            tracing::warn!(
                "fault rule active: {} ({:?} on {} {:?}, {:?})",
                rule.name,
                rule.action,
                rule.api,
                rule.operation,
                rule.trigger
            );
        }
        let pki = match (scenario.file.pki.as_ref(), scenario.pki.take()) {
            (Some(spec), Some(material)) => {
                let world = crate::pki::World::build(spec, material, &scenario.file.policy)
                    .map_err(StartError::Build)?;
                Some(
                    Pki::new(
                        self.store.clone(),
                        self.clock.clone(),
                        world,
                        self.base_url.clone(),
                        self.faults.clone(),
                    )
                    .map_err(|e| StartError::Build(e.message))?,
                )
            }
            _ => None,
        };
        let podpishi = match (scenario.file.podpishi.as_ref(), scenario.podpishi.take()) {
            (Some(spec), Some(material)) => Some(
                crate::podpishi::Podpishi::new(
                    self.store.clone(),
                    self.clock.clone(),
                    crate::podpishi::World::build(spec, material),
                    self.faults.clone(),
                )
                .map_err(|e| StartError::Build(e.message))?,
            ),
            _ => None,
        };
        *crate::sync::write(&self.pki) = pki;
        *crate::sync::write(&self.podpishi) = podpishi;
        self.schedule.install(
            self.clock.now(),
            &scenario.file.events,
            &scenario.file.reactions,
        );
        *crate::sync::write(&self.loaded) = Loaded {
            name: scenario.name().to_string(),
            source,
        };
        Ok(())
    }
}

impl App {
    /// Runs every scheduled event and reaction whose time has come on the scenario clock.
    pub fn run_due(&self) {
        loop {
            let due = self.schedule.due(self.clock.now());
            if due.is_empty() {
                return;
            }
            for p in due {
                let outcome = self.perform(&p);
                let line = format!(
                    "{} → {:?} on {}: {}",
                    p.origin,
                    p.action,
                    p.record.as_deref().unwrap_or("-"),
                    match &outcome {
                        Ok(m) => m.clone(),
                        Err(e) => format!("failed: {e}"),
                    }
                );
                tracing::info!("scenario: {line}");
                self.journal.push(Entry {
                    id: self.journal.next_id(),
                    time: self.clock.now(),
                    method: "-".into(),
                    path: "-".into(),
                    content_type: String::new(),
                    api: "scenario",
                    operation: if p.origin.starts_with("events") {
                        "event".into()
                    } else {
                        "reaction".into()
                    },
                    request: Value::String(p.origin.clone()),
                    status: if outcome.is_ok() { 200 } else { 409 },
                    success: Some(outcome.is_ok()),
                    response: crate::journal::Body::text(&line),
                    duration_us: 0,
                    fault: None,
                    diagnostics: vec![],
                    record: p.record.clone(),
                });
                self.schedule.record_done(line);
            }
        }
    }

    /// The counterparty's cabinet step on a document (see `podpishi::endpoints::admin::sign`).
    fn counterparty(&self, record: &str, request: Value) -> Result<u64, String> {
        let pod = self
            .podpishi()
            .ok_or_else(|| "the scenario has no [podpishi] section".to_string())?;
        let num: u64 = record
            .parse()
            .map_err(|_| format!("record '{record}' is not a document number"))?;
        crate::podpishi::endpoints::admin::sign(&pod, num, request.to_string().as_bytes())
            .map_err(|e| e.message)?;
        Ok(num)
    }

    fn perform(&self, p: &crate::events::Pending) -> Result<String, String> {
        use crate::events::ActionSpec as A;
        let pki = || {
            self.pki()
                .ok_or_else(|| "the scenario has no [pki] section".to_string())
        };
        let record = || {
            p.record
                .clone()
                .ok_or_else(|| "the triggering request named no record".to_string())
        };
        match &p.action {
            A::Approve { approver } => {
                let rec = pki()?
                    .approve(
                        &record()?,
                        approver.as_deref().unwrap_or("scenario reaction"),
                    )
                    .map_err(|e| e.message)?;
                Ok(format!("tracking code {} approved", rec.code))
            }
            A::Reject { reason } => {
                let rec = pki()?
                    .reject(
                        &record()?,
                        reason.as_deref().unwrap_or("rejected by the scenario"),
                    )
                    .map_err(|e| e.message)?;
                Ok(format!("tracking code {} rejected", rec.code))
            }
            A::CaAvailability { ca, available } => {
                pki()?
                    .set_available(ca, *available)
                    .map_err(|e| e.message)?;
                Ok(format!(
                    "CA {ca} {}",
                    if *available {
                        "available"
                    } else {
                        "unavailable"
                    }
                ))
            }
            A::ClockJump { by } => {
                let d = crate::clock::parse_duration(by)?;
                self.clock.advance(d)?;
                Ok(format!("clock moved by {by}"))
            }
            A::Credit { customer, set, add } => {
                let (amount, is_add) = match (set, add) {
                    (Some(n), None) => (*n, false),
                    (None, Some(n)) => (*n, true),
                    _ => return Err("give exactly one of set, add".into()),
                };
                let credit = pki()?
                    .change_credit(customer, amount, is_add)
                    .map_err(|e| e.message)?;
                Ok(format!("customer {customer} credit is now {credit}"))
            }
            A::Sign { signer } => {
                let num = self.counterparty(
                    &record()?,
                    serde_json::json!({"signer": signer, "action": "sign"}),
                )?;
                Ok(format!("document {num} signed by {signer}"))
            }
            A::Refuse { reason } => {
                let num = self.counterparty(
                    &record()?,
                    serde_json::json!({"action": "refuse", "reason": reason}),
                )?;
                Ok(format!("document {num}: the counterparty refused"))
            }
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
        clock: Clock::system(),
        journal: Journal::new(config.journal_size),
        faults: Arc::new(Faults::default()),
        schedule: crate::events::Schedule::default(),
        base_url: base_url.trim_end_matches('/').to_string(),
        started: Instant::now(),
        gate: tokio::sync::RwLock::new(()),
        pki: RwLock::new(None),
        podpishi: RwLock::new(None),
        loaded: RwLock::new(Loaded {
            name: String::new(),
            source: config.scenario.clone(),
        }),
    };
    app.install(scenario, config.scenario.clone())?;
    Ok((listener, addr, Arc::new(app)))
}

/// The service: request id, dispatch by path, journal, emulator header.
pub fn service(app: Arc<App>) -> Service {
    Arc::new(move |req: Request, peer: SocketAddr| {
        let app = app.clone();
        Box::pin(async move {
            let started = Instant::now();
            let method = req.method().to_string();
            let path = req.uri().path().to_string();
            let content_type = req
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            app.run_due();
            let resp = dispatch(&app, req, peer).await;
            let (mut parts, body) = resp.into_parts();
            let bytes = body
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            let meta = parts.extensions.remove::<Meta>().unwrap_or_default();
            app.schedule.observe(&meta, app.clock.now());
            let fault = meta
                .diagnostics
                .iter()
                .find(|d| d.starts_with("fault "))
                .map(|d| d[6..].to_string());
            let status = parts.status.as_u16();
            let id = app.journal.next_id();
            app.journal.push(Entry {
                id,
                time: app.clock.now(),
                method,
                path,
                content_type,
                api: if meta.api.is_empty() {
                    "other"
                } else {
                    meta.api
                },
                operation: meta.operation,
                request: meta.request,
                status,
                success: meta.success,
                response: crate::journal::Body::new(
                    parts
                        .headers
                        .get(CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or(""),
                    &bytes,
                ),
                duration_us: started.elapsed().as_micros() as u64,
                fault,
                diagnostics: meta.diagnostics,
                record: meta.record,
            });
            parts
                .headers
                .insert("x-signsim", HeaderValue::from_static(VERSION));
            if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
                parts.headers.insert("x-signsim-request-id", v);
            }
            app.run_due();
            Response::from_parts(parts, Full::new(bytes))
        })
    })
}

async fn dispatch(app: &Arc<App>, req: Request, peer: SocketAddr) -> Response {
    let path = req.uri().path();
    if path.starts_with("/__admin") {
        return crate::admin::handle(app, req, peer).await;
    }
    let _shared = app.gate.read().await;
    if path.starts_with("/api/") || path.starts_with("/crl/") {
        if let Some(pki) = app.pki() {
            return pki.handle(req).await;
        }
    }
    if path == "/api.php" || path == "/apistatus.php" || path == "/cabinet" {
        if let Some(pod) = app.podpishi() {
            return pod.handle(req).await;
        }
    }
    let body = serde_json::json!({
        "error": format!(
            "signsim has nothing at {} {}: scenario '{}' serves /api/{{Method}} and /crl/{{caName}}.crl (PKI RA), /api.php, /apistatus.php and /cabinet (Podpishi.Online), and /__admin/",
            req.method(),
            path,
            app.scenario_name()
        )
    });
    hyper::Response::builder()
        .status(404)
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

/// Where the data directory is, for health output.
pub fn store_mode(config: &Config) -> String {
    match &config.data_dir {
        Some(d) => format!("persistent ({})", d.display()),
        None => "memory".into(),
    }
}
