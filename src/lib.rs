//! # signsim
//!
//! An offline emulator of two e-signature APIs — the Iranian PKI RA gateway and
//! Podpishi.Online — for integrators' laptops and CI.
//!
//! ## Layout
//! From the bottom up: each module uses only the ones listed before it (tests/it/architecture.rs
//! holds the code to this list; docs/architecture.md draws the layers and one request's path):
//! - [`sync`]: lock helpers (a poisoned lock is recovered), per-thread slots. [`suggest`]:
//!   "did you mean".
//! - [`clock`]: the only reader of time. [`ids`]: national codes, legal IDs, IIN/BIN, calendars.
//! - [`crypto`]: RSA, X.509, CSR, CRL, CMS and PKCS#12 as pure functions.
//! - [`changes`]: the state-machine transitions a request applied, gathered for the one
//!   observer.
//! - [`store`]: state behind typed verbs and transactions (sled in a data directory, maps in
//!   memory without one).
//! - [`server`]: hyper plumbing — accept loop, the router, body limits, TLS, graceful stop.
//! - [`replay`]: the bytes a journal entry keeps to send its request again, and the `curl`
//!   command that does.
//! - [`journal`]: the bounded record of every request and how it was judged.
//! - [`portability`]: the acceptances production may not share, as named warning kinds.
//! - [`coverage`]: which outcomes of both APIs a test suite reached, per tenant (the contract
//!   coverage report).
//! - [`config`]: the typed configuration, built once from flags and `SIGNSIM_*` variables.
//! - [`faults`]: named, seeded fault rules (chaos on purpose, off by default).
//! - [`events`]: scheduled scenario events and reactions to requests, on the scenario clock.
//! - [`scenario`]: the TOML world — format, validation with line numbers, embedded default.
//! - [`pipeline`]: the one request pipeline every API goes through, handed the route the app
//!   found (admit, body, bind, faults, handler, journal, answer).
//! - [`pki`]: the PKI RA API, one file per upstream method under `pki/endpoints/`.
//! - [`podpishi`]: the Podpishi.Online API, one file per operation under `podpishi/endpoints/`.
//! - [`admin`]: the control API under `/__admin/` and the dashboard.
//! - [`app`]: wiring — store, scenario, both APIs and the control API behind one listener and
//!   one routing table.
//! - [`probe`]: the client of `signsim health`.
//!
//! [`start`] runs an emulator and returns a handle with its URL and a way to stop it.

pub mod admin;
pub mod app;
pub mod changes;
pub mod clock;
pub mod config;
pub mod coverage;
pub mod crypto;
pub mod events;
pub mod faults;
pub mod ids;
pub mod journal;
pub mod pipeline;
pub mod pki;
pub mod podpishi;
pub mod portability;
pub mod probe;
pub mod replay;
pub mod scenario;
pub mod server;
pub mod store;
pub mod suggest;
pub mod sync;

/// The emulator's version, in `X-Signsim` and `/__admin/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit the binary was built from (`build.rs`: `SIGNSIM_COMMIT`, else git, else `unknown`).
pub const COMMIT: &str = env!("SIGNSIM_COMMIT");

/// What `signsim --version` prints after the name.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SIGNSIM_COMMIT"),
    ")"
);

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running emulator.
pub struct Running {
    pub addr: SocketAddr,
    /// The URL clients use: `--public-url`, else `http(s)://host:port` of the bound address
    /// (`127.0.0.1` for an unspecified one); the first stdout line and the ready file.
    pub url: String,
    pub app: Arc<app::App>,
    ready_file: Option<std::path::PathBuf>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, and returns when all connections
    /// closed; the ready file goes first, so nobody reads a URL that is about to stop answering.
    pub async fn stop(mut self) {
        if let Some(path) = self.ready_file.take() {
            app::ready::remove(&path);
        }
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Resolves when the server ends (it only ends when stopped).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Binds, loads the scenario, and serves in the background.
pub async fn start(config: config::Config) -> Result<Running, app::StartError> {
    if let Some(path) = &config.ready_file {
        app::ready::prepare(path)?;
    }
    let (listener, addr, app) = app::build(&config).await?;
    let url = app.url.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server::run_with(
        listener,
        app.clone(),
        config.limits,
        app.tls_acceptor(),
        async move {
            let _ = rx.await;
        },
    ));
    // Events and reactions on a running clock happen without a request to carry them.
    let ticker = app.clone();
    // A weak count of one: the server has stopped and only the ticker holds the app.
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            if std::sync::Arc::strong_count(&ticker) <= 1 {
                return;
            }
            ticker.run_due();
        }
    });
    if let Some(path) = &config.ready_file {
        app::ready::write(path, &url)?;
    }
    Ok(Running {
        addr,
        url,
        app,
        ready_file: config.ready_file.clone(),
        stop: Some(tx),
        task,
    })
}
