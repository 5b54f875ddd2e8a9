//! The load client: keep-alive HTTP/1.1 connections of its own (no client library between the
//! measurement and the wire), request builders, the closed-loop driver that keeps `CONNS`
//! connections busy and measures what the server spent, and a batch sender for preparing
//! state before a timed phase.

use crate::server::Server;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Connections (one client thread each) of every closed-loop case.
pub const CONNS: usize = 16;

/// Builds request `i` of worker `w`: `make(w, i)`; `None` when the case has nothing more to
/// send (a worker then stops).
pub type MakeRequest<'a> = &'a (dyn Fn(usize, u64) -> Option<Vec<u8>> + Sync);
/// Judges an answer (status, body).
pub type Judge = fn(u16, &[u8]) -> bool;
/// Reads a value from a good answer (status, body), or says why the answer is not good.
pub type ReadAnswer<'a, T> = &'a (dyn Fn(u16, &[u8]) -> Result<T, String> + Sync);

/// One keep-alive connection, reconnected when the server closed it.
pub struct Conn {
    addr: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    /// A connection to `addr` (`host:port`), opened at the first request.
    pub fn new(addr: &str) -> Conn {
        Conn {
            addr: addr.to_string(),
            stream: None,
        }
    }

    /// Opens the connection now (so that a later `send` does not time the TCP handshake).
    pub fn connect(&mut self) -> Option<()> {
        if self.stream.is_none() {
            let s = TcpStream::connect(&self.addr).ok()?;
            let _ = s.set_nodelay(true);
            self.stream = Some(BufReader::with_capacity(64 * 1024, s));
        }
        Some(())
    }

    /// Sends one request and reads its answer; reconnects and tries once more when the
    /// connection was closed under it (an idle keep-alive the server had dropped).
    pub fn send(&mut self, req: &[u8]) -> Option<(u16, Vec<u8>)> {
        for _ in 0..2 {
            self.connect()?;
            let s = self.stream.as_mut()?;
            if s.get_mut().write_all(req).is_ok() {
                if let Some(r) = read_response(s) {
                    return Some(r);
                }
            }
            self.stream = None;
        }
        None
    }
}

/// Reads one response with a Content-Length body (every answer of these servers has one):
/// (status, body).
fn read_response(s: &mut BufReader<TcpStream>) -> Option<(u16, Vec<u8>)> {
    let mut line = String::new();
    s.read_line(&mut line).ok()?;
    let status = line.split(' ').nth(1)?.parse().ok()?;
    let mut len = 0usize;
    loop {
        line.clear();
        if s.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; len];
    s.read_exact(&mut body).ok()?;
    Some((status, body))
}

/// A GET request. `Host: localhost` is a loopback name, which the control API requires.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

/// A POST request with a body of `content_type`.
pub fn post(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// A POST of a JSON document.
pub fn post_json(path: &str, body: &serde_json::Value) -> Vec<u8> {
    post(path, "application/json", body.to_string().as_bytes())
}

/// What one case measured.
pub struct Measured {
    /// Answers judged good.
    pub requests: u64,
    /// Requests without an answer, or with one judged bad.
    pub failures: u64,
    /// Server CPU (user + system) per good answer; `None` without good answers.
    pub cpu_us_per_req: Option<f64>,
    /// Good answers per second of the case's wall time.
    pub rps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    /// The case's wall time (until the deadline, or until its requests ran out).
    pub secs: f64,
    /// What the first failure was, to explain the failures column.
    pub first_failure: Option<String>,
}

/// The raw figures of one timed phase; phases of the same case add up (rounds).
#[derive(Default)]
pub struct Sample {
    /// Latencies (µs) of the good answers, in no order.
    pub lat: Vec<u64>,
    pub failures: u64,
    pub first_failure: Option<String>,
    /// Server CPU ticks (1/100 s) spent.
    pub cpu_ticks: u64,
    pub secs: f64,
}

impl Sample {
    /// Adds another phase of the same case.
    pub fn add(&mut self, other: Sample) {
        self.lat.extend(other.lat);
        self.failures += other.failures;
        self.first_failure = self.first_failure.take().or(other.first_failure);
        self.cpu_ticks += other.cpu_ticks;
        self.secs += other.secs;
    }

    /// The figures: percentiles, CPU per good answer, rate.
    pub fn measured(mut self) -> Measured {
        let lat = &mut self.lat;
        lat.sort_unstable();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0)
        };
        let cpu_us = self.cpu_ticks as f64 * 10_000.0;
        Measured {
            requests: lat.len() as u64,
            failures: self.failures,
            cpu_us_per_req: (!lat.is_empty()).then(|| cpu_us / lat.len() as f64),
            rps: lat.len() as f64 / self.secs.max(1e-9),
            p50_us: pct(0.50),
            p99_us: pct(0.99),
            secs: self.secs,
            first_failure: self.first_failure,
        }
    }
}

