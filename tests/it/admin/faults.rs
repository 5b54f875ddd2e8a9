//! Fault injection observed by a real HTTP client: every action (delay, the API's
//! own error, a bare status, a TCP reset, a closed connection, a truncated or malformed
//! body), every trigger (always, n-th, first n, seeded probability), field matching, rules from
//! the scenario and from `/__admin/faults`, each applied fault in the journal, rules that
//! meet requests that never parse, and rules refused (an overflowing delay among them).

use crate::helpers::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The newest journal entry of `operation`.
fn last_entry(emu: &TestEmulator, operation: &str) -> Value {
    let list = emu.journal(&format!("operation={operation}&limit=1"));
    assert_eq!(list.len(), 1, "no journal entry for {operation}");
    list[0].clone()
}

fn version_status(emu: &TestEmulator) -> u16 {
    emu.get("GetVersion", &[]).0
}

/// The matched-call counter of the rule named `name` in `GET /__admin/faults`.
fn matched_calls(emu: &TestEmulator, name: &str) -> u64 {
    let list = emu.admin_ok("faults");
    list["faults"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"]["name"] == name)
        .unwrap_or_else(|| panic!("no rule {name} in {list}"))["matched_calls"]
        .as_u64()
        .unwrap()
}

// ── actions ──────────────────────────────────────────────────────────────────────────────

#[test]
fn a_fixed_delay_holds_the_answer_at_least_that_long() {
    let emu = TestEmulator::spawn();
    emu.add_fault(
        &json!({"name": "slow", "api": "pki", "operation": "GetVersion",
                          "action": {"kind": "delay", "ms": 400}}),
    );
    let started = Instant::now();
    let (status, body) = emu.get("GetVersion", &[]);
    let took = started.elapsed();
    assert_eq!((status, &body["Version"]), (200, &json!("1.8")), "{body}");
    assert!(
        took >= Duration::from_millis(400),
        "answered after {took:?}"
    );
    let e = last_entry(&emu, "GetVersion");
    assert_eq!(e["fault"], "slow: delay 400 ms", "{e}");
    assert_eq!(e["success"], true, "{e}");
    // Another method is not delayed by this rule.
    let (status, _) = emu.get("GetCAList", &[("Customercode", Customer::A.code)]);
    assert_eq!(status, 200);
    assert_eq!(last_entry(&emu, "GetCAList")["fault"], Value::Null);
}

#[test]
fn a_uniform_delay_stays_within_its_bounds() {
    let emu = TestEmulator::spawn();
    emu.add_fault(
        &json!({"name": "jitter", "api": "pki", "operation": "GetVersion",
                          "action": {"kind": "delay", "min_ms": 100, "max_ms": 250}}),
    );
    let mut chosen = Vec::new();
    for _ in 0..6 {
        let started = Instant::now();
        let a = emu.get_answer("GetVersion", &[]);
        let took = started.elapsed();
        assert_eq!(a.status, 200);
        let e = emu.admin_ok(&format!("requests/{}", a.id));
        let fault = e["fault"].as_str().unwrap_or_else(|| panic!("{e}"));
        let ms: u64 = fault
            .strip_prefix("jitter: delay ")
            .and_then(|r| r.strip_suffix(" ms"))
            .unwrap_or_else(|| panic!("{fault}"))
            .parse()
            .unwrap();
        assert!((100..=250).contains(&ms), "{fault}");
        assert!(
            took >= Duration::from_millis(ms),
            "{fault} but answered after {took:?}"
        );
        chosen.push(ms);
    }
    assert!(
        chosen.iter().any(|&ms| ms != chosen[0]),
        "six uniform delays were all {chosen:?}"
    );
}

#[test]
fn a_pki_error_answers_in_the_methods_own_envelope() {
    let emu = TestEmulator::spawn();
    emu.add_fault(&json!({"name": "busy", "api": "pki", "operation": "RegisterInfo",
                          "action": {"kind": "error", "code": 777, "message": "upstream busy, try later"}}));
    let (status, body) = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"IsSuccess": false, "TrackingCode": null, "Description": "upstream busy, try later",
               "ErrorCode": 777, "ErrorMessage": "upstream busy, try later"})
    );
    // Nothing was registered.
    assert_eq!(emu.admin_ok("pki/state")["tracking"], json!([]));
    let e = last_entry(&emu, "RegisterInfo");
    assert_eq!(e["fault"], "busy: error 777", "{e}");
    assert_eq!(e["success"], false, "{e}");

    // IsApproved answers with ResultCode.
    emu.admin_delete("faults");
    let t = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    emu.add_fault(&json!({"name": "poll", "api": "pki", "operation": "IsApproved",
                          "action": {"kind": "error", "code": 9001, "message": "approval service down"}}));
    let (status, body) = emu.post("IsApproved", &json!({"trackingCode": t}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ResultCode"], false, "{body}");
    assert_eq!(body["Message"], "Unsuccess", "{body}");
    assert_eq!(body["Description"], "approval service down", "{body}");
    // IsApproved documents only ResultCode, Description and Message (the PKI document, lines
    // 587–591): the rule's code is in X-Signsim-Diagnostic.
    assert_eq!(body.get("ErrorCode"), None, "{body}");
    assert_eq!(body.get("ErrorMessage"), None, "{body}");
    assert_eq!(
        last_diagnostic().as_deref(),
        Some("9001 InjectedFault: approval service down"),
        "{body}"
    );
    assert_eq!(last_entry(&emu, "IsApproved")["fault"], "poll: error 9001");
}

#[test]
fn a_podpishi_error_answers_in_the_command_error_shape() {
    let emu = TestEmulator::spawn();
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("F-1")).1);
    emu.add_fault(&json!({"name": "maint", "api": "podpishi", "operation": "getstatus",
                          "action": {"kind": "error", "code": 99, "message": "service maintenance"}}));
    let x = emu.pod_status(ALFA, &num);
    let head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"yes\" command=\"getstatus\">\n<status>99</status>\n<errdesc>service maintenance";
    assert!(x.starts_with(head), "expected {head}\n got {x}");
    let e = last_entry(&emu, "getstatus");
    assert_eq!(e["fault"], "maint: error 99", "{e}");
    assert_eq!(e["api"], "podpishi", "{e}");
    assert_eq!(e["success"], false, "{e}");
    // Another command is untouched.
    let list = emu.pod_list(ALFA);
    assert!(list.contains("err=\"no\"") && list.contains(&num), "{list}");
}

