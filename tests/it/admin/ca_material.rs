//! A CA's material under `/__admin/pki/cas/{ca}/` and `/__admin/pki/root`: certificate, chain,
//! root and CRL, each verified with `openssl verify` / `openssl crl` against the leaves signsim
//! issues (and refused by another CA's material).

use crate::helpers::*;

#[test]
fn ca_certificate_chain_and_crl_verify_with_openssl() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register_mehdi();
    let leaf_b64 = emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    )["Certificate"]
        .as_str()
        .unwrap()
        .to_string();
    let leaf_pem = run("openssl", &["x509", "-inform", "DER"], &unb64(&leaf_b64));
    let leaf = write(dir.path(), "leaf.pem", &leaf_pem);

    let cert = emu.admin_raw("pki/cas/01/certificate");
    assert_eq!(cert.status, 200, "{}", cert.text());
    assert_eq!(cert.content_type, "application/x-pem-file");
    let chain = emu.admin_raw("pki/cas/01/chain");
    assert_eq!(chain.status, 200, "{}", chain.text());
    assert!(
        chain.text().starts_with(&cert.text()),
        "the chain starts with the CA"
    );
    assert_eq!(chain.text().matches("BEGIN CERTIFICATE").count(), 2);
    let fingerprint = |pem: &[u8]| {
        String::from_utf8(run(
            "openssl",
            &["x509", "-noout", "-fingerprint", "-sha256"],
            pem,
        ))
        .unwrap()
    };
    assert_eq!(
        fingerprint(&cert.body),
        fingerprint(&std::fs::read(fixture("pki/ca-01.pem")).unwrap())
    );

    let attime = "1780300800"; // 2026-06-01T08:00:00Z
    let chain_file = write(dir.path(), "chain.pem", &chain.body);
    let out = run(
        "openssl",
        &[
            "verify",
            "-attime",
            attime,
            "-CAfile",
            chain_file.to_str().unwrap(),
            leaf.to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        String::from_utf8_lossy(&out).contains(": OK"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    // The CA certificate alone is the leaf's issuer.
    let ca_file = write(dir.path(), "ca.pem", &cert.body);
    run(
        "openssl",
        &[
            "verify",
            "-attime",
            attime,
            "-partial_chain",
            "-CAfile",
            ca_file.to_str().unwrap(),
            leaf.to_str().unwrap(),
        ],
        b"",
    );
    // The root: the fixture root, the chain's last certificate; with the CA certificate as
    // the intermediate it verifies the leaf.
    let root = emu.admin_raw("pki/root");
    assert_eq!(root.status, 200, "{}", root.text());
    assert_eq!(root.content_type, "application/x-pem-file");
    assert_eq!(root.text().matches("BEGIN CERTIFICATE").count(), 1);
    assert_eq!(
        fingerprint(&root.body),
        fingerprint(&std::fs::read(fixture("pki/root-ca.pem")).unwrap())
    );
    assert!(
        chain.text().ends_with(&root.text()),
        "the chain ends with the root"
    );
    let root_file = write(dir.path(), "root.pem", &root.body);
    run(
        "openssl",
        &[
            "verify",
            "-attime",
            attime,
            "-CAfile",
            root_file.to_str().unwrap(),
            "-untrusted",
            ca_file.to_str().unwrap(),
            leaf.to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        try_run(
            "openssl",
            &[
                "verify",
                "-attime",
                attime,
                "-CAfile",
                root_file.to_str().unwrap(),
                leaf.to_str().unwrap(),
            ],
            b"",
        )
        .is_err(),
        "the root alone verified a leaf issued by an intermediate"
    );
    // Another CA's material does not verify it.
    let other = emu.admin_raw("pki/cas/08/chain");
    let other_file = write(dir.path(), "other.pem", &other.body);
    assert!(try_run(
        "openssl",
        &[
            "verify",
            "-attime",
            attime,
            "-partial_chain",
            "-CAfile",
            other_file.to_str().unwrap(),
            leaf.to_str().unwrap()
        ],
        b"",
    )
    .is_err());

    // The CRL: DER, signed by the CA (openssl crl -CAfile says "verify OK"), listing a
    // revoked serial.
    assert_ok(&emu.revoke_certificate(&Customer::A, &leaf_b64, 1));
    let crl = emu.admin_raw("pki/cas/01/crl");
    assert_eq!(crl.status, 200);
    assert_eq!(crl.content_type, "application/pkix-crl");
    let crl_file = write(dir.path(), "ca.crl", &crl.body);
    let out = std::process::Command::new("openssl")
        .args([
            "crl",
            "-inform",
            "DER",
            "-in",
            crl_file.to_str().unwrap(),
            "-CAfile",
            chain_file.to_str().unwrap(),
            "-noout",
        ])
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.contains("verify OK"), "{said}");
    let serial = openssl_serial(&unb64(&leaf_b64));
    assert!(
        openssl_crl_text(&crl.body).contains(&format!("Serial Number: {serial}")),
        "{}",
        openssl_crl_text(&crl.body)
    );
    // Signed by CA 01, not 08.
    let out = std::process::Command::new("openssl")
        .args([
            "crl",
            "-inform",
            "DER",
            "-in",
            crl_file.to_str().unwrap(),
            "-CAfile",
            other_file.to_str().unwrap(),
            "-noout",
        ])
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!said.contains("verify OK"), "{said}");

    for path in [
        "pki/cas/99/certificate",
        "pki/cas/99/chain",
        "pki/cas/99/crl",
    ] {
        let a = emu.admin_raw(path);
        assert_eq!(a.status, 404, "{path}: {}", a.text());
        assert!(a.text().contains("'99'"), "{path}: {}", a.text());
    }
}
