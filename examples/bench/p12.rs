//! P12 issue latency: an open-loop client sends P12 issues, each on its own connection and for
//! a fresh approved P12 tracking code, and the client's p50/p99 are judged — as a steady
//! trickle (8 a second, one every 125 ms) and in bursts (4 at once every 300 ms, 40 in all: a
//! test suite's parallel P12 tests). signsim makes the token's RSA-2048 key: from its key pool
//! when the pool has one, on the request path (a miss) when not; `/__admin/health`'s
//! `p12_keys` after the run says how many missed.
//!
//! The pool starts filling at the first P12 registration, so the preparation's registrations
//! fill it; the timed phase starts once it is full, as a long-running server's would be.

use crate::http::open_loop;
use crate::pki::{self, IssueToken, People};
use crate::prepare::{self, PROFILE};
use crate::report::{Report, Target};
use crate::server::{Mode, Server};
use std::time::{Duration, Instant};

/// Issues per second of the trickle.
const RATE: u32 = 8;
/// Issues sent at once in a burst, the time between bursts, and the issues in all.
const BURST: usize = 4;
const BURST_EVERY: Duration = Duration::from_millis(300);
const BURST_ISSUES: usize = 40;

/// Sends `RATE` P12 issues a second for `secs` to a fresh server in `mode`, each for its own
/// prepared code, and reports the latencies and the key pool's misses.
pub fn run(report: &mut Report, mode: Mode, secs: f64, people: &People) {
    let n = ((secs * RATE as f64) as usize).min(people.len());
    let interval = Duration::from_secs(1) / RATE;
    let what = format!("open loop {RATE}/s for {secs} s");
    let target = Target::Latency {
        p50_ms: 2.0,
        p99_ms: 20.0,
    };
    case(
        report,
        mode,
        people,
        n,
        &what,
        &|i| interval * i as u32,
        target,
    );
}

/// Sends [`BURST_ISSUES`] P12 issues to a fresh server in `mode`, [`BURST`] at once every
/// [`BURST_EVERY`], and reports the latencies and the key pool's misses.
pub fn bursts(report: &mut Report, mode: Mode, people: &People) {
    let n = BURST_ISSUES.min(people.len());
    let what = format!(
        "bursts of {BURST} every {} ms, {n} in all",
        BURST_EVERY.as_millis()
    );
    let at = |i: usize| BURST_EVERY * (i / BURST) as u32;
    case(
        report,
        mode,
        people,
        n,
        &what,
        &at,
        Target::P99 { p99_ms: 20.0 },
    );
}

/// One case: `n` approved P12 codes on a fresh server, the pool full, issue `i` sent at
/// `at(i)`.
fn case(
    report: &mut Report,
    mode: Mode,
    people: &People,
    n: usize,
    what: &str,
    at: &dyn Fn(usize) -> Duration,
    target: Target,
) {
    let server = Server::signsim(&[], mode);
    prepare::credit_b(&server);
    let approved = prepare::approved_codes(&server, people, n, true);
    let fill_secs = wait_for_full_pool(&server);
    let none = pki::none_signature();
    let requests: Vec<Vec<u8>> = approved
        .codes
        .iter()
        .map(|c| {
            pki::issue(
                c,
                PROFILE,
                IssueToken::P12 {
                    none_signature: &none,
                },
            )
        })
        .collect();
    eprintln!("bench: {n} P12 issues, {what} [{}]", mode.tag());
    let m = open_loop(&server, &requests, at, pki::ok_fresh_issue);
    let keys = &server.health()["p12_keys"];
    let (server_p50, server_p99) = server_durations(&server, n);
    report.note(format!(
        "P12 issue, {what} [{}]: {n} approved P12 codes prepared; the key pool was full {fill_secs:.1} s after the approvals; `/__admin/health` after the run: p12_keys = pool {}, ready {}, taken {}, misses {}; inside the server (the journal's `duration_us`, head read to answer written) p50 {server_p50:.2} ms, p99 {server_p99:.2} ms — the rest of the client's figure is a new TCP connection per issue",
        mode.tag(),
        keys["pool"], keys["ready"], keys["taken"], keys["misses"],
    ));
    report.row(
        &format!(
            "P12 issue, {what}, each a fresh approved code [{}]",
            mode.tag()
        ),
        m,
        Some(target),
    );
}

/// The p50 and p99 (ms) of the journal's `duration_us` over the last `n` issues.
fn server_durations(server: &Server, n: usize) -> (f64, f64) {
    let list = server.json(&crate::http::get(&format!(
        "/__admin/requests?api=pki&operation=IssueCertificateByTrackingCode&limit={n}"
    )));
    let mut us: Vec<f64> = list["requests"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["duration_us"].as_f64()).collect())
        .unwrap_or_default();
    us.sort_by(f64::total_cmp);
    let at = |q: f64| {
        us.get(((us.len() as f64 * q) as usize).min(us.len().saturating_sub(1)))
            .map_or(f64::NAN, |v| v / 1000.0)
    };
    (at(0.5), at(0.99))
}

/// Waits (at most a minute) until `p12_keys.ready` equals `p12_keys.pool`; the seconds waited.
fn wait_for_full_pool(server: &Server) -> f64 {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(60) {
        let h = server.health();
        let keys = &h["p12_keys"];
        if keys["ready"].as_u64() >= keys["pool"].as_u64() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    t0.elapsed().as_secs_f64()
}
