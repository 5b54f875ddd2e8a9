//! signsim's CMS verifier against signatures made by `openssl cms` and Python `cryptography`.

use crate::helpers::*;
use signsim::crypto::cms::{verify, CmsError};

fn openssl_cms(dir: &std::path::Path, content: &[u8], extra: &[&str]) -> Vec<u8> {
    let input = write(dir, "content.bin", content);
    let mut args = vec![
        "cms",
        "-sign",
        "-binary",
        "-outform",
        "DER",
        "-in",
        input.to_str().unwrap(),
        "-signer",
        fixture("pki/approvers/approver-1.pem")
            .to_str()
            .unwrap()
            .to_owned()
            .leak(),
        "-inkey",
        fixture("pki/approvers/approver-1.key")
            .to_str()
            .unwrap()
            .to_owned()
            .leak(),
    ];
    args.extend_from_slice(extra);
    run("openssl", &args, b"")
}

#[test]
fn openssl_cms_variants_verify_and_tampering_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let content = utf16le("00123456791000001TEST Approver Ali Rezaei");
    let approver = std::fs::read(fixture("pki/approvers/approver-1.pem")).unwrap();
    let approver_der = run("openssl", &["x509", "-outform", "DER"], &approver);
    for extra in [
        &[][..],
        &["-noattr"],
        &["-md", "sha1"],
        &["-nodetach"],
        &["-nodetach", "-noattr"],
    ] {
        let sig = openssl_cms(dir.path(), &content, extra);
        let detached = !extra.contains(&"-nodetach");
        let got = verify(&sig, detached.then_some(content.as_slice()))
            .unwrap_or_else(|e| panic!("{extra:?}: {e}"));
        assert_eq!(got.detached, detached, "{extra:?}");
        assert_eq!(got.signed_attrs, !extra.contains(&"-noattr"), "{extra:?}");
        assert_eq!(got.content, content);
        assert_eq!(got.signer_cert_der, approver_der);
        if detached {
            let mut tampered = content.clone();
            tampered[0] ^= 1;
            let e = verify(&sig, Some(&tampered)).unwrap_err();
            assert_eq!(e, CmsError::DigestMismatch, "{extra:?}");
        }
    }
    let sig = openssl_cms(dir.path(), &content, &[]);
    assert_eq!(verify(&sig, None).unwrap_err(), CmsError::NoContent);
    assert!(matches!(
        verify(b"\x30\x03\x02\x01\x01", None),
        Err(CmsError::Malformed(_))
    ));
}

#[test]
fn python_pkcs7_detached_signature_verifies() {
    let code = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
cert = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())
key = serialization.load_pem_private_key(open(sys.argv[2], 'rb').read(), None)
data = sys.argv[3].encode('utf-16-le')
sig = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(cert, key, hashes.SHA256()).sign(
    serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])
sys.stdout.write(sig.hex())
"#;
    let text = "00123456791000001TEST Approver Ali Rezaei";
    let hex = python(
        code,
        &[
            fixture("pki/approvers/approver-1.pem").to_str().unwrap(),
            fixture("pki/approvers/approver-1.key").to_str().unwrap(),
            text,
        ],
    );
    let sig: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let got = verify(&sig, Some(&utf16le(text))).unwrap();
    assert!(got.detached && got.signed_attrs);
    assert_eq!(got.digest, "SHA-256");
}