/// A failed request in a few words: the status and the head of the body, or "no answer".
pub fn describe_failure(answer: Option<&(u16, Vec<u8>)>) -> String {
    match answer {
        None => "no answer (connection refused or closed)".into(),
        Some((status, body)) => {
            let text = String::from_utf8_lossy(&body[..body.len().min(240)]).replace('\n', " ");
            format!("HTTP {status}: {text}")
        }
    }
}

/// What one worker of [`drive`] saw.
#[derive(Default)]
struct WorkerLog {
    lat: Vec<u64>,
    failures: u64,
    first_failure: Option<String>,
    end: Option<Instant>,
}

/// Drives `server` with `CONNS` connections, each sending `make(worker, i)` and waiting for
/// its answer, until `secs` have passed or every worker ran out of requests; `ok` judges each
/// answer. Server CPU is read from /proc before and after.
pub fn drive(server: &Server, secs: f64, make: MakeRequest, ok: Judge) -> Measured {
    sample(server, secs, make, ok).measured()
}

/// [`drive`]'s raw figures, to add up over rounds.
fn sample(server: &Server, secs: f64, make: MakeRequest, ok: Judge) -> Sample {
    let stop = AtomicBool::new(false);
    let finished = AtomicUsize::new(0);
    let cpu0 = server.cpu_ticks();
    let t0 = Instant::now();
    let logs: Vec<WorkerLog> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CONNS)
            .map(|w| {
                let (stop, finished, addr) = (&stop, &finished, &server.addr);
                scope.spawn(move || {
                    let log = worker(addr, w, stop, make, ok);
                    finished.fetch_add(1, Ordering::Relaxed);
                    log
                })
            })
            .collect();
        let deadline = t0 + Duration::from_secs_f64(secs);
        while Instant::now() < deadline && finished.load(Ordering::Relaxed) < CONNS {
            std::thread::sleep(Duration::from_millis(5));
        }
        stop.store(true, Ordering::Relaxed);
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let cpu = server.cpu_ticks() - cpu0;
    let end = logs.iter().filter_map(|l| l.end).max().unwrap_or(t0);
    let failures = logs.iter().map(|l| l.failures).sum();
    let first_failure = logs.iter().find_map(|l| l.first_failure.clone());
    Sample {
        lat: logs.into_iter().flat_map(|l| l.lat).collect(),
        failures,
        first_failure,
        cpu_ticks: cpu,
        secs: (end - t0).as_secs_f64(),
    }
}

/// One connection of [`drive`]: request, answer, judge, until `stop` or no more requests.
fn worker(addr: &str, w: usize, stop: &AtomicBool, make: MakeRequest, ok: Judge) -> WorkerLog {
    let mut conn = Conn::new(addr);
    let mut log = WorkerLog::default();
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let Some(req) = make(w, i) else { break };
        i += 1;
        let t = Instant::now();
        let answer = conn.send(&req);
        match &answer {
            Some((s, b)) if ok(*s, b) => log.lat.push(t.elapsed().as_micros() as u64),
            _ => {
                log.failures += 1;
                if log.first_failure.is_none() {
                    log.first_failure = Some(describe_failure(answer.as_ref()));
                }
            }
        }
        log.end = Some(Instant::now());
    }
    log
}

/// What [`send_all`] got back.
pub struct Batch<T> {
    /// `(i, read(answer i))` of every request `read` accepted, in no particular order.
    pub values: Vec<(usize, T)>,
    pub failures: usize,
    pub first_failure: Option<String>,
    pub secs: f64,
}

