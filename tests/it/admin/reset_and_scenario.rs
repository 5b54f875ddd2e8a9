//! `POST /__admin/reset` and `POST /__admin/scenario`, compared by state dumps: a reset restores
//! the initial state exactly; a valid scenario replaces the world; an invalid one lists every
//! problem with its line and field and changes nothing.

use crate::helpers::*;
use serde_json::json;
use std::collections::BTreeSet;

const FULL_A: i64 = 10_000_000;

#[test]
fn reset_restores_the_initial_state_exactly() {
    let emu = TestEmulator::spawn();
    let pki0 = emu.admin_ok("pki/state");
    let pod0 = emu.admin_ok("podpishi/state");
    assert_eq!(pki0["tracking"], json!([]), "{pki0}");

    // Make state everywhere.
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register_mehdi();
    assert_eq!(t, "1000001");
    let cert = emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    )["Certificate"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ok(&emu.revoke_certificate(&Customer::A, &cert, 1));
    let pending = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", zahra());
    assert_eq!(
        emu.admin_post(&format!("pki/tracking/{pending}/approve"), &json!({}))
            .0,
        200
    );
    assert_eq!(
        emu.admin_post("pki/customers/14105318760/credit", &json!({"set": 1}))
            .0,
        200
    );
    assert_eq!(
        emu.admin_post("pki/cas/08/availability", &json!({"available": false}))
            .0,
        200
    );
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("RESET-1")).1);
    assert_eq!(num, "1001");
    assert_eq!(
        emu.pod_admin_sign(&num, &json!({"signer": "petrova"})).0,
        200
    );
    emu.add_fault(&json!({"api": "pki", "operation": "GetCAList", "action": {"kind": "status", "status": 503}}));
    emu.advance("3d");
    let pki1 = emu.admin_ok("pki/state");
    let pod1 = emu.admin_ok("podpishi/state");
    assert_ne!(pki1, pki0);
    assert_ne!(pod1, pod0);

    let (status, body) = emu.admin_post("reset", &json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reset"], true, "{body}");
    assert_eq!(body["scenario"], "default", "{body}");
    // The journal was cleared: only the reset itself is in it (a control-API call, listed
    // when asked for).
    let left = emu.journal("include=admin");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["operation"], "reset");
    assert_eq!(emu.journal(""), Vec::<serde_json::Value>::new());
    // Both APIs' stored state equals the dumps taken before anything happened.
    assert_eq!(emu.admin_ok("pki/state"), pki0);
    assert_eq!(emu.admin_ok("podpishi/state"), pod0);
    assert_eq!(emu.clock_now(), TEST_CLOCK);
    assert_eq!(emu.admin_ok("faults"), json!({"faults": []}));
    let (_, avail) = emu.get("IsAvailable", &[("caName", "08")]);
    assert_eq!(avail["IsAvailable"], true, "{avail}");
    assert_eq!(emu.credit(&Customer::B), 1_000_000);
    assert_eq!(emu.credit(&Customer::A), FULL_A);
    // Counters start over.
    assert_eq!(emu.register_mehdi(), "1000001");
    assert_eq!(
        doc_num(&emu.pod_upload(Upload::alfa_to_beta("RESET-1")).1),
        "1001"
    );
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
}

#[test]
fn loading_a_valid_scenario_replaces_the_world() {
    let emu = TestEmulator::spawn();
    let old = emu.register_mehdi();
    let text = default_scenario_text()
        .replace("name = \"default\"", "name = \"credit-777\"")
        .replace("credit = 10000000", "credit = 777");
    assert!(text.contains("credit-777") && text.contains("credit = 777"));
    let (status, body) = emu.admin_post_text("scenario", "application/toml", &text);
    assert_eq!((status, &body), (200, &json!({"loaded": "credit-777"})));
    assert_eq!(emu.admin_ok("health")["scenario"], "credit-777");
    assert_eq!(emu.credit(&Customer::A), 777);
    // The state started over.
    assert_admin_error(
        &emu.admin_get(&format!("pki/tracking/{old}")),
        404,
        &[&format!("tracking code '{old}' does not exist")],
    );
    assert_eq!(emu.admin_ok("pki/state")["tracking"], json!([]));
    // A reset now returns to the loaded scenario, not the first one.
    emu.admin_post("pki/customers/10320874334/credit", &json!({"set": 5}));
    assert_eq!(emu.admin_post("reset", &json!({})).0, 200);
    assert_eq!(emu.credit(&Customer::A), 777);
    assert_eq!(emu.admin_ok("health")["scenario"], "credit-777");
}

#[test]
fn loading_an_invalid_scenario_lists_every_problem_and_changes_nothing() {
    let emu = TestEmulator::spawn();
    let t = emu.register_mehdi();
    emu.advance("1h");
    let before = emu.admin_ok("pki/state");
    let pod_before = emu.admin_ok("podpishi/state");

    let assert_nothing_changed = || {
        assert_eq!(emu.admin_ok("pki/state"), before);
        assert_eq!(emu.admin_ok("podpishi/state"), pod_before);
        assert_eq!(emu.admin_ok("health")["scenario"], "default");
        assert_eq!(emu.clock_now(), "2026-06-01T09:00:00Z");
        assert_eq!(emu.credit(&Customer::A), FULL_A);
        assert_eq!(
            emu.admin_ok(&format!("pki/tracking/{t}"))["status"],
            "Registered"
        );
    };

    // Each refusal: 400, and nothing changed.
    let unknown = default_scenario_text()
        .replace("credit = 10000000", "credit = 1\ncolour = \"blue\"")
        .replace("name = \"default\"", "name = \"broken\"");
    let semantic = default_scenario_text()
        .replace("credit = 10000000", "credit = 1")
        .replace(
            "national_code = \"0061204501\"",
            "national_code = \"0061204502\"",
        )
        .replace("code = \"14105318760\"", "code = \"14105318761\"");
    let not_toml = "[scenario\nname=".to_string();
    let mut refusals = Vec::new();
    for text in [&unknown, &semantic, &not_toml] {
        let (status, body) = emu.admin_post_text("scenario", "application/toml", text);
        assert_eq!(status, 400, "{body}");
        assert_nothing_changed();
        refusals.push(body);
    }

    // The problems, as the README documents them: `{"problems": [{line, field, message}]}`.
    // An unknown key: its line and its whole path.
    let ps = scenario_problems(&refusals[0]);
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert_eq!(ps[0]["field"], "pki.customers[0].colour", "{ps:?}");
    assert_eq!(
        ps[0]["line"],
        line_of(&unknown, "colour = \"blue\""),
        "{ps:?}"
    );
    assert!(
        ps[0]["message"].as_str().unwrap().contains("unknown field"),
        "{ps:?}"
    );
    // Semantic problems: every one, each with its line and dotted field.
    let ps = scenario_problems(&refusals[1]);
    let got: BTreeSet<(String, u64)> = ps
        .iter()
        .map(|p| {
            (
                p["field"].as_str().unwrap().to_string(),
                p["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        BTreeSet::from([
            (
                "pki.registry.persons[2].national_code".to_string(),
                line_of(&semantic, "0061204502")
            ),
            (
                "pki.customers[1].code".to_string(),
                line_of(&semantic, "code = \"14105318761\"")
            ),
        ]),
        "{ps:?}"
    );
    // Not TOML at all: a syntax problem with its line.
    let ps = scenario_problems(&refusals[2]);
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert!(ps[0]["line"].is_u64(), "{ps:?}");
}
