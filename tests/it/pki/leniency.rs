//! What the PKI document does not settle is accepted with a warning naming the field, the
//! value, what was expected and the document line (and refused under `portability =
//! "refuse"`); what it does settle is refused: a PEM where the document writes base64, fields
//! left out of the documented body (`field-missing`), `TokenType` in another case, a repeated
//! `rnd`, a foreign passport-style identifier, and a cached GET that warns every time.

use crate::helpers::*;
use serde_json::{json, Value};

fn refusing() -> TestEmulator {
    TestEmulator::spawn_edited(|s| {
        s.replacen("portability = \"warn\"", "portability = \"refuse\"", 1)
    })
}

/// The answer's one warning, of `kind`, containing every needle.
fn assert_warned(a: &Answer, kind: &str, needles: &[&str]) {
    assert_eq!(a.warnings.len(), 1, "{kind}: {:?} {}", a.warnings, a.text());
    let w = &a.warnings[0];
    assert!(w.starts_with(&format!("{kind} ")), "{kind}: {w}");
    for n in needles {
        assert!(w.contains(n), "the warning lacks {n:?}: {w}");
    }
}

/// A PKI refusal under `refuse`: 108 NotPortable naming the kind, no warning.
fn assert_not_portable(a: &Answer, kind: &str, needles: &[&str]) {
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    let v = a.json();
    assert_eq!(v["ErrorCode"], 108, "{v}");
    let msg = v["ErrorMessage"].as_str().unwrap_or("");
    assert!(msg.contains(&format!("not portable ({kind})")), "{v}");
    for n in needles {
        assert!(msg.contains(n), "ErrorMessage lacks {n:?}: {msg}");
    }
}

fn pem(label: &str, b64_text: &str) -> String {
    let lines: Vec<&str> = b64_text
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// Mehdi registered and issued for customer A: (tracking code, base64 certificate).
fn issued_mehdi(emu: &TestEmulator) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let issued = emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &csr);
    (
        tracking,
        issued["Certificate"].as_str().unwrap().to_string(),
    )
}

// ── 1. base64 fields: a PEM is refused where the document writes base64 ──────────────────

#[test]
fn a_pem_csr_is_refused_naming_the_document_line_and_issues_nothing() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let (_key, der) = openssl_csr(dir.path(), 2048);
    for label in ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"] {
        let csr = pem(label, &b64(&der));
        let mut body = Customer::A.issue_body("01", "Bronze-Sign", &tracking, &der);
        body["csr"] = json!(csr);
        body["signature"] = json!(Customer::A.sign(csr.as_bytes()));
        let resp = emu.post("IssueCertificateByTrackingCode", &body);
        assert_refused(
            &resp,
            200,
            404,
            &[
                "csr is PEM-armoured",
                &format!("'-----BEGIN {label}-----'"),
                "base64(csr)",
                "the PKI document, line 506",
                "strip the -----BEGIN/-----END lines",
            ],
        );
    }
    assert_eq!(emu.state_of(&tracking), "Registered");
    // The base64 between the armour lines is the documented form.
    emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &der);
}

#[test]
fn a_pem_certificate_is_refused_by_revoke_certificate() {
    let emu = TestEmulator::spawn();
    let (tracking, cert) = issued_mehdi(&emu);
    let armoured = pem("CERTIFICATE", &cert);
    let resp = emu.revoke_certificate(&Customer::A, &armoured, 1);
    assert_refused(
        &resp,
        200,
        406,
        &[
            "certificate is PEM-armoured",
            "'-----BEGIN CERTIFICATE-----'",
            "base64(certificate)",
            "the PKI document, line 548",
        ],
    );
    assert_eq!(emu.state_of(&tracking), "Issued");
}

fn confirm(emu: &TestEmulator, tracking: &str, cert: &str) -> Answer {
    emu.post_answer(
        "RecievedCertConfirmation",
        &json!({
            "certificate": cert,
            "signature": Customer::A.sign_unicode(cert),
            "customercode": Customer::A.customercode(),
            "trackingCode": tracking,
        }),
    )
}

#[test]
fn a_pem_certificate_is_warned_by_recieved_cert_confirmation() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let (tracking, cert) = issued_mehdi(&emu);
    let a = confirm(&emu, &tracking, &pem("CERTIFICATE", &cert));
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    assert_warned(
        &a,
        "certificate-pem-armor",
        &[
            "certificate is PEM-armoured",
            "'-----BEGIN CERTIFICATE-----'",
            "the PKI document, line 659",
            "line 522",
        ],
    );
}

