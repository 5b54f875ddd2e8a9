//! IssueCertificateByTrackingCode: CSR checks, the state machine (one active
//! certificate per subject in the government CA too), ownership, billing, and CA availability
//! and validity. CSRs are made by openssl and Python `cryptography`; what signsim issues is
//! verified by `openssl verify` and by `cryptography`.

use crate::helpers::*;
use serde_json::{json, Value};
use std::path::Path;

const FULL_CREDIT: i64 = 10_000_000;
const BRONZE: i64 = 150_000;

fn issue(emu: &TestEmulator, tracking: &str, csr: &[u8]) -> (u16, Value) {
    emu.issue_certificate(&Customer::A, "01", "Bronze-Sign", tracking, csr)
}

/// A refused issue left the tracking code Registered and the credit whole.
fn assert_nothing_issued(emu: &TestEmulator, tracking: &str) {
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT);
    assert_eq!(emu.state_of(tracking), "Registered");
}

/// An openssl CSR whose DER has one byte flipped inside CertificationRequestInfo.
fn tampered_csr(dir: &Path) -> Vec<u8> {
    let (_key, mut csr) = openssl_csr(dir, 2048);
    let at = csr
        .windows(7)
        .position(|w| w == b"ignored")
        .expect("the subject is in the CSR");
    csr[at] = b'j';
    csr
}

/// An openssl CSR for a P-256 EC key.
fn ec_csr(dir: &Path) -> Vec<u8> {
    let key = dir.join("ec.key");
    run(
        "openssl",
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            key.to_str().unwrap(),
            "-subj",
            "/CN=ec applicant",
            "-outform",
            "DER",
        ],
        b"",
    )
}

/// Customer A's issue body for CA 01 / Bronze-Sign, the profile Mehdi registered with.
fn bronze(tracking: &str, csr: &[u8]) -> Value {
    Customer::A.issue_body("01", "Bronze-Sign", tracking, csr)
}

/// One refused issue of Mehdi's Bronze-Sign tracking code: (case, the body sent for the
/// tracking code, HTTP status, ErrorCode, what ErrorMessage names).
type Refusal = (
    &'static str,
    fn(&Path, &str) -> Value,
    u16,
    i64,
    &'static [&'static str],
);

const REFUSALS: &[Refusal] = &[
    // the CSR
    (
        "a tampered CSR: its self-signature fails",
        |dir, tracking| {
            let csr = tampered_csr(dir);
            // Python `cryptography` agrees that the request no longer verifies.
            let valid = python(
                "import sys, base64\nfrom cryptography import x509\n\
                 print(x509.load_der_x509_csr(base64.b64decode(sys.argv[1])).is_signature_valid)",
                &[&b64(&csr)],
            );
            assert_eq!(valid.trim(), "False", "the tampered CSR still verifies");
            bronze(tracking, &csr)
        },
        200,
        404,
        &["csr", "self-signature does not verify", "altered"],
    ),
    (
        "a 1024-bit key is too small",
        |dir, tracking| bronze(tracking, &openssl_csr(dir, 1024).1),
        200,
        405,
        &["1024 bits", "at least 2048 bits", "min_csr_key_bits"],
    ),
    (
        "an EC key, asking for RSA",
        |dir, tracking| bronze(tracking, &ec_csr(dir)),
        200,
        404,
        &["csr", "EC", "RSA is required"],
    ),
    (
        "a CSR that is not DER",
        |_, tracking| bronze(tracking, b"this is not a certification request"),
        200,
        404,
        &["csr", "PKCS#10"],
    ),
    (
        "csr 'none' for a USERGENERATED tracking code",
        |_, tracking| {
            let mut body = bronze(tracking, b"");
            body["csr"] = json!("none");
            body["signature"] = json!(Customer::A.sign(b"none"));
            body
        },
        200,
        404,
        &["csr is 'none'", "P12", "USERGENERATED"],
    ),
    // the tracking code was registered with CA 01 / Bronze-Sign
    (
        "another profile than registered",
        |dir, tracking| {
            let csr = openssl_csr(dir, 2048).1;
            Customer::A.issue_body("01", "Bronze-Sign-FaceAuth", tracking, &csr)
        },
        200,
        403,
        &[
            "profile 'Bronze-Sign'",
            "not CA '01' profile 'Bronze-Sign-FaceAuth'",
        ],
    ),
    (
        "another CA than registered",
        |dir, tracking| {
            let csr = openssl_csr(dir, 2048).1;
            Customer::A.issue_body("03", "Gov-Sign", tracking, &csr)
        },
        200,
        403,
        &["CA '01'", "not CA '03' profile 'Gov-Sign'"],
    ),
];