#[test]
fn a_status_fault_answers_that_status_and_body() {
    let emu = TestEmulator::spawn();
    emu.add_fault(&json!({"name": "gw", "api": "pki", "operation": "GetCAList",
                          "action": {"kind": "status", "status": 503, "body": "Service Temporarily Unavailable"}}));
    let resp = emu
        .client
        .get(format!("{}/api/GetCAList", emu.url))
        .query(&[("Customercode", Customer::A.code)])
        .send()
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.text().unwrap(), "Service Temporarily Unavailable");
    let e = last_entry(&emu, "GetCAList");
    assert_eq!(e["fault"], "gw: HTTP 503", "{e}");
    assert_eq!(e["status"], 503, "{e}");

    // Podpishi uploads too; the account is not charged.
    emu.add_fault(
        &json!({"name": "pod-gw", "api": "podpishi", "operation": "upload",
                          "action": {"kind": "status", "status": 502}}),
    );
    let (status, body) = emu.pod_upload(Upload::alfa_to_beta("F-2"));
    assert_eq!((status, body.as_str()), (502, ""));
    assert_eq!(
        emu.admin_ok("podpishi/accounts/alfa@test.kz")["balance"],
        10
    );
    assert_eq!(emu.admin_ok("podpishi/state")["documents"], json!([]));
    assert_eq!(last_entry(&emu, "upload")["fault"], "pod-gw: HTTP 502");
}

