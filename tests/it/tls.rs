//! `serve --tls`: the same APIs over HTTPS with a server certificate issued at start by the test
//! root, checked by independent peers: `curl --cacert <root>` against `https://localhost:PORT`,
//! and `openssl s_client -verify_return_error` for every name the certificate must cover.

use crate::helpers::*;
use std::io::Write;
use std::process::{Command, Stdio};

/// Printed past the test harness's capture, so `cargo test` shows the measurements.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

struct TlsServer {
    child: std::process::Child,
    url: String,
    port: u16,
}

impl TlsServer {
    fn start(extra: &[&str]) -> TlsServer {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_signsim"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--clock",
                TEST_CLOCK,
                "--tls",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_string();
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        TlsServer { child, url, port }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn curl(args: &[&str]) -> (bool, String, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `openssl s_client` to the port with SNI and hostname check `name`; (verified, output).
fn s_client(port: u16, name: &str, ca: &std::path::Path) -> (bool, String) {
    let out = Command::new("openssl")
        .args(["s_client", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-servername", name, "-verify_return_error", "-CAfile"])
        .arg(ca)
        .arg(if name.parse::<std::net::IpAddr>().is_ok() {
            "-verify_ip"
        } else {
            "-verify_hostname"
        })
        .arg(name)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.success() && text.contains("Verify return code: 0 (ok)"),
        text,
    )
}

#[test]
fn https_serves_the_apis_with_a_certificate_from_the_test_root() {
    let server = TlsServer::start(&["--tls-name", "signsim.internal"]);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let dir = tempfile::tempdir().unwrap();
    // The root from the control API (fetched once without verification, as the README shows),
    // and it is the fixtures' test root.
    let root = dir.path().join("root.pem");
    let (ok, pem, err) = curl(&["-k", &format!("{}/__admin/tls/root", server.url)]);
    assert!(ok, "{err}");
    assert_eq!(
        pem,
        std::fs::read_to_string(fixture("pki/root-ca.pem")).unwrap()
    );
    std::fs::write(&root, &pem).unwrap();

    let (ok, body, err) = curl(&[
        "--cacert",
        root.to_str().unwrap(),
        "-w",
        "\n%{time_connect} %{time_appconnect} %{time_total}",
        &format!("https://localhost:{}/api/GetVersion", server.port),
    ]);
    assert!(ok, "curl --cacert failed: {err}");
    let (body, times) = body.rsplit_once('\n').unwrap();
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["IsSuccess"], true, "{v}");
    let t: Vec<f64> = times.split(' ').map(|x| x.parse().unwrap()).collect();
    report(&format!(
        "TLS: curl --cacert <root> https://localhost:{}/api/GetVersion answered IsSuccess; TCP connect {:.1} ms, TLS handshake done at {:.1} ms ({:.1} ms for the handshake), total {:.1} ms",
        server.port,
        t[0] * 1000.0,
        t[1] * 1000.0,
        (t[1] - t[0]) * 1000.0,
        t[2] * 1000.0
    ));
    // Podpishi and the control API over the same port.
    let (ok, body, err) = curl(&[
        "--cacert",
        root.to_str().unwrap(),
        &format!("https://localhost:{}/__admin/health", server.port),
    ]);
    assert!(ok && body.contains("\"status\": \"ok\""), "{err}{body}");

    // Every name the certificate must cover verifies; another does not.
    for name in [
        "localhost",
        "127.0.0.1",
        "api.pki.co.ir",
        "www.podpishi.kz",
        "api.podpishi.kz",
        "signsim.internal",
    ] {
        let (verified, text) = s_client(server.port, name, &root);
        assert!(verified, "{name}:\n{text}");
        report(&format!(
            "TLS: openssl s_client -verify_return_error {} {name}: Verify return code: 0 (ok)",
            if name.parse::<std::net::IpAddr>().is_ok() {
                "-verify_ip"
            } else {
                "-verify_hostname"
            }
        ));
    }
    let (verified, text) = s_client(server.port, "example.org", &root);
    assert!(!verified, "example.org must not verify:\n{text}");
    // Without the root, curl refuses the certificate (it is a test CA, in no trust store).
    let (ok, _, err) = curl(&[&format!("https://localhost:{}/api/GetVersion", server.port)]);
    assert!(!ok, "verified without the test root");
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    // A plain-HTTP client on the TLS port gets no answer, and the server keeps serving.
    let (ok, _, _) = curl(&[&format!("http://127.0.0.1:{}/api/GetVersion", server.port)]);
    assert!(!ok);
    let (ok, _, err) = curl(&[
        "--cacert",
        root.to_str().unwrap(),
        &format!("https://localhost:{}/api/GetVersion", server.port),
    ]);
    assert!(ok, "{err}");
}

#[test]
fn issued_certificates_name_the_https_crl_and_plain_http_has_no_tls_root() {
    let server = TlsServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root.pem");
    std::fs::copy(fixture("pki/root-ca.pem"), &root).unwrap();
    let post = |method: &str, body: &serde_json::Value| -> serde_json::Value {
        let (ok, out, err) = curl(&[
            "--cacert",
            root.to_str().unwrap(),
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            &body.to_string(),
            &format!("https://localhost:{}/api/{method}", server.port),
        ]);
        assert!(ok, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let reg = post(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", mehdi()),
    );
    let tc = reg["TrackingCode"]
        .as_str()
        .unwrap_or_else(|| panic!("{reg}"));
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let issued = post(
        "IssueCertificateByTrackingCode",
        &Customer::A.issue_body("01", "Bronze-Sign", tc, &csr),
    );
    let text = openssl_text(&unb64(issued["Certificate"].as_str().unwrap()));
    assert!(
        text.contains(&format!("URI:https://127.0.0.1:{}/crl/01.crl", server.port)),
        "{text}"
    );
    // The CRL it names is there, over HTTPS.
    let (ok, _, err) = curl(&[
        "--cacert",
        root.to_str().unwrap(),
        "-o",
        dir.path().join("01.crl").to_str().unwrap(),
        &format!("https://127.0.0.1:{}/crl/01.crl", server.port),
    ]);
    assert!(ok, "{err}");
    openssl_crl_text(&std::fs::read(dir.path().join("01.crl")).unwrap());

    let plain = TestEmulator::spawn();
    assert_admin_error(&plain.admin_get("tls/root"), 404, &["--tls"]);
}

/// The server's open sockets (the listener included), from /proc.
fn open_sockets(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count()
}

/// A TLS record header announcing a 512-byte ClientHello, then its first bytes only.
const TRUNCATED_CLIENT_HELLO: [u8; 11] = [
    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
];

/// A raw TCP connection to the TLS port, sending nothing or the start of a ClientHello.
fn half_open(port: u16, truncated_hello: bool) -> std::net::TcpStream {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(15)))
        .unwrap();
    if truncated_hello {
        s.write_all(&TRUNCATED_CLIENT_HELLO).unwrap();
    }
    s
}

/// Blocks until the server closes `s` (EOF or reset); how long after `since`.
fn closed_after(mut s: std::net::TcpStream, since: std::time::Instant) -> std::time::Duration {
    use std::io::Read;
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return since.elapsed(),
            Ok(_) => continue,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                panic!("still open {:?} after connecting", since.elapsed())
            }
            Err(_) => return since.elapsed(),
        }
    }
}

