//! The test emulator and generic HTTP: `TestEmulator::spawn*` (an in-process signsim on
//! 127.0.0.1:0 with an in-memory store and a frozen clock), raw answers with their journal id,
//! and the `signsim` binary run as a child process. The API helpers live next door:
//! [`peers`] (openssl, Python, iconv), [`pki`], [`podpishi`] and [`admin`].

pub mod admin;
pub mod peers;
pub mod pki;
pub mod podpishi;

pub use admin::*;
pub use peers::*;
pub use pki::*;
pub use podpishi::*;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;

/// The frozen clock of every test emulator unless a test moves it.
pub const TEST_CLOCK: &str = "2026-06-01T08:00:00Z";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("fixtures").join(rel)
}

/// A signsim running in this process on 127.0.0.1:0 with an in-memory store and a frozen clock.
pub struct TestEmulator {
    pub url: String,
    /// Whether this test sends on purpose requests that rely on behaviour production may not
    /// share; without it, a portability warning fails the test when the emulator is dropped.
    relies_on_leniency: std::sync::atomic::AtomicBool,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub client: reqwest::blocking::Client,
    _dir: Option<tempfile::TempDir>,
}

pub struct Options {
    /// Replaces the default scenario's text (paths resolve against `scenarios/`).
    pub scenario_text: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub clock: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            scenario_text: None,
            data_dir: None,
            clock: Some(TEST_CLOCK.into()),
        }
    }
}

pub fn default_scenario_text() -> String {
    std::fs::read_to_string(repo().join("scenarios/default.toml")).expect("scenarios/default.toml")
}

impl TestEmulator {
    pub fn spawn() -> TestEmulator {
        TestEmulator::spawn_with(Options::default())
    }

    /// The default scenario with `edit` applied to its text.
    pub fn spawn_edited(edit: impl FnOnce(String) -> String) -> TestEmulator {
        TestEmulator::spawn_with(Options {
            scenario_text: Some(edit(default_scenario_text())),
            ..Options::default()
        })
    }

    pub fn spawn_with(opts: Options) -> TestEmulator {
        let text = opts.scenario_text.unwrap_or_else(default_scenario_text);
        let config = signsim::config::Config {
            addr: "127.0.0.1:0".parse().unwrap(),
            scenario: signsim::config::ScenarioSource::Text {
                text,
                base: repo().join("scenarios"),
            },
            data_dir: opts.data_dir,
            ready_file: None,
            frozen_clock: opts.clock.map(|c| {
                time::OffsetDateTime::parse(&c, &time::format_description::well_known::Rfc3339)
                    .unwrap()
            }),
            public_url: None,
            admin_token: None,
            journal_size: 1000,
            ..signsim::config::Config::default()
        };
        let (url_tx, url_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let running = match signsim::start(config).await {
                    Ok(r) => r,
                    Err(e) => {
                        url_tx.send(Err(e.to_string())).unwrap();
                        return;
                    }
                };
                url_tx.send(Ok(running.url.clone())).unwrap();
                tokio::task::spawn_blocking(move || stop_rx.recv())
                    .await
                    .ok();
                running.stop().await;
            });
        });
        let url = url_rx
            .recv()
            .unwrap()
            .unwrap_or_else(|e| panic!("signsim did not start: {e}"));
        TestEmulator {
            url,
            relies_on_leniency: std::sync::atomic::AtomicBool::new(false),
            stop: Some(stop_tx),
            thread: Some(thread),
            client: reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap(),
            _dir: None,
        }
    }

    /// GET `/api/{method}?query`; returns (status, JSON body).
    pub fn get(&self, method: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let resp = self
            .client
            .get(format!("{}/api/{method}", self.url))
            .query(query)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        remember_diagnostic(resp.headers());
        (status, resp.json().unwrap_or(Value::Null))
    }

    /// POST a JSON body to `/api/{method}`; returns (status, JSON body).
    pub fn post(&self, method: &str, body: &Value) -> (u16, Value) {
        self.post_raw(method, "application/json", body.to_string().into_bytes())
    }

    pub fn post_raw(&self, method: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let resp = self
            .client
            .post(format!("{}/api/{method}", self.url))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        remember_diagnostic(resp.headers());
        let text = resp.text().unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        let resp = self
            .client
            .get(format!("{}{path}", self.url))
            .send()
            .unwrap();
        (resp.status().as_u16(), resp.bytes().unwrap().to_vec())
    }
}

