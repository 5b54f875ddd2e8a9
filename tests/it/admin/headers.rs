//! The browser-facing headers on every answer under `/__admin`: the dashboard page, its files,
//! and the control API's JSON, text, ZIP, PEM and DER documents, refusals included.

use crate::helpers::*;
use reqwest::blocking::{Client, Response};
use reqwest::header::HeaderMap;
use reqwest::Method;

/// What every `/__admin` answer must carry, as (header, what its value must contain).
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "content-security-policy",
        &[
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ],
    ),
    ("x-content-type-options", &["nosniff"]),
    ("x-frame-options", &["DENY"]),
    ("referrer-policy", &["no-referrer"]),
];

fn assert_guarded(what: &str, headers: &HeaderMap) {
    for (name, needles) in EXPECTED {
        let values: Vec<&str> = headers
            .get_all(*name)
            .iter()
            .map(|v| v.to_str().unwrap_or(""))
            .collect();
        assert_eq!(values.len(), 1, "{what}: {name} sent {values:?}");
        for n in *needles {
            assert!(
                values[0].contains(n),
                "{what}: {name} lacks {n:?}: {values:?}"
            );
        }
    }
    let csp = headers["content-security-policy"].to_str().unwrap();
    for loose in ["'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"] {
        assert!(
            !csp.contains(loose),
            "{what}: the policy allows {loose}: {csp}"
        );
    }
}

/// (case, method, path — `{num}` a stored document —, body, status, content type it starts with)
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u16,
    &'static str,
);

const CASES: &[Case] = &[
    (
        "the way to the dashboard",
        "GET",
        "/__admin",
        "",
        303,
        "text/plain",
    ),
    (
        "the way to the dashboard with a slash",
        "GET",
        "/__admin/",
        "",
        303,
        "text/plain",
    ),
    ("the page", "GET", "/__admin/ui", "", 200, "text/html"),
    (
        "its script",
        "GET",
        "/__admin/ui/app.js",
        "",
        200,
        "text/javascript",
    ),
    (
        "its styles",
        "GET",
        "/__admin/ui/style.css",
        "",
        200,
        "text/css",
    ),
    (
        "its icon",
        "GET",
        "/__admin/ui/icon.svg",
        "",
        200,
        "image/svg+xml",
    ),
    (
        "a file it lacks",
        "GET",
        "/__admin/ui/nope.js",
        "",
        404,
        "application/json",
    ),
    (
        "health (JSON)",
        "GET",
        "/__admin/health",
        "",
        200,
        "application/json",
    ),
    (
        "the warnings",
        "GET",
        "/__admin/warnings",
        "",
        200,
        "application/json",
    ),
    (
        "an OpenAPI document",
        "GET",
        "/__admin/openapi/admin.json",
        "",
        200,
        "application/json",
    ),
    (
        "the root (PEM)",
        "GET",
        "/__admin/pki/root",
        "",
        200,
        "application/x-pem-file",
    ),
    (
        "a CRL (DER)",
        "GET",
        "/__admin/pki/cas/01/crl",
        "",
        200,
        "application/pkix-crl",
    ),
    (
        "a document's ZIP",
        "GET",
        "/__admin/podpishi/documents/{num}/zip",
        "",
        200,
        "application/zip",
    ),
    (
        "a route that does not exist",
        "GET",
        "/__admin/nope",
        "",
        404,
        "application/json",
    ),
    (
        "a method the route does not take",
        "PUT",
        "/__admin/health",
        "",
        405,
        "application/json",
    ),
    (
        "a bad body",
        "POST",
        "/__admin/pki/face-auth",
        r#"{"outcome": 0}"#,
        400,
        "application/json",
    ),
    (
        "a change",
        "POST",
        "/__admin/clock",
        r#"{"advance": "1s"}"#,
        200,
        "application/json",
    ),
];

fn send(client: &Client, base: &str, method: &str, path: &str, body: &str) -> Response {
    let mut req = client.request(
        Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{base}{path}"),
    );
    if !body.is_empty() {
        req = req
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    req.send().unwrap()
}

#[test]
fn every_admin_answer_carries_the_content_security_policy_nosniff_and_frame_protection() {
    let emu = TestEmulator::spawn();
    let num = emu.pod_upload_num(Upload::alfa_to_beta("HEADERS-1"));
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    each_case(
        CASES,
        |c| c.0,
        |&(what, method, path, body, status, content_type)| {
            let path = path.replace("{num}", &num);
            let resp = send(&client, &emu.url, method, &path, body);
            assert_eq!(resp.status().as_u16(), status, "{what}: {method} {path}");
            let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
            assert!(ct.starts_with(content_type), "{what}: {ct}");
            assert_guarded(&format!("{what} ({method} {path})"), resp.headers());
        },
    );
    // The policy served is the one docs/dashboard.md prints.
    let page = send(&client, &emu.url, "GET", "/__admin/ui", "");
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    let doc = std::fs::read_to_string(repo().join("docs/dashboard.md")).unwrap();
    assert!(
        doc.contains(&format!("Content-Security-Policy: {csp}\n")),
        "docs/dashboard.md does not print the policy served: {csp}"
    );
    // The APIs' own answers are the upstreams' to shape: no dashboard policy on them.
    let api = client
        .get(format!("{}/api/GetVersion", emu.url))
        .send()
        .unwrap();
    assert!(api.headers().get("content-security-policy").is_none());
}

#[test]
fn refusals_of_the_control_api_rule_carry_the_same_headers() {
    let server = SignsimProcess::start(&["--addr", "127.0.0.1:0", "--admin-token", "s3cret"]);
    let client = Client::new();
    for path in ["/__admin/ui", "/__admin/health", "/__admin/pki/root"] {
        let resp = client.get(format!("{}{path}", server.url)).send().unwrap();
        assert_eq!(resp.status(), 401, "{path}");
        assert_guarded(&format!("401 of {path}"), resp.headers());
    }
    // A cross-site page's request is refused with them too.
    let resp = client
        .get(format!("{}/__admin/health", server.url))
        .header("Authorization", "Bearer s3cret")
        .header("Origin", "http://evil.example")
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_guarded("403 of a cross-site request", resp.headers());
}
