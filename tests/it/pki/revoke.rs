//! RevokeCertificate, RecievedCertConfirmation and the CRLs: only the owner
//! revokes, once, with an RFC 5280 reason that openssl reads back from a CRL it verifies.

use crate::helpers::*;
use serde_json::{json, Value};
use std::path::Path;

/// Registers and issues Mehdi in CA 01 for customer A; returns (tracking code, base64 cert).
fn issued_mehdi(emu: &TestEmulator, dir: &Path) -> (String, String) {
    let tracking = emu.register_mehdi();
    let (_key, csr) = openssl_csr(dir, 2048);
    let issued = emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &csr);
    (
        tracking,
        issued["Certificate"].as_str().unwrap().to_string(),
    )
}

fn crl_text(emu: &TestEmulator, ca: &str) -> String {
    let (status, crl) = emu.get_bytes(&format!("/crl/{ca}.crl"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&crl));
    openssl_crl_text(&crl)
}

/// openssl's "CRL entry" blocks by serial (uppercase hex, as openssl prints it).
fn crl_entries(text: &str) -> Vec<(String, String)> {
    text.split("Serial Number:")
        .skip(1)
        .map(|block| {
            let serial = block.split_whitespace().next().unwrap_or("").to_string();
            (serial, block.to_string())
        })
        .collect()
}

fn cert_serial(cert_b64: &str) -> String {
    openssl_serial(&unb64(cert_b64))
}

// ── RevokeCertificate ────────────────────────────────────────────────────────────────────

#[test]
fn revoking_another_customers_certificate_is_refused() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let (tracking, cert) = issued_mehdi(&emu, dir.path());
    let resp = emu.revoke_certificate(&Customer::B, &cert, 1);
    assert_refused(
        &resp,
        200,
        209,
        &["certificate serial 1001 of CA '01'", "another customer"],
    );
    assert_eq!(emu.state_of(&tracking), "Issued");
    assert!(crl_entries(&crl_text(&emu, "01")).is_empty());
    // The owner still can.
    assert_ok(&emu.revoke_certificate(&Customer::A, &cert, 1));
}

#[test]
fn revoking_twice_is_refused_and_keeps_the_first_reason() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let (tracking, cert) = issued_mehdi(&emu, dir.path());
    assert_ok(&emu.revoke_certificate(&Customer::A, &cert, 1));
    let resp = emu.revoke_certificate(&Customer::A, &cert, 4);
    assert_refused(
        &resp,
        200,
        408,
        &[
            "serial 1001",
            "already revoked",
            "2026-06-01T08:00:00Z",
            "reason 1",
        ],
    );
    assert_eq!(emu.state_of(&tracking), "Revoked");
    let entries = crl_entries(&crl_text(&emu, "01"));
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].1.contains("Key Compromise"), "{entries:?}");
    assert!(!entries[0].1.contains("Superseded"), "{entries:?}");
}

#[test]
fn revocation_reason_7_is_not_a_crl_reason() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let (tracking, cert) = issued_mehdi(&emu, dir.path());
    for reason in [7, 11, -1] {
        let resp = emu.revoke_certificate(&Customer::A, &cert, reason);
        assert_refused(
            &resp,
            200,
            409,
            &[
                &format!("revokeCertReason {reason} is not an RFC 5280 CRLReason"),
                "4 superseded",
                "8 removeFromCRL",
            ],
        );
    }
    assert_eq!(emu.state_of(&tracking), "Issued");
    assert!(crl_entries(&crl_text(&emu, "01")).is_empty());
}

#[test]
fn revoking_a_self_signed_certificate_is_refused_as_not_issued_here() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("self.key");
    let der = run(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            key.to_str().unwrap(),
            "-subj",
            "/CN=Self Signed",
            "-days",
            "30",
            "-outform",
            "DER",
        ],
        b"",
    );
    let serial = openssl_serial(&der).to_lowercase();
    let resp = emu.revoke_certificate(&Customer::A, &b64(&der), 1);
    assert_refused(&resp, 200, 407, &["not issued by any CA of this service"]);
    assert!(crl_entries(&crl_text(&emu, "01")).is_empty());
    let msg = resp.1["ErrorMessage"].as_str().unwrap().to_lowercase();
    assert!(
        msg.contains(&serial),
        "message should name serial {serial}: {msg}"
    );
}

