//! What the benchmark prints and writes: one table with a row per case (its ratio to the bare
//! hyper baseline and its target, ✓ or ✗), a table of comparisons between cases (journal
//! overhead, growth ratios), the notes that say how each figure was made, and the start-up
//! and memory line.

use crate::http::{Measured, CONNS};

/// What a case must reach; the figure it is judged on follows from the kind.
#[derive(Clone, Copy)]
pub enum Target {
    /// Server CPU per request at most this many times the bare hyper server's.
    CpuRatio(f64),
    /// At least this many good answers per second.
    MinRps(f64),
    /// Client latency percentiles at most these (ms).
    Latency { p50_ms: f64, p99_ms: f64 },
    /// The client's p99 only.
    P99 { p99_ms: f64 },
}

impl Target {
    /// The target as the table shows it, with ✓ or ✗ for `m` (`base`: bare hyper CPU µs/req).
    fn judged(self, m: &Measured, base: f64) -> String {
        let answered = m.requests > 0;
        match self {
            Target::CpuRatio(t) => {
                let ok = answered && m.cpu_us_per_req.unwrap_or(f64::MAX) / base <= t;
                format!("≤ {t}× {}", mark(ok))
            }
            Target::MinRps(t) => format!("≥ {t} req/s {}", mark(answered && m.rps >= t)),
            Target::Latency { p50_ms, p99_ms } => {
                let p50 = answered && m.p50_us as f64 <= p50_ms * 1000.0;
                let p99 = answered && m.p99_us as f64 <= p99_ms * 1000.0;
                format!(
                    "p50 ≤ {p50_ms} ms {}, p99 ≤ {p99_ms} ms {}",
                    mark(p50),
                    mark(p99)
                )
            }
            Target::P99 { p99_ms } => {
                let ok = answered && m.p99_us as f64 <= p99_ms * 1000.0;
                format!("p99 ≤ {p99_ms} ms {}", mark(ok))
            }
        }
    }
}

/// ✓ or ✗.
pub fn mark(ok: bool) -> &'static str {
    if ok {
        "✓"
    } else {
        "✗"
    }
}

/// One line of the main table.
pub struct Row {
    pub what: String,
    pub m: Measured,
    pub target: Option<Target>,
    /// The bare hyper CPU µs/req this row's ratio divides by, when not the run's baseline
    /// (a case measured in turns with a bare server of its own).
    pub base: Option<f64>,
}

/// One line of the comparisons table: a figure made from two or more rows.
pub struct Comparison {
    pub what: String,
    pub value: String,
    /// The target with ✓ or ✗.
    pub target: String,
}

/// Everything the run found, in the order it is printed.
pub struct Report {
    secs: f64,
    /// Bare hyper's server CPU µs per request: what the ratios divide by.
    base: f64,
    rows: Vec<Row>,
    comparisons: Vec<Comparison>,
    notes: Vec<String>,
}

impl Report {
    /// A report whose ratios divide by `baseline` (the bare hyper row, printed first).
    pub fn new(secs: f64, baseline: Measured) -> Report {
        let base = baseline.cpu_us_per_req.unwrap_or(0.0).max(0.001);
        let mut r = Report {
            secs,
            base,
            rows: Vec::new(),
            comparisons: Vec::new(),
            notes: Vec::new(),
        };
        r.row("bare hyper, fixed bytes (baseline)", baseline, None);
        r.note("server CPU µs/req: the server process's user + system CPU during the case (its background threads too: the P12 key pool, sled's flusher) over the good answers; p50/p99 are the client's, request written to answer read; req/s are good answers over the case's wall time".into());
        r
    }

    /// Adds a row to the main table, and a note with the first failure when it had any.
    pub fn row(&mut self, what: &str, m: Measured, target: Option<Target>) {
        if let Some(why) = &m.first_failure {
            self.note(format!("{what}: {} failures; the first: {why}", m.failures));
        }
        self.rows.push(Row {
            what: what.to_string(),
            m,
            target,
            base: None,
        });
    }

    /// [`Report::row`] whose ratio divides by `base`, the bare server's figure from the turns
    /// it alternated with.
    pub fn row_against(&mut self, what: &str, m: Measured, target: Option<Target>, base: f64) {
        self.row(what, m, target);
        if let Some(r) = self.rows.last_mut() {
            r.base = Some(base.max(0.001));
        }
    }

    /// Adds a line to the comparisons table.
    pub fn compare(&mut self, what: &str, value: String, target: String) {
        self.comparisons.push(Comparison {
            what: what.to_string(),
            value,
            target,
        });
    }

    /// Adds a note below the tables.
    pub fn note(&mut self, text: String) {
        self.notes.push(text);
    }

    /// The whole report as markdown, `footer` last.
    pub fn render(&self, footer: &str) -> String {
        // run.sh passes what dist/build.sh said it built (`signsim-x86_64-linux (N bytes,
        // profile-guided): signsim 0.2.0 …`); a run of the driver alone names its binary.
        let build =
            std::env::var("BENCH_BUILD").unwrap_or_else(|_| crate::server::release_bin("signsim"));
        let mut out = format!(
            "signsim benchmark — {build}, this machine, {CONNS} connections, {} s per case\n\n",
            self.secs
        );
        out.push_str("| case | server CPU µs/req | × bare hyper | target | p50 µs | p99 µs | req/s | answers | failures |\n|---|---:|---:|---|---:|---:|---:|---:|---:|\n");
        for r in &self.rows {
            out.push_str(&self.row_line(r));
        }
        if !self.comparisons.is_empty() {
            out.push_str("\n| comparison | value | target |\n|---|---:|---|\n");
            for c in &self.comparisons {
                out.push_str(&format!("| {} | {} | {} |\n", c.what, c.value, c.target));
            }
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for n in &self.notes {
                out.push_str(&format!("- {n}\n"));
            }
        }
        out.push_str(footer);
        out
    }

    /// One row of the main table; "–" where a figure needs good answers and there were none.
    fn row_line(&self, r: &Row) -> String {
        let base = r.base.unwrap_or(self.base);
        let (cpu, ratio) = match r.m.cpu_us_per_req {
            Some(c) => (format!("{c:.1}"), format!("{:.2}", c / base)),
            None => ("–".into(), "–".into()),
        };
        let answered = r.m.requests > 0;
        let dash_or = |v: u64| {
            if answered {
                v.to_string()
            } else {
                "–".into()
            }
        };
        format!(
            "| {} | {cpu} | {ratio} | {} | {} | {} | {:.0} | {} | {} |\n",
            r.what,
            r.target.map(|t| t.judged(&r.m, base)).unwrap_or_default(),
            dash_or(r.m.p50_us),
            dash_or(r.m.p99_us),
            r.m.rps,
            r.m.requests,
            r.m.failures
        )
    }
}
