//! The benchmark driver `benches/run.sh` calls: it starts the release binaries, drives them
//! with a keep-alive HTTP/1.1 load client of its own (N connections, one thread each), and
//! prints one table — server CPU µs per request (from /proc), client p50/p99, requests/s —
//! with each figure's ratio to a bare hyper server measured in the same run and its target
//! (✓/✗), then the comparisons (journal on vs off, 10× more records) and notes on how each
//! figure was made. `cargo run --release --example bench -- [seconds] [out.md] [part…]`
//!
//! Parts, each in memory and with `--data-dir`: `throughput` (one-request cases, start-up
//! and memory: `cases`), `issue` (IssueCertificateByTrackingCode with a CSR: `issue`), `p12`
//! (P12 issue latency at 8/s: `p12`), `journal` (`journal`), `growth` (`growth`).
//!
//! Rationale: server CPU per request, read from /proc/PID/stat, does not depend on how much
//! of the 2-core machine the load client itself takes; latency percentiles are the client's.

mod cases;
mod growth;
mod http;
mod issue;
mod journal;
mod p12;
mod pki;
mod podpishi;
mod prepare;
mod report;
mod server;

use http::{drive, get, ok_any_200};
use report::{mark, Report};
use server::{Mode, Server};
use std::time::Duration;

/// Memory figures of the throughput servers (KiB).
#[derive(Default)]
struct Memory {
    /// Resident set of the in-memory server before its first request.
    idle: u64,
    /// The durable server's high-water mark: its working memory (its data are on disk).
    peak: u64,
    /// The in-memory server's high-water mark, which holds every document the run stored:
    /// since 0.2.0 that store is process memory (before, a sled database in /dev/shm: RAM
    /// too, but outside the RSS), so it is reported, not held to the working-memory target.
    peak_with_data: u64,
}

/// The parts of a run, in the order they run; `bench SECS OUT PART…` runs only those named.
const PARTS: [&str; 5] = ["throughput", "issue", "p12", "journal", "growth"];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let out = args.get(2).cloned();
    let only: Vec<&str> = args.iter().skip(3).map(String::as_str).collect();
    if let Some(bad) = only.iter().find(|p| !PARTS.contains(p)) {
        eprintln!("unknown part '{bad}'; the parts are {}", PARTS.join(", "));
        std::process::exit(2);
    }
    let runs = |part: &str| only.is_empty() || only.contains(&part);

    let mut report = Report::new(secs, bare_hyper(secs));
    let mut footer = String::new();
    if runs("throughput") {
        let ready = server::readiness_ms();
        let mut memory = Memory::default();
        for mode in modes() {
            throughput(&mut report, mode, secs, &mut memory);
        }
        footer = startup_and_memory(ready, &memory);
    }
    let persons = match (runs("growth"), runs("issue") || runs("p12")) {
        (true, _) => growth::SIZES[1].max(issue::codes_needed(secs)),
        (false, true) => issue::codes_needed(secs),
        (false, false) => 0,
    };
    let people = pki::People::new(persons);
    if runs("issue") {
        let csr = pki::Csr::new();
        for mode in modes() {
            issue::run(&mut report, mode, secs, &people, &csr);
        }
    }
    if runs("p12") {
        for mode in modes() {
            p12::run(&mut report, mode, 2.0 * secs, &people);
            p12::bursts(&mut report, mode, &people);
        }
    }
    if runs("journal") {
        for mode in modes() {
            journal::run(&mut report, mode, secs);
        }
    }
    if runs("growth") {
        for mode in modes() {
            growth::run(&mut report, mode, secs, &people);
        }
    }
    let text = report.render(&footer);
    print!("{text}");
    if let Some(path) = out {
        if let Err(e) = std::fs::write(&path, &text) {
            eprintln!("can not write {path}: {e}");
        }
    }
}

/// The modes a run measures: both, or only `BENCH_MODE` (`memory` or `durable`, to profile one).
fn modes() -> Vec<Mode> {
    let only = std::env::var("BENCH_MODE").ok();
    Mode::BOTH
        .into_iter()
        .filter(|m| only.as_deref().is_none_or(|o| o == m.tag()))
        .collect()
}

/// The baseline: a bare hyper server answering fixed bytes to `GET /`.
fn bare_hyper(secs: f64) -> http::Measured {
    let bare = Server::start(&server::release_bin("examples/bare_hyper"), &["0"], false);
    drive(&bare, secs, &|_, _| Some(get("/")), ok_any_200)
}

/// The one-request cases on one fresh server in `mode`, with its idle and peak memory.
fn throughput(report: &mut Report, mode: Mode, secs: f64, memory: &mut Memory) {
    let s = Server::signsim(&[], mode);
    std::thread::sleep(Duration::from_millis(200));
    if mode == Mode::Memory {
        memory.idle = s.status_kib("VmRSS");
    }
    cases::run(report, &s, mode, secs);
    let peak = s.status_kib("VmHWM");
    match mode {
        Mode::Durable => memory.peak = memory.peak.max(peak),
        Mode::Memory => memory.peak_with_data = memory.peak_with_data.max(peak),
    }
}

/// The start-up and memory line, with its targets.
fn startup_and_memory(ready_ms: f64, memory: &Memory) -> String {
    let (idle, peak) = (memory.idle as f64 / 1024.0, memory.peak as f64 / 1024.0);
    let with_data = memory.peak_with_data as f64 / 1024.0;
    format!(
        "\nstart → first answer: median of 20 {ready_ms:.1} ms (target ≤ 15 ms {}) · idle RSS {idle:.1} MiB (target ≤ 12 {}) · peak RSS of the durable throughput server {peak:.1} MiB (target ≤ 64 {}); of the in-memory one, which holds every document the run stored, {with_data:.1} MiB\n",
        mark(ready_ms <= 15.0),
        mark(idle <= 12.0),
        mark(peak <= 64.0),
    )
}
