//! # signsim
//!
//! An offline emulator of two e-signature APIs — the Iranian PKI RA gateway and
//! Podpishi.Online — for integrators' laptops and CI.
//!
//! ## Layout
//! From the bottom up (each layer uses only the ones listed before it; CONTRIBUTING.md draws
//! the same map and one request's path through it):
//! - [`sync`]: lock helpers (a poisoned lock is recovered). [`suggest`]: "did you mean".
//! - [`clock`]: the only reader of time. [`ids`]: national codes, legal IDs, IIN/BIN, calendars.
//! - [`crypto`]: RSA, X.509, CSR, CRL, CMS and PKCS#12 as pure functions.
//! - [`store`]: state behind typed verbs and transactions (sled in a data directory, maps in
//!   memory without one).
//! - [`server`]: hyper plumbing — accept loop, routing, body limits, TLS, graceful stop.
//! - [`journal`]: the bounded record of every request and how it was judged.
//! - [`portability`]: the acceptances production may not share, as named warning kinds.
//! - [`config`]: the typed configuration, built once from flags and `SIGNSIM_*` variables.
//! - [`faults`]: named, seeded fault rules (chaos on purpose, off by default).
//! - [`events`]: scheduled scenario events and reactions to requests, on the scenario clock.
//! - [`scenario`]: the TOML world — format, validation with line numbers, embedded default.
//! - [`pipeline`]: the one request pipeline every API goes through (route, admit, body,
//!   bind, faults, handler, journal, answer).
//! - [`pki`]: the PKI RA API, one file per upstream method under `pki/endpoints/`.
//! - [`podpishi`]: the Podpishi.Online API, one file per operation under `podpishi/endpoints/`.
//! - [`admin`]: the control API under `/__admin/` and the dashboard.
//! - [`app`]: wiring — store, scenario, both APIs and the control API behind one listener.
//! - [`probe`]: the client of `signsim health`.
//!
//! [`start`] runs an emulator and returns a handle with its URL and a way to stop it.

pub mod admin;
pub mod app;
pub mod clock;
pub mod config;
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
    let service = app::service(app.clone());
    let task = tokio::spawn(server::run_with(
        listener,
        service,
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// The modules the `//!` map names, in its order.
    fn map_order() -> Vec<String> {
        let map: String = include_str!("lib.rs")
            .lines()
            .take_while(|l| l.starts_with("//!") && !l.contains("[`start`]"))
            .collect();
        map.split("[`")
            .skip(1)
            .filter_map(|r| r.split_once("`]").map(|(m, _)| m.to_string()))
            .collect()
    }

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// The `//!` map above names every module this file declares, so a newcomer reading it
    /// misses none.
    #[test]
    fn the_module_map_names_every_module() {
        let order = map_order();
        let modules: Vec<&str> = include_str!("lib.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';'))
            .collect();
        assert!(modules.len() >= 19, "{modules:?}");
        for m in modules {
            assert!(
                order.iter().any(|o| o == m),
                "lib.rs's map does not name `{m}`"
            );
        }
    }

    /// "Bottom layer first" holds: no module's code names a module listed after it.
    #[test]
    fn each_module_uses_only_those_listed_before_it() {
        let order = map_order();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut wrong = Vec::new();
        for (i, m) in order.iter().enumerate() {
            let mut files = Vec::new();
            let file = src.join(format!("{m}.rs"));
            if file.exists() {
                files.push(file);
            } else {
                sources(&src.join(m), &mut files);
            }
            assert!(!files.is_empty(), "no source for `{m}`");
            for f in files {
                let text = std::fs::read_to_string(&f).unwrap_or_default();
                for later in &order[i + 1..] {
                    if text.contains(&format!("crate::{later}::"))
                        || text.contains(&format!("crate::{later}}}"))
                        || text.contains(&format!("crate::{later};"))
                    {
                        wrong.push(format!("{} uses `{later}`", f.display()));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "against the map's order: {wrong:?}");
    }
}
