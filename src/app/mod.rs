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
pub mod ready;
pub mod scenario;

use crate::admin::Admin;
use crate::clock::Clock;
use crate::config::{AdminAccess, Config, ScenarioSource};
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
                        self.host_scheme,
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

/// Binds, loads and builds; returns the listener and the app to serve.
pub async fn build(config: &Config) -> Result<(TcpListener, SocketAddr, Arc<App>), StartError> {
    let bind_error = |error| StartError::Bind {
        addr: config.addr,
        error,
    };
    let listener = TcpListener::bind(config.addr).await.map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    match config.admin_access() {
        AdminAccess::Loopback if !addr.ip().is_loopback() => {
            return Err(StartError::Config(format!(
                "refusing to listen on {addr} without --admin-token{}: the control API (/__admin) would be open to the network; give a token (SIGNSIM_ADMIN_TOKEN), or --admin-open (SIGNSIM_ADMIN_OPEN=true) when only you can reach this address (a container whose port is published on 127.0.0.1)",
                if config.admin_token.is_some() { " (the token given is blank, which is no token)" } else { "" }
            )));
        }
        AdminAccess::Open if !addr.ip().is_loopback() => tracing::warn!(
            "the control API (/__admin) answers every client that reaches {addr} without a token (--admin-open): publish this port on 127.0.0.1 only, or set SIGNSIM_ADMIN_TOKEN"
        ),
        _ => {}
    }
    let scenario = load_scenario(&config.scenario).map_err(StartError::Scenario)?;
    let store = Store::open(config.data_dir.as_deref()).map_err(|e| {
        StartError::Store(match &config.data_dir {
            Some(d) => format!("--data-dir {}: {e}", d.display()),
            None => e.to_string(),
        })
    })?;
    let scheme = if config.tls { "https" } else { "http" };
    let local = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    let local_url = format!("{scheme}://{local}");
    let public = match &config.public_url {
        Some(u) => Some(public_url(u)?),
        None => None,
    };
    let base_url = public.clone().unwrap_or_else(|| local_url.clone());
    let host_scheme = (public.is_none() && addr.ip().is_unspecified()).then_some(scheme);
    let tls = if config.tls {
        Some(tls_material(config, public.as_deref(), addr)?)
    } else {
        None
    };
    let mut config = config.clone();
    // A blank token is no token: what the control API checks is never "".
    config.admin_token = config.token().map(str::to_string);
    let app = App {
        config: config.clone(),
        store: RwLock::new(store),
        shared: Shared {
            journal: Journal::with_budget(config.journal_size, config.journal_bytes),
            admin_journal: Journal::new(crate::journal::ADMIN_CAPACITY),
            faults: Default::default(),
            clock: Clock::system(),
            schedule: Default::default(),
            warnings: Default::default(),
            gate: tokio::sync::RwLock::new(()),
        },
        // Bound to a definite address, the first stdout line and the ready file name it (a
        // client on this machine connects there); bound to 0.0.0.0, the public URL.
        url: if addr.ip().is_unspecified() {
            base_url.clone()
        } else {
            local_url.clone()
        },
        base_url,
        host_scheme,
        tls,
        started: Instant::now(),
        pki: RwLock::new(None),
        podpishi: RwLock::new(None),
        loaded: RwLock::new((String::new(), config.scenario.clone())),
        names: RwLock::new(None),
    };
    app.install(scenario, config.scenario.clone(), None)?;
    Ok((listener, addr, Arc::new(app)))
}

/// `--public-url`: an absolute http(s) URL without a path, query or fragment (certificates
/// append `/crl/…` to it), without a trailing `/`.
fn public_url(url: &str) -> Result<String, StartError> {
    let bad = |why: &str| {
        StartError::Config(format!(
            "--public-url '{url}' {why}: give the scheme, host and port clients use, e.g. http://signsim:8080"
        ))
    };
    let trimmed = url.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))
        .ok_or_else(|| bad("does not start with http:// or https://"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ']) {
        return Err(bad("is not a scheme and a host[:port] only"));
    }
    Ok(trimmed.to_string())
}

/// The names the TLS server certificate covers: the API hosts integrators hard-code, this
/// machine, the `--public-url` host, a specific bound address, and every `--tls-name`.
pub const TLS_NAMES: &[&str] = &[
    "localhost",
    "127.0.0.1",
    "api.pki.co.ir",
    "www.podpishi.kz",
    "api.podpishi.kz",
];