/// A real TLS client (curl, checking the certificate) gets the health answer.
fn assert_served_over_https(port: u16) {
    let (ok, body, err) = curl(&[
        "--cacert",
        fixture("pki/root-ca.pem").to_str().unwrap(),
        &format!("https://localhost:{port}/__admin/health"),
    ]);
    assert!(ok && body.contains("\"status\": \"ok\""), "{err}{body}");
}

#[test]
fn half_open_handshakes_beyond_the_connection_cap_close_the_oldest() {
    use std::time::{Duration, Instant};
    // A read timeout far longer than the test's waits: only the cap can close a connection.
    let server = TlsServer::start(&["--max-connections", "20", "--read-timeout", "8s"]);
    let pid = server.child.id();
    let before = open_sockets(pid);
    // 200 connections in the handshake, half silent, half with a truncated ClientHello.
    let started = Instant::now();
    let flood: Vec<_> = (0..200)
        .map(|i| half_open(server.port, i % 2 == 1))
        .collect();
    let mut held = open_sockets(pid) - before;
    while held > 20 + 5 && started.elapsed() < Duration::from_secs(4) {
        std::thread::sleep(Duration::from_millis(50));
        held = open_sockets(pid) - before;
    }
    report(&format!(
        "TLS: 200 half-open handshakes with --max-connections 20: {held} held by the server after {:?}",
        started.elapsed()
    ));
    assert!(
        held <= 20 + 5,
        "{held} half-open handshakes held open {:?} after connecting, with --max-connections 20",
        started.elapsed()
    );
    // The oldest were closed: the first one reads EOF (or a reset), well before the read timeout.
    let mut flood = flood.into_iter();
    let t = closed_after(flood.next().unwrap(), started);
    assert!(
        t < Duration::from_secs(5),
        "the oldest handshake was open {t:?}"
    );
    // A real client still gets a connection with the newest 20 half-open ones held.
    let newest: Vec<_> = flood.skip(180).collect();
    assert_served_over_https(server.port);
    drop(newest);
}

