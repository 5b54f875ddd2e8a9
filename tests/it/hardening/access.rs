//! The control plane is closed: a blank admin token is no token (so
//! signsim will not listen beyond loopback with one), and the loopback control API refuses
//! what a web page can send it — a foreign `Origin` or `Sec-Fetch-Site`, a `Host` that is not a
//! loopback name, an address or the public URL's host (DNS rebinding), and state changes whose
//! body is not declared JSON. Refusals change nothing; what the README shows still works.

use super::*;
use serde_json::json;

#[test]
fn a_blank_admin_token_is_no_token_beyond_loopback() {
    for token in ["", "   "] {
        let (code, out, err) = signsim_exit(&["--addr", "0.0.0.0:0", "--admin-token", token]);
        assert!(
            code.is_some() && code != Some(0),
            "token {token:?}: exit {code:?}: {err}"
        );
        assert!(
            err.contains("--admin-token") && err.contains("blank"),
            "{err}"
        );
        assert!(
            out.trim().is_empty(),
            "printed a URL although it refused: {out}"
        );
    }
    // An unset CI secret: SIGNSIM_ADMIN_TOKEN= in the environment.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_signsim"))
        .args(["serve", "--addr", "0.0.0.0:0"])
        .env("SIGNSIM_ADMIN_TOKEN", "")
        .output()
        .unwrap();
    assert!(!out.status.success(), "started with SIGNSIM_ADMIN_TOKEN=");
    assert!(String::from_utf8_lossy(&out.stdout).trim().is_empty());
}

#[test]
fn a_blank_token_on_loopback_means_loopback_only_and_an_empty_bearer_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Child::start(&["--admin-token", ""], &[], dir.path());
    let c = one_shot();
    let health = format!("{}/__admin/health", server.url);
    assert_eq!(c.get(&health).send().unwrap().status(), 200);
    // With a real token, an empty bearer is a wrong one.
    let guarded = Child::start(&["--admin-token", "t0ken"], &[], dir.path());
    for auth in ["Bearer ", "Bearer", ""] {
        let r = c
            .get(format!("{}/__admin/health", guarded.url))
            .header("Authorization", auth)
            .send()
            .unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
    }
}

struct Case {
    name: &'static str,
    head: String,
    body: &'static str,
    status: u16,
    needle: &'static str,
}

fn request(method: &str, path: &str, host: &str, extra: &[&str], body: &str) -> String {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for h in extra {
        head.push_str(h);
        head.push_str("\r\n");
    }
    if !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head
}

