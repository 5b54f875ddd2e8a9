//! The binary as integrators who do not write Rust get it: `--version` names the
//! commit, `--addr localhost:PORT` works and other names are refused with the rule, every
//! `serve` flag has a `SIGNSIM_*` twin that configures it (what compose files and CI
//! `services:` use), `--admin-open` opens the control API to clients beyond loopback, the
//! control API answers under a single-label service name (`http://signsim:8080`), and
//! `signsim health` says 0 or 1 over HTTP, HTTPS and with a token. The container image and the
//! static binary are tested by `tests/container.py` (run by `.ci/run`).

use crate::helpers::*;
use std::io::{Read, Write};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_signsim");

/// A `signsim serve` configured by environment variables, as a container runtime starts it.
fn env_server(env: &[(&str, &str)], extra: &[&str]) -> SignsimProcess {
    let server = SignsimProcess::start_with_env(extra, env);
    assert!(
        server.printed_url.starts_with("http"),
        "no URL printed; stderr: {}",
        server.log()
    );
    server
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().parse().unwrap()
}

/// Runs `signsim ARGS` with `env` (and no inherited `SIGNSIM_*`); (exit code, stdout, stderr).
fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("SIGNSIM_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd.args(args).envs(env.iter().copied()).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One raw HTTP/1.1 request to `addr` with the given Host; (status, body).
fn raw_get(addr: &str, path: &str, host: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    (status, body.to_string())
}

#[test]
fn version_names_the_release_and_the_commit_it_was_built_from() {
    let (code, out, _) = run(&["--version"], &[]);
    assert_eq!(code, 0);
    let line = out.trim();
    assert!(
        line.starts_with(&format!("signsim {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{line}"
    );
    let commit = line
        .rsplit_once("(commit ")
        .and_then(|(_, c)| c.strip_suffix(')'))
        .unwrap();
    // Built from this checkout: the commit is git's (SIGNSIM_COMMIT overrides it for
    // builds without .git).
    if let Ok(git) = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(repo())
        .output()
    {
        if git.status.success() && std::env::var("SIGNSIM_COMMIT").is_err() {
            assert_eq!(
                commit,
                String::from_utf8_lossy(&git.stdout).trim(),
                "{line}"
            );
        }
    }
    assert!(!commit.is_empty());
    assert_eq!(env!("CARGO_PKG_VERSION"), "0.2.0");
}

#[test]
fn every_serve_flag_has_an_environment_variable() {
    let (code, help, _) = run(&["serve", "--help"], &[]);
    assert_eq!(code, 0);
    let mut flags = 0;
    let mut missing = Vec::new();
    // clap prints each option as `  --name <VALUE>  help… [env: SIGNSIM_NAME=] [default: …]`,
    // the bracketed notes possibly on a later line of the same option.
    let mut options: Vec<String> = Vec::new();
    for l in help.lines() {
        let t = l.trim_start();
        if t.starts_with("--") || (t.starts_with('-') && t.chars().nth(1) != Some('-')) {
            options.push(t.to_string());
        } else if let Some(last) = options.last_mut() {
            last.push(' ');
            last.push_str(t);
        }
    }
    for o in &options {
        let name = o
            .split([' ', ','])
            .find(|w| w.starts_with("--"))
            .unwrap_or("")
            .to_string();
        if name == "--help" || name.is_empty() {
            continue;
        }
        flags += 1;
        let want = format!(
            "SIGNSIM_{}",
            name.trim_start_matches("--")
                .to_ascii_uppercase()
                .replace('-', "_")
        );
        // --tls-name repeats; its variable is the plural list.
        let want = if want == "SIGNSIM_TLS_NAME" {
            "SIGNSIM_TLS_NAMES".to_string()
        } else {
            want
        };
        if !o.contains(&format!("[env: {want}")) {
            missing.push(format!("{name} (wants {want})"));
        }
    }
    assert!(flags >= 20, "only {flags} flags found in:\n{help}");
    assert!(
        missing.is_empty(),
        "flags without their variable: {missing:?}"
    );
}

#[test]
fn addr_takes_localhost_and_refuses_other_names_saying_why() {
    let server = SignsimProcess::start(&["--addr", "localhost:0"]);
    assert!(
        server.printed_url.starts_with("http://127.0.0.1:"),
        "{}",
        server.printed_url
    );
    let (status, _) = raw_get(
        server.url.trim_start_matches("http://"),
        "/api/GetVersion",
        "localhost",
    );
    assert_eq!(status, 200);

    for (addr, needle) in [
        (
            "signsim:8080",
            "'signsim' is not an IP address, and signsim resolves no host name but localhost",
        ),
        ("example.com:80", "e.g. 0.0.0.0:80"),
        ("localhost", "has no port"),
        ("127.0.0.1:http", "not a number"),
    ] {
        let (code, _, err) = run(&["serve", "--addr", addr], &[]);
        assert_eq!(code, 2, "--addr {addr}: {err}");
        assert!(err.contains(needle), "--addr {addr}: {err}");
        let (code, _, err) = run(&["serve"], &[("SIGNSIM_ADDR", addr)]);
        assert_eq!(code, 2, "SIGNSIM_ADDR={addr}: {err}");
        assert!(err.contains(needle), "SIGNSIM_ADDR={addr}: {err}");
    }
}

#[test]
fn the_environment_alone_configures_serve_and_a_flag_wins_over_its_variable() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("url");
    let ready_text = ready.to_str().unwrap();
    let server = env_server(
        &[
            ("SIGNSIM_ADDR", "localhost:0"),
            ("SIGNSIM_READY_FILE", ready_text),
            ("SIGNSIM_JOURNAL_SIZE", "3"),
            ("SIGNSIM_CORS", "yes"),
            ("SIGNSIM_LOG_FORMAT", "json"),
        ],
        &[],
    );
    // localhost is 127.0.0.1: what the first line and the ready file name.
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    let mut waited = 0;
    while !ready.exists() && waited < 100 {
        std::thread::sleep(std::time::Duration::from_millis(20));
        waited += 1;
    }
    assert_eq!(std::fs::read_to_string(&ready).unwrap().trim(), server.url);
    let local = server.url.clone();
    let client = reqwest::blocking::Client::new();
    for _ in 0..5 {
        client
            .get(format!("{local}/api/GetVersion"))
            .send()
            .unwrap();
    }
    let journal: serde_json::Value = client
        .get(format!("{local}/__admin/requests"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let kept = journal["requests"]
        .as_array()
        .map(|a| a.len())
        .unwrap_or(usize::MAX);
    assert_eq!(kept, 3, "SIGNSIM_JOURNAL_SIZE=3 keeps 3: {journal}");
    let preflight = client
        .request(reqwest::Method::OPTIONS, format!("{local}/api/GetVersion"))
        .header("Origin", "http://app.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .unwrap();
    assert!(
        preflight
            .headers()
            .contains_key("access-control-allow-origin"),
        "SIGNSIM_CORS=yes answers preflights: {:?}",
        preflight.headers()
    );
    assert!(
        server.log().lines().any(|l| l.starts_with('{')),
        "SIGNSIM_LOG_FORMAT=json: {}",
        server.log()
    );
    drop(server);

    // A boolean variable set to false is false; a flag wins over its variable.
    let server = env_server(
        &[("SIGNSIM_ADDR", "127.0.0.1:1"), ("SIGNSIM_CORS", "false")],
        &["--addr", "127.0.0.1:0"],
    );
    assert_ne!(port_of(&server.printed_url), 1);
    let preflight = client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/GetVersion", server.url),
        )
        .header("Origin", "http://app.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .unwrap();
    assert!(
        !preflight
            .headers()
            .contains_key("access-control-allow-origin"),
        "SIGNSIM_CORS=false is off"
    );
}

/// A non-loopback IPv4 address of this machine, if it has one.
fn own_outside_address() -> Option<String> {
    let out = Command::new("hostname").arg("-I").output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find(|a| {
            a.parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| !ip.is_loopback())
        })
        .map(str::to_string)
}

#[test]
fn admin_open_serves_clients_beyond_loopback_and_a_token_still_wins() {
    let server = env_server(
        &[
            ("SIGNSIM_ADDR", "0.0.0.0:0"),
            ("SIGNSIM_ADMIN_OPEN", "true"),
        ],
        &[],
    );
    assert!(
        server.log().contains("answers every client"),
        "a warning at start: {}",
        server.log()
    );
    let port = port_of(&server.printed_url);
    // A compose service or CI alias: a single-label Host is the server's own.
    let (status, body) = raw_get(
        &format!("127.0.0.1:{port}"),
        "/__admin/health",
        &format!("signsim:{port}"),
    );
    assert_eq!(status, 200, "{body}");
    // A name with a dot is still a DNS-rebinding suspect.
    let (status, body) = raw_get(
        &format!("127.0.0.1:{port}"),
        "/__admin/health",
        "signsim.evil.example",
    );
    assert_eq!(status, 403, "{body}");
    match own_outside_address() {
        Some(ip) => {
            // From a non-loopback address of this machine: the peer is not loopback.
            let (status, body) = raw_get(&format!("{ip}:{port}"), "/__admin/health", &ip);
            assert_eq!(status, 200, "admin-open from {ip}: {body}");
        }
        None => eprintln!("no non-loopback address on this machine: the outside peer is not tried"),
    }
    drop(server);

    // Without --admin-open, an outside peer is refused, saying how to open it.
    let server = env_server(
        &[
            ("SIGNSIM_ADDR", "0.0.0.0:0"),
            ("SIGNSIM_ADMIN_TOKEN", "s3cret"),
            ("SIGNSIM_ADMIN_OPEN", "true"),
        ],
        &[],
    );
    let (status, body) = raw_get(
        &format!("127.0.0.1:{}", port_of(&server.printed_url)),
        "/__admin/health",
        "localhost",
    );
    assert_eq!(status, 401, "a token wins over admin-open: {body}");
    drop(server);

    if let Some(ip) = own_outside_address() {
        let server = SignsimProcess::start(&["--addr", "0.0.0.0:0", "--admin-token", "t"]);
        let port = server.url.rsplit(':').next().unwrap().to_string();
        let (status, _) = raw_get(&format!("{ip}:{port}"), "/api/GetVersion", &ip);
        assert_eq!(status, 200, "the APIs need no token");
    }
    let (code, _, err) = run(&["serve", "--addr", "0.0.0.0:0"], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("--admin-token") && err.contains("--admin-open"),
        "{err}"
    );
}

#[test]
fn health_exits_0_for_a_healthy_server_and_1_otherwise() {
    let server = SignsimProcess::start(&["--addr", "127.0.0.1:0"]);
    let port = server.url.rsplit(':').next().unwrap().to_string();
    let (code, out, err) = run(&["health"], &[("SIGNSIM_ADDR", &format!("0.0.0.0:{port}"))]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with(&format!("healthy: signsim {}", env!("CARGO_PKG_VERSION")))
            && out.contains("scenario 'default'"),
        "{out}"
    );
    let (code, out, _) = run(&["health", "--url", &server.url], &[]);
    assert_eq!(code, 0, "{out}");
    drop(server);

    // Nobody listening: 1, quickly, saying so.
    let started = std::time::Instant::now();
    let (code, out, err) = run(&["health", "--addr", &format!("127.0.0.1:{port}")], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("unhealthy") && err.contains("cannot connect"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // A token: without it 401 (unhealthy), with SIGNSIM_ADMIN_TOKEN healthy.
    let server = SignsimProcess::start(&["--addr", "127.0.0.1:0", "--admin-token", "s3cret"]);
    let (code, _, err) = run(&["health", "--url", &server.url], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("401"), "{err}");
    let (code, out, err) = run(
        &["health", "--url", &server.url],
        &[("SIGNSIM_ADMIN_TOKEN", "s3cret")],
    );
    assert_eq!(code, 0, "{out}{err}");
    drop(server);

    // HTTPS: the certificate is checked against the embedded test root.
    let server = SignsimProcess::start(&["--addr", "127.0.0.1:0", "--tls"]);
    let port = server.printed_url.rsplit(':').next().unwrap().to_string();
    let (code, out, err) = run(
        &["health"],
        &[
            ("SIGNSIM_ADDR", &format!("127.0.0.1:{port}")),
            ("SIGNSIM_TLS", "true"),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("https://127.0.0.1"), "{out}");
    let (code, _, err) = run(
        &["health", "--url", &format!("http://127.0.0.1:{port}")],
        &[],
    );
    assert_eq!(code, 1, "plain HTTP to a TLS port is unhealthy: {err}");
}

#[test]
fn a_tls_name_list_comes_from_its_variable() {
    let server = env_server(
        &[
            ("SIGNSIM_ADDR", "127.0.0.1:0"),
            ("SIGNSIM_TLS", "1"),
            ("SIGNSIM_TLS_NAMES", "signsim,pki.test.internal"),
        ],
        &[],
    );
    assert!(server.printed_url.starts_with("https://"), "{}", server.url);
    let log = server.log();
    assert!(
        log.contains("signsim, pki.test.internal")
            || log.contains("signsim") && log.contains("pki.test.internal"),
        "the certificate names both: {log}"
    );
}

#[test]
fn the_root_url_leads_a_browser_to_the_dashboard() {
    let server = SignsimProcess::start(&["--addr", "127.0.0.1:0"]);
    let addr = server.url.trim_start_matches("http://").to_string();
    let (status, body) = raw_get(&addr, "/", "localhost");
    assert_eq!(status, 303, "{body}");
    assert!(
        body.contains("/__admin/ui") && body.contains("/apistatus.php"),
        "{body}"
    );
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut head = String::new();
    s.read_to_string(&mut head).unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains("\r\nlocation: /__admin/ui\r\n"),
        "{head}"
    );
    for path in ["/__admin", "/__admin/"] {
        let (status, body) = raw_get(&addr, path, "localhost");
        assert_eq!(status, 303, "{path}: {body}");
    }
    let (status, body) = raw_get(&addr, "/__admin/ui", "localhost");
    assert_eq!(status, 200);
    assert!(body.contains("<!doctype html>"), "{body}");
    // Only GET is redirected: the control API's refusals of other methods stay its own.
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(s, "POST /__admin HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    assert!(!text.starts_with("HTTP/1.1 303"), "{text}");
    // Other paths are still the API's 404 naming what is served.
    let (status, body) = raw_get(&addr, "/index.php", "localhost");
    assert_eq!(status, 404, "{body}");
    assert!(
        body.contains("signsim has nothing at GET /index.php"),
        "{body}"
    );
}