#[test]
fn revoking_a_certificate_of_our_ca_that_we_did_not_issue_names_its_serial() {
    // approver-1.pem is signed by ca-01 (the fixtures' openssl), with a 20-byte serial.
    let emu = TestEmulator::spawn();
    let pem = std::fs::read(fixture("pki/approvers/approver-1.pem")).unwrap();
    let der = run("openssl", &["x509", "-outform", "DER"], &pem);
    let serial = openssl_serial(&der).to_lowercase();
    let resp = emu.revoke_certificate(&Customer::A, &b64(&der), 1);
    assert_refused(&resp, 200, 407, &["CA '01' has not issued"]);
    assert!(crl_entries(&crl_text(&emu, "01")).is_empty());
    let msg = resp.1["ErrorMessage"].as_str().unwrap().to_lowercase();
    assert!(
        msg.contains(&serial),
        "message should name serial {serial}: {msg}"
    );
}

#[test]
fn every_reason_code_shows_in_the_crl() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let reasons: [(i64, &str); 9] = [
        (1, "Key Compromise"),
        (2, "CA Compromise"),
        (3, "Affiliation Changed"),
        (4, "Superseded"),
        (5, "Cessation Of Operation"),
        (6, "Certificate Hold"),
        (8, "Remove From CRL"),
        (9, "Privilege Withdrawn"),
        (10, "AA Compromise"),
    ];
    let mut expected = Vec::new();
    let mut trackings = Vec::new();
    for (reason, name) in reasons.iter().copied().chain([(0, "")]) {
        // After a revocation, the same subject restarts its lifecycle under the same tracking
        // code (the PKI document, lines 403–405).
        let tracking = emu.register_mehdi();
        assert!(
            trackings.iter().all(|t| *t == tracking),
            "{tracking} is not the subject's code {trackings:?}"
        );
        trackings.push(tracking.clone());
        let issued = emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &csr);
        let cert = issued["Certificate"].as_str().unwrap();
        let resp = emu.revoke_certificate(&Customer::A, cert, reason);
        assert_ok(&resp);
        expected.push((cert_serial(cert), reason, name));
    }
    let text = crl_text(&emu, "01");
    let entries = crl_entries(&text);
    assert_eq!(entries.len(), expected.len(), "{text}");
    for (serial, reason, name) in expected {
        let (_, block) = entries
            .iter()
            .find(|(s, _)| *s == serial)
            .unwrap_or_else(|| panic!("serial {serial} not in the CRL:\n{text}"));
        if reason == 0 {
            // unspecified: RFC 5280 says the extension SHOULD be absent; "Unspecified" is tolerated.
            for (_, other) in reasons {
                assert!(!block.contains(other), "reason 0 shows as {other}: {block}");
            }
        } else {
            assert!(
                block.contains(name),
                "reason {reason} ({name}) missing: {block}"
            );
        }
    }
}

// ── RecievedCertConfirmation ─────────────────────────────────────────────────────────────

fn confirm_body(tracking: &str, cert: &str, sig: String) -> Value {
    json!({
        "certificate": cert,
        "signature": sig,
        "customercode": "10320874334-1234",
        "trackingCode": tracking,
    })
}

#[test]
fn confirming_before_issue_names_the_call_to_make_first() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    // A certificate this service issued (Zahra's), sent for Mehdi's tracking code, which has
    // none yet.
    let zahra_tracking = emu.register(&Customer::A, "01", "Bronze-Sign", zahra());
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let issued = emu.issue(&Customer::A, "01", "Bronze-Sign", &zahra_tracking, &csr);
    let cert = issued["Certificate"].as_str().unwrap();
    let tracking = emu.register_mehdi();
    let sig = Customer::A.sign_unicode(cert);
    let resp = emu.post(
        "RecievedCertConfirmation",
        &confirm_body(&tracking, cert, sig),
    );
    assert_refused(
        &resp,
        200,
        402,
        &[
            &format!("tracking code {tracking} is Registered"),
            "call IssueCertificateByTrackingCode first",
        ],
    );
    assert_eq!(emu.state_of(&tracking), "Registered");
}

#[test]
fn confirming_with_another_tracking_codes_certificate_is_refused() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let (mehdi_tracking, mehdi_cert) = issued_mehdi(&emu, dir.path());
    let zahra_tracking = emu.register(&Customer::A, "01", "Bronze-Sign", zahra());
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let issued = emu.issue(&Customer::A, "01", "Bronze-Sign", &zahra_tracking, &csr);
    let zahra_cert = issued["Certificate"].as_str().unwrap();
    let sig = Customer::A.sign_unicode(zahra_cert);
    let resp = emu.post(
        "RecievedCertConfirmation",
        &confirm_body(&mehdi_tracking, zahra_cert, sig),
    );
    assert_refused(
        &resp,
        200,
        407,
        &[
            "serial 1002",
            "is not the one issued for tracking code 1000001",
            "serial 1001",
        ],
    );
    // Nothing was recorded: Mehdi's own confirmation is still the first one.
    assert_eq!(emu.state_of(&mehdi_tracking), "Issued");
    let sig = Customer::A.sign_unicode(&mehdi_cert);
    let resp = emu.post(
        "RecievedCertConfirmation",
        &confirm_body(&mehdi_tracking, &mehdi_cert, sig),
    );
    assert_ok(&resp);
    assert_eq!(
        resp.1["Description"], "receipt of certificate serial 1001 confirmed",
        "{}",
        resp.1
    );
}

