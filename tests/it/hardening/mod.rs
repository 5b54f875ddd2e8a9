//! The hardening suite: what an attacker or a careless CI job does to signsim, and
//! what must hold afterwards. By concern: [`access`] (blank token, Host, Origin, content type),
//! [`secrets`] (masked in the journal and the state dumps, the explicit P12 download),
//! [`certificates`] (revoke and confirm compare the issued bytes), [`csr_envelope`] (a CSR
//! whose unsigned envelope is not DER), [`strictness`] (the CSR,
//! content-type, exponent, CA validity and docnum leniencies refused), [`scenario_files`]
//! (confined and bounded), [`bad_input`] (the table of malformed requests over every API),
//! [`races`] (every "exactly one" rule), [`crash`] (kill -9 during writes and during reset on a
//! data dir), [`disk_full`] (a data directory on a full tmpfs: writes refused in each API's shape,
//! health and reads answering, resumed once space is freed), [`connections`] (slow clients, idle floods, bounded stop), [`journal_memory`]
//! (RSS under the journal's byte budget) and [`props`] (property tests of the parsers over
//! HTTP). The longest loops are `#[ignore]`d; `tests/hardening.sh` runs them.

mod access;
mod bad_input;
mod certificates;
mod connections;
mod crash;
mod csr_envelope;
mod disk_full;
mod journal_memory;
mod props;
mod races;
mod scenario_files;
mod secrets;
mod strictness;

use crate::helpers::*;
use serde_json::Value;
use std::io::{Read, Write};

/// `127.0.0.1:port` for a `http://host:port` URL: the servers here listen on loopback, and
/// the URL they print may name their `--public-url` host instead.
pub fn authority(url: &str) -> String {
    let port = url.rsplit(':').next().unwrap_or("").trim_end_matches('/');
    format!("127.0.0.1:{port}")
}

/// Sends `request` as raw bytes on a new connection and reads until the server closes it (the
/// request should say `Connection: close`); (status, body). For heads reqwest will not send.
pub fn raw(url: &str, request: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(authority(url)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer to {request:?}: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Both APIs' state dumps: equal dumps, equal state.
pub fn dumps(emu: &TestEmulator) -> (Value, Value) {
    (emu.admin_ok("pki/state"), emu.admin_ok("podpishi/state"))
}

/// The resident set of a process, in KiB (`/proc/PID/status`).
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in {status}"))
}

/// The signsim binary as a child with its pid, stderr kept (a log file) and a custom
/// environment; killed when dropped.
pub struct Child {
    pub child: std::process::Child,
    pub url: String,
    pub log: std::path::PathBuf,
}

impl Child {
    pub fn start(args: &[&str], env: &[(&str, &str)], dir: &std::path::Path) -> Child {
        use std::io::BufRead;
        let log = dir.join(format!("signsim-{}.log", rand_id()));
        let bin = std::env::var("SIGNSIM_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_signsim").to_string());
        let mut cmd = std::process::Command::new(bin);
        cmd.args(["serve", "--clock", TEST_CLOCK, "--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with("http://"),
            "no URL printed: {line:?}; log: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Child {
            child,
            url: line.trim().to_string(),
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed) * 1000 + std::process::id() as u64
}

/// A reqwest client that never reuses a connection.
/// Starts the binary on the data directory `data` with the default world, alfa seeded with
/// documents enough for any upload loop (an upload with the count used up is refused), the
/// scenario file written next to the logs in `logs`; `args` are more flags.
pub fn start_with_documents(
    data: &std::path::Path,
    logs: &std::path::Path,
    args: &[&str],
) -> Child {
    let scenario = logs.join("documents-scenario.toml");
    std::fs::write(
        &scenario,
        "extends = \"default\"\n\n[[podpishi.accounts]]\nlogin = \"alfa@test.kz\"\napikey = \"7588ca38acc4ef76149caa0b0c115d94\"\nbins = [\"160940001237\"]\nbalance = 1000000\n",
    )
    .unwrap();
    let mut all = vec![
        "--data-dir",
        data.to_str().unwrap(),
        "--scenario",
        scenario.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    Child::start(&all, &[], logs)
}

pub fn one_shot() -> reqwest::blocking::Client {
    fresh_client()
}
