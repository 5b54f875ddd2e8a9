//! The table the benchmark prints and writes: one row per case with its ratio to the bare
//! hyper baseline and its target, then the start-up and memory line.

use crate::http::{Measured, CONNS};

/// One line of the table.
pub struct Row {
    pub what: String,
    pub m: Measured,
    /// Server CPU per request at most this many times the bare hyper server's.
    pub target: Option<f64>,
}

/// The table: heading, rows (ratios to `base`, the bare hyper CPU µs/req) and `footer`.
pub fn render(secs: f64, rows: &[Row], base: f64, footer: &str) -> String {
    let mut table = String::new();
    table.push_str(&format!(
        "signsim benchmark — {CONNS} connections, {secs} s per case, release build, this machine\n\n"
    ));
    table.push_str("| case | server CPU µs/req | × bare hyper | target | p50 µs | p99 µs | req/s | answers | failures |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let ratio = r.m.cpu_us_per_req / base;
        table.push_str(&format!(
            "| {} | {:.1} | {:.2} | {} | {} | {} | {:.0} | {} | {} |\n",
            r.what,
            r.m.cpu_us_per_req,
            ratio,
            r.target
                .map(|t| format!("≤ {t}×{}", if ratio <= t { " ✓" } else { " ✗" }))
                .unwrap_or_default(),
            r.m.p50_us,
            r.m.p99_us,
            r.m.rps,
            r.m.requests,
            r.m.failures
        ));
    }
    table.push_str(footer);
    table
}