#[test]
fn refused_issues_name_the_mistake_issue_nothing_and_charge_nothing() {
    each_case(
        REFUSALS,
        |c| c.0,
        |&(_, body, http, code, needles)| {
            let emu = TestEmulator::spawn();
            let dir = tempfile::tempdir().unwrap();
            let tracking = emu.register_mehdi();
            let resp = emu.post(
                "IssueCertificateByTrackingCode",
                &body(dir.path(), &tracking),
            );
            assert_refused(&resp, http, code, needles);
            assert_eq!(resp.1["Certificate"], Value::Null, "{}", resp.1);
            assert_nothing_issued(&emu, &tracking);
        },
    );
}

// ── state ────────────────────────────────────────────────────────────────────────────────

#[test]
fn issuing_again_with_another_csr_is_refused_until_revoked() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let (_k1, csr1) = openssl_csr(dir.path(), 2048);
    let first = emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &csr1);
    let (_k2, csr2) = openssl_csr(dir.path(), 2048);
    let resp = issue(&emu, &tracking, &csr2);
    assert_refused(
        &resp,
        200,
        402,
        &[
            &format!("tracking code {tracking} is Issued"),
            "call RevokeCertificate first",
        ],
    );
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT - BRONZE);
    // The active certificate is still the first one.
    let (_, again) = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    let desc: Value = serde_json::from_str(again["Description"].as_str().unwrap()).unwrap();
    assert_eq!(desc["Certificate"], first["Certificate"]);
    assert_eq!(desc["CSR"], b64(&csr1).as_str());
}

#[test]
fn issuing_again_with_the_same_csr_returns_the_same_certificate_uncharged() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let first = emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &csr);
    assert_eq!(first["PaymentStatus"], "Paid");
    let second = emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &csr);
    assert_eq!(second["PaymentStatus"], "NotCharged");
    assert_eq!(second["Certificate"], first["Certificate"]);
    assert_eq!(second["CN"], first["CN"]);
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT - BRONZE);
}

#[test]
fn tracking_code_of_another_customer_is_not_yours_to_issue() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let resp = emu.post(
        "RegisterInfo",
        &Customer::B.register_body("01", "Bronze-Sign", reza()),
    );
    assert_ok(&resp);
    let b_tracking = resp.1["TrackingCode"].as_str().unwrap().to_string();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let resp = issue(&emu, &b_tracking, &csr);
    assert_refused(
        &resp,
        200,
        209,
        &[
            &format!("tracking code {b_tracking}"),
            "another customer",
            "customer 10320874334",
        ],
    );
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT);
    assert_eq!(emu.credit(&Customer::B), 1_000_000);
    assert_eq!(emu.state_of(&b_tracking), "Registered");
}

#[test]
fn unknown_tracking_code_is_refused() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let resp = issue(&emu, "9999999", &csr);
    assert_refused(&resp, 200, 401, &["tracking code '9999999' does not exist"]);
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT);
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

// ── billing ──────────────────────────────────────────────────────────────────────────────

#[test]
fn insufficient_credit_is_refused_and_charges_nothing() {
    let emu = TestEmulator::spawn_edited(|t| {
        assert!(t.contains("credit = 10000000"));
        t.replace("credit = 10000000", "credit = 100000")
    });
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let resp = issue(&emu, &tracking, &csr);
    assert_refused(
        &resp,
        200,
        501,
        &[
            "customer 10320874334",
            "credit 100000",
            "'Bronze-Sign'",
            "costs 150000",
            "nothing was charged",
        ],
    );
    assert_eq!(resp.1["Certificate"], Value::Null);
    assert_eq!(emu.credit(&Customer::A), 100_000);
    assert_eq!(emu.state_of(&tracking), "Registered");
    let (status, info) = emu.post(
        "GetTrackingCodeInfo",
        &json!({
            "nationalCode": "0012345679",
            "trackingCode": tracking,
            "customercode": "10320874334-1234",
            "sign": Customer::A.sign_unicode(&format!("0012345679{tracking}")),
        }),
    );
    assert_eq!((status, &info["ResultCode"]), (200, &json!(true)), "{info}");
    let d: Value = serde_json::from_str(info["Description"].as_str().unwrap()).unwrap();
    assert_eq!(
        d["ExpirationEnglishDate"],
        Value::Null,
        "no certificate: {d}"
    );
    // No active certificate is reported back either.
    let (_, again) = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    let desc: Value = serde_json::from_str(again["Description"].as_str().unwrap()).unwrap();
    assert_eq!(desc["Certificate"], Value::Null, "{desc}");
    assert_eq!(again["TrackingCode"], tracking.as_str());
}