#[test]
fn a_pem_certificate_is_refused_by_recieved_cert_confirmation_under_refuse() {
    let emu = refusing();
    let (tracking, cert) = issued_mehdi(&emu);
    let a = confirm(&emu, &tracking, &pem("CERTIFICATE", &cert));
    assert_not_portable(&a, "certificate-pem-armor", &["line 659"]);
    // Nothing was confirmed: the documented form is the first confirmation.
    let a = confirm(&emu, &tracking, &cert);
    assert_eq!(
        a.json()["Description"],
        "receipt of certificate serial 1001 confirmed",
        "{}",
        a.text()
    );
}

// ── 2. field-missing: documented request fields left out ─────────────────────────────────

fn revoke_without_reason(emu: &TestEmulator, cert: &str) -> Answer {
    let mut body = Customer::A.revoke_body(cert, 0);
    body.as_object_mut().unwrap().remove("revokeCertReason");
    emu.post_answer("RevokeCertificate", &body)
}

#[test]
fn revoke_certificate_without_revoke_cert_reason_is_warned_and_revokes_unspecified() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let (tracking, cert) = issued_mehdi(&emu);
    let a = revoke_without_reason(&emu, &cert);
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    assert!(
        a.json()["Description"]
            .as_str()
            .unwrap()
            .contains("unspecified"),
        "{}",
        a.text()
    );
    assert_warned(
        &a,
        "field-missing",
        &[
            "revokeCertReason is not sent",
            "does not mark it optional",
            "the PKI document, lines 547",
        ],
    );
    assert_eq!(emu.state_of(&tracking), "Revoked");
    let entry = emu.admin_ok(&format!("requests/{}", a.id));
    assert_eq!(entry["warnings"][0]["kind"], "field-missing", "{entry}");
}

#[test]
fn revoke_certificate_without_revoke_cert_reason_is_refused_under_refuse() {
    let emu = refusing();
    let (tracking, cert) = issued_mehdi(&emu);
    let a = revoke_without_reason(&emu, &cert);
    assert_not_portable(&a, "field-missing", &["revokeCertReason"]);
    assert_eq!(emu.state_of(&tracking), "Issued");
}

fn issue_without_payment_id(emu: &TestEmulator) -> Answer {
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let (_key, der) = openssl_csr(dir.path(), 2048);
    let mut body = Customer::A.issue_body("01", "Bronze-Sign", &tracking, &der);
    body.as_object_mut().unwrap().remove("paymentId");
    emu.post_answer("IssueCertificateByTrackingCode", &body)
}

#[test]
fn issuing_without_payment_id_is_warned_and_refused_under_refuse() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let a = issue_without_payment_id(&emu);
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    assert_warned(
        &a,
        "field-missing",
        &["paymentId is not sent", "the PKI document, line 507"],
    );
    let emu = refusing();
    let a = issue_without_payment_id(&emu);
    assert_not_portable(&a, "field-missing", &["paymentId"]);
    assert_eq!(emu.credit(&Customer::A), 10_000_000, "nothing was charged");
}

fn report_without_id(emu: &TestEmulator) -> Answer {
    emu.post_answer(
        "IssuingReport",
        &json!({
            "reportkey": Customer::A.report_key,
            "customercode": Customer::A.code,
            "startdate": "2026/06/01",
            "enddate": "2026/06/01",
            "type": "PerCA",
        }),
    )
}

#[test]
fn issuing_report_without_id_is_warned_and_refused_under_refuse() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let a = report_without_id(&emu);
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(a.json().is_array(), "{}", a.text());
    assert_warned(
        &a,
        "field-missing",
        &["id is not sent", "the PKI document, lines 797-806"],
    );
    assert_not_portable(&report_without_id(&refusing()), "field-missing", &["id"]);
}

/// Customer B (no provider face authentication, name lookup) registers Sara for remote
/// approval and approves without `approverSign` (neither sent nor empty).
fn approve_remotely_without_approver_sign(emu: &TestEmulator) -> (String, Answer) {
    let tracking = emu.register(
        &Customer::B,
        "01",
        "Bronze-Sign-FaceAuth",
        documented(
            json!({"NationalCode": "1273141598", "IsMan": false, "TokenType": "USERGENERATED"}),
        ),
    );
    let mut body =
        Customer::B.request_approve_body("1273141598", &tracking, "face-auth", None, None);
    body.as_object_mut().unwrap().remove("approverSign");
    (tracking, emu.post_answer("RequestApprove", &body))
}

