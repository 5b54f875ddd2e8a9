//! IssueCertificateByTrackingCode with a CSR at `CONNS` clients: every request issues a new
//! certificate (a fresh approved tracking code, charged), never an idempotent repeat. The
//! codes are made before the timed phase; when they run out before the case's seconds, the
//! case is timed until the last one was issued.
//!
//! Every issue sends the same CSR (one RSA-2048 key): signsim does not refuse a key another
//! certificate already has (tests/it/pki/reports/paging.rs issues 250 with one CSR), and the
//! subject comes from the registration, so each certificate is still a distinct person's.

use crate::http::drive;
use crate::pki::{self, Csr, IssueToken, People};
use crate::prepare::{self, PROFILE};
use crate::report::{Report, Target};
use crate::server::{Mode, Server};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Tracking codes to prepare: enough for `secs` at 2 000 issues per second, at least 3 000.
pub fn codes_needed(secs: f64) -> usize {
    ((secs * 2000.0) as usize).max(3000)
}

/// The target rate in `mode` (issues per second).
fn target(mode: Mode) -> f64 {
    match mode {
        Mode::Memory => 700.0,
        Mode::Durable => 450.0,
    }
}

/// Prepares [`codes_needed`] approved codes on a fresh server in `mode`, then issues one
/// certificate per code from `CONNS` connections for at most `secs`.
pub fn run(report: &mut Report, mode: Mode, secs: f64, people: &People, csr: &Csr) {
    let server = Server::signsim(&[], mode);
    prepare::credit_b(&server);
    let n = codes_needed(secs).min(people.len());
    eprintln!(
        "bench: preparing {n} approved tracking codes [{}]",
        mode.tag()
    );
    let approved = prepare::approved_codes(&server, people, n, false);
    let requests: Vec<Vec<u8>> = approved
        .codes
        .iter()
        .map(|c| pki::issue(c, PROFILE, IssueToken::Csr(csr)))
        .collect();
    let next = AtomicUsize::new(0);
    let m = drive(
        &server,
        secs,
        &|_, _| requests.get(next.fetch_add(1, Ordering::Relaxed)).cloned(),
        pki::ok_fresh_issue,
    );
    let ran_out = next.load(Ordering::Relaxed) >= requests.len();
    report.note(format!(
        "IssueCertificateByTrackingCode [{}]: {n} approved codes prepared (RegisterInfo of {n} distinct persons {:.1} s, control-API approval {:.1} s); {} certificates issued in {:.2} s{}",
        mode.tag(),
        approved.register_secs,
        approved.approve_secs,
        m.requests,
        m.secs,
        if ran_out { ", until the prepared codes ran out" } else { ", until the case's seconds were up" }
    ));
    report.row(
        &format!(
            "IssueCertificateByTrackingCode, CSR, each a fresh approved code [{}]",
            mode.tag()
        ),
        m,
        Some(Target::MinRps(target(mode))),
    );
}
