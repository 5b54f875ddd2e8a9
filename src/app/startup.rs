//! Start-up: bind the listener, refuse an exposed control API without a token or
//! `--admin-open`, load the scenario, open the store, settle the public URL and, under
//! `--tls`, issue the server certificate; then build the [`App`].

use super::{load_scenario, App, StartError};
use crate::clock::Clock;
use crate::config::{AdminAccess, Config};
use crate::journal::Journal;
use crate::pipeline::Shared;
use crate::store::Store;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tokio::net::TcpListener;

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
    let store = Store::open_with(config.data_dir.as_deref(), &config.store).map_err(|e| {
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
            coverage: Default::default(),
            gate: tokio::sync::RwLock::new(()),
            stalls: Default::default(),
            revision: Default::default(),
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
        serving: Default::default(),
        loaded: RwLock::new((String::new(), config.scenario.clone())),
        names: RwLock::new(None),
    };
    app.install(scenario, config.scenario.clone(), None)?;
    app.shared.coverage.install(super::coverage::universe());
    super::mount::build_table();
    Ok((listener, addr, Arc::new(app)))
}

/// `--public-url`: an absolute http(s) URL without a path, query or fragment (certificates
/// append `/crl/…` to it), without a trailing `/`; its host[:port] as `config::check_authority`
/// says.
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
    // The same rule as a request's Host: certificates never name a malformed URI.
    crate::config::check_authority(rest).map_err(|why| bad(&format!("has a bad host: {why}")))?;
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
