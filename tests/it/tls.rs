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
