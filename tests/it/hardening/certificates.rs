//! RevokeCertificate and RecievedCertConfirmation recognise a certificate by its bytes, not by
//! issuer and serial alone: one with its last byte flipped, or one signed by
//! another key that copies issuer, serial and subject, is `407 CertificateUnknown` and changes
//! nothing; the certificate as issued is then revoked as usual.

use super::*;
use serde_json::json;

fn confirm_body(c: &Customer, cert: &str, tracking: &str) -> Value {
    json!({
        "certificate": cert,
        "signature": c.sign_unicode(cert),
        "customercode": c.customercode(),
        "trackingCode": tracking,
    })
}

/// The issued certificate re-signed by a fresh key with its issuer, serial, subject, key and
/// validity copied (Python `cryptography`).
fn forged(der: &[u8]) -> Vec<u8> {
    let out = python(
        r#"
import sys, base64
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
c = x509.load_der_x509_certificate(base64.b64decode(sys.argv[1]))
k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
b = (x509.CertificateBuilder().subject_name(c.subject).issuer_name(c.issuer)
     .public_key(c.public_key()).serial_number(c.serial_number)
     .not_valid_before(c.not_valid_before_utc).not_valid_after(c.not_valid_after_utc))
print(base64.b64encode(b.sign(k, hashes.SHA256()).public_bytes(serialization.Encoding.DER)).decode())
"#,
        &[&b64(der)],
    );
    unb64(out.trim())
}

#[test]
fn an_altered_or_forged_certificate_is_neither_revoked_nor_confirmed() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let issued = emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &csr);
    let genuine = issued["Certificate"].as_str().unwrap().to_string();
    let der = unb64(&genuine);
    let mut flipped = der.clone();
    *flipped.last_mut().unwrap() ^= 0x01;
    let forged = forged(&der);
    assert_ne!(forged, der);
    let before = dumps(&emu);
    let crl = emu.get_bytes("/crl/01.crl");
    for (what, cert) in [
        ("last byte flipped", b64(&flipped)),
        ("signed by another key", b64(&forged)),
    ] {
        let r = emu.post(
            "RecievedCertConfirmation",
            &confirm_body(&Customer::A, &cert, &tracking),
        );
        assert_refused(
            &r,
            200,
            407,
            &[
                "not the certificate that CA issued",
                "exactly as IssueCertificateByTrackingCode returned it",
            ],
        );
        let r = emu.revoke_certificate(&Customer::A, &cert, 1);
        assert_refused(
            &r,
            200,
            407,
            &["serial 1001", "not the certificate that CA issued"],
        );
        assert_eq!(dumps(&emu), before, "{what} changed the state");
    }
    assert_eq!(emu.get_bytes("/crl/01.crl"), crl);
    assert_eq!(emu.state_of(&tracking), "Issued");
    // The certificate as issued.
    assert_ok(&emu.post(
        "RecievedCertConfirmation",
        &confirm_body(&Customer::A, &genuine, &tracking),
    ));
    assert_ok(&emu.revoke_certificate(&Customer::A, &genuine, 1));
    assert_eq!(emu.state_of(&tracking), "Revoked");
}