#[test]
fn the_control_api_refuses_what_a_web_page_can_send_and_changes_nothing() {
    let emu = TestEmulator::spawn();
    let own = authority(&emu.url);
    let origin = format!("Origin: {}", emu.url);
    let cases = vec![
        Case {
            name: "text/plain reset from evil.example",
            head: request(
                "POST",
                "/__admin/reset",
                &own,
                &["Origin: http://evil.example", "Content-Type: text/plain"],
                "x",
            ),
            body: "x",
            status: 403,
            needle: "Origin 'http://evil.example'",
        },
        Case {
            name: "body-less reset with a foreign Origin",
            head: request(
                "POST",
                "/__admin/reset",
                &own,
                &["Origin: http://evil.example"],
                "",
            ),
            body: "",
            status: 403,
            needle: "cross-site",
        },
        Case {
            name: "Origin null (sandboxed page)",
            head: request(
                "POST",
                "/__admin/clock",
                &own,
                &["Origin: null", "Content-Type: application/json"],
                "{\"advance\":\"1d\"}",
            ),
            body: "{\"advance\":\"1d\"}",
            status: 403,
            needle: "Origin 'null'",
        },
        Case {
            name: "DNS rebinding: Host evil.example",
            head: request("POST", "/__admin/reset", "evil.example:8080", &[], ""),
            body: "",
            status: 403,
            needle: "Host 'evil.example:8080'",
        },
        Case {
            name: "DNS rebinding read of the journal",
            head: request("GET", "/__admin/requests", "evil.example", &[], ""),
            body: "",
            status: 403,
            needle: "DNS rebinding",
        },
        Case {
            name: "DNS rebinding read of the apikeys",
            head: request(
                "GET",
                "/__admin/podpishi/state",
                "rebind.attacker.test:80",
                &[],
                "",
            ),
            body: "",
            status: 403,
            needle: "--public-url",
        },
        Case {
            name: "a malformed Host is refused without suggesting it as a --public-url",
            head: request("GET", "/__admin/requests", "evil.example:99999", &[], ""),
            body: "",
            status: 403,
            needle: "and it is not a host a URL can name (",
        },
        Case {
            name: "Sec-Fetch-Site cross-site",
            head: request(
                "POST",
                "/__admin/faults",
                &own,
                &[
                    "Sec-Fetch-Site: cross-site",
                    "Content-Type: application/json",
                ],
                "{}",
            ),
            body: "{}",
            status: 403,
            needle: "Sec-Fetch-Site",
        },
        Case {
            name: "same-site is another site too",
            head: request(
                "GET",
                "/__admin/pki/state",
                &own,
                &["Sec-Fetch-Site: same-site"],
                "",
            ),
            body: "",
            status: 403,
            needle: "same-site",
        },
        Case {
            name: "text/plain clock move, no Origin",
            head: request(
                "POST",
                "/__admin/clock",
                &own,
                &["Content-Type: text/plain"],
                "{\"advance\":\"1d\"}",
            ),
            body: "{\"advance\":\"1d\"}",
            status: 415,
            needle: "Content-Type 'text/plain'",
        },
        Case {
            name: "a form post of the clock",
            head: request(
                "POST",
                "/__admin/clock",
                &own,
                &["Content-Type: application/x-www-form-urlencoded"],
                "advance=1d",
            ),
            body: "advance=1d",
            status: 415,
            needle: "application/json",
        },
        Case {
            name: "an empty form posted at reset",
            head: request(
                "POST",
                "/__admin/reset",
                &own,
                &[
                    "Content-Type: application/x-www-form-urlencoded",
                    "Content-Length: 0",
                ],
                "",
            ),
            body: "",
            status: 415,
            needle: "x-www-form-urlencoded",
        },
        Case {
            name: "multipart credit",
            head: request(
                "POST",
                "/__admin/pki/customers/10320874334/credit",
                &own,
                &["Content-Type: multipart/form-data; boundary=x"],
                "--x--",
            ),
            body: "--x--",
            status: 415,
            needle: "multipart/form-data",
        },
        Case {
            name: "a body with no Content-Type (a Blob)",
            head: request("POST", "/__admin/clock", &own, &[], "{\"advance\":\"1d\"}"),
            body: "{\"advance\":\"1d\"}",
            status: 415,
            needle: "no Content-Type",
        },
        Case {
            name: "a scenario as text/plain",
            head: request(
                "POST",
                "/__admin/scenario",
                &own,
                &["Content-Type: text/plain"],
                "[scenario]\nname='x'",
            ),
            body: "[scenario]\nname='x'",
            status: 415,
            needle: "application/toml",
        },
        Case {
            name: "a DELETE of the faults as text/plain",
            head: request(
                "DELETE",
                "/__admin/faults",
                &own,
                &["Content-Type: text/plain"],
                "x",
            ),
            body: "x",
            status: 415,
            needle: "DELETE /__admin/faults",
        },
        Case {
            name: "application/jsonx is not JSON",
            head: request(
                "POST",
                "/__admin/clock",
                &own,
                &["Content-Type: application/jsonx"],
                "{\"advance\":\"1d\"}",
            ),
            body: "{\"advance\":\"1d\"}",
            status: 415,
            needle: "application/jsonx",
        },
    ];
    let before = dumps(&emu);
    let clock = emu.clock_now();
    each_case(
        &cases,
        |c| c.name,
        |c| {
            let (status, body) = raw(&emu.url, &format!("{}\r\n{}", c.head, c.body));
            assert_eq!(status, c.status, "{body}");
            let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
            let e = error_of(&v);
            assert!(e.contains(c.needle), "error lacks {:?}: {e}", c.needle);
        },
    );
    assert_eq!(emu.clock_now(), clock);
    assert_eq!(dumps(&emu), before);
    assert_eq!(emu.admin_ok("faults")["faults"], json!([]));
    // Each refusal is journaled as the control API's auth step.
    let refused =
        emu.journal_count(&json!({"api": "admin", "operation": "auth", "success": false}));
    assert_eq!(refused, cases.len() as u64);
    // What the control API's own clients send is served.
    let ok = [
        request("POST", "/__admin/reset", &own, &[], ""),
        request(
            "POST",
            "/__admin/reset",
            &own,
            &[origin.as_str(), "Sec-Fetch-Site: same-origin"],
            "",
        ),
        request(
            "POST",
            "/__admin/clock",
            &own,
            &["Content-Type: application/json; charset=utf-8"],
            "{\"advance\":\"1h\"}",
        ) + "\r\n{\"advance\":\"1h\"}",
        request(
            "GET",
            "/__admin/health",
            &own.replace("127.0.0.1", "localhost"),
            &[],
            "",
        ),
        request(
            "GET",
            "/__admin/health",
            &own.replace("127.0.0.1", "app.localhost"),
            &[],
            "",
        ),
        request(
            "GET",
            "/__admin/health",
            &own.replace("127.0.0.1", "[::1]"),
            &[],
            "",
        ),
        request(
            "GET",
            "/__admin/health",
            "127.0.0.2",
            &["Sec-Fetch-Site: none"],
            "",
        ),
    ];
    for r in ok {
        let req = if r.ends_with("\r\n") {
            format!("{r}\r\n")
        } else {
            r
        };
        let (status, body) = raw(&emu.url, &req);
        assert_eq!(status, 200, "{req:?}: {body}");
    }
}