impl TestEmulator {
    /// This test relies on behaviour production may not share, on purpose (it pins a
    /// leniency): its portability warnings are expected.
    pub fn relies_on_leniency(&self) {
        self.relies_on_leniency
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for TestEmulator {
    fn drop(&mut self) {
        // `tests/own_coverage.sh`: each emulator's coverage report, for the project's own tally.
        if let (Some(dir), true) = (
            std::env::var_os("SIGNSIM_TEST_COVERAGE_DIR"),
            self.stop.is_some(),
        ) {
            if let Ok(r) = self
                .client
                .get(format!("{}/__admin/coverage", self.url))
                .send()
            {
                if let Ok(text) = r.text() {
                    let name = format!(
                        "{}-{}.json",
                        std::process::id(),
                        self.url.replace([':', '/', '.'], "_")
                    );
                    let _ = std::fs::write(std::path::Path::new(&dir).join(name), text);
                }
            }
        }
        // A client that follows only the documented forms sees no warning: every test is one.
        if !self
            .relies_on_leniency
            .load(std::sync::atomic::Ordering::Relaxed)
            && !std::thread::panicking()
            && self.stop.is_some()
        {
            if let Ok(r) = self
                .client
                .get(format!("{}/__admin/warnings", self.url))
                .send()
            {
                if let Ok(v) = r.json::<Value>() {
                    if v["requests"].as_u64().unwrap_or(0) > 0 {
                        if let Some(tx) = self.stop.take() {
                            let _ = tx.send(());
                        }
                        panic!(
                            "this test relied on behaviour production may not share (call emu.relies_on_leniency() if that is what it pins): {}",
                            v["kinds"]
                        );
                    }
                }
            }
        }
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// SHA-256 of `data`, lowercase hex (what the journal and the Podpishi state dumps show).
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ── tables ───────────────────────────────────────────────────────────────────────────────

/// Runs `check` on every case of a table — all of them, even after one fails — then panics
/// naming each case that failed with its message. `name` gives a case's name.
pub fn each_case<C>(cases: &[C], name: impl Fn(&C) -> &str, check: impl Fn(&C)) {
    assert!(!cases.is_empty(), "an empty table checks nothing");
    let mut failed = Vec::new();
    for case in cases {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(case)));
        if let Err(panic) = outcome {
            let why = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            failed.push(format!("case «{}»: {why}", name(case)));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}

// ── the diagnostic of the last PKI answer ────────────────────────────────────────────────

thread_local! {
    static LAST_DIAGNOSTIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Keeps the `X-Signsim-Diagnostic` of the answer [`TestEmulator::get`] / `post` just read,
/// decoded, for this thread: GetTrackingCodeInfo and IsApproved refusals carry their code and
/// message only there (their documented body has no `ErrorCode`).
fn remember_diagnostic(headers: &reqwest::header::HeaderMap) {
    let text = headers
        .get("x-signsim-diagnostic")
        .and_then(|v| v.to_str().ok())
        .map(decode_header_text);
    LAST_DIAGNOSTIC.with(|d| *d.borrow_mut() = text);
}

/// The decoded `X-Signsim-Diagnostic` of the last `get`/`post` on this thread.
pub fn last_diagnostic() -> Option<String> {
    LAST_DIAGNOSTIC.with(|d| d.borrow().clone())
}

/// A header value as a client decodes it: as it is, or with the text after `UTF-8''`
/// percent-decoded (RFC 8187 style, docs/errors.md: `X-Signsim-Diagnostic: <code> <kind>:
/// UTF-8''…`, `X-Signsim-Warning: <kind> UTF-8''…`), as Python's `urllib.parse.unquote` does.
pub fn decode_header_text(value: &str) -> String {
    let Some((plain, encoded)) = value.split_once("UTF-8''") else {
        return value.to_string();
    };
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    let text =
        String::from_utf8(out).unwrap_or_else(|e| panic!("{value} is not UTF-8 once decoded: {e}"));
    format!("{plain}{text}")
}

// ── answers with their journal id ────────────────────────────────────────────────────────

/// The journal id a response carries (`X-Signsim-Request-Id`); panics when it is missing.
pub fn request_id(headers: &reqwest::header::HeaderMap) -> u64 {
    headers
        .get("x-signsim-request-id")
        .unwrap_or_else(|| panic!("no X-Signsim-Request-Id in {headers:?}"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// One answer as the client saw it: status, journal id, content type, raw body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub id: u64,
    pub content_type: String,
    /// `X-Signsim-Diagnostic`: the detail of a refusal whose body must stay as documented.
    pub diagnostic: Option<String>,
    /// `X-Signsim-Warning` headers, in order.
    pub warnings: Vec<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn from(resp: reqwest::blocking::Response) -> Answer {
        let status = resp.status().as_u16();
        let id = request_id(resp.headers());
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let diagnostic = resp
            .headers()
            .get("x-signsim-diagnostic")
            .map(|v| v.to_str().unwrap().to_string());
        let warnings = resp
            .headers()
            .get_all("x-signsim-warning")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        Answer {
            status,
            id,
            content_type,
            diagnostic,
            warnings,
            body: resp.bytes().unwrap().to_vec(),
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the text when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

impl TestEmulator {
    /// A GET to `/api/{method}?query` as an [`Answer`] (with its journal id).
    pub fn get_answer(&self, method: &str, query: &[(&str, &str)]) -> Answer {
        Answer::from(
            self.client
                .get(format!("{}/api/{method}", self.url))
                .query(query)
                .send()
                .unwrap(),
        )
    }

    /// A JSON POST to `/api/{method}` as an [`Answer`] (with its journal id).
    pub fn post_answer(&self, method: &str, body: &Value) -> Answer {
        Answer::from(
            self.client
                .post(format!("{}/api/{method}", self.url))
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .unwrap(),
        )
    }
}

// ── the binary as a process ──────────────────────────────────────────────────────────────

/// A client that opens a new connection for every request (no idle pool).
pub fn fresh_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The `signsim` binary serving in a child process (`serve --clock TEST_CLOCK` + `args`);
/// killed when dropped.
pub struct SignsimProcess {
    child: std::process::Child,
    /// Where its stderr goes (read by [`SignsimProcess::stop`]).
    stderr: tempfile::NamedTempFile,
    /// The URL the binary printed on its first stdout line.
    pub printed_url: String,
    /// The same port on 127.0.0.1 (what a local client connects to).
    pub url: String,
}

impl SignsimProcess {
    pub fn start(args: &[&str]) -> SignsimProcess {
        SignsimProcess::start_with_env(args, &[])
    }

    /// `start` with environment variables, the way compose files and CI `services:` configure
    /// it; no `SIGNSIM_*` variable of the test's own environment reaches it.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> SignsimProcess {
        use std::io::BufRead;
        let stderr = tempfile::NamedTempFile::new().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_signsim"));
        for (k, _) in std::env::vars() {
            if k.starts_with("SIGNSIM_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd
            .args(["serve", "--clock", TEST_CLOCK])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let printed_url = line.trim().to_string();
        // A --public-url may name no port or another one; then `url` is a guess the test
        // replaces (see ci_hygiene.rs).
        let port = printed_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(0);
        SignsimProcess {
            child,
            stderr,
            printed_url,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it has written to stderr so far (the log), leaving it running.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap_or_default()
    }

    /// Stops it with SIGTERM (a graceful stop) and returns what it wrote to stderr.
    pub fn stop(&mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        std::fs::read_to_string(self.stderr.path()).unwrap_or_default()
    }
}

impl Drop for SignsimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `signsim serve --clock TEST_CLOCK args…` expecting it to exit by itself within 20 s;
/// returns (exit code, stdout, stderr). Panics (after killing it) when it keeps running.
pub fn signsim_exit(args: &[&str]) -> (Option<i32>, String, String) {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_signsim"))
        .args(["serve", "--clock", TEST_CLOCK])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("signsim serve {} kept running", args.join(" "));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), out, err)
}

/// Processes whose command line mentions every one of `needles` (read from /proc; nothing is
/// signalled): what a script left running.
pub fn processes_mentioning(needles: &[&str]) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if needles.iter().all(|n| cmd.contains(n)) {
            found.push((pid, cmd));
        }
    }
    found
}

/// Every file under `dir` (recursively) whose name ends in `.{ext}`, sorted.
pub fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The documentation pages, repository-relative: README.md, CONTRIBUTING.md, then
/// docs/**/*.md sorted.
pub fn doc_pages() -> Vec<String> {
    let mut pages = vec!["README.md".to_string(), "CONTRIBUTING.md".to_string()];
    for p in files_under(&repo().join("docs"), "md") {
        pages.push(
            p.strip_prefix(repo())
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        );
    }
    pages
}