/// A fault that drops the connection leaves the client no HTTP answer, only a connection
/// error, and the next connection works: (case, the rule's name, its action kind, whether the
/// connection is reset (RST) rather than closed (FIN), the fault the journal records).
#[test]
fn a_dropped_connection_is_a_connection_error_and_the_next_connection_works() {
    let cases: &[(&str, &str, &str, bool, &str)] = &[
        ("reset", "rst", "reset", true, "rst: connection reset"),
        (
            "an empty answer closes the connection without a response",
            "hangup",
            "empty",
            false,
            "hangup: closed without answer",
        ),
    ];
    each_case(
        cases,
        |c| c.0,
        |&(_, name, kind, reset, fault)| {
            let emu = TestEmulator::spawn();
            emu.add_fault(
                &json!({"name": name, "api": "pki", "operation": "GetVersion",
                              "action": {"kind": kind}, "trigger": {"when": "first", "n": 1}}),
            );
            let client = fresh_client();
            let err = client
                .get(format!("{}/api/GetVersion", emu.url))
                .send()
                .expect_err("a dropped connection answered");
            assert!(err.is_request() || err.is_connect(), "{err:?}");
            assert_eq!(err.status(), None, "{err:?}");
            let kinds = io_error_kinds(&err);
            assert_eq!(
            kinds.contains(&std::io::ErrorKind::ConnectionReset),
            reset,
            "a reset must be a TCP reset, an empty answer a close (FIN): {err:?} (io kinds {kinds:?})"
        );
            let resp = client
                .get(format!("{}/api/GetVersion", emu.url))
                .send()
                .unwrap();
            assert_eq!(resp.status(), 200);
            let faults: Vec<Value> = emu
                .journal("operation=GetVersion")
                .into_iter()
                .map(|e| e["fault"].clone())
                .collect();
            assert_eq!(faults, vec![json!(fault), Value::Null]);
        },
    );
}

#[test]
fn podpishi_commands_can_be_reset_too() {
    let emu = TestEmulator::spawn();
    emu.add_fault(
        &json!({"name": "pod-rst", "api": "podpishi", "operation": "getavailabledocs",
                          "action": {"kind": "reset"}, "trigger": {"when": "first", "n": 1}}),
    );
    let command = b64(b"<data><oper>getavailabledocs</oper><time>20260601130000</time></data>");
    let form = [
        ("login", ALFA.0),
        ("apikey", ALFA.1),
        ("command", command.as_str()),
    ];
    let client = fresh_client();
    let err = client
        .post(format!("{}/apistatus.php", emu.url))
        .form(&form)
        .send()
        .expect_err("a reset answered");
    assert!(
        io_error_kinds(&err).contains(&std::io::ErrorKind::ConnectionReset),
        "{err:?}"
    );
    let text = client
        .post(format!("{}/apistatus.php", emu.url))
        .form(&form)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(text.contains("counts=\"10\""), "{text}");
    assert_eq!(
        last_entry(&emu, "getavailabledocs")["fault"],
        Value::Null,
        "the second call was not faulted"
    );
    assert_eq!(
        emu.journal("operation=getavailabledocs")[0]["fault"],
        "pod-rst: connection reset"
    );
}

