//! The admin token of an exposed binary: `--addr 0.0.0.0` without `--admin-token` refuses to
//! start; with one, every `/__admin/` call needs `Authorization: Bearer <token>` (refusals are
//! journaled and change nothing) while the APIs need no token.

use crate::helpers::*;
use serde_json::{json, Value};

#[test]
fn exposed_without_an_admin_token_signsim_refuses_to_start() {
    let (code, out, err) = signsim_exit(&["--addr", "0.0.0.0:0"]);
    assert!(code.is_some() && code != Some(0), "exit {code:?}: {err}");
    assert!(err.contains("--admin-token"), "{err}");
    assert!(
        out.trim().is_empty(),
        "printed a URL although it refused: {out}"
    );
}

fn check_token_required(server: &SignsimProcess) {
    let client = reqwest::blocking::Client::new();
    let health = format!("{}/__admin/health", server.url);
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("s3cret"),
        Some("Basic s3cret"),
    ] {
        let mut req = client.get(&health);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let resp = req.send().unwrap();
        assert_eq!(resp.status(), 401, "{auth:?}");
        let body: Value = resp.json().unwrap();
        assert!(error_of(&body).contains("Authorization: Bearer"), "{body}");
    }
    let ok = client
        .get(&health)
        .header("Authorization", "Bearer s3cret")
        .send()
        .unwrap();
    assert_eq!(ok.status(), 200);
    // A refused admin call changes nothing.
    let refused = client
        .post(format!("{}/__admin/clock", server.url))
        .json(&json!({"advance": "1d"}))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 401);
    let refused = client
        .get(format!("{}/__admin/podpishi/outbox", server.url))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 401);
    let clock: Value = client
        .get(format!("{}/__admin/clock", server.url))
        .header("Authorization", "Bearer s3cret")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(clock["now"], TEST_CLOCK, "{clock}");
    // The APIs need no token.
    let resp = client
        .get(format!("{}/api/GetVersion", server.url))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = client
        .post(format!("{}/api/RegisterInfo", server.url))
        .json(&Customer::A.register_body("01", "Bronze-Sign", mehdi()))
        .send()
        .unwrap();
    let body: Value = resp.json().unwrap();
    assert_eq!(body["IsSuccess"], true, "{body}");
    // Refused admin calls are journaled as such.
    let count: Value = client
        .post(format!("{}/__admin/requests/count", server.url))
        .header("Authorization", "Bearer s3cret")
        .json(&json!({"api": "admin", "operation": "auth", "status": 401}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(count["count"], 6, "{count}");
}

#[test]
fn with_an_admin_token_the_control_api_needs_the_bearer_and_the_apis_do_not() {
    let server = SignsimProcess::start(&["--addr", "127.0.0.1:0", "--admin-token", "s3cret"]);
    check_token_required(&server);
}

#[test]
fn exposed_with_an_admin_token_signsim_starts_and_requires_it() {
    let server = SignsimProcess::start(&["--addr", "0.0.0.0:0", "--admin-token", "s3cret"]);
    // Bound to every address, it prints a URL a local client can use, never 0.0.0.0.
    assert!(
        server.printed_url.starts_with("http://127.0.0.1:"),
        "{}",
        server.printed_url
    );
    check_token_required(&server);
}