fn tls_material(
    config: &Config,
    public: Option<&str>,
    addr: SocketAddr,
) -> Result<(crate::server::tls::TlsAcceptor, String), StartError> {
    use crate::scenario::embedded::fixture;
    let mut names: Vec<String> = TLS_NAMES.iter().map(|n| n.to_string()).collect();
    if let Some(host) = public.and_then(|u| u.split("://").nth(1)) {
        let host = match host.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => host,
        };
        names.push(
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
        );
    }
    if !addr.ip().is_unspecified() {
        names.push(addr.ip().to_string());
    }
    for n in &config.tls_names {
        if n.is_empty() || (n.contains(['/', ' ', ':']) && n.parse::<std::net::IpAddr>().is_err()) {
            return Err(StartError::Tls(format!(
                "--tls-name '{n}' is not a DNS name or an IP address"
            )));
        }
        names.push(n.clone());
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.to_ascii_lowercase()));
    let (root_pem, root_key) = match (fixture("pki/root-ca.pem"), fixture("pki/root-ca.key")) {
        (Some(c), Some(k)) => (c, k),
        _ => return Err(StartError::Tls("the test root is not embedded".into())),
    };
    let root = crate::crypto::x509::CaSigner::load(root_pem, root_key)
        .map_err(|e| StartError::Tls(format!("the test root: {e}")))?;
    let (cert, key) =
        crate::crypto::x509::issue_tls_server(&root, &names, crate::clock::wall_now())
            .map_err(StartError::Tls)?;
    tracing::info!("TLS server certificate for {}", names.join(", "));
    let acceptor = crate::server::tls::acceptor(vec![cert, root.cert_der.clone()], key)
        .map_err(StartError::Tls)?;
    Ok((acceptor, root_pem.to_string()))
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
    let mount = match MOUNTS.find(req.method(), req.uri().path()) {
        Match::Found { handler, .. } => Some(*handler),
        _ => None,
    };
    let api = match mount {
        Some(Mount::Pki) => Some("pki"),
        Some(Mount::Podpishi) => Some("podpishi"),
        _ => None,
    };
    match api {
        Some(api) if app.config.cors => {
            if req.method() == hyper::Method::OPTIONS
                && req.headers().contains_key("access-control-request-method")
            {
                return preflight(app, req, api);
            }
            let mut resp = route(app, mount, req, peer).await;
            allow_origin(resp.headers_mut());
            resp
        }
        _ => route(app, mount, req, peer).await,
    }
}

/// `--cors`: any origin may call the APIs from a browser (not the control API, which a web page
/// must not drive); these response headers may be read by its script.
fn allow_origin(headers: &mut hyper::HeaderMap) {
    use hyper::header::HeaderValue;
    headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("X-Signsim, X-Signsim-Request-Id, Content-Disposition"),
    );
}

/// A browser's CORS preflight for an API path under `--cors`: 204, the methods the APIs take,
/// the headers the page asked for; journaled as the API's `cors-preflight`.
fn preflight(app: &App, req: Request, api: &'static str) -> Response {
    let (head, _) = req.into_parts();
    let seen = pipeline::Seen::of(&head);
    let asked = pipeline::header(&head, hyper::header::ACCESS_CONTROL_REQUEST_HEADERS);
    let allowed = if asked
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_, ".contains(c))
        && !asked.is_empty()
    {
        asked.to_string()
    } else {
        "Content-Type".to_string()
    };
    let answer = Answer::new(204, "text/plain; charset=utf-8", "")
        .with_header(
            hyper::header::ACCESS_CONTROL_ALLOW_METHODS,
            "GET, POST, OPTIONS",
        )
        .with_header(hyper::header::ACCESS_CONTROL_ALLOW_HEADERS, &allowed)
        .with_header(hyper::header::ACCESS_CONTROL_MAX_AGE, "600");
    let mut meta = Meta::new(api, "cors-preflight");
    meta.success = Some(true);
    let mut resp = pipeline::finish(&app.shared, seen, meta, answer);
    allow_origin(resp.headers_mut());
    resp
}

async fn route(app: &Arc<App>, mount: Option<Mount>, req: Request, peer: SocketAddr) -> Response {
    let shared = &app.shared;
    match mount {
        // What people type for the dashboard; the control API's routes stay its own.
        Some(Mount::Admin)
            if req.method() == hyper::Method::GET
                && matches!(req.uri().path(), "/__admin" | "/__admin/") =>
        {
            return to_dashboard(app, req.into_parts().0);
        }
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

/// `GET /`, `/__admin` and `/__admin/`: where a person opening signsim's URL in a browser
/// lands (`docker run -p 127.0.0.1:8080:8080 …`, then http://localhost:8080). They are sent
/// to the dashboard, with the endpoints listed for a client that does not follow.
fn to_dashboard(app: &App, head: hyper::http::request::Parts) -> Response {
    let seen = pipeline::Seen::of(&head);
    let body = format!(
        "signsim {}: the dashboard is at /__admin/ui; scenario '{}' serves /api/{{Method}} and /crl/{{caName}}.crl (PKI RA), /api.php, /apistatus.php and /cabinet (Podpishi.Online), and the control API under /__admin/\n",
        crate::VERSION,
        app.scenario_name()
    );
    let answer = Answer::new(303, "text/plain; charset=utf-8", body)
        .with_header(hyper::header::LOCATION, "/__admin/ui");
    pipeline::finish(&app.shared, seen, Meta::new("other", ""), answer)
}

/// A path no API of the loaded scenario owns.
fn nothing_here(app: &App, req: Request) -> Response {
    let (head, _) = req.into_parts();
    let seen = pipeline::Seen::of(&head);
    if head.method == hyper::Method::GET && head.uri.path() == "/" {
        return to_dashboard(app, head);
    }
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
