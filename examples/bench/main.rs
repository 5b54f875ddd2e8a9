//! The benchmark driver `benches/run.sh` calls: it starts the release binaries, drives them
//! with a keep-alive HTTP/1.1 load client of its own (N connections, one thread each), and
//! prints one table — server CPU µs per request (from /proc), client p50/p99, requests/s —
//! with each figure's ratio to a bare hyper server measured in the same run, and the target
//! where the project has one. `cargo run --release --example bench -- [seconds] [out.md]`
//!
//! Rationale: server CPU per request, read from /proc/PID/stat, does not depend on how much
//! of the 2-core machine the load client itself takes; latency percentiles are the client's.

mod http;
mod pki;
mod podpishi;
mod report;
mod server;

use http::{drive, get, ok_any_200, Judge, MakeRequest};
use podpishi::{command, ok_pod, upload};
use report::Row;
use server::Server;
use std::sync::Arc;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let out = args.get(2).cloned();
    let mut rows: Vec<Row> = Vec::new();

    let bare = Server::start("target/release/examples/bare_hyper", &["0"], false);
    let baseline = drive(&bare, secs, Arc::new(|_, _| get("/")), ok_any_200);
    drop(bare);
    let base = baseline.cpu_us_per_req.max(0.001);
    rows.push(Row {
        what: "bare hyper, fixed bytes (baseline)".into(),
        m: baseline,
        target: None,
    });

    let ready = server::readiness_ms();
    let mut idle_rss = 0;
    let mut peak_rss = 0;
    for durable in [false, true] {
        let tag = if durable { "durable" } else { "memory" };
        let s = Server::signsim(&[], durable);
        std::thread::sleep(Duration::from_millis(200));
        if !durable {
            idle_rss = s.status_kib("VmRSS");
        }
        let reg = pki::register_body();
        let mut cases: Vec<(String, MakeRequest, Judge, Option<f64>)> = vec![
            (
                "GET GetCAList".into(),
                Arc::new(|_, _| get("/api/GetCAList?Customercode=10320874334")),
                pki::ok_pki,
                Some(1.5),
            ),
            (
                "POST RegisterInfo (signed, idempotent repeat)".into(),
                Arc::new(move |_, _| reg.clone()),
                pki::ok_pki,
                Some(3.0),
            ),
            (
                "getavailabledocs".into(),
                Arc::new(|_, _| command("<data><oper>getavailabledocs</oper><time></time></data>")),
                ok_pod,
                Some(2.0),
            ),
        ];
        let small = vec![b'x'; 2048];
        let big = vec![b'y'; 1024 * 1024];
        let run = format!("{}", std::process::id());
        let (small2, run2) = (small.clone(), run.clone());
        cases.push((
            "upload 2 KiB".into(),
            Arc::new(move |w, i| upload(&format!("b{run2}-{tag}-s-{w}-{i}"), &small2)),
            ok_pod,
            None,
        ));
        let run3 = run.clone();
        cases.push((
            "upload 1 MiB".into(),
            Arc::new(move |w, i| upload(&format!("b{run3}-{tag}-b-{w}-{i}"), &big)),
            ok_pod,
            None,
        ));
        cases.push((
            "getstatus".into(),
            Arc::new(move |w, _| command(&format!("<data><oper>getstatus</oper><docuniq>b{run}-{tag}-s-{w}-0</docuniq><time></time></data>"))),
            ok_pod,
            None,
        ));
        cases.push((
            "getdoc (document 1001)".into(),
            Arc::new(|_, _| {
                command("<data><oper>getdoc</oper><docnum>1001</docnum><time></time></data>")
            }),
            ok_any_200,
            None,
        ));
        for (what, make, ok, target) in cases {
            let m = drive(&s, secs, make, ok);
            rows.push(Row {
                what: format!("{what} [{tag}]"),
                m,
                target: if durable { None } else { target },
            });
        }
        peak_rss = peak_rss.max(s.status_kib("VmHWM"));
    }

    let footer = format!(
        "\nstart → first answer: median of 20 {ready:.1} ms (target ≤ 15 ms{}) · idle RSS {:.1} MiB (target ≤ 12{}) · peak RSS {:.1} MiB (target ≤ 64{})\n\nNot measured yet (issue 12): IssueCertificate (CSR), P12 issue latency at 8/s, journal on vs off, and the 10×-records growth cases.\n",
        if ready <= 15.0 { " ✓" } else { " ✗" },
        idle_rss as f64 / 1024.0,
        if idle_rss as f64 / 1024.0 <= 12.0 { " ✓" } else { " ✗" },
        peak_rss as f64 / 1024.0,
        if peak_rss as f64 / 1024.0 <= 64.0 { " ✓" } else { " ✗" },
    );
    let table = report::render(secs, &rows, base, &footer);
    print!("{table}");
    if let Some(path) = out {
        let _ = std::fs::write(path, &table);
    }
}
