//! What the request journal costs: the signed RegisterInfo repeat against a server that keeps
//! the default journal (1000 entries within 16 MiB) and against one started with
//! `--journal-size 0`, which turns the journal off (no entry is built; `/__admin/health` says
//! `journal.capacity` 0).
//!
//! Both servers run side by side and are measured in alternating turns (`http::in_turns`).

use crate::http::{in_turns, range};
use crate::pki;
use crate::report::{mark, Report};
use crate::server::{Mode, Server};

/// Overhead target: the default journal costs at most this many percent of server CPU.
const TARGET_PERCENT: f64 = 10.0;

/// Measures RegisterInfo on a fresh `--journal-size 0` server and a fresh default one in
/// `mode`, `secs` each in all (in turns of `secs` / 4); adds both rows and the overhead.
pub fn run(report: &mut Report, mode: Mode, secs: f64) {
    let reg = pki::register_body();
    let servers = [
        Server::signsim(&["--journal-size", "0"], mode),
        Server::signsim(&[], mode),
    ];
    let turns = in_turns(
        [&servers[0], &servers[1]],
        secs,
        &|_, _| Some(reg.clone()),
        pki::ok_pki,
    );
    if mode == Mode::Memory {
        report.note(format!(
            "journal off: `--journal-size 0` (`/__admin/health` journal.capacity = {}: no entry is built)",
            servers[0].health()["journal"]["capacity"]
        ));
    }
    let mut cpu = Vec::new();
    for ((server, m), label) in servers
        .iter()
        .zip(turns.measured)
        .zip(["--journal-size 0", "default journal"])
    {
        let capacity = &server.health()["journal"]["capacity"];
        cpu.push(m.cpu_us_per_req);
        let what = format!(
            "RegisterInfo (signed, idempotent repeat), {label} (keeps {capacity}), 4 turns [{}]",
            mode.tag()
        );
        report.row(&what, m, None);
    }
    report.compare(
        &format!(
            "journal overhead on RegisterInfo: server CPU µs/req, default vs --journal-size 0 [{}]",
            mode.tag()
        ),
        overhead(cpu[0], cpu[1], &turns.pair_ratios),
        judged(cpu[0], cpu[1]),
    );
}

/// `on` over `off` as a signed percentage, with the range over the pairs of turns; "–"
/// without figures.
fn overhead(off: Option<f64>, on: Option<f64>, pair_ratios: &[f64]) -> String {
    let (lo, hi) = range(pair_ratios);
    match (off, on) {
        (Some(off), Some(on)) => format!(
            "{:+.1} % (pairs of turns {:+.0} … {:+.0} %)",
            (on - off) / off * 100.0,
            (lo - 1.0) * 100.0,
            (hi - 1.0) * 100.0
        ),
        _ => "–".into(),
    }
}

/// The target with ✓ or ✗.
fn judged(off: Option<f64>, on: Option<f64>) -> String {
    let ok =
        matches!((off, on), (Some(off), Some(on)) if (on - off) / off * 100.0 <= TARGET_PERCENT);
    format!("≤ {TARGET_PERCENT} % {}", mark(ok))
}