#[test]
fn confirmation_signed_over_utf8_is_refused_and_not_recorded() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let (tracking, cert) = issued_mehdi(&emu, dir.path());
    let sig = Customer::A.sign(cert.as_bytes());
    let resp = emu.post(
        "RecievedCertConfirmation",
        &confirm_body(&tracking, &cert, sig),
    );
    assert_refused(
        &resp,
        200,
        203,
        &[
            "signature verifies over UTF-8",
            "Unicode(certificate)",
            "UTF-16LE",
        ],
    );
    // The first good confirmation is still the first.
    let sig = Customer::A.sign_unicode(&cert);
    let resp = emu.post(
        "RecievedCertConfirmation",
        &confirm_body(&tracking, &cert, sig),
    );
    assert_ok(&resp);
    assert_eq!(
        resp.1["Description"], "receipt of certificate serial 1001 confirmed",
        "{}",
        resp.1
    );
}

#[test]
fn confirming_twice_succeeds_and_keeps_the_first_time() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let (tracking, cert) = issued_mehdi(&emu, dir.path());
    let sig = Customer::A.sign_unicode(&cert);
    let first = emu.post(
        "RecievedCertConfirmation",
        &confirm_body(&tracking, &cert, sig.clone()),
    );
    assert_ok(&first);
    let second = emu.post(
        "RecievedCertConfirmation",
        &confirm_body(&tracking, &cert, sig),
    );
    assert_ok(&second);
    let d = second.1["Description"].as_str().unwrap();
    assert!(
        d.contains("already confirmed at 2026-06-01T08:00:00Z"),
        "{d}"
    );
    assert_eq!(emu.state_of(&tracking), "Issued");
}

// ── CRLs ─────────────────────────────────────────────────────────────────────────────────

#[test]
fn crl_of_an_unknown_ca_is_a_404_with_a_json_unknown_ca_error() {
    let emu = TestEmulator::spawn();
    let resp = emu
        .client
        .get(format!("{}/crl/99.crl", emu.url))
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    let body: Value = resp.json().unwrap();
    assert_eq!(ct, "application/json; charset=utf-8");
    assert_refused(&(status, body), 404, 207, &["caName '99'", "01, 08, 03"]);
}

/// `openssl crl -CAfile … -noout`: its verdict ("verify OK" / "verify failure") is on stderr.
fn openssl_crl_verify(dir: &Path, crl_der: &[u8], ca_file: &str) -> String {
    let crl = write(dir, "check.crl", crl_der);
    let out = std::process::Command::new("openssl")
        .args([
            "crl",
            "-inform",
            "DER",
            "-in",
            crl.to_str().unwrap(),
            "-CAfile",
            fixture(ca_file).to_str().unwrap(),
            "-noout",
        ])
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn crls_verify_with_openssl_against_their_own_ca() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let (_tracking, cert) = issued_mehdi(&emu, dir.path());
    assert_ok(&emu.revoke_certificate(&Customer::A, &cert, 4));
    for (ca, file) in [
        ("01", "pki/ca-01.pem"),
        ("08", "pki/ca-08.pem"),
        ("03", "pki/ca-gov.pem"),
    ] {
        let (status, crl) = emu.get_bytes(&format!("/crl/{ca}.crl"));
        assert_eq!(status, 200);
        let out = openssl_crl_verify(dir.path(), &crl, file);
        assert!(out.contains("verify OK"), "CRL {ca}: {out}");
    }
    // Another CA does not vouch for it.
    let (_, crl) = emu.get_bytes("/crl/01.crl");
    let out = openssl_crl_verify(dir.path(), &crl, "pki/ca-08.pem");
    assert!(!out.contains("verify OK"), "{out}");
    assert!(
        out.contains("Error getting CRL issuer certificate"),
        "{out}"
    );
    // The revoked certificate fails `openssl verify -crl_check`.
    let err = openssl_verify(
        dir.path(),
        &unb64(&cert),
        "pki/ca-01.pem",
        Some(&crl),
        TEST_CLOCK,
    )
    .unwrap_err();
    assert!(err.contains("certificate revoked"), "{err}");
}
