//! PKI records under `/__admin/pki/`: certificates by CA and serial (with a PEM openssl reads),
//! customer credit read, set and changed (a change that would overflow is refused), and CA
//! availability switched for the API.

use crate::helpers::*;
use serde_json::json;

const MEHDI: &str = "0012345679";
const FULL_A: i64 = 10_000_000;

#[test]
fn certificates_by_ca_and_serial_with_a_pem_openssl_reads() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register_mehdi();
    let issued = emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    let cert_b64 = issued["Certificate"].as_str().unwrap().to_string();
    let der = unb64(&cert_b64);
    let serial_hex = openssl_serial(&der);
    let rec = emu.admin_ok(&format!("pki/certificates/01/{serial_hex}"));
    assert_eq!(rec["ca"], "01", "{rec}");
    assert_eq!(
        rec["serial"],
        u64::from_str_radix(&serial_hex, 16).unwrap(),
        "{rec}"
    );
    assert_eq!(rec["tracking_code"], t.as_str(), "{rec}");
    assert_eq!(rec["customer"], Customer::A.code, "{rec}");
    assert_eq!(rec["national_code"], MEHDI, "{rec}");
    assert_eq!(rec["status"], "Active", "{rec}");
    assert_eq!(rec["certificate"], cert_b64.as_str(), "{rec}");
    let pem = rec["pem"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    // openssl reads the PEM: the same certificate (serial and DER).
    let from_pem = run("openssl", &["x509", "-outform", "DER"], pem.as_bytes());
    assert_eq!(from_pem, der);
    // Lowercase hex names the same certificate.
    assert_eq!(
        emu.admin_ok(&format!(
            "pki/certificates/01/{}",
            serial_hex.to_lowercase()
        ))["serial"],
        rec["serial"]
    );

    assert_ok(&emu.revoke_certificate(&Customer::A, &cert_b64, 4));
    let rec = emu.admin_ok(&format!("pki/certificates/01/{serial_hex}"));
    assert_eq!(rec["status"], "Revoked", "{rec}");
    assert_eq!(rec["revoke_reason"], 4, "{rec}");
    assert_eq!(rec["revoked_at"], TEST_CLOCK, "{rec}");

    assert_admin_error(
        &emu.admin_get(&format!("pki/certificates/08/{serial_hex}")),
        404,
        &["CA '08' has no certificate with serial"],
    );
    assert_admin_error(
        &emu.admin_get("pki/certificates/01/xyz"),
        400,
        &["serial 'xyz' is not hexadecimal"],
    );
    assert_admin_error(
        &emu.admin_get(&format!("pki/certificates/99/{serial_hex}")),
        404,
        &[],
    );
}

#[test]
fn customer_credit_can_be_read_set_and_changed() {
    let emu = TestEmulator::spawn();
    assert_eq!(
        emu.admin_ok(&format!("pki/customers/{}", Customer::A.code)),
        json!({"customer": Customer::A.code, "credit": FULL_A})
    );
    let path = format!("pki/customers/{}/credit", Customer::A.code);
    assert_eq!(
        emu.admin_post(&path, &json!({"set": 5000})),
        (200, json!({"customer": Customer::A.code, "credit": 5000}))
    );
    assert_eq!(emu.credit(&Customer::A), 5000);
    assert_eq!(
        emu.admin_post(&path, &json!({"add": -1200})),
        (200, json!({"customer": Customer::A.code, "credit": 3800}))
    );
    assert_eq!(emu.credit(&Customer::A), 3800);
    assert_eq!(
        emu.admin_post(&path, &json!({"add": 200})).1["credit"],
        4000
    );
    // Too little credit now shows in the API: issuing Bronze-Sign (150000) is refused.
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register_mehdi();
    let resp = emu.issue_certificate(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    assert_eq!(resp.1["IsSuccess"], false, "{}", resp.1);
    assert_eq!(emu.credit(&Customer::A), 4000);

    for bad in [json!({}), json!({"set": 1, "add": 1}), json!({"set": "10"})] {
        assert_admin_error(&emu.admin_post(&path, &bad), 400, &["{\"set\": n}"]);
        assert_eq!(emu.credit(&Customer::A), 4000, "{bad} changed the credit");
    }
    assert_admin_error(&emu.admin_get("pki/customers/99999999999"), 404, &[]);
    assert_admin_error(
        &emu.admin_post("pki/customers/99999999999/credit", &json!({"set": 1})),
        404,
        &[],
    );
}

#[test]
fn a_credit_change_that_would_overflow_is_refused() {
    let emu = TestEmulator::spawn();
    let (status, body) = emu.admin_post(
        "pki/customers/10320874334/credit",
        &json!({"add": i64::MAX}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(emu.credit(&Customer::A), 10_000_000);
}

#[test]
fn cas_are_listed_and_availability_switches_the_api() {
    let emu = TestEmulator::spawn();
    let cas = emu.admin_ok("pki/cas");
    let list = cas["cas"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["01", "08", "03"], "{cas}");
    assert_eq!(
        list[0]["title"],
        "TEST PKI Private Intermediate Bronze CA - G3"
    );
    assert_eq!(
        list[0]["profiles"],
        json!([
            "Bronze-Sign",
            "Bronze-Sign-InPerson",
            "Bronze-Sign-FaceAuth",
            "Bronze-Stamp"
        ])
    );
    assert!(list.iter().all(|c| c["available"] == true), "{cas}");

    let off = emu.admin_post("pki/cas/01/availability", &json!({"available": false}));
    assert_eq!(off, (200, json!({"ca": "01", "available": false})));
    let (_, body) = emu.get("IsAvailable", &[("caName", "01")]);
    assert_eq!(body["IsAvailable"], false, "{body}");
    let (_, body) = emu.get("IsAvailable", &[("caName", "08")]);
    assert_eq!(body["IsAvailable"], true, "{body}");
    assert_refused(
        &emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi()),
        200,
        601,
        &["CA '01' is not available"],
    );
    assert_eq!(emu.admin_ok("pki/state")["tracking"], json!([]));
    assert_eq!(emu.admin_ok("pki/cas")["cas"][0]["available"], false);

    let on = emu.admin_post("pki/cas/01/availability", &json!({"available": true}));
    assert_eq!(on, (200, json!({"ca": "01", "available": true})));
    let (_, body) = emu.get("IsAvailable", &[("caName", "01")]);
    assert_eq!(body["IsAvailable"], true, "{body}");
    assert_eq!(emu.register_mehdi(), "1000001");

    assert_admin_error(
        &emu.admin_post("pki/cas/01/availability", &json!({"available": "no"})),
        400,
        &["{\"available\": true|false}"],
    );
    assert_eq!(emu.admin_ok("pki/cas")["cas"][0]["available"], true);
    assert_admin_error(
        &emu.admin_post("pki/cas/99/availability", &json!({"available": false})),
        404,
        &["'99'"],
    );
}