/// Sends requests `make(0) … make(n − 1)` over `CONNS` connections as fast as the server
/// answers (preparation and seeding, not measurement); `read` turns a good answer into a
/// value and refuses a bad one with why.
pub fn send_all<T: Send>(
    addr: &str,
    n: usize,
    make: &(dyn Fn(usize) -> Vec<u8> + Sync),
    read: ReadAnswer<T>,
) -> Batch<T> {
    let next = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);
    let first_failure = Mutex::new(None);
    let t0 = Instant::now();
    let values = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CONNS.min(n.max(1)))
            .map(|_| {
                let (next, failures, first_failure) = (&next, &failures, &first_failure);
                scope.spawn(move || {
                    let mut conn = Conn::new(addr);
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break mine;
                        }
                        let answer = conn.send(&make(i));
                        let value = match &answer {
                            Some((s, b)) => read(*s, b).map_err(|e| format!("HTTP {s}: {e}")),
                            None => Err(describe_failure(None)),
                        };
                        match value {
                            Ok(v) => mine.push((i, v)),
                            Err(why) => {
                                failures.fetch_add(1, Ordering::Relaxed);
                                let mut first =
                                    first_failure.lock().unwrap_or_else(|p| p.into_inner());
                                first.get_or_insert(why);
                            }
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a batch worker panicked"))
            .collect()
    });
    Batch {
        values,
        failures: failures.load(Ordering::Relaxed),
        first_failure: first_failure
            .into_inner()
            .unwrap_or_else(|p| p.into_inner()),
        secs: t0.elapsed().as_secs_f64(),
    }
}

/// Any 200 answer.
pub fn ok_any_200(s: u16, _b: &[u8]) -> bool {
    s == 200
}

/// Standard base64 (the PKI's and Podpishi's encoding).
pub fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Sends `requests` open-loop, request `i` at `at(i)` after the start whatever the answers do:
/// each on its own thread and connection, opened shortly before its send time so the latency
/// (send to whole answer) does not include the TCP handshake, and a slow answer delays no
/// later request.
pub fn open_loop(
    server: &Server,
    requests: &[Vec<u8>],
    at: &dyn Fn(usize) -> Duration,
    ok: Judge,
) -> Measured {
    const LEAD: Duration = Duration::from_millis(50);
    let cpu0 = server.cpu_ticks();
    let start = Instant::now() + LEAD;
    let answers: Vec<Result<u64, String>> = std::thread::scope(|scope| {
        let threads: Vec<_> = requests
            .iter()
            .enumerate()
            .map(|(i, req)| {
                let at = start + at(i);
                sleep_until(at - LEAD);
                let addr = &server.addr;
                scope.spawn(move || {
                    let mut conn = Conn::new(addr);
                    let _ = conn.connect();
                    sleep_until(at);
                    let t = Instant::now();
                    let answer = conn.send(req);
                    match &answer {
                        Some((s, b)) if ok(*s, b) => Ok(t.elapsed().as_micros() as u64),
                        _ => Err(describe_failure(answer.as_ref())),
                    }
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("an open-loop request thread panicked"))
            .collect()
    });
    let secs = start.elapsed().as_secs_f64();
    let cpu = server.cpu_ticks() - cpu0;
    let failures = answers.iter().filter(|a| a.is_err()).count() as u64;
    let first_failure = answers.iter().find_map(|a| a.clone().err());
    Sample {
        lat: answers.into_iter().filter_map(Result::ok).collect(),
        failures,
        first_failure,
        cpu_ticks: cpu,
        secs,
    }
    .measured()
}

/// Sleeps until `at` (at once if it has passed).
fn sleep_until(at: Instant) {
    if let Some(d) = at.checked_duration_since(Instant::now()) {
        std::thread::sleep(d);
    }
}

/// Which of two servers measures in each turn of [`in_turns`]: A B B A B A A B, i.e. four
/// pairs of adjacent turns, each pair with one turn of each server.
const TURNS: [usize; 8] = [0, 1, 1, 0, 1, 0, 0, 1];

/// What [`in_turns`] measured.
pub struct Turns {
    /// Each server's figures over all its turns.
    pub measured: [Measured; 2],
    /// Server B's CPU µs/req over server A's, in each pair of adjacent turns: how much the
    /// comparison moves within one run.
    pub pair_ratios: Vec<f64>,
}

/// Measures the same case on two servers in alternating turns (A B B A B A A B, `secs` / 4
/// each, so `secs` per server in all), so that a drift of the machine's load — it is shared —
/// weighs on both alike; each server's figures add up over its turns.
pub fn in_turns(servers: [&Server; 2], secs: f64, make: MakeRequest, ok: Judge) -> Turns {
    in_turns_of(servers, secs, [(make, ok), (make, ok)])
}

/// [`in_turns`] with each server's own request and judge (a case against the bare server).
pub fn in_turns_of(servers: [&Server; 2], secs: f64, cases: [(MakeRequest, Judge); 2]) -> Turns {
    let mut samples = [Sample::default(), Sample::default()];
    let mut cpu_per_req = Vec::new();
    for &s in &TURNS {
        let (make, ok) = cases[s];
        let turn = sample(servers[s], secs / 4.0, make, ok);
        let answers = turn.lat.len().max(1) as f64;
        cpu_per_req.push(turn.cpu_ticks as f64 / answers);
        samples[s].add(turn);
    }
    let pair_ratios = TURNS
        .chunks(2)
        .zip(cpu_per_req.chunks(2))
        .map(|(who, cpu)| {
            if who[0] == 0 {
                cpu[1] / cpu[0]
            } else {
                cpu[0] / cpu[1]
            }
        })
        .collect();
    Turns {
        measured: samples.map(Sample::measured),
        pair_ratios,
    }
}

/// The smallest and the largest of `values`.
pub fn range(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)))
}
