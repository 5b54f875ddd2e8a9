//! register → issue → confirm → revoke, with keys, CSRs and signatures made by openssl and
//! the results verified by openssl.

use crate::helpers::*;
use serde_json::{json, Value};

#[test]
fn full_lifecycle_verified_by_openssl() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let key_a = Customer::A.key();
    let credit_before = emu.credit(&Customer::A);

    // Register
    let tracking = emu.register_mehdi();
    let (_, again) = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    assert_eq!(
        again["TrackingCode"],
        tracking.as_str(),
        "same subject DN → same tracking code"
    );

    // Issue from an openssl CSR
    let (_leaf_key, csr) = openssl_csr(dir.path(), 2048);
    let (status, issued) =
        emu.issue_certificate(&Customer::A, "01", "Bronze-Sign", &tracking, &csr);
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["IsSuccess"], true, "{issued}");
    assert_eq!(issued["PaymentStatus"], "Paid");
    assert_eq!(issued["CN"], "Mehdi Ahmadi [Sign]");
    assert_eq!(issued["ValidFrom"], "2026-06-01T08:00:00Z");
    assert_eq!(issued["ValidTo"], "2027-06-01T08:00:00Z");
    let cert_b64 = issued["Certificate"].as_str().unwrap().to_string();
    let cert = unb64(&cert_b64);
    verify_against_chain(&emu, dir.path(), &cert);
    let text = openssl_text(&cert);
    assert!(text.contains("serialNumber=0012345679"), "{text}");
    assert!(
        text.contains("SN=احمدی") && text.contains("GN=مهدی"),
        "{text}"
    );
    assert!(
        text.contains(&format!("URI:{}/crl/01.crl", emu.url)),
        "{text}"
    );
    assert!(text.contains("2.16.364.101.1.1.1"), "{text}");
    assert_eq!(emu.credit(&Customer::A), credit_before - 150_000);

    // RegisterInfo now returns the active certificate and its CSR in Description
    let (_, again) = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    let desc: Value = serde_json::from_str(again["Description"].as_str().unwrap()).unwrap();
    assert_eq!(desc["Certificate"], cert_b64.as_str());
    assert_eq!(desc["CSR"], b64(&csr).as_str());

    // Confirm (signature over UTF-16LE of the certificate text)
    let sig = sign_unicode(&key_a, &cert_b64);
    let (status, conf) = emu.post(
        "RecievedCertConfirmation",
        &json!({"certificate": cert_b64, "signature": sig, "customercode": "10320874334-1234", "trackingCode": tracking}),
    );
    assert_eq!((status, &conf["IsSuccess"]), (200, &json!(true)), "{conf}");

    // Revoke (keyCompromise) and see it in the CRL
    let sig = openssl_sign(&key_a, cert_b64.as_bytes());
    let (status, rev) = emu.post(
        "RevokeCertificate",
        &json!({"certificate": cert_b64, "signature": sig, "customercode": "10320874334-1234", "revokeCertReason": 1}),
    );
    assert_eq!((status, &rev["IsSuccess"]), (200, &json!(true)), "{rev}");
    let (status, crl) = emu.get_bytes("/crl/01.crl");
    assert_eq!(status, 200);
    let err =
        openssl_verify(dir.path(), &cert, "pki/ca-01.pem", Some(&crl), TEST_CLOCK).unwrap_err();
    assert!(err.contains("certificate revoked"), "{err}");
    let crl_text = String::from_utf8_lossy(&run(
        "openssl",
        &["crl", "-inform", "DER", "-noout", "-text"],
        &crl,
    ))
    .into_owned();
    assert!(crl_text.contains("Key Compromise"), "{crl_text}");

    // A new registration of the same subject restarts its lifecycle under the same tracking
    // code (one tracking code per subject DN: the PKI document, lines 403–405).
    let (_, fresh) = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    assert_eq!(fresh["TrackingCode"], tracking.as_str());
    assert_eq!(emu.state_of(&tracking), "Registered");
}

fn verify_against_chain(_emu: &TestEmulator, dir: &std::path::Path, cert: &[u8]) {
    let out = openssl_verify(dir, cert, "pki/ca-01.pem", None, TEST_CLOCK).unwrap();
    assert!(out.contains("OK"), "{out}");
}

#[test]
fn an_expired_certificate_ends_the_lifecycle() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let (_, issued) = emu.issue_certificate(&Customer::A, "01", "Bronze-Sign", &tracking, &csr);
    assert_eq!(issued["IsSuccess"], true, "{issued}");
    // Still active a day before NotAfter: the same tracking code and the certificate come back.
    let move_clock = |by: &str| {
        let r = emu
            .client
            .post(format!("{}/__admin/clock", emu.url))
            .json(&json!({"advance": by}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    };
    move_clock("364d");
    let (_, again) = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    assert_eq!(again["TrackingCode"], tracking.as_str());
    let desc: Value = serde_json::from_str(again["Description"].as_str().unwrap()).unwrap();
    assert_eq!(desc["Certificate"], issued["Certificate"]);
    // Past NotAfter: the lifecycle restarts under the same tracking code (the PKI document,
    // lines 403–405), with no active certificate.
    move_clock("2d");
    let (_, fresh) = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    assert_eq!(fresh["TrackingCode"], tracking.as_str(), "{fresh}");
    assert_eq!(emu.state_of(&tracking), "Registered");
    let desc: Value = serde_json::from_str(fresh["Description"].as_str().unwrap()).unwrap();
    assert_eq!(desc["Certificate"], Value::Null);
}
