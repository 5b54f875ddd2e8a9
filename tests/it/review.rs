//! Regressions from code review: what must not panic, overflow or double-charge.

use crate::helpers::*;
use serde_json::{json, Value};

fn admin(emu: &TestEmulator, path: &str, body: &Value) -> (u16, Value) {
    let r = emu
        .client
        .post(format!("{}/__admin/{path}", emu.url))
        .json(body)
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap_or(Value::Null))
}

#[test]
fn the_clock_refuses_to_leave_its_range_and_the_server_keeps_answering() {
    let emu = TestEmulator::spawn();
    let (status, body) = admin(&emu, "clock", &json!({"set": "9999-12-31T23:59:58Z"}));
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("outside the clock's range"),
        "{body}"
    );
    for _ in 0..45 {
        let (status, _) = admin(&emu, "clock", &json!({"advance": "73000d"}));
        if status == 400 {
            break;
        }
    }
    let (status, body) = admin(&emu, "clock", &json!({"advance": "999999999999999d"}));
    assert_eq!(status, 400, "{body}");
    let (status, v) = emu.get("GetVersion", &[]);
    assert_eq!((status, &v["Version"]), (200, &json!("1.8")));
    assert_eq!(emu.get_bytes("/crl/01.crl").0, 200);
}

#[test]
fn credit_and_delay_overflows_are_refused() {
    let emu = TestEmulator::spawn();
    let (status, body) = admin(
        &emu,
        "pki/customers/10320874334/credit",
        &json!({"add": i64::MAX}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(emu.credit(&Customer::A), 10_000_000);
    let (status, body) = admin(
        &emu,
        "faults",
        &json!({"api": "pki", "action": {"kind": "delay", "min_ms": 0, "max_ms": u64::MAX}}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(emu.get("GetVersion", &[]).0, 200);
}

#[test]
fn a_ca_past_its_own_validity_issues_nothing_and_charges_nothing() {
    let emu = TestEmulator::spawn();
    let tc = emu.register_mehdi();
    let (status, _) = admin(&emu, "clock", &json!({"set": "2045-01-01T00:00:00Z"}));
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().unwrap();
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let (_, v) = emu.issue_certificate(&Customer::A, "01", "Bronze-Sign", &tc, &csr);
    assert_eq!(v["ErrorCode"], 601, "{v}");
    assert!(
        v["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("expired at 2044-01-01"),
        "{v}"
    );
    assert_eq!(emu.credit(&Customer::A), 10_000_000);
}

#[test]
fn the_government_ca_does_not_issue_a_second_active_certificate_for_one_subject() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let reg = |()| {
        let (_, v) = emu.register_info(&Customer::A, "03", "Gov-Sign", mehdi());
        v["TrackingCode"]
            .as_str()
            .unwrap_or_else(|| panic!("{v}"))
            .to_string()
    };
    let first = reg(());
    let (_, a) = emu.issue_certificate(&Customer::A, "03", "Gov-Sign", &first, &csr);
    assert_eq!(a["PaymentStatus"], "Paid", "{a}");
    let second = reg(());
    assert_ne!(first, second, "the government CA gives a new tracking code");
    // The same CSR: the active certificate back, not charged.
    let (_, b) = emu.issue_certificate(&Customer::A, "03", "Gov-Sign", &second, &csr);
    assert_eq!(
        (&b["PaymentStatus"], &b["Certificate"]),
        (&json!("NotCharged"), &a["Certificate"]),
        "{b}"
    );
    // Another key: revoke first.
    let (_, other) = openssl_csr(dir.path(), 2048);
    let (_, c) = emu.issue_certificate(&Customer::A, "03", "Gov-Sign", &second, &other);
    assert_eq!(c["ErrorCode"], 402, "{c}");
    assert!(
        c["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains(&format!("under tracking code {first}")),
        "{c}"
    );
    assert_eq!(emu.credit(&Customer::A), 10_000_000 - 100_000);
}

#[test]
fn the_duplicate_reference_error_is_exactly_the_documented_text() {
    let emu = TestEmulator::spawn();
    assert!(emu
        .pod_upload(Upload::alfa_to_beta("DUP"))
        .1
        .contains(">ok</doc>"));
    let (_, x) = emu.pod_upload(Upload::alfa_to_beta("DUP"));
    assert!(
        x.contains("errtxt='Document already exist at DB'>err</doc>"),
        "{x}"
    );
}

#[test]
fn faults_also_meet_requests_that_never_parse() {
    let emu = TestEmulator::spawn();
    let (status, _) = admin(
        &emu,
        "faults",
        &json!({"api": "*", "action": {"kind": "status", "status": 503, "body": "down"}, "trigger": {"when": "first", "n": 2}}),
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
