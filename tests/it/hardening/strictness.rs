//! Leniencies signsim refuses with precise messages: a CSR PEM with another
//! label or no END line, a content type that merely contains `json`, a CSR key with public
//! exponent 3, an issue while the clock is before the CA's NotBefore, and a document number
//! with a sign. What is right next to each (a proper PEM, `application/json; charset=utf-8`,
//! e = 65537, the clock inside the CA's validity, `1001`) is accepted.

use super::*;
use serde_json::json;

/// An issue body whose `csr` field is `csr_text`, signed over that text.
fn issue_text(tracking: &str, csr_text: &str) -> Value {
    let mut body = Customer::A.issue_body("01", "Bronze-Sign", tracking, b"");
    body["csr"] = json!(csr_text);
    body["signature"] = json!(Customer::A.sign(csr_text.as_bytes()));
    body
}

fn pem(label: &str, der: &[u8], end: bool) -> String {
    let mut s = format!("-----BEGIN {label}-----\n{}\n", b64(der));
    if end {
        s.push_str(&format!("-----END {label}-----\n"));
    }
    s
}

#[test]
fn a_csr_pem_is_refused_whatever_its_label_or_shape() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let before = dumps(&emu);
    // The document sends base64(csr) (the PKI document, line 506): a PEM of any label, whole
    // or cut off, is refused, naming its first line.
    let request = "'-----BEGIN CERTIFICATE REQUEST-----'";
    for (text, needle) in [
        (
            pem("PRIVATE KEY", &csr, true),
            "'-----BEGIN PRIVATE KEY-----'",
        ),
        (
            pem("CERTIFICATE", &csr, true),
            "'-----BEGIN CERTIFICATE-----'",
        ),
        (pem("CERTIFICATE REQUEST", &csr, false), request),
        (
            pem("CERTIFICATE REQUEST", &csr, true).replace(
                "-----END CERTIFICATE REQUEST-----",
                "-----END PRIVATE KEY-----",
            ),
            request,
        ),
        (pem("CERTIFICATE REQUEST", &csr, true) + "trailing", request),
        (pem("CERTIFICATE REQUEST", &csr, true), request),
    ] {
        let r = emu.post(
            "IssueCertificateByTrackingCode",
            &issue_text(&tracking, &text),
        );
        assert_refused(
            &r,
            200,
            404,
            &["csr is PEM-armoured", needle, "the PKI document, line 506"],
        );
    }
    assert_eq!(dumps(&emu), before);
    assert_ok(&emu.post(
        "IssueCertificateByTrackingCode",
        &issue_text(&tracking, &b64(&csr)),
    ));
}

#[test]
fn a_content_type_is_json_only_when_its_media_type_is_application_json() {
    let emu = TestEmulator::spawn();
    let body = Customer::A
        .register_body("01", "Bronze-Sign", mehdi())
        .to_string()
        .into_bytes();
    for ct in [
        "TEXT/JSONX",
        "text/json",
        "application/jsonx",
        "application/json-patch+json",
        "x-json; charset=utf-8",
    ] {
        let r = emu.post_raw("RegisterInfo", ct, body.clone());
        assert_refused(
            &r,
            415,
            107,
            &[&ct.to_ascii_lowercase(), "application/json"],
        );
    }
    assert_eq!(emu.admin_ok("pki/state")["tracking"], json!([]));
    for ct in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json;charset=UTF-8",
    ] {
        assert_ok(&emu.post_raw("RegisterInfo", ct, body.clone()));
    }
}

#[test]
fn a_csr_key_with_a_small_public_exponent_is_refused() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let key = dir.path().join("e3.key");
    run(
        "openssl",
        &["genrsa", "-3", "-out", key.to_str().unwrap(), "2048"],
        b"",
    );
    let csr = run(
        "openssl",
        &[
            "req",
            "-new",
            "-key",
            key.to_str().unwrap(),
            "-subj",
            "/CN=e3",
            "-outform",
            "DER",
        ],
        b"",
    );
    let r = emu.issue_certificate(&Customer::A, "01", "Bronze-Sign", &tracking, &csr);
    assert_refused(&r, 200, 404, &["public exponent is 03", "at least 65537"]);
    assert_eq!(emu.state_of(&tracking), "Registered");
    let (_, good) = openssl_csr(dir.path(), 2048);
    emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &good);
}

#[test]
fn no_certificate_is_issued_before_the_cas_own_validity_begins() {
    // CA 01's certificate is valid from 2024-01-01T00:00:00Z.
    let emu = TestEmulator::spawn_with(Options {
        clock: Some("2023-12-31T23:00:00Z".into()),
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let credit = emu.credit(&Customer::A);
    let r = emu.issue_certificate(&Customer::A, "01", "Bronze-Sign", &tracking, &csr);
    assert_refused(
        &r,
        200,
        601,
        &[
            "can not issue yet",
            "valid from 2024-01-01T00:00:00Z",
            "2023-12-31T23:00:00Z",
        ],
    );
    assert_eq!(emu.credit(&Customer::A), credit);
    assert_eq!(emu.state_of(&tracking), "Registered");
    emu.advance("1h");
    emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &csr);
}

#[test]
fn a_document_number_is_digits_only() {
    let emu = TestEmulator::spawn();
    let num = emu.pod_upload_num(Upload::alfa_to_beta("rk-digits"));
    assert_eq!(num, "1001");
    for (oper, element) in [
        ("getdoc", "docnum"),
        ("getstatus", "docuniq"),
        ("delpermission", "docnum"),
    ] {
        for bad in ["+1001", "-1001", "1e3", "0x3e9"] {
            let a = emu.pod_oper(
                ALFA,
                &format!("<oper>{oper}</oper><{element}>{bad}</{element}><indexnum>2</indexnum>"),
            );
            assert_command_refused(
                &a,
                oper,
                4,
                &[&format!("<{element}> is '{bad}'"), "digits only"],
            );
        }
    }
    assert!(emu.pod_getstatus(ALFA, "1001").contains("<docnum>"));
}
