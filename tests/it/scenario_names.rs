//! Scenario validation catches what can never work: operations, CAs, signers and other names
//! that faults, reactions, events and control-API fault rules refer to are checked against the
//! world, with "did you mean"; type errors name their field path; every problem is reported.

use crate::helpers::*;
use serde_json::json;
use std::process::Command;

/// The default scenario with absolute fixtures, plus `extra`, written to a temporary file.
fn scenario_file(dir: &std::path::Path, extra: &str) -> std::path::PathBuf {
    let text = default_scenario_text().replace(
        "fixtures = \"../fixtures\"",
        &format!("fixtures = \"{}\"", repo().join("fixtures").display()),
    ) + extra;
    let path = dir.join("world.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn check(path: &std::path::Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_signsim"))
        .args(["scenario", "check", path.to_str().unwrap()])
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn line_of(path: &std::path::Path, needle: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in the file"))
        + 1
}

#[test]
fn a_misspelled_operation_ca_and_signer_are_all_reported_with_line_and_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(
        dir.path(),
        r#"
[[faults]]
api = "pki"
operation = "RegisterInfoo"
action = { kind = "reset" }

[[events]]
at = "+30s"
action = { kind = "ca_availability", ca = "77", available = false }

[[reactions]]
on = { api = "podpishi", operation = "upload" }
do = { kind = "sign", signer = "petrov" }
"#,
    );
    let (code, out) = check(&path);
    assert_eq!(code, Some(1), "{out}");
    let p = path.display();
    let expect = [
        format!(
            "{p}:{}: faults[0].operation: 'RegisterInfoo' is not a PKI method; did you mean 'RegisterInfo'?",
            line_of(&path, "RegisterInfoo")
        ),
        format!(
            "{p}:{}: events[0].action.ca: '77' is not a CA of the scenario",
            line_of(&path, "ca = \"77\"")
        ),
        format!(
            "{p}:{}: reactions[0].do.signer: 'petrov' is not a test signer of the scenario; did you mean 'petrova'?",
            line_of(&path, "signer = \"petrov\"")
        ),
    ];
    for e in &expect {
        assert!(out.contains(e.as_str()), "missing «{e}» in:\n{out}");
    }
}

#[test]
fn reactions_and_fault_values_that_can_never_match_are_problems() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(
        dir.path(),
        r#"
[[reactions]]
on = { api = "podpishi", operation = "uplaod" }
do = { kind = "refuse" }

[[reactions]]
on = { api = "pki", operation = "RegisterInfo", field = "profileName", value = "Bronze-Sing" }
do = { kind = "approve" }

[[faults]]
api = "podpishi"
operation = "upload"
field = "receiver_bin"
value = "999999999999"
action = { kind = "reset" }
"#,
    );
    let (code, out) = check(&path);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("reactions[0].on.operation: 'uplaod' is not a Podpishi operation (upload or an oper); did you mean 'upload'?"), "{out}");
    assert!(out.contains("reactions[1].on.value: 'Bronze-Sing' is not a profile of the scenario; did you mean 'Bronze-Sign'?"), "{out}");
    assert!(
        out.contains("faults[0].value: '999999999999' is not a BIN/IIN of the scenario's accounts"),
        "{out}"
    );
}

#[test]
fn type_errors_name_the_field_path_and_all_of_them_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(dir.path(), "");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(
            "min_csr_key_bits = 2048",
            "min_csr_key_bits = \"big\"\nsignatur = \"strict\"",
        )
        .replace("pki_max_body_bytes = 1048576", "pki_max_body_bytes = -5");
    std::fs::write(&path, text).unwrap();
    let (code, out) = check(&path);
    assert_eq!(code, Some(1), "{out}");
    let p = path.display();
    for (line_needle, e) in [
        (
            "min_csr_key_bits",
            "policy.min_csr_key_bits: invalid type: string \"big\", expected usize",
        ),
        ("signatur =", "policy.signatur: unknown field `signatur`"),
        (
            "pki_max_body_bytes",
            "policy.pki_max_body_bytes: invalid value: integer `-5`",
        ),
    ] {
        let want = format!("{p}:{}: {e}", line_of(&path, line_needle));
        assert!(out.contains(&want), "missing «{want}» in:\n{out}");
    }
}

#[test]
fn the_control_api_refuses_a_fault_rule_that_names_nothing() {
    let emu = TestEmulator::spawn();
    let (status, body) = emu.admin_post(
        "faults",
        &json!({"api": "pki", "operation": "GetCAListt", "action": {"kind": "reset"}}),
    );
    assert_admin_error(
        &(status, body.clone()),
        400,
        &["'GetCAListt' is not a PKI method; did you mean 'GetCAList'?"],
    );
    assert_eq!(body["problems"][0]["field"], "operation", "{body}");
    assert_eq!(
        emu.admin_ok("faults")["faults"],
        json!([]),
        "nothing was added"
    );
    // A scenario posted with a misspelled reaction is refused whole.
    let text = default_scenario_text()
        + "\n[[reactions]]\non = { api = \"podpishi\", operation = \"uplaod\" }\ndo = { kind = \"refuse\" }\n";
    let (status, body) = emu.admin_post_text("scenario", "application/toml", &text);
    assert_eq!(status, 400, "{body}");
    let problems = scenario_problems(&body);
    assert!(
        problems
            .iter()
            .any(|p| p["field"] == "reactions[0].on.operation"
                && p["message"]
                    .as_str()
                    .unwrap()
                    .contains("did you mean 'upload'")),
        "{body}"
    );
}

/// A timed event has no triggering request, so an action that acts on its record (approve,
/// reject, face_auth, sign, refuse) could never run as one: the scenario names it a problem.
#[test]
fn an_event_whose_action_needs_a_record_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(
        dir.path(),
        r#"
[[events]]
at = "+30s"
action = { kind = "approve" }

[[events]]
at = "+1m"
action = { kind = "clock_jump", by = "1d" }
"#,
    );
    let (code, out) = check(&path);
    assert_eq!(code, Some(1), "{out}");
    let p = path.display();
    let e = format!(
        "{p}:{}: events[0].action.kind: 'approve' needs a record",
        line_of(&path, "kind = \"approve\"")
    );
    assert!(out.contains(&e), "missing «{e}» in:\n{out}");
    assert!(out.contains("use it in a reaction"), "{out}");
    assert!(!out.contains("events[1]"), "{out}");
}