#[test]
fn a_silent_or_truncated_handshake_is_closed_after_the_read_timeout() {
    use std::time::{Duration, Instant};
    let server = TlsServer::start(&["--read-timeout", "2s", "--idle-timeout", "30s"]);
    let since = Instant::now();
    let silent = half_open(server.port, false);
    let truncated = half_open(server.port, true);
    let (t_silent, t_truncated) = (closed_after(silent, since), closed_after(truncated, since));
    report(&format!(
        "TLS: with --read-timeout 2s a silent connection was closed after {t_silent:?}, a truncated ClientHello after {t_truncated:?}"
    ));
    // After the read timeout (2 s), and well before the 10 s the handshake was once allowed.
    for (what, t) in [("silent", t_silent), ("truncated ClientHello", t_truncated)] {
        assert!(
            t >= Duration::from_millis(1800) && t < Duration::from_secs(7),
            "{what} handshake closed after {t:?} with --read-timeout 2s"
        );
    }
    assert_served_over_https(server.port);
}

#[test]
fn sigterm_with_half_open_handshakes_exits_at_once() {
    use std::time::{Duration, Instant};
    let mut server = TlsServer::start(&[]);
    let open: Vec<_> = (0..20)
        .map(|i| half_open(server.port, i % 2 == 1))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "still running {:?} after SIGTERM with 20 half-open handshakes",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    report(&format!(
        "TLS: SIGTERM with 20 half-open handshakes: exited in {:?}",
        started.elapsed()
    ));
    drop(open);
}

#[test]
fn an_established_tls_connection_waits_for_its_first_request_on_the_idle_timeout() {
    use std::time::{Duration, Instant};
    let server = TlsServer::start(&["--read-timeout", "1s", "--idle-timeout", "4s"]);
    // s_client completes the handshake, then sends nothing (its stdin stays open) and exits when
    // the server closes the connection.
    let started = Instant::now();
    let mut client = Command::new("openssl")
        .args(["s_client", "-quiet", "-connect"])
        .arg(format!("127.0.0.1:{}", server.port))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let closed = loop {
        if client.try_wait().unwrap().is_some() {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(15) {
            let _ = client.kill();
            panic!("still open after {:?}", started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    report(&format!(
        "TLS: an established connection with no request, --read-timeout 1s --idle-timeout 4s: closed after {closed:?}"
    ));
    // The idle timeout (4 s), not the read timeout (1 s): the handshake began no request head.
    assert!(
        closed >= Duration::from_millis(3500) && closed < Duration::from_secs(10),
        "closed after {closed:?}"
    );
}