// ── CA availability and validity ─────────────────────────────────────────────────────────

fn ca_01_unavailable() -> TestEmulator {
    TestEmulator::spawn_edited(|t| {
        let from = "name = \"01\"\ntitle";
        assert!(t.contains(from));
        t.replace(from, "name = \"01\"\navailable = false\ntitle")
    })
}

#[test]
fn unavailable_ca_says_so_and_refuses_registration() {
    let emu = ca_01_unavailable();
    let (status, body) = emu.get("IsAvailable", &[("caName", "01")]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["IsAvailable"], false, "{body}");
    let (status, body) = emu.get("IsAvailable", &[("caName", "08")]);
    assert_eq!(
        (status, &body["IsAvailable"]),
        (200, &json!(true)),
        "{body}"
    );

    let resp = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    assert_refused(
        &resp,
        200,
        601,
        &[
            "CA '01' is not available",
            "IsAvailable is false",
            "nothing was changed",
        ],
    );
    assert_eq!(resp.1["TrackingCode"], Value::Null);

    let (status, list) = emu.get("GetCAList", &[("Customercode", Customer::A.code)]);
    assert_eq!(status, 200, "{list}");
    let cas = list["CAList"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"));
    let available = |name: &str| {
        cas.iter()
            .find(|c| c["CAName"] == name)
            .unwrap_or_else(|| panic!("{name} not in {list}"))["IsAvailable"]
            .clone()
    };
    assert_eq!(available("01"), false);
    assert_eq!(available("08"), true);
    assert_eq!(available("03"), true);

    // Nothing was consumed: the first registration elsewhere gets the first tracking code.
    assert_eq!(
        emu.register(&Customer::A, "03", "Gov-Sign", mehdi()),
        "1000001"
    );
}

#[test]
fn a_ca_past_its_own_validity_issues_nothing_and_charges_nothing() {
    let emu = TestEmulator::spawn();
    let tc = emu.register_mehdi();
    let (status, _) = emu.admin_post("clock", &json!({"set": "2045-01-01T00:00:00Z"}));
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

// ── what is issued ───────────────────────────────────────────────────────────────────────

/// Makes a 2048-bit key and CSR, and signs the CSR field as customer A, all in Python
/// `cryptography`; prints the CSR (base64 DER), the signature and the leaf's SPKI (base64 DER).
const PY_CSR_AND_SIGNATURE: &str = r#"
import sys, base64
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa, padding
leaf = rsa.generate_private_key(public_exponent=65537, key_size=2048)
csr = (x509.CertificateSigningRequestBuilder()
       .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "python peer")]))
       .sign(leaf, hashes.SHA256()))