#[test]
fn a_truncated_body_is_a_strict_prefix_of_the_real_answer() {
    let emu = TestEmulator::spawn();
    let query = [("Customercode", Customer::A.code)];
    let normal = emu.get_answer("GetCAList", &query);
    assert_eq!(normal.status, 200);
    normal.json();
    emu.add_fault(
        &json!({"name": "cut", "api": "pki", "operation": "GetCAList",
                          "action": {"kind": "truncate"}}),
    );
    let cut = emu.get_answer("GetCAList", &query);
    assert_eq!(cut.status, 200);
    assert!(!cut.body.is_empty());
    assert!(
        cut.body.len() < normal.body.len(),
        "{} vs {}",
        cut.body.len(),
        normal.body.len()
    );
    assert!(
        normal.body.starts_with(&cut.body),
        "not a prefix: {}",
        cut.text()
    );
    assert!(
        serde_json::from_slice::<Value>(&cut.body).is_err(),
        "{}",
        cut.text()
    );
    assert_eq!(cut.content_type, normal.content_type);
    assert_eq!(
        emu.admin_ok(&format!("requests/{}", cut.id))["fault"],
        "cut: body truncated"
    );

    // A Podpishi answer too.
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("T-1")).1);
    let full = emu.pod_status(ALFA, &num);
    emu.add_fault(
        &json!({"name": "cut-pod", "api": "podpishi", "operation": "getstatus",
                          "action": {"kind": "truncate"}}),
    );
    let part = emu.pod_status(ALFA, &num);
    assert!(
        !part.is_empty() && part.len() < full.len() && full.starts_with(&part),
        "{part}"
    );
}

#[test]
fn a_malformed_body_is_a_proxy_html_page() {
    let emu = TestEmulator::spawn();
    emu.add_fault(
        &json!({"name": "proxy", "api": "pki", "operation": "GetVersion",
                          "action": {"kind": "malformed"}}),
    );
    let a = emu.get_answer("GetVersion", &[]);
    let text = a.text();
    assert!(text.starts_with("<html>"), "{text}");
    assert!(text.contains("502 Bad Gateway"), "{text}");
    assert!(serde_json::from_slice::<Value>(&a.body).is_err());
    assert!(
        a.content_type.starts_with("application/json"),
        "{}",
        a.content_type
    );
    assert_eq!(
        emu.admin_ok(&format!("requests/{}", a.id))["fault"],
        "proxy: malformed body"
    );

    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("M-1")).1);
    emu.add_fault(
        &json!({"name": "proxy-pod", "api": "podpishi", "operation": "getstatus",
                          "action": {"kind": "malformed"}}),
    );
    let x = emu.pod_status(ALFA, &num);
    assert!(
        x.starts_with("<html>") && x.contains("502 Bad Gateway"),
        "{x}"
    );
}

// ── triggers ─────────────────────────────────────────────────────────────────────────────

#[test]
fn the_nth_trigger_fires_on_that_call_only() {
    let emu = TestEmulator::spawn();
    emu.add_fault(&json!({"name": "third", "api": "pki", "operation": "GetVersion",
                          "action": {"kind": "status", "status": 503}, "trigger": {"when": "nth", "n": 3}}));
    let statuses: Vec<u16> = (0..5).map(|_| version_status(&emu)).collect();
    assert_eq!(statuses, vec![200, 200, 503, 200, 200]);
    assert_eq!(matched_calls(&emu, "third"), 5);
    let faults: Vec<Value> = emu
        .journal("operation=GetVersion")
        .into_iter()
        .map(|e| e["fault"].clone())
        .collect();
    assert_eq!(
        faults,
        vec![
            Value::Null,
            Value::Null,
            json!("third: HTTP 503"),
            Value::Null,
            Value::Null
        ]
    );
}

#[test]
fn the_first_n_trigger_fires_on_the_first_calls() {
    let emu = TestEmulator::spawn();
    emu.add_fault(&json!({"name": "warmup", "api": "pki", "operation": "GetVersion",
                          "action": {"kind": "status", "status": 503}, "trigger": {"when": "first", "n": 2}}));
    let statuses: Vec<u16> = (0..5).map(|_| version_status(&emu)).collect();
    assert_eq!(statuses, vec![503, 503, 200, 200, 200]);
}

fn seeded_rule(seed: u64) -> Value {
    json!({"name": "flaky", "api": "pki", "operation": "GetVersion",
           "action": {"kind": "status", "status": 503},
           "trigger": {"when": "probability", "p": 0.5, "seed": seed}})
}

/// 50 GetVersion calls: which failed.
fn failures(emu: &TestEmulator) -> Vec<bool> {
    (0..50)
        .map(|_| match version_status(emu) {
            503 => true,
            200 => false,
            other => panic!("status {other}"),
        })
        .collect()
}