#[test]
fn the_public_url_names_the_one_other_host_the_control_api_answers_to() {
    let dir = tempfile::tempdir().unwrap();
    let server = Child::start(
        &["--public-url", "http://signsim.ci.test:8080"],
        &[],
        dir.path(),
    );
    let get = |host: &str, origin: Option<&str>| {
        let extra: Vec<String> = origin.iter().map(|o| format!("Origin: {o}")).collect();
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        raw(
            &server.url,
            &format!(
                "{}\r\n",
                request("GET", "/__admin/health", host, &extra, "")
            ),
        )
    };
    assert_eq!(get("signsim.ci.test:8080", None).0, 200);
    assert_eq!(
        get("signsim.ci.test", Some("http://signsim.ci.test:8080")).0,
        200
    );
    let (status, body) = get("other.ci.test:8080", None);
    assert_eq!(status, 403, "{body}");
    let (status, body) = get("signsim.ci.test:8080", Some("http://evil.example"));
    assert_eq!(status, 403, "{body}");
}

#[test]
fn the_readme_curl_commands_for_the_control_api_work_and_a_form_post_does_not() {
    let emu = TestEmulator::spawn();
    let curl = |args: &[&str]| -> (u16, Value) {
        let out = run(
            "curl",
            &[&["-s", "-w", "\n%{http_code}"], args].concat(),
            b"",
        );
        let text = String::from_utf8_lossy(&out).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (
            code.trim().parse().unwrap(),
            serde_json::from_str(body).unwrap_or(Value::Null),
        )
    };
    let (s, v) = curl(&["-XPOST", &format!("{}/__admin/reset", emu.url)]);
    assert_eq!((s, &v["reset"]), (200, &json!(true)), "{v}");
    let (s, _) = curl(&["-X", "POST", &format!("{}/__admin/reset", emu.url)]);
    assert_eq!(s, 200);
    let num = emu.pod_upload_num(Upload::alfa_to_beta("rk-curl"));
    let sign = format!("{}/__admin/podpishi/documents/{num}/sign", emu.url);
    let before = emu.admin_ok(&format!("podpishi/documents/{num}"));
    // curl -d alone sends a form: refused, nothing signed.
    let (s, v) = curl(&["-X", "POST", &sign, "-d", "{\"signer\":\"petrova\"}"]);
    assert_eq!(s, 415, "{v}");
    assert_eq!(emu.admin_ok(&format!("podpishi/documents/{num}")), before);
    // As the README shows it.
    let (s, v) = curl(&[
        &sign,
        "-H",
        "Content-Type: application/json",
        "-d",
        "{\"signer\":\"petrova\"}",
    ]);
    assert_eq!(s, 200, "{v}");
    assert_ne!(emu.admin_ok(&format!("podpishi/documents/{num}")), before);
}