csr_b64 = base64.b64encode(csr.public_bytes(serialization.Encoding.DER)).decode()
customer = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), password=None)
sig = customer.sign(csr_b64.encode('ascii'), padding.PKCS1v15(), hashes.SHA1())
spki = leaf.public_key().public_bytes(serialization.Encoding.DER,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
print(csr_b64)
print(base64.b64encode(sig).decode())
print(base64.b64encode(spki).decode())
"#;

/// Verifies with `cryptography` that a certificate is directly issued by a CA; prints its subject.
const PY_VERIFY_ISSUED_BY: &str = r#"
import sys, base64
from cryptography import x509
cert = x509.load_der_x509_certificate(base64.b64decode(sys.argv[1]))
ca = x509.load_pem_x509_certificate(open(sys.argv[2], 'rb').read())
cert.verify_directly_issued_by(ca)
print(cert.subject.rfc4514_string())
"#;

#[test]
fn certificate_from_a_python_csr_verifies_with_openssl_and_python() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let out = python(PY_CSR_AND_SIGNATURE, &[Customer::A.key().to_str().unwrap()]);
    let lines: Vec<&str> = out.lines().collect();
    let (csr, sig, leaf_spki) = (lines[0], lines[1], lines[2]);
    let body = json!({
        "caName": "01",
        "profileName": "Bronze-Sign",
        "trackingCode": tracking,
        "csr": csr,
        "paymentId": "py-1",
        "signature": sig,
        "customercode": "10320874334-1234",
    });
    let resp = emu.post("IssueCertificateByTrackingCode", &body);
    assert_ok(&resp);
    let cert_b64 = resp.1["Certificate"].as_str().unwrap();
    let cert = unb64(cert_b64);

    let ok = openssl_verify(dir.path(), &cert, "pki/ca-01.pem", None, TEST_CLOCK).unwrap();
    assert!(ok.contains(": OK"), "{ok}");
    // The certificate carries the Python key, and the registered subject, not the CSR's.
    let pubkey_pem = run(
        "openssl",
        &["x509", "-inform", "DER", "-noout", "-pubkey"],
        &cert,
    );
    let spki = run(
        "openssl",
        &["pkey", "-pubin", "-outform", "DER"],
        &pubkey_pem,
    );
    assert_eq!(b64(&spki), leaf_spki);
    let subject = python(
        PY_VERIFY_ISSUED_BY,
        &[cert_b64, fixture("pki/ca-01.pem").to_str().unwrap()],
    );
    assert!(subject.contains("CN=Mehdi Ahmadi [Sign]"), "{subject}");
    assert!(!subject.contains("python peer"), "{subject}");
}

/// CA 08's only profile needs in-person approval; these tests switch it off to issue directly.
fn ca_08_without_approval() -> TestEmulator {
    TestEmulator::spawn_edited(|t| {
        let from = "name = \"Silver-Sign\"\n  price = 600000\n  approval = true";
        assert!(t.contains(from));
        t.replace(
            from,
            "name = \"Silver-Sign\"\n  price = 600000\n  approval = false",
        )
    })
}

#[test]
fn certificates_of_ca_08_chain_to_ca_08_only() {
    let emu = ca_08_without_approval();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register(&Customer::A, "08", "Silver-Sign", mehdi());
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let issued = emu.issue(&Customer::A, "08", "Silver-Sign", &tracking, &csr);
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT - 600_000);
    let cert = unb64(issued["Certificate"].as_str().unwrap());
    let ok = openssl_verify(dir.path(), &cert, "pki/ca-08.pem", None, TEST_CLOCK).unwrap();
    assert!(ok.contains(": OK"), "{ok}");
    let wrong = openssl_verify(dir.path(), &cert, "pki/ca-01.pem", None, TEST_CLOCK);
    assert!(
        wrong.is_err(),
        "a CA 08 certificate verified against CA 01: {wrong:?}"
    );
    let text = openssl_text(&cert);
    assert!(text.contains("Silver CA - G3"), "{text}");
    assert!(text.contains("2.16.364.101.1.1.2"), "{text}");
    assert!(
        text.contains(&format!("URI:{}/crl/08.crl", emu.url)),
        "{text}"
    );
    assert_eq!(issued["ValidTo"], "2028-05-31T08:00:00Z", "730 days");
}

#[test]
fn serial_numbers_are_unique_per_ca() {
    let emu = ca_08_without_approval();
    let dir = tempfile::tempdir().unwrap();
    let mut serials_01 = Vec::new();
    for person in [mehdi(), zahra(), reza()] {
        let tracking = emu.register(&Customer::A, "01", "Bronze-Sign", person);
        let (_key, csr) = openssl_csr(dir.path(), 2048);
        let issued = emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &csr);
        serials_01.push(openssl_serial(&unb64(
            issued["Certificate"].as_str().unwrap(),
        )));
    }
    let mut serials_08 = Vec::new();
    for person in [mehdi(), zahra()] {
        let tracking = emu.register(&Customer::A, "08", "Silver-Sign", person);
        let (_key, csr) = openssl_csr(dir.path(), 2048);
        let issued = emu.issue(&Customer::A, "08", "Silver-Sign", &tracking, &csr);
        serials_08.push(openssl_serial(&unb64(
            issued["Certificate"].as_str().unwrap(),
        )));
    }
    for serials in [&serials_01, &serials_08] {
        let mut unique = serials.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(&unique.len(), &serials.len(), "{serials:?}");
        assert!(serials.iter().all(|s| !s.is_empty()), "{serials:?}");
    }
}