fn sequence_with_seed(seed: u64) -> Vec<bool> {
    let emu = TestEmulator::spawn();
    emu.add_fault(&seeded_rule(seed));
    failures(&emu)
}

#[test]
fn the_same_seed_gives_the_same_sequence_in_fresh_emulators() {
    let a = sequence_with_seed(42);
    let b = sequence_with_seed(42);
    let c = sequence_with_seed(7);
    assert!(
        a.contains(&true) && a.contains(&false),
        "p = 0.5 over 50 calls gave {a:?}"
    );
    assert_eq!(a, b, "same seed, same sequence");
    assert_ne!(a, c, "another seed, another sequence");

    // The same rule from the scenario file gives the same sequence, and again after a reset.
    let rule = "\n[[faults]]\nname = \"flaky\"\napi = \"pki\"\noperation = \"GetVersion\"\naction = { kind = \"status\", status = 503 }\ntrigger = { when = \"probability\", p = 0.5, seed = 42 }\n";
    let emu = TestEmulator::spawn_edited(|t| t + rule);
    assert_eq!(failures(&emu), a);
    assert_eq!(emu.admin_post("reset", &json!({})).0, 200);
    assert_eq!(failures(&emu), a, "a reset starts the generator over");
}

// ── matching ─────────────────────────────────────────────────────────────────────────────

#[test]
fn a_field_value_faults_only_that_person() {
    let emu = TestEmulator::spawn();
    emu.add_fault(
        &json!({"name": "magic", "api": "pki", "operation": "RegisterInfo",
                          "field": "personData.NationalCode", "value": "0023456787",
                          "action": {"kind": "error", "code": 555, "message": "registry timeout"}}),
    );
    let resp = emu.register_info(&Customer::A, "01", "Bronze-Sign", zahra());
    assert_refused(&resp, 200, 555, &["registry timeout"]);
    assert_eq!(emu.register_mehdi(), "1000001");
    assert_eq!(
        emu.register(&Customer::A, "01", "Bronze-Sign", reza()),
        "1000002"
    );
    // Again and again for that person.
    let resp = emu.register_info(&Customer::A, "01", "Bronze-Sign", zahra());
    assert_refused(&resp, 200, 555, &["registry timeout"]);
    assert_eq!(matched_calls(&emu, "magic"), 2);
    let faulted: Vec<Value> = emu
        .journal("operation=RegisterInfo")
        .into_iter()
        .map(|e| e["fault"].clone())
        .collect();
    assert_eq!(
        faulted,
        vec![
            json!("magic: error 555"),
            Value::Null,
            Value::Null,
            json!("magic: error 555")
        ]
    );
}

#[test]
fn a_podpishi_rule_matches_its_oper_and_field() {
    let emu = TestEmulator::spawn();
    let first = doc_num(&emu.pod_upload(Upload::alfa_to_beta("P-1")).1);
    let second = doc_num(&emu.pod_upload(Upload::alfa_to_beta("P-2")).1);
    emu.add_fault(
        &json!({"name": "doc", "api": "podpishi", "operation": "getstatus",
                          "field": "docuniq", "value": first,
                          "action": {"kind": "error", "code": 98, "message": "document locked"}}),
    );
    let x = emu.pod_status(ALFA, &first);
    assert!(
        x.contains("<status>98</status>\n<errdesc>document locked"),
        "{x}"
    );
    let x = emu.pod_status(ALFA, &second);
    assert!(
        x.contains("err=\"no\"") && x.contains(&format!("<id>{second}</id>")),
        "{x}"
    );
    let x = emu.pod_command(
        ALFA,
        &format!(
            "<data><oper>getdoc</oper><docnum>{first}</docnum><time>20260601130000</time></data>"
        ),
    );
    assert_eq!(x.0, 200);
    assert!(!x.1.contains("document locked"), "getdoc is another oper");
    // Only the matching call counts.
    assert_eq!(matched_calls(&emu, "doc"), 1);
}

