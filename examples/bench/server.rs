//! The servers under test as child processes: start one, read its URL from the first stdout
//! line, and read its CPU time and memory from /proc while it runs.

use crate::http::{get, post_json, Conn};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A release binary `benches/run.sh` builds (`name`: `signsim` or `examples/…`), under
/// `BENCH_TARGET_DIR` (run.sh passes its `CARGO_TARGET_DIR`), else `target`. `BENCH_SIGNSIM`
/// names the signsim binary itself when it is built elsewhere: run.sh measures the one
/// `dist/build.sh` ships, and `dist/pgo.sh` trains an instrumented one.
pub fn release_bin(name: &str) -> String {
    if name == "signsim" {
        if let Ok(bin) = std::env::var("BENCH_SIGNSIM") {
            return bin;
        }
    }
    let dir = std::env::var("BENCH_TARGET_DIR").unwrap_or_else(|_| "target".into());
    format!("{dir}/release/{name}")
}

/// Where signsim keeps its state: the two ways every signsim case runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The default in-memory store.
    Memory,
    /// `--data-dir` in a new temporary directory: every acknowledged change flushed.
    Durable,
}

impl Mode {
    pub const BOTH: [Mode; 2] = [Mode::Memory, Mode::Durable];

    /// The tag the table's rows carry.
    pub fn tag(self) -> &'static str {
        match self {
            Mode::Memory => "memory",
            Mode::Durable => "durable",
        }
    }
}

/// A running server process; stopped when dropped (its data directory, if any, removed).
pub struct Server {
    child: Child,
    /// `host:port`, as the first stdout line named it.
    pub addr: String,
    _dir: Option<tempfile::TempDir>,
    /// The bench's scenario file (see [`Server::signsim`]), kept while the server runs.
    _scenario: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts `bin args…` (with `--data-dir` in a new temporary directory when `data_dir`)
    /// and waits for its first stdout line, the URL.
    pub fn start(bin: &str, args: &[&str], data_dir: bool) -> Server {
        let dir = data_dir.then(|| tempfile::tempdir().expect("a temporary data directory"));
        let mut cmd = Command::new(bin);
        cmd.args(args);
        if let Some(d) = &dir {
            cmd.args(["--data-dir", d.path().to_str().expect("a UTF-8 temp path")]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{bin} does not start ({e}): run benches/run.sh, which builds it")
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout is piped"))
            .read_line(&mut line)
            .expect("the server prints its URL first");
        let addr = line.trim().trim_start_matches("http://").to_string();
        Server {
            child,
            addr,
            _dir: dir,
            _scenario: None,
        }
    }

    /// `signsim serve` on a free loopback port with errors-only logging, plus `args`.
    /// The world is the default scenario with alfa's document count raised, so that the upload
    /// cases measure uploads, not the refusal of a used-up count.
    pub fn signsim(args: &[&str], mode: Mode) -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory for the scenario");
        let scenario = dir.path().join("bench.toml");
        std::fs::write(
            &scenario,
            "extends = \"default\"\n\n[[podpishi.accounts]]\nlogin = \"alfa@test.kz\"\napikey = \"7588ca38acc4ef76149caa0b0c115d94\"\nbins = [\"160940001237\"]\nbalance = 1000000000\n",
        )
        .expect("the bench scenario is written");
        let scenario = scenario.to_str().expect("a UTF-8 temp path").to_string();
        let mut all = vec![
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--log",
            "error",
            "--scenario",
            &scenario,
        ];
        all.extend_from_slice(args);
        let mut server = Server::start(&release_bin("signsim"), &all, mode == Mode::Durable);
        server._scenario = Some(dir);
        server
    }

    /// The JSON answer to `req` (the control API, mostly); panics naming the request when
    /// there is no answer, it is not a success or not JSON — set-up can not go on then.
    pub fn json(&self, req: &[u8]) -> serde_json::Value {
        let what = String::from_utf8_lossy(&req[..req.len().min(80)]).into_owned();
        let (status, body) = Conn::new(&self.addr)
            .send(req)
            .unwrap_or_else(|| panic!("no answer to {what:?}"));
        let text = String::from_utf8_lossy(&body);
        assert!(
            (200..300).contains(&status),
            "{what:?} answered {status}: {text}"
        );
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{what:?}: not JSON ({e}): {text}"))
    }

    /// `GET /__admin/health`.
    pub fn health(&self) -> serde_json::Value {
        self.json(&get("/__admin/health"))
    }

    /// Moves the scenario clock to `rfc3339` (`POST /__admin/clock {"set"}`); it runs on from
    /// there.
    pub fn set_clock(&self, rfc3339: &str) {
        self.json(&post_json(
            "/__admin/clock",
            &serde_json::json!({ "set": rfc3339 }),
        ));
    }

    /// utime + stime in clock ticks (1/100 s on Linux), from /proc/PID/stat.
    pub fn cpu_ticks(&self) -> u64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<u64> = after
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        // Fields 14 and 15 of stat are the 12th and 13th after the command name.
        f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)
    }

    /// A `Vm…` line of /proc/PID/status in KiB (`VmRSS`, `VmHWM`), 0 if unreadable.
    pub fn status_kib(&self, key: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    /// SIGTERM, as a container runtime stops it, then SIGKILL if it has not exited within
    /// 10 s: a server exits by its own path (an instrumented build writes its profile there).
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) on our own child's pid, which `child` has not reaped yet.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            let t0 = std::time::Instant::now();
            while t0.elapsed() < std::time::Duration::from_secs(10) {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Median over 20 starts of the time from spawning `signsim serve --ready-file` to its first
/// answer (GetVersion), in ms.
pub fn readiness_ms() -> f64 {
    let dir = tempfile::tempdir().expect("a temporary directory for ready files");
    let mut times: Vec<f64> = (0..20)
        .map(|i| time_to_first_answer(&dir.path().join(format!("ready{i}"))))
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

/// One start: spawn, wait for the ready file, send GetVersion, stop; ms to the answer.
fn time_to_first_answer(ready: &std::path::Path) -> f64 {
    let t0 = std::time::Instant::now();
    let mut child = Command::new(release_bin("signsim"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--log",
            "error",
            "--ready-file",
        ])
        .arg(ready)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the release signsim starts");
    while !ready.exists() {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    // First answer, not just the file.
    let url = std::fs::read_to_string(ready).unwrap_or_default();
    let addr = url
        .trim()
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let _ = Conn::new(addr).send(&get("/api/GetVersion"));
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    let _ = child.kill();
    let _ = child.wait();
    ms
}
