//! The load client: keep-alive HTTP/1.1 connections of its own (no client library between the
//! measurement and the wire), request builders, and the closed-loop driver that keeps
//! `CONNS` connections busy and measures what the server spent.

use crate::server::Server;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Connections (one client thread each) of every closed-loop case.
pub const CONNS: usize = 16;

/// Builds the i-th request of a worker: `make(worker, i)`.
pub type MakeRequest = Arc<dyn Fn(usize, u64) -> Vec<u8> + Send + Sync>;
/// Judges an answer (status, body).
pub type Judge = fn(u16, &[u8]) -> bool;

/// One keep-alive connection, reconnected when the server closed it.
pub struct Conn {
    pub addr: String,
    pub stream: Option<TcpStream>,
}

impl Conn {
    /// Sends one request and reads its answer; reconnects and tries once more when the
    /// connection was closed under it.
    pub fn send(&mut self, req: &[u8]) -> Option<(u16, Vec<u8>)> {
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

/// Reads one response with a Content-Length body: (status, body).
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

/// A GET request.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").into_bytes()
}

/// A POST request with a body of `content_type`.
pub fn post(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// What one case measured.
pub struct Measured {
    /// Answers judged good.
    pub requests: u64,
    pub failures: u64,
    pub cpu_us_per_req: f64,
    pub rps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
}

/// Drives `server` for `secs` with `CONNS` connections; `make(worker, i)` builds each request,
/// `ok` judges each answer.
pub fn drive(server: &Server, secs: f64, make: MakeRequest, ok: Judge) -> Measured {
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

/// Any 200 answer.
pub fn ok_any_200(s: u16, _b: &[u8]) -> bool {
    s == 200
}

/// Standard base64 (the PKI's and Podpishi's encoding).
pub fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}