// ── rules from the scenario and the control API ──────────────────────────────────────────

const SCENARIO_RULE: &str = r#"
[[faults]]
name = "cold-start"
api = "pki"
operation = "GetVersion"
action = { kind = "status", status = 503, body = "warming up" }
trigger = { when = "first", n = 1 }
"#;

#[test]
fn rules_from_the_scenario_are_active_from_the_start_and_listed() {
    let emu = TestEmulator::spawn_edited(|t| t + SCENARIO_RULE);
    assert_eq!(
        emu.admin_ok("faults"),
        json!({"faults": [{"rule": {
            "name": "cold-start", "api": "pki", "operation": "GetVersion",
            "field": null, "value": null,
            "action": {"kind": "status", "status": 503, "body": "warming up"},
            "trigger": {"when": "first", "n": 1}
        }, "matched_calls": 0}]})
    );
    assert_eq!(emu.admin_ok("health")["faults"], 1);
    let resp = emu
        .client
        .get(format!("{}/api/GetVersion", emu.url))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.text().unwrap(), "warming up");
    assert_eq!(version_status(&emu), 200);
    assert_eq!(matched_calls(&emu, "cold-start"), 2);
    // A reset re-arms it.
    assert_eq!(emu.admin_post("reset", &json!({})).0, 200);
    assert_eq!(matched_calls(&emu, "cold-start"), 0);
    assert_eq!(version_status(&emu), 503);
    assert_eq!(version_status(&emu), 200);
}

#[test]
fn rules_are_added_listed_and_removed_through_the_control_api() {
    let emu = TestEmulator::spawn();
    assert_eq!(emu.admin_ok("faults"), json!({"faults": []}));
    let named = emu.add_fault(
        &json!({"name": "v503", "api": "pki", "operation": "GetVersion",
                                      "action": {"kind": "status", "status": 503}}),
    );
    assert_eq!(named, "v503");
    let unnamed = emu.add_fault(&json!({"api": "*", "operation": "GetCAList",
                                        "action": {"kind": "status", "status": 500}}));
    assert_eq!(unnamed, "fault-1");
    let names: Vec<Value> = emu.admin_ok("faults")["faults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"]["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("v503"), json!("fault-1")]);
    assert_eq!(emu.admin_ok("health")["faults"], 2);
    assert_eq!(version_status(&emu), 503);
    assert_eq!(
        emu.get("GetCAList", &[("Customercode", Customer::A.code)])
            .0,
        500
    );

    assert_eq!(
        emu.admin_delete("faults/v503"),
        (200, json!({"removed": "v503"}))
    );
    assert_eq!(version_status(&emu), 200);
    assert_eq!(
        emu.get("GetCAList", &[("Customercode", Customer::A.code)])
            .0,
        500
    );
    let (status, body) = emu.admin_delete("faults/v503");
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("no fault rule named 'v503'"),
        "{body}"
    );
    assert_eq!(
        emu.admin_ok("faults")["faults"].as_array().unwrap().len(),
        1
    );

    assert_eq!(emu.admin_delete("faults"), (200, json!({"cleared": true})));
    assert_eq!(emu.admin_ok("faults"), json!({"faults": []}));
    assert_eq!(
        emu.get("GetCAList", &[("Customercode", Customer::A.code)])
            .0,
        200
    );
}