#[test]
fn remote_approval_without_approver_sign_is_warned_and_refused_under_refuse() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let (tracking, a) = approve_remotely_without_approver_sign(&emu);
    assert_eq!(a.json()["ResultCode"], true, "{}", a.text());
    assert_warned(
        &a,
        "field-missing",
        &["approverSign is not sent", "and 638"],
    );
    assert_eq!(emu.state_of(&tracking), "Approved");
    let emu = refusing();
    let (tracking, a) = approve_remotely_without_approver_sign(&emu);
    assert_not_portable(&a, "field-missing", &["approverSign"]);
    assert_eq!(emu.state_of(&tracking), "AwaitingApproval");
}

// ── 3. RegisterInfo's personData left incomplete ─────────────────────────────────────────

fn mehdi_without(fields: &[&str]) -> Value {
    let mut p = mehdi();
    for f in fields {
        p.as_object_mut().unwrap().remove(*f);
    }
    p
}

const LEFT_OUT: &[&str] = &["Telephone", "BirthDate", "IsMan", "BirthCertificateID"];

/// Customer B checks no identity: the person is registered whatever is left out.
fn register_incomplete(emu: &TestEmulator) -> Answer {
    emu.post_answer(
        "RegisterInfo",
        &Customer::B.register_body("01", "Bronze-Sign", mehdi_without(LEFT_OUT)),
    )
}

#[test]
fn register_info_without_documented_person_fields_warns_once_naming_them_and_keeps_is_man_absent() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let a = register_incomplete(&emu);
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    assert_warned(
        &a,
        "field-missing",
        &[
            "personData.IsMan, personData.Telephone, personData.BirthCertificateID, personData.BirthDate are not sent",
            "does not mark them optional",
            "the PKI document, lines 327-357",
        ],
    );
    let tracking = a.json()["TrackingCode"].as_str().unwrap().to_string();
    let rec = emu.admin_ok(&format!("pki/tracking/{tracking}"));
    let person = rec
        .get("person")
        .or_else(|| rec["record"].get("person"))
        .unwrap_or_else(|| panic!("no person in {rec}"));
    assert_eq!(
        person["is_man"],
        Value::Null,
        "IsMan left out is stored absent, not a gender: {rec}"
    );
    // Email is optional, and PostalCode, City and ProvinceName are outside the government
    // CA (the PKI document, lines 357 and 399): leaving them out warns nothing.
    let emu = TestEmulator::spawn();
    let a = emu.post_answer(
        "RegisterInfo",
        &Customer::B.register_body(
            "01",
            "Bronze-Sign",
            mehdi_without(&["Email", "PostalCode", "City", "ProvinceName"]),
        ),
    );
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
}

#[test]
fn register_info_without_documented_person_fields_is_refused_under_refuse() {
    let emu = refusing();
    let a = register_incomplete(&emu);
    assert_not_portable(
        &a,
        "field-missing",
        &["personData.IsMan", "personData.Telephone", "line"],
    );
    // No tracking code was consumed: the complete body gets the first one.
    let resp = emu.register_info(&Customer::B, "01", "Bronze-Sign", mehdi());
    assert_ok(&resp);
    assert_eq!(resp.1["TrackingCode"], "1000001", "{}", resp.1);
}

#[test]
fn name_lookup_customers_may_leave_the_names_out() {
    let emu = TestEmulator::spawn();
    let person = mehdi_without(&["Name", "LastName", "EnName", "EnLastName", "FatherName"]);
    let a = emu.post_answer(
        "RegisterInfo",
        &Customer::B.register_body("01", "Bronze-Sign", person.clone()),
    );
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    // Customer A has no name lookup: left-out names the subject does not need are warned.
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let a = emu.post_answer(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", mehdi_without(&["FatherName"])),
    );
    assert_warned(&a, "field-missing", &["personData.FatherName is not sent"]);
}

// ── 4. a cached GET warns and counts every time ──────────────────────────────────────────

