//! The benchmark driver `benches/run.sh` calls: it starts the release binaries, drives them
//! with a keep-alive HTTP/1.1 load client of its own (N connections, one thread each), and
//! prints one table — server CPU µs per request (from /proc), client p50/p99, requests/s —
//! with each figure's ratio to a bare hyper server measured in the same run, and the target
//! where the project has one. `cargo run --release --example bench -- [seconds] [out.md]`
//!
//! Rationale: server CPU per request, read from /proc/PID/stat, does not depend on how much
//! of the 2-core machine the load client itself takes; latency percentiles are the client's.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONNS: usize = 16;

/// Builds the i-th request of a worker.
type MakeRequest = Arc<dyn Fn(usize, u64) -> Vec<u8> + Send + Sync>;
/// Judges an answer (status, body).
type Judge = fn(u16, &[u8]) -> bool;

/// A running server process.
struct Server {
    child: Child,
    addr: String,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    fn start(bin: &str, args: &[&str], data_dir: bool) -> Server {
        let dir = data_dir.then(|| tempfile::tempdir().expect("tempdir"));
        let mut cmd = Command::new(bin);
        cmd.args(args);
        if let Some(d) = &dir {
            cmd.args(["--data-dir", d.path().to_str().expect("path")]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("url line");
        let addr = line.trim().trim_start_matches("http://").to_string();
        Server {
            child,
            addr,
            _dir: dir,
        }
    }

    fn signsim(args: &[&str], data_dir: bool) -> Server {
        let mut all = vec!["serve", "--addr", "127.0.0.1:0", "--log", "error"];
        all.extend_from_slice(args);
        Server::start("target/release/signsim", &all, data_dir)
    }

    /// utime + stime in clock ticks (1/100 s on Linux).
    fn cpu_ticks(&self) -> u64 {
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

    fn status_kib(&self, key: &str) -> u64 {
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
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One keep-alive connection.
struct Conn {
    addr: String,
    stream: Option<TcpStream>,
}

impl Conn {
    fn send(&mut self, req: &[u8]) -> Option<(u16, Vec<u8>)> {
        for _ in 0..2 {
            if self.stream.is_none() {
                let s = TcpStream::connect(&self.addr).ok()?;
                let _ = s.set_nodelay(true);
                self.stream = Some(s);
            }
            let s = self.stream.as_mut()?;
            if s.write_all(req).is_ok() {
                if let Some(r) = read_response(s) {
                    return Some(r);
                }
            }
            self.stream = None;
        }
        None
    }
}

fn read_response(s: &mut TcpStream) -> Option<(u16, Vec<u8>)> {
    let mut head = Vec::with_capacity(512);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let len: usize = text
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    s.read_exact(&mut body).ok()?;
    Some((status, body))
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").into_bytes()
}

fn post(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

struct Measured {
    /// Answers judged good.
    requests: u64,
    failures: u64,
    cpu_us_per_req: f64,
    rps: f64,
    p50_us: u64,
    p99_us: u64,
}

/// Drives `server` for `secs` with `CONNS` connections; `make(worker, i)` builds each request,
/// `ok` judges each answer.
fn drive(server: &Server, secs: f64, make: MakeRequest, ok: Judge) -> Measured {
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let cpu0 = server.cpu_ticks();
    let t0 = Instant::now();
    let workers: Vec<_> = (0..CONNS)
        .map(|w| {
            let (stop, failures, make) = (stop.clone(), failures.clone(), make.clone());
            let addr = server.addr.clone();
            std::thread::spawn(move || {
                let mut conn = Conn { addr, stream: None };
                let mut lat = Vec::new();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let req = make(w, i);
                    i += 1;
                    let t = Instant::now();
                    match conn.send(&req) {
                        Some((s, b)) if ok(s, &b) => lat.push(t.elapsed().as_micros() as u64),
                        _ => {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                lat
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    let mut lat: Vec<u64> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap_or_default())
        .collect();
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = (server.cpu_ticks() - cpu0) as f64 * 10_000.0;
    lat.sort_unstable();
    let n = lat.len().max(1) as u64;
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    Measured {
        requests: lat.len() as u64,
        failures: failures.load(Ordering::Relaxed),
        cpu_us_per_req: cpu / n as f64,
        rps: lat.len() as f64 / elapsed,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
    }
}

fn ok_pki(s: u16, b: &[u8]) -> bool {
    s == 200
        && (b.windows(16).any(|w| w == b"\"IsSuccess\":true") || b.starts_with(b"{\"IsSuccess"))
}

fn ok_any_200(s: u16, _b: &[u8]) -> bool {
    s == 200
}

fn ok_pod(s: u16, b: &[u8]) -> bool {
    s == 200 && b.windows(8).any(|w| w == b"err=\"no\"") && !b.windows(8).any(|w| w == b">err</do")
}

fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const ALFA: (&str, &str) = ("alfa@test.kz", "7588ca38acc4ef76149caa0b0c115d94");

fn command(xml: &str) -> Vec<u8> {
    let body = format!(
        "login={}&apikey={}&command={}",
        urlencode(ALFA.0),
        ALFA.1,
        urlencode(&b64(xml.as_bytes()))
    );
    post(
        "/apistatus.php",
        "application/x-www-form-urlencoded",
        body.as_bytes(),
    )
}

fn upload(reference: &str, file: &[u8]) -> Vec<u8> {
    let boundary = "signsimbenchboundary";
    let mut body = Vec::new();
    for (k, v) in [
        ("login", ALFA.0),
        ("apikey", ALFA.1),
        ("nametxt", "bench"),
        ("uniq_reference", reference),
        ("owner_bin", "160940001237"),
        ("receiver_bin", "160940004561"),
        ("type_delegate", "1"),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"uf\"; filename=\"doc.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    post(
        "/api.php",
        &format!("multipart/form-data; boundary={boundary}"),
        &body,
    )
}

fn register_body() -> Vec<u8> {
    let key = std::fs::read_to_string("fixtures/pki/customers/10320874334.key")
        .expect("run from the repository root");
    let sk = signsim::crypto::rsa::parse_private_key(&key).expect("key");
    let sig = signsim::crypto::rsa::sign_sha1(
        &sk,
        &signsim::crypto::utf16le("10320874334-1234-0012345679"),
    )
    .expect("sign");
    let body = serde_json::json!({
        "caName": "01", "customercode": "10320874334-1234", "profileName": "Bronze-Sign",
        "signature": b64(&sig),
        "personData": {"NationalCode": "0012345679", "Name": "مهدی", "LastName": "احمدی",
            "EnName": "Mehdi", "EnLastName": "Ahmadi", "FatherName": "حسن", "IsMan": true,
            "Telephone": "09121234567", "BirthDate": "1990/05/12", "TokenType": "USERGENERATED",
            "City": "تهران", "ProvinceName": "تهران", "PostalCode": "1136913111",
            "Email": "mehdi@example.test"}
    });
    post(
        "/api/RegisterInfo",
        "application/json",
        body.to_string().as_bytes(),
    )
}

fn readiness_ms() -> f64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut times = Vec::new();
    for i in 0..20 {
        let ready = dir.path().join(format!("ready{i}"));
        let t0 = Instant::now();
        let mut child = Command::new("target/release/signsim")
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--log",
                "error",
                "--ready-file",
            ])
            .arg(&ready)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        while !ready.exists() {
            std::thread::sleep(Duration::from_micros(200));
        }
        // First answer, not just the file.
        let url = std::fs::read_to_string(&ready).unwrap_or_default();
        let mut conn = Conn {
            addr: url
                .trim()
                .trim_start_matches("http://")
                .trim_start_matches("https://")
                .to_string(),
            stream: None,
        };
        let _ = conn.send(&get("/api/GetVersion"));
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        let _ = child.kill();
        let _ = child.wait();
    }
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

struct Row {
    what: String,
    m: Measured,
    target: Option<f64>,
}

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

    let ready = readiness_ms();
    let mut idle_rss = 0;
    let mut peak_rss = 0;
    for durable in [false, true] {
        let tag = if durable { "durable" } else { "memory" };
        let s = Server::signsim(&[], durable);
        std::thread::sleep(Duration::from_millis(200));
        if !durable {
            idle_rss = s.status_kib("VmRSS");
        }
        let reg = register_body();
        let mut cases: Vec<(String, MakeRequest, Judge, Option<f64>)> = vec![
            (
                "GET GetCAList".into(),
                Arc::new(|_, _| get("/api/GetCAList?Customercode=10320874334")),
                ok_pki,
                Some(1.5),
            ),
            (
                "POST RegisterInfo (signed, idempotent repeat)".into(),
                Arc::new(move |_, _| reg.clone()),
                ok_pki,
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

    let mut table = String::new();
    table.push_str(&format!(
        "signsim benchmark — {CONNS} connections, {secs} s per case, release build, this machine\n\n"
    ));
    table.push_str("| case | server CPU µs/req | × bare hyper | target | p50 µs | p99 µs | req/s | answers | failures |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in &rows {
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
    table.push_str(&format!(
        "\nstart → first answer: median of 20 {ready:.1} ms (target ≤ 15 ms{}) · idle RSS {:.1} MiB (target ≤ 12{}) · peak RSS {:.1} MiB (target ≤ 64{})\n",
        if ready <= 15.0 { " ✓" } else { " ✗" },
        idle_rss as f64 / 1024.0,
        if idle_rss as f64 / 1024.0 <= 12.0 { " ✓" } else { " ✗" },
        peak_rss as f64 / 1024.0,
        if peak_rss as f64 / 1024.0 <= 64.0 { " ✓" } else { " ✗" },
    ));
    table.push_str("\nNot measured yet (issue 12): IssueCertificate (CSR), P12 issue latency at 8/s, journal on vs off, and the 10×-records growth cases.\n");
    print!("{table}");
    if let Some(path) = out {
        let _ = std::fs::write(path, &table);
    }
}