#[test]
fn invalid_rules_are_refused_and_nothing_is_added() {
    let emu = TestEmulator::spawn();
    let version = |trigger: Value| {
        json!({"api": "pki", "operation": "GetVersion",
               "action": {"kind": "status", "status": 503}, "trigger": trigger})
    };
    let cases = [
        (
            version(json!({"when": "probability", "p": 2.0, "seed": 1})),
            "trigger.p: 2 is not between 0 and 1",
        ),
        (version(json!({"when": "nth", "n": 0})), "trigger.n"),
        (
            json!({"api": "soap", "action": {"kind": "reset"}}),
            "api: 'soap' is not pki, podpishi or *",
        ),
        (
            json!({"api": "pki", "action": {"kind": "status", "status": 42}}),
            "action.status: 42 is not an HTTP status",
        ),
        (
            json!({"api": "pki", "action": {"kind": "delay"}}),
            "a delay needs ms",
        ),
        (
            json!({"api": "pki", "action": {"kind": "delay", "min_ms": 50, "max_ms": 10}}),
            "min_ms <= max_ms",
        ),
        (
            json!({"api": "pki", "field": "caName", "action": {"kind": "reset"}}),
            "field and value go together",
        ),
        (
            json!({"api": "pki", "action": {"kind": "explode"}}),
            "fault rule:",
        ),
        (
            json!({"api": "pki", "action": {"kind": "reset"}, "colour": "red"}),
            "fault rule:",
        ),
    ];
    for (rule, needle) in cases {
        let (status, body) = emu.admin_post("faults", &rule);
        assert_eq!(status, 400, "{rule}: {body}");
        let text = body["error"].as_str().unwrap_or_else(|| panic!("{body}"));
        assert!(
            text.contains(needle),
            "{rule}: expected {needle:?} in {text}"
        );
    }
    assert_eq!(emu.admin_ok("faults"), json!({"faults": []}));
    assert_eq!(version_status(&emu), 200);

    // In a scenario file the same rule is a problem with its field.
    let bad = default_scenario_text()
        + "\n[[faults]]\napi = \"pki\"\naction = { kind = \"reset\" }\ntrigger = { when = \"probability\", p = 2.0, seed = 1 }\n";
    let (status, body) = emu.admin_post_text("scenario", "application/toml", &bad);
    assert_eq!(status, 400, "{body}");
    assert_eq!(emu.admin_ok("faults"), json!({"faults": []}));
    assert_eq!(version_status(&emu), 200);
    let problems = scenario_problems(&body);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["field"], "faults[0].trigger.p", "{problems:?}");
    assert_eq!(
        problems[0]["line"],
        bad.lines().position(|l| l.contains("p = 2.0")).unwrap() as u64 + 1,
        "{problems:?}"
    );
}

#[test]
fn a_delay_that_would_overflow_is_refused() {
    let emu = TestEmulator::spawn();
    let (status, body) = emu.admin_post(
        "faults",
        &json!({"api": "pki", "action": {"kind": "delay", "min_ms": 0, "max_ms": u64::MAX}}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(emu.get("GetVersion", &[]).0, 200);
}

#[test]
fn faults_also_meet_requests_that_never_parse() {
    let emu = TestEmulator::spawn();
    let (status, _) = emu.admin_post(
        "faults",
        &json!({"api": "*", "action": {"kind": "status", "status": 503, "body": "down"},
                "trigger": {"when": "first", "n": 2}}),
    );
    assert_eq!(status, 200);
    // A command with a wrong apikey (never decoded) and a PKI body that is not JSON.
    let (s1, body) = emu.pod_form(&[
        ("login", "alfa@test.kz"),
        ("apikey", "wrong"),
        ("command", "x"),
    ]);
    assert_eq!((s1, body.as_slice()), (503, &b"down"[..]));
    let (s2, _) = emu.post_raw("RegisterInfo", "application/json", b"{not json".to_vec());
    assert_eq!(s2, 503);
    // The rule is spent: the normal refusals come back.
    let (s3, v) = emu.post_raw("RegisterInfo", "application/json", b"{not json".to_vec());
    assert_eq!((s3, &v["ErrorCode"]), (400, &json!(101)));
}

/// The `std::io::ErrorKind`s found along an error's source chain.
fn io_error_kinds(e: &(dyn std::error::Error + 'static)) -> Vec<std::io::ErrorKind> {
    let mut kinds = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            kinds.push(io.kind());
        }
        cur = err.source();
    }
    kinds
}