#[test]
fn a_cached_get_warns_and_counts_every_time_and_keeps_its_diagnostics() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let q = [("Customercode", "10320874334-1234")];
    let first = emu.get_answer("GetCAList", &q);
    let second = emu.get_answer("GetCAList", &q);
    assert_eq!(first.body, second.body, "the same answer, from the cache");
    for a in [&first, &second] {
        assert_warned(a, "bare-customercode", &["'10320874334-1234'"]);
    }
    let tally = emu.admin_ok("warnings");
    assert_eq!(tally["kinds"]["bare-customercode"]["count"], 2, "{tally}");
    assert_eq!(tally["requests"], 2, "{tally}");
    assert_eq!(
        tally["kinds"]["bare-customercode"]["last_request"], second.id,
        "{tally}"
    );
    let one = emu.admin_ok(&format!("requests/{}", first.id));
    let two = emu.admin_ok(&format!("requests/{}", second.id));
    assert_eq!(two["warnings"], one["warnings"], "{two}");
    assert_eq!(two["diagnostics"], one["diagnostics"], "{two}");
    // The same under refuse: each repeat is refused, naming the kind.
    let emu = refusing();
    for _ in 0..2 {
        let a = emu.get_answer("GetCAList", &q);
        assert_not_portable(&a, "bare-customercode", &[]);
        let entry = emu.admin_ok(&format!("requests/{}", a.id));
        assert_eq!(entry["refusal"]["kind"], "NotPortable", "{entry}");
    }
}

// ── 5. TokenType in another case ─────────────────────────────────────────────────────────

fn register_token_type(emu: &TestEmulator, token_type: &str) -> Answer {
    let mut p = mehdi();
    p["TokenType"] = json!(token_type);
    emu.post_answer(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", p),
    )
}

#[test]
fn token_type_in_another_case_is_warned_and_refused_under_refuse() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let a = register_token_type(&emu, "UserGenerated");
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    assert_warned(
        &a,
        "token-type-case",
        &[
            "personData.TokenType is 'UserGenerated'",
            "'USERGENERATED'",
            "the PKI document, line 352",
        ],
    );
    let a = register_token_type(&refusing(), "usergenerated");
    assert_not_portable(&a, "token-type-case", &["'usergenerated'"]);
}

// ── 14. a repeated rnd under refuse ──────────────────────────────────────────────────────

fn history(emu: &TestEmulator, rnd: &str) -> Answer {
    emu.post_answer(
        "GetUserCertHistory",
        &history_body(&Customer::A, "0012345679", rnd),
    )
}

#[test]
fn a_repeated_rnd_is_refused_under_refuse_and_a_new_one_is_not() {
    let emu = refusing();
    emu.register_mehdi();
    let a = history(&emu, "twice");
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    let a = history(&emu, "twice");
    assert_not_portable(&a, "rnd-repeated", &["rnd 'twice'", "line 758"]);
    assert_eq!(a.json()["CertList"], Value::Null, "{}", a.text());
    let a = history(&emu, "once");
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
}

// ── 15. a foreign applicant's passport-style identifier ──────────────────────────────────

fn register_foreign(emu: &TestEmulator, id: &str) -> Answer {
    let mut p = mehdi();
    p["IsForeign"] = json!(true);
    p["NationalCode"] = json!(id);
    emu.post_answer(
        "RegisterInfo",
        &Customer::B.register_body("01", "Bronze-Sign", p),
    )
}

#[test]
fn a_passport_style_foreign_identifier_is_warned_and_refused_under_refuse() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let a = register_foreign(&emu, "X12345678");
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    assert_warned(
        &a,
        "foreign-identifier",
        &[
            "personData.NationalCode 'X12345678'",
            "5 to 20 ASCII letters or digits",
            "the PKI document, line 343",
        ],
    );
    let a = register_foreign(&refusing(), "X12345678");
    assert_not_portable(&a, "foreign-identifier", &["'X12345678'"]);
    // What can not be an identifier at all is still refused, under warn too.
    let emu = TestEmulator::spawn();
    for bad in ["X-1234-56", "AB12", "پاسپورت12345"] {
        let resp = emu.register_info(&Customer::B, "01", "Bronze-Sign", {
            let mut p = mehdi();
            p["IsForeign"] = json!(true);
            p["NationalCode"] = json!(bad);
            p
        });
        assert_refused(
            &resp,
            200,
            301,
            &["IsForeign", "5 to 20 ASCII letters or digits"],
        );
    }
}
