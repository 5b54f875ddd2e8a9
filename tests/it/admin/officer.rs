//! PKI tracking codes under `/__admin/pki/tracking`: found by code and by national code, and the
//! officer's approve and reject, which move the lifecycle (and refuse the wrong state).

use crate::helpers::*;
use serde_json::json;
use std::collections::BTreeSet;

const MEHDI: &str = "0012345679";
const ZAHRA: &str = "0023456787";

#[test]
fn tracking_codes_by_code_and_by_national_code() {
    let emu = TestEmulator::spawn();
    let t = emu.register_mehdi();
    let rec = emu.admin_ok(&format!("pki/tracking/{t}"));
    assert_eq!(rec["code"], t.as_str(), "{rec}");
    assert_eq!(rec["status"], "Registered", "{rec}");
    assert_eq!(rec["customer"], Customer::A.code, "{rec}");
    assert_eq!(rec["ca"], "01", "{rec}");
    assert_eq!(rec["profile"], "Bronze-Sign", "{rec}");
    assert_eq!(rec["person"]["national_code"], MEHDI, "{rec}");
    assert_eq!(rec["registered_at"], TEST_CLOCK, "{rec}");
    assert!(!rec["history"].as_array().unwrap().is_empty(), "{rec}");

    // A second lifecycle of the same person, in another CA (one tracking code per Subject DN
    // in a CA).
    let in_person = emu.register(&Customer::A, "08", "Silver-Sign", mehdi());
    let found = emu.admin_ok(&format!("pki/tracking?nationalCode={MEHDI}"));
    let codes: BTreeSet<&str> = found["tracking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        BTreeSet::from([t.as_str(), in_person.as_str()]),
        "{found}"
    );
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking?nationalCode={ZAHRA}")),
        json!({"tracking": []})
    );
    assert_admin_error(&emu.admin_get("pki/tracking"), 400, &["nationalCode"]);
    assert_admin_error(
        &emu.admin_get("pki/tracking/999"),
        404,
        &["tracking code '999' does not exist"],
    );
}

#[test]
fn approve_moves_awaiting_approval_to_approved_and_issue_then_succeeds() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{t}"))["status"],
        "AwaitingApproval"
    );
    assert_eq!(emu.is_approved(&t), (json!(false), json!("Unsuccess")));

    let (status, body) = emu.admin_post(
        &format!("pki/tracking/{t}/approve"),
        &json!({"approver": "Officer Test"}),
    );
    assert_eq!(
        (status, &body),
        (200, &json!({"tracking_code": t, "status": "Approved"}))
    );
    let rec = emu.admin_ok(&format!("pki/tracking/{t}"));
    assert_eq!(rec["status"], "Approved", "{rec}");
    assert_eq!(rec["approval"]["approver"], "Officer Test", "{rec}");
    assert_eq!(emu.is_approved(&t), (json!(true), json!("Success")));
    let issued = emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign-InPerson",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    assert_eq!(issued["PaymentStatus"], "Paid", "{issued}");
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{t}"))["status"],
        "Issued"
    );

    // Wrong state: 409 and nothing changes.
    assert_admin_error(
        &emu.admin_post(&format!("pki/tracking/{t}/approve"), &json!({})),
        409,
        &["is Issued", "only AwaitingApproval can be approved"],
    );
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{t}"))["status"],
        "Issued"
    );
    let plain = emu.register(&Customer::A, "01", "Bronze-Sign", zahra());
    assert_admin_error(
        &emu.admin_post(&format!("pki/tracking/{plain}/approve"), &json!({})),
        409,
        &["is Registered"],
    );
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{plain}"))["status"],
        "Registered"
    );
    assert_admin_error(
        &emu.admin_post("pki/tracking/4242/approve", &json!({})),
        404,
        &["'4242' does not exist"],
    );
}

#[test]
fn reject_ends_the_lifecycle_and_registering_again_starts_a_new_one() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", zahra());
    let credit = emu.credit(&Customer::A);
    let (status, body) = emu.admin_post(
        &format!("pki/tracking/{t}/reject"),
        &json!({"reason": "the documents do not match"}),
    );
    assert_eq!(
        (status, &body),
        (200, &json!({"tracking_code": t, "status": "Rejected"}))
    );
    let rec = emu.admin_ok(&format!("pki/tracking/{t}"));
    assert_eq!(rec["status"], "Rejected", "{rec}");
    assert!(
        rec["history"]
            .to_string()
            .contains("the documents do not match"),
        "{rec}"
    );
    // The lifecycle cannot issue (IsApproved: see the next test).
    let resp = emu.issue_certificate(
        &Customer::A,
        "01",
        "Bronze-Sign-InPerson",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    assert_refused(&resp, 200, 402, &["is Rejected", "RegisterInfo"]);
    assert_eq!(emu.credit(&Customer::A), credit);
    // Rejecting twice, or rejecting an issued certificate's lifecycle: 409.
    assert_admin_error(
        &emu.admin_post(&format!("pki/tracking/{t}/reject"), &json!({})),
        409,
        &["is Rejected"],
    );
    // Registering again restarts the lifecycle under the same tracking code (one tracking
    // code per subject DN: the PKI document, lines 403–405); the rejected one is kept.
    let again = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", zahra());
    assert_eq!(again, t);
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{again}"))["status"],
        "AwaitingApproval"
    );
    let lives = emu.admin_ok(&format!("pki/tracking?nationalCode={}", "0023456787"));
    assert!(lives.to_string().contains("Rejected"), "{lives}");
    let m = emu.register_mehdi();
    emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &m,
        &openssl_csr(dir.path(), 2048).1,
    );
    assert_admin_error(
        &emu.admin_post(&format!("pki/tracking/{m}/reject"), &json!({})),
        409,
        &["is Issued", "without a certificate"],
    );
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{m}"))["status"],
        "Issued"
    );
    assert_admin_error(
        &emu.admin_post("pki/tracking/4242/reject", &json!({})),
        404,
        &["'4242' does not exist"],
    );
}

#[test]
fn is_approved_does_not_report_a_rejected_identity_as_approved() {
    let emu = TestEmulator::spawn();
    let t = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", zahra());
    let (status, _) = emu.admin_post(&format!("pki/tracking/{t}/reject"), &json!({}));
    assert_eq!(status, 200);
    let (status, polled) = emu.post("IsApproved", &json!({"trackingCode": t}));
    assert_eq!(status, 200, "{polled}");
    assert_eq!(
        polled["Description"],
        format!("tracking code {t} is Rejected"),
        "{polled}"
    );
    // A client polling IsApproved would go on to issue: the RA refused the identity, so the
    // answer must not be "approved".
    assert_eq!(
        polled["ResultCode"], false,
        "a rejected identity reported as approved: {polled}"
    );
    assert_ne!(polled["Message"], "Success", "{polled}");
}
