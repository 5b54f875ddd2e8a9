//! The typed configuration of a running emulator, built once from flags (and their
//! `SIGNSIM_*` environment twins, see `main.rs`) and logged at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub enum ScenarioSource {
    /// The default scenario compiled into the binary.
    Embedded,
    File(PathBuf),
    /// Scenario text, its relative paths resolved against `base` (tests).
    Text {
        text: String,
        base: PathBuf,
    },
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen; port 0 lets the OS pick.
    pub addr: SocketAddr,
    pub scenario: ScenarioSource,
    /// Persistent store; `None` keeps state in memory.
    pub data_dir: Option<PathBuf>,
    /// Written with the bound URL once the server accepts connections.
    pub ready_file: Option<PathBuf>,
    /// Freeze the clock at this instant (overrides the scenario's clock).
    pub frozen_clock: Option<OffsetDateTime>,
    /// The URL clients reach signsim at: in certificates' CRL distribution points, on the
    /// first stdout line and in the ready file. Default: `http(s)://<bound address>`, and when
    /// bound to an unspecified address (`0.0.0.0`) the request's `Host` for certificates and
    /// `127.0.0.1` for the ready file.
    pub public_url: Option<String>,
    /// Bearer token the control API requires; mandatory when listening beyond loopback. A
    /// blank token is no token (see [`Config::token`]).
    pub admin_token: Option<String>,
    /// How many requests the journal keeps.
    pub journal_size: usize,
    /// Serve HTTPS with a server certificate issued at start by the test root.
    pub tls: bool,
    /// More DNS names or IP addresses for the server certificate (`--tls-name`).
    pub tls_names: Vec<String>,
    /// Answer browsers' CORS preflights and allow any origin on the APIs (`--cors`).
    pub cors: bool,
    /// Overrides the scenario's `policy.portability`.
    pub portability: Option<crate::portability::Policy>,
    /// How many bytes the journal keeps in all (the oldest entries go first).
    pub journal_bytes: usize,
    /// Connection limits and timeouts.
    pub limits: crate::server::Limits,
}

/// The journal's default byte budget: 16 MiB.
pub const JOURNAL_BYTES: usize = 16 * 1024 * 1024;

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            scenario: ScenarioSource::Embedded,
            data_dir: None,
            ready_file: None,
            frozen_clock: None,
            public_url: None,
            admin_token: None,
            journal_size: 1000,
            tls: false,
            tls_names: Vec::new(),
            cors: false,
            portability: None,
            journal_bytes: JOURNAL_BYTES,
            limits: crate::server::Limits::default(),
        }
    }
}

impl Config {
    /// The admin token in force: a blank one (`--admin-token ''`, an unset CI secret in
    /// `SIGNSIM_ADMIN_TOKEN=`) is no token at all, so it can not open the control API.
    pub fn token(&self) -> Option<&str> {
        self.admin_token.as_deref().filter(|t| !t.trim().is_empty())
    }
}
