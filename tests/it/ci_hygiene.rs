//! Starting and stopping the binary in CI: the ready file removed at start, written
//! whole, removed on exit; start-up errors that name the path or address at fault; the URLs
//! written into the ready file and certificates when bound to 0.0.0.0 (`--public-url` or the
//! request's Host); `--cors` for browser-based clients.

use crate::helpers::*;
use serde_json::json;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_signsim");

fn wait_for(path: &std::path::Path) -> String {
    for _ in 0..200 {
        if let Ok(s) = std::fs::read_to_string(path) {
            if !s.is_empty() {
                return s;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("{} was never written", path.display());
}

#[test]
fn the_ready_file_is_replaced_at_start_written_whole_and_removed_on_exit() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("url");
    std::fs::write(&ready, "http://127.0.0.1:9\n").unwrap();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--clock",
            TEST_CLOCK,
            "--ready-file",
        ])
        .arg(&ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let text = wait_for(&ready);
    assert_eq!(
        text,
        format!("{}\n", line.trim()),
        "the whole URL and a newline"
    );
    assert_ne!(text, "http://127.0.0.1:9\n");
    // Nothing but the ready file in its directory: the temporary file was renamed.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["url".to_string()]);
    let resp = reqwest::blocking::get(format!("{}/__admin/health", text.trim())).unwrap();
    assert_eq!(resp.status(), 200);
    run("kill", &["-TERM", &child.id().to_string()], b"");
    assert!(child.wait().unwrap().success());
    assert!(!ready.exists(), "the ready file outlived signsim");
}

#[test]
fn start_up_errors_name_the_path_or_address_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir").join("url");
    let (code, out, err) = signsim_exit(&[
        "--addr",
        "127.0.0.1:0",
        "--ready-file",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(out, "", "nothing printed as a URL");
    assert!(
        err.contains(&format!("--ready-file {}", missing.display()))
            && err.contains(&format!(
                "the directory {} does not exist",
                dir.path().join("no-such-dir").display()
            )),
        "{err}"
    );
    assert!(!err.contains("cannot listen"), "{err}");

    // An address in use: named, with the way out.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let ready = dir.path().join("url");
    std::fs::write(&ready, "http://stale\n").unwrap();
    let (code, _, err) = signsim_exit(&["--addr", &addr, "--ready-file", ready.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!("cannot listen on {addr}")) && err.contains("in use"),
        "{err}"
    );
    assert!(err.contains("--addr 127.0.0.1:0"), "{err}");
    // The stale ready file is gone even though signsim could not start.
    assert!(!ready.exists());

    // A data directory that is a file.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let (code, _, err) = signsim_exit(&[
        "--addr",
        "127.0.0.1:0",
        "--data-dir",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!("--data-dir {}", file.display())),
        "{err}"
    );

    // A public URL that is not one.
    let (code, _, err) = signsim_exit(&["--addr", "127.0.0.1:0", "--public-url", "signsim:8080"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("--public-url 'signsim:8080'") && err.contains("http://"),
        "{err}"
    );
}

/// The CRL distribution point of a certificate issued over `url` with `host` as the `Host`.
fn crl_url_of_issued(url: &str, host: Option<&str>) -> String {
    let client = reqwest::blocking::Client::new();
    let post = |method: &str, body: &serde_json::Value| -> serde_json::Value {
        let mut req = client.post(format!("{url}/api/{method}")).json(body);
        if let Some(h) = host {
            req = req.header("Host", h);
        }
        req.send().unwrap().json().unwrap()
    };
    let reg = post(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", mehdi()),
    );
    assert_eq!(reg["IsSuccess"], true, "{reg}");
    let tc = reg["TrackingCode"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let issued = post(
        "IssueCertificateByTrackingCode",
        &Customer::A.issue_body("01", "Bronze-Sign", tc, &csr),
    );
    assert_eq!(issued["IsSuccess"], true, "{issued}");
    let text = openssl_text(&unb64(issued["Certificate"].as_str().unwrap()));
    text.lines()
        .find_map(|l| l.trim().strip_prefix("URI:").map(str::to_string))
        .unwrap_or_else(|| panic!("no CRL distribution point in\n{text}"))
}

#[test]
fn bound_to_all_addresses_the_ready_file_and_certificates_name_reachable_urls() {
    let dir = tempfile::tempdir().unwrap();
    // Without --public-url: the ready file names 127.0.0.1, certificates the request's Host.
    let ready = dir.path().join("url");
    let server = SignsimProcess::start(&[
        "--addr",
        "0.0.0.0:0",
        "--admin-token",
        "t",
        "--ready-file",
        ready.to_str().unwrap(),
    ]);
    assert!(
        server.printed_url.starts_with("http://127.0.0.1:"),
        "{}",
        server.printed_url
    );
    assert_eq!(wait_for(&ready).trim(), server.printed_url);
    let port = server.url.rsplit(':').next().unwrap().to_string();
    assert_eq!(
        crl_url_of_issued(&server.url, Some(&format!("signsim.ci:{port}"))),
        format!("http://signsim.ci:{port}/crl/01.crl")
    );
    drop(server);

    // With --public-url: that URL everywhere, whatever the Host.
    let ready = dir.path().join("url2");
    let server = SignsimProcess::start(&[
        "--addr",
        "0.0.0.0:0",
        "--admin-token",
        "t",
        "--public-url",
        "http://signsim:8080/",
        "--ready-file",
        ready.to_str().unwrap(),
    ]);
    assert_eq!(server.printed_url, "http://signsim:8080");
    assert_eq!(wait_for(&ready), "http://signsim:8080\n");
    // SignsimProcess reads the port from the printed URL: find the real one from /proc.
    let real = listening_port_of(&server);
    let url = format!("http://127.0.0.1:{real}");
    assert_eq!(
        crl_url_of_issued(&url, Some("elsewhere.test:1234")),
        "http://signsim:8080/crl/01.crl"
    );
}

/// The TCP port a child signsim listens on (from `ss`), when its printed URL does not say.
fn listening_port_of(server: &SignsimProcess) -> u16 {
    let pid = server.pid();
    for _ in 0..100 {
        let out = String::from_utf8_lossy(&run("ss", &["-Hltnp"], b"")).into_owned();
        if let Some(port) = out
            .lines()
            .filter(|l| l.contains(&format!("pid={pid},")))
            .find_map(|l| {
                l.split_whitespace()
                    .nth(3)?
                    .rsplit(':')
                    .next()?
                    .parse()
                    .ok()
            })
        {
            return port;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("signsim {pid} listens nowhere");
}

#[test]
fn with_cors_browsers_may_call_the_apis_but_not_the_control_api() {
    let server = SignsimProcess::start(&["--addr", "127.0.0.1:0", "--cors"]);
    let client = reqwest::blocking::Client::new();
    let pre = client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/RegisterInfo", server.url),
        )
        .header("Origin", "http://app.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .unwrap();
    assert_eq!(pre.status(), 204);
    let h = pre.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert_eq!(h["access-control-allow-headers"], "content-type");
    let resp = client
        .get(format!("{}/api/GetVersion", server.url))
        .header("Origin", "http://app.example")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert!(resp.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("X-Signsim-Request-Id"));
    let pod = client
        .post(format!("{}/apistatus.php", server.url))
        .header("Origin", "http://app.example")
        .form(&[("login", "x")])
        .send()
        .unwrap();
    assert_eq!(pod.headers()["access-control-allow-origin"], "*");
    let admin = client
        .get(format!("{}/__admin/health", server.url))
        .header("Origin", "http://app.example")
        .send()
        .unwrap();
    assert!(admin.headers().get("access-control-allow-origin").is_none());

    // Without --cors, no header and a preflight is the API's own 405.
    let plain = SignsimProcess::start(&["--addr", "127.0.0.1:0"]);
    let resp = client
        .get(format!("{}/api/GetVersion", plain.url))
        .header("Origin", "http://app.example")
        .send()
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    let pre = client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/RegisterInfo", plain.url),
        )
        .header("Access-Control-Request-Method", "POST")
        .send()
        .unwrap();
    assert_eq!(pre.status(), 405);
    let body: serde_json::Value = pre.json().unwrap();
    assert_eq!(body["ErrorCode"], json!(106), "{body}");
}

/// One raw HTTP/1.1 request (so any `Host` goes as written): status, headers, body.
fn raw_post(url: &str, path: &str, host: &str, body: &str) -> (u16, String, String) {
    use std::io::{Read, Write};
    let authority = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer for Host {host:?}: {text:?}"));
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap();
    (status, head.to_string(), body.to_string())
}

#[test]
fn bound_to_all_addresses_a_malformed_host_never_reaches_a_certificate() {
    let server = SignsimProcess::start(&["--addr", "0.0.0.0:0", "--admin-token", "t"]);
    let port = server.url.rsplit(':').next().unwrap().to_string();
    let configured = format!("http://127.0.0.1:{port}/crl/01.crl");
    let client = reqwest::blocking::Client::new();
    let dir = tempfile::tempdir().unwrap();
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let credit = client
        .post(format!(
            "{}/__admin/pki/customers/14105318760/credit",
            server.url
        ))
        .bearer_auth("t")
        .json(&json!({"set": 100_000_000}))
        .send()
        .unwrap();
    assert_eq!(credit.status(), 200);
    let cases = [
        ("[[[::", configured.clone()),
        ("evil.example:99999", configured.clone()),
        ("evil.example:0", configured.clone()),
        ("user@evil.example", configured.clone()),
        ("evil.example/x?y", configured.clone()),
        ("evil_example", configured.clone()),
        ("-evil.example", configured.clone()),
        ("[::1", configured.clone()),
        // Well-formed hosts are still used.
        (
            "signsim.ci:8443",
            "http://signsim.ci:8443/crl/01.crl".into(),
        ),
        ("[::1]:9", "http://[::1]:9/crl/01.crl".into()),
        ("10.1.2.3", "http://10.1.2.3/crl/01.crl".into()),
    ];
    for (i, (host, expected)) in cases.iter().enumerate() {
        let person = documented(json!({
            "NationalCode": valid_national_code(510_000_000 + i as u32 * 13),
            "Name": "آزمون",
            "LastName": format!("میزبان {i}"),
            "EnName": "Host",
            "EnLastName": format!("Applicant{i}"),
            "FatherName": "پدر",
            "TokenType": "USERGENERATED"
        }));
        let reg: serde_json::Value = client
            .post(format!("{}/api/RegisterInfo", server.url))
            .json(&Customer::B.register_body("01", "Bronze-Sign", person))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(reg["IsSuccess"], true, "{reg}");
        let body = Customer::B.issue_body(
            "01",
            "Bronze-Sign",
            reg["TrackingCode"].as_str().unwrap(),
            &csr,
        );
        let (status, head, text) = raw_post(
            &server.url,
            "/api/IssueCertificateByTrackingCode",
            host,
            &body.to_string(),
        );
        let issued: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("Host {host:?}: {status} {e}: {text}"));
        assert_eq!(issued["IsSuccess"], true, "Host {host:?}: {issued}");
        // openssl, an independent reader, finds exactly one URI: the configured one, or the Host's.
        let cert = openssl_text(&unb64(issued["Certificate"].as_str().unwrap()));
        let uris: Vec<&str> = cert
            .lines()
            .filter_map(|l| l.trim().strip_prefix("URI:"))
            .collect();
        assert_eq!(uris, [expected.as_str()], "Host {host:?}:\n{cert}");
        // The journal says why a Host was not used.
        let id = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("x-signsim-request-id: ")
                    .map(str::to_string)
            })
            .unwrap();
        let entry: serde_json::Value = client
            .get(format!("{}/__admin/requests/{}", server.url, id.trim()))
            .bearer_auth("t")
            .send()
            .unwrap()
            .json()
            .unwrap();
        let said = entry["diagnostics"].to_string();
        let used = expected != &configured;
        assert_eq!(
            said.contains(&format!("Host '{host}' is not used in URLs")),
            !used,
            "Host {host:?}: {said}"
        );
    }
}

#[test]
fn a_public_url_with_a_malformed_host_stops_the_start() {
    for (url, why) in [
        ("http://[[[::", "is not closed"),
        ("http://signsim:99999", "port 99999"),
        ("http://user@signsim:8080", "user@signsim"),
        ("http://signsim_ci:8080", "signsim_ci"),
    ] {
        let (code, _, err) = signsim_exit(&["--addr", "127.0.0.1:0", "--public-url", url]);
        assert_eq!(code, Some(1), "{url}: {err}");
        assert!(
            err.contains(&format!("--public-url '{url}'")) && err.contains(why),
            "{url}: {err}"
        );
    }
}
