//! TokenType P12: signsim generates the key and answers with a base64
//! PKCS#12 under the registration's password. The PKCS#12 is opened by `openssl pkcs12`
//! (default and `-legacy`) and by Python `cryptography`; the key is matched to the certificate
//! with `openssl pkey`/`openssl x509`, and the certificate is verified with `openssl verify`.

use crate::helpers::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const FULL_CREDIT: i64 = 10_000_000;
const BRONZE: i64 = 150_000;
const PASSWORD: &str = "P12-pass_word 7";

fn p12_person(person: Value, password: Option<&str>) -> Value {
    let mut p = person;
    p["TokenType"] = json!("P12");
    if let Some(pw) = password {
        p["password"] = json!(pw);
    }
    p
}

/// Registers Mehdi for customer A in CA 01 / Bronze-Sign as a P12 token.
fn register_p12(emu: &TestEmulator, person: Value) -> String {
    emu.register(
        &Customer::A,
        "01",
        "Bronze-Sign",
        p12_person(person, Some(PASSWORD)),
    )
}

/// A P12 issue body: `csr` "none", signed as `Sign(csr)` over the ASCII text "none".
fn p12_issue_body(tracking: &str, password: Option<&str>) -> Value {
    let mut body = Customer::A.issue_body("01", "Bronze-Sign", tracking, b"");
    body["csr"] = json!("none");
    body["signature"] = json!(Customer::A.sign(b"none"));
    if let Some(pw) = password {
        body["password"] = json!(pw);
    }
    body
}

fn issue_p12(emu: &TestEmulator, tracking: &str, password: Option<&str>) -> (u16, Value) {
    emu.post(
        "IssueCertificateByTrackingCode",
        &p12_issue_body(tracking, password),
    )
}

/// A refused P12 issue left the tracking code Registered and the credit whole.
fn assert_nothing_issued(emu: &TestEmulator, tracking: &str) {
    assert_eq!(emu.state_of(tracking), "Registered");
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT);
}

/// `openssl pkcs12 -in FILE -passin pass:PASSWORD` with `extra` arguments (and `-legacy`).
fn openssl_pkcs12(
    p12: &Path,
    password: &str,
    legacy: bool,
    extra: &[&str],
) -> Result<String, String> {
    let pass = format!("pass:{password}");
    let mut args = vec!["pkcs12", "-in", p12.to_str().unwrap(), "-passin", &pass];
    if legacy {
        args.push("-legacy");
    }
    args.extend_from_slice(extra);
    try_run("openssl", &args, b"").map(|o| String::from_utf8_lossy(&o).into_owned())
}

/// The PEM blocks of `kind` ("CERTIFICATE", "PRIVATE KEY") in openssl's output.
fn pem_blocks(text: &str, kind: &str) -> Vec<String> {
    let begin = format!("-----BEGIN {kind}-----");
    let end = format!("-----END {kind}-----");
    text.split(&begin)
        .skip(1)
        .map(|rest| {
            let body = rest.split(&end).next().unwrap();
            format!("{begin}{body}{end}\n")
        })
        .collect()
}

/// A PEM certificate as DER (openssl).
fn cert_der(pem: &str) -> Vec<u8> {
    run("openssl", &["x509", "-outform", "DER"], pem.as_bytes())
}

fn fixture_der(rel: &str) -> Vec<u8> {
    cert_der(&std::fs::read_to_string(fixture(rel)).unwrap())
}

/// The SPKI PEM openssl derives from a private key, and from a certificate.
fn pubkey_of_key(key_pem: &str) -> String {
    String::from_utf8(run("openssl", &["pkey", "-pubout"], key_pem.as_bytes())).unwrap()
}
fn pubkey_of_cert(cert_pem: &str) -> String {
    String::from_utf8(run(
        "openssl",
        &["x509", "-pubkey", "-noout"],
        cert_pem.as_bytes(),
    ))
    .unwrap()
}

/// The RSA modulus of a PEM private key, as openssl prints it.
fn modulus(key_pem: &str) -> String {
    String::from_utf8(run(
        "openssl",
        &["rsa", "-modulus", "-noout"],
        key_pem.as_bytes(),
    ))
    .unwrap()
    .trim()
    .to_string()
}

/// Python `cryptography` opens the PKCS#12; prints key size, whether the key matches the
/// certificate, the subject, and whether the extra certificates are exactly the fixtures given.
const PY_OPEN: &str = r#"
import sys, base64
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12, Encoding, PublicFormat
data = base64.b64decode(sys.argv[1])
try:
    key, cert, extra = pkcs12.load_key_and_certificates(data, sys.argv[2].encode())
except ValueError as e:
    print("ValueError:", e)
    sys.exit(0)
spki = lambda k: k.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
print("key_size", key.key_size)
print("key_matches", spki(key.public_key()) == spki(cert.public_key()))
print("subject", cert.subject.rfc4514_string())
want = sorted(x509.load_pem_x509_certificate(open(p, "rb").read()).public_bytes(Encoding.DER) for p in sys.argv[3:])
got = sorted(c.public_bytes(Encoding.DER) for c in extra)
print("chain_is_fixtures", want == got, len(got))
"#;

/// Writes the base64 PKCS#12 to a file; returns its path.
fn p12_file(dir: &Path, name: &str, b64_p12: &str) -> PathBuf {
    write(dir, name, &unb64(b64_p12))
}

// ── the round trip ───────────────────────────────────────────────────────────────────────

#[test]
fn p12_round_trip_opens_with_openssl_and_python() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = register_p12(&emu, mehdi());
    assert_eq!(emu.state_of(&tracking), "Registered");

    let resp = issue_p12(&emu, &tracking, Some(PASSWORD));
    assert_ok(&resp);
    let body = &resp.1;
    assert_eq!(body["PaymentStatus"], "Paid", "{body}");
    assert_eq!(body["CN"], "Mehdi Ahmadi [Sign]", "{body}");
    assert_eq!(emu.state_of(&tracking), "Issued");
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT - BRONZE);
    let p12_b64 = body["Certificate"].as_str().unwrap();
    let p12 = p12_file(dir.path(), "mehdi.p12", p12_b64);

    // openssl, default (OpenSSL 3 algorithms) and -legacy: one key, the leaf and the chain.
    for legacy in [false, true] {
        let all = openssl_pkcs12(&p12, PASSWORD, legacy, &["-nodes"])
            .unwrap_or_else(|e| panic!("openssl pkcs12 (legacy {legacy}): {e}"));
        assert_eq!(pem_blocks(&all, "PRIVATE KEY").len(), 1, "{all}");
        assert_eq!(pem_blocks(&all, "CERTIFICATE").len(), 3, "{all}");
    }
    // The parameters `openssl pkcs12 -export` of OpenSSL 3 writes: PBES2/AES-256-CBC bags and a
    // SHA-256 MAC, 2048 iterations each.
    let out = std::process::Command::new("openssl")
        .args(["pkcs12", "-info", "-noout", "-passin"])
        .arg(format!("pass:{PASSWORD}"))
        .arg("-in")
        .arg(&p12)
        .output()
        .unwrap();
    // `-info` prints the parameters on standard error.
    let info = String::from_utf8_lossy(&out.stderr);
    assert!(info.contains("MAC: sha256, Iteration 2048"), "{info}");
    assert_eq!(
        info.matches("PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256")
            .count(),
        2,
        "{info}"
    );
    let key_out = openssl_pkcs12(&p12, PASSWORD, false, &["-nocerts", "-nodes"]).unwrap();
    let key_pem = pem_blocks(&key_out, "PRIVATE KEY").remove(0);
    let leaf_out = openssl_pkcs12(&p12, PASSWORD, false, &["-clcerts", "-nokeys"]).unwrap();
    let leaf_pems = pem_blocks(&leaf_out, "CERTIFICATE");
    assert_eq!(leaf_pems.len(), 1, "{leaf_out}");
    let leaf_pem = &leaf_pems[0];
    let ca_out = openssl_pkcs12(&p12, PASSWORD, false, &["-cacerts", "-nokeys"]).unwrap();
    let mut chain: Vec<Vec<u8>> = pem_blocks(&ca_out, "CERTIFICATE")
        .iter()
        .map(|p| cert_der(p))
        .collect();
    let mut want = vec![fixture_der("pki/ca-01.pem"), fixture_der("pki/root-ca.pem")];
    chain.sort();
    want.sort();
    assert!(chain == want, "the chain is not CA 01 + root: {ca_out}");

    // The key is RSA-2048 and belongs to the certificate.
    let key_text = String::from_utf8(run(
        "openssl",
        &["pkey", "-text", "-noout"],
        key_pem.as_bytes(),
    ))
    .unwrap();
    assert!(key_text.contains("(2048 bit"), "{key_text}");
    let from_key = pubkey_of_key(&key_pem);
    assert!(from_key.contains("BEGIN PUBLIC KEY"), "{from_key}");
    assert_eq!(from_key, pubkey_of_cert(leaf_pem));

    // The certificate chains to the fixture hierarchy and carries the registered identity.
    let leaf = cert_der(leaf_pem);
    let verified = openssl_verify(dir.path(), &leaf, "pki/ca-01.pem", None, TEST_CLOCK);
    assert!(verified.is_ok(), "{verified:?}");
    let text = openssl_text(&leaf);
    assert!(text.contains("CN=Mehdi Ahmadi [Sign]"), "{text}");
    assert!(text.contains("serialNumber=0012345679"), "{text}");
    assert!(text.contains("SN=احمدی"), "{text}");
    assert!(
        text.contains("GN=مهدی") || text.contains("G=مهدی"),
        "{text}"
    );

    // Python cryptography agrees.
    let root = fixture("pki/root-ca.pem");
    let ca01 = fixture("pki/ca-01.pem");
    let out = python(
        PY_OPEN,
        &[
            p12_b64,
            PASSWORD,
            root.to_str().unwrap(),
            ca01.to_str().unwrap(),
        ],
    );
    assert!(out.contains("key_size 2048"), "{out}");
    assert!(out.contains("key_matches True"), "{out}");
    // rfc4514_string names serialNumber by its OID.
    assert!(out.contains("2.5.4.5=0012345679"), "{out}");
    assert!(out.contains("CN=Mehdi Ahmadi [Sign]"), "{out}");
    assert!(out.contains("chain_is_fixtures True 2"), "{out}");
}

#[test]
fn wrong_password_does_not_open_the_p12() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = register_p12(&emu, mehdi());
    let resp = issue_p12(&emu, &tracking, Some(PASSWORD));
    assert_ok(&resp);
    let p12_b64 = resp.1["Certificate"].as_str().unwrap();
    let p12 = p12_file(dir.path(), "mehdi.p12", p12_b64);
    // The right password opens it (the refusal below is about the password only).
    assert!(openssl_pkcs12(&p12, PASSWORD, false, &["-nokeys"]).is_ok());
    let err = openssl_pkcs12(&p12, "not the password", false, &["-nodes"])
        .expect_err("opened with a wrong password");
    assert!(err.contains("Mac verify error"), "{err}");
    let err = openssl_pkcs12(&p12, "not the password", true, &["-nodes"])
        .expect_err("opened with a wrong password (-legacy)");
    assert!(err.contains("Mac verify error"), "{err}");
    let out = python(PY_OPEN, &[p12_b64, "not the password"]);
    assert!(out.starts_with("ValueError:"), "{out}");
}

#[test]
fn issuing_twice_returns_the_same_p12_uncharged() {
    let emu = TestEmulator::spawn();
    let tracking = register_p12(&emu, mehdi());
    let first = issue_p12(&emu, &tracking, Some(PASSWORD));
    assert_ok(&first);
    assert_eq!(first.1["PaymentStatus"], "Paid");
    let again = issue_p12(&emu, &tracking, Some(PASSWORD));
    assert_ok(&again);
    assert_eq!(again.1["PaymentStatus"], "NotCharged", "{}", again.1);
    assert_eq!(again.1["Certificate"], first.1["Certificate"]);
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT - BRONZE);
    assert_eq!(emu.state_of(&tracking), "Issued");
    // The stored PKCS#12 is not handed out for another password.
    let resp = issue_p12(&emu, &tracking, Some("guessing"));
    assert_refused(&resp, 200, 103, &["password differs"]);
    assert_eq!(resp.1["Certificate"], Value::Null);
    assert_eq!(emu.credit(&Customer::A), FULL_CREDIT - BRONZE);
}

#[test]
fn parallel_p12_issues_never_share_a_key() {
    const N: u32 = 6;
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    // Customer B (no identity checks) has credit for exactly six Bronze certificates.
    let trackings: Vec<String> = (0..N)
        .map(|i| {
            emu.register(
                &Customer::B,
                "01",
                "Bronze-Sign",
                documented(json!({
                    "NationalCode": valid_national_code(345_678_000 + i * 11),
                    "Name": "آزمون",
                    "LastName": format!("کلید {i}"),
                    "EnName": "Key",
                    "EnLastName": format!("Holder{i}"),
                    "FatherName": "پدر",
                    "TokenType": "P12",
                    "password": PASSWORD,
                })),
            )
        })
        .collect();
    let sig = Customer::B.sign(b"none");
    let barrier = std::sync::Barrier::new(N as usize);
    let answers: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = trackings
            .iter()
            .map(|t| {
                let (emu, barrier, sig) = (&emu, &barrier, &sig);
                s.spawn(move || {
                    let body = json!({
                        "caName": "01", "profileName": "Bronze-Sign", "trackingCode": t,
                        "csr": "none", "password": PASSWORD, "paymentId": "p",
                        "signature": sig, "customercode": Customer::B.customercode(),
                    });
                    barrier.wait();
                    let resp = emu.post("IssueCertificateByTrackingCode", &body);
                    assert_ok(&resp);
                    resp.1
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut moduli: Vec<String> = answers
        .iter()
        .enumerate()
        .map(|(i, a)| {
            assert_eq!(a["PaymentStatus"], "Paid", "{a}");
            let p12 = p12_file(
                dir.path(),
                &format!("k{i}.p12"),
                a["Certificate"].as_str().unwrap(),
            );
            let out = openssl_pkcs12(&p12, PASSWORD, false, &["-nocerts", "-nodes"]).unwrap();
            modulus(&pem_blocks(&out, "PRIVATE KEY")[0])
        })
        .collect();
    moduli.sort();
    moduli.dedup();
    assert_eq!(moduli.len(), N as usize, "a key was handed out twice");
    assert_eq!(emu.credit(&Customer::B), 1_000_000 - N as i64 * BRONZE);
}

#[test]
fn two_p12_issues_get_different_keys_and_are_charged_each() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let mut keys = Vec::new();
    for (i, person) in [mehdi(), zahra(), reza()].into_iter().enumerate() {
        let tracking = register_p12(&emu, person);
        let resp = issue_p12(&emu, &tracking, Some(PASSWORD));
        assert_ok(&resp);
        assert_eq!(resp.1["PaymentStatus"], "Paid");
        assert_eq!(
            emu.credit(&Customer::A),
            FULL_CREDIT - BRONZE * (i as i64 + 1)
        );
        let p12 = p12_file(
            dir.path(),
            &format!("p{i}.p12"),
            resp.1["Certificate"].as_str().unwrap(),
        );
        let out = openssl_pkcs12(&p12, PASSWORD, false, &["-nocerts", "-nodes"]).unwrap();
        keys.push(modulus(&pem_blocks(&out, "PRIVATE KEY")[0]));
    }
    assert!(keys.iter().all(|m| m.starts_with("Modulus=")), "{keys:?}");
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "a key was handed out twice");
}

// ── refusals ─────────────────────────────────────────────────────────────────────────────

#[test]
fn p12_registration_without_password_is_refused() {
    let emu = TestEmulator::spawn();
    for person in [p12_person(mehdi(), None), p12_person(mehdi(), Some(""))] {
        let resp = emu.register_info(&Customer::A, "01", "Bronze-Sign", person);
        assert_refused(&resp, 200, 308, &["personData.password is required", "P12"]);
        assert_eq!(resp.1["TrackingCode"], Value::Null);
    }
    // No tracking code was consumed.
    assert_eq!(emu.register_mehdi(), "1000001");
}

/// In a needle: the case's tracking code.
const TRACKING: &str = "{the tracking code}";

/// A P12 issue body signed over `signed` instead of the text "none".
fn signed_over(tracking: &str, signed: &[u8]) -> Value {
    let mut body = p12_issue_body(tracking, Some(PASSWORD));
    body["signature"] = json!(Customer::A.sign(signed));
    body
}

/// One refused issue of Mehdi's P12 tracking code: (case, the body sent for the tracking code,
/// HTTP status, ErrorCode, what ErrorMessage names — [`TRACKING`] standing for the code).
type Refusal = (
    &'static str,
    fn(&Path, &str) -> Value,
    u16,
    i64,
    &'static [&'static str],
);

const ISSUE_REFUSALS: &[Refusal] = &[
    (
        "a real CSR for a P12 tracking code",
        |dir, tracking| {
            let (_key, csr) = openssl_csr(dir, 2048);
            let mut body = Customer::A.issue_body("01", "Bronze-Sign", tracking, &csr);
            body["password"] = json!(PASSWORD);
            body
        },
        200,
        404,
        &["csr must be \"none\"", TRACKING, "P12"],
    ),
    (
        "no password",
        |_, tracking| p12_issue_body(tracking, None),
        200,
        308,
        &["password is required", TRACKING, "P12"],
    ),
    (
        "an empty password",
        |_, tracking| p12_issue_body(tracking, Some("")),
        200,
        308,
        &["password is required", TRACKING, "P12"],
    ),
    (
        "another password than registered",
        |_, tracking| p12_issue_body(tracking, Some("another password")),
        200,
        103,
        &["password differs", "RegisterInfo", TRACKING],
    ),
    // Signing the password, or nothing, instead of the csr field "none".
    (
        "signed over the password",
        |_, tracking| signed_over(tracking, PASSWORD.as_bytes()),
        200,
        203,
        &["does not verify", "'none'", "Sign(csr)"],
    ),
    (
        "signed over nothing",
        |_, tracking| signed_over(tracking, b""),
        200,
        203,
        &["does not verify", "'none'", "Sign(csr)"],
    ),
    (
        "signed over \"NONE\"",
        |_, tracking| signed_over(tracking, b"NONE"),
        200,
        203,
        &["does not verify", "'none'", "Sign(csr)"],
    ),
];

#[test]
fn refused_p12_issues_name_the_mistake_and_change_nothing() {
    each_case(
        ISSUE_REFUSALS,
        |c| c.0,
        |&(_, body, http, code, needles)| {
            let emu = TestEmulator::spawn();
            let dir = tempfile::tempdir().unwrap();
            let tracking = register_p12(&emu, mehdi());
            let resp = emu.post(
                "IssueCertificateByTrackingCode",
                &body(dir.path(), &tracking),
            );
            let needles: Vec<&str> = needles
                .iter()
                .map(|n| if *n == TRACKING { tracking.as_str() } else { n })
                .collect();
            assert_refused(&resp, http, code, &needles);
            assert_eq!(resp.1["Certificate"], Value::Null, "{}", resp.1);
            assert_nothing_issued(&emu, &tracking);
            // The right request still works afterwards.
            let resp = issue_p12(&emu, &tracking, Some(PASSWORD));
            assert_ok(&resp);
            assert_eq!(resp.1["PaymentStatus"], "Paid");
        },
    );
}

#[test]
fn p12_sign_none_by_python_is_accepted() {
    let emu = TestEmulator::spawn();
    let tracking = register_p12(&emu, mehdi());
    // Sign("none") by Python cryptography, independently of openssl, is accepted.
    let sig = python(
        "import sys, base64\n\
         from cryptography.hazmat.primitives import hashes, serialization\n\
         from cryptography.hazmat.primitives.asymmetric import padding\n\
         key = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), None)\n\
         print(base64.b64encode(key.sign(b'none', padding.PKCS1v15(), hashes.SHA1())).decode())",
        &[Customer::A.key().to_str().unwrap()],
    );
    let mut body = p12_issue_body(&tracking, Some(PASSWORD));
    body["signature"] = json!(sig.trim());
    let resp = emu.post("IssueCertificateByTrackingCode", &body);
    assert_ok(&resp);
    assert_eq!(resp.1["PaymentStatus"], "Paid");
}

#[test]
fn a_key_the_pool_did_not_have_is_a_miss_in_health_and_the_journal() {
    // No pool: every P12 key is generated on the request path.
    let emu = TestEmulator::spawn_edited(|s| s.replace("p12_key_pool = 16", "p12_key_pool = 0"));
    let tracking = register_p12(&emu, mehdi());
    let (status, body) = issue_p12(&emu, &tracking, Some(PASSWORD));
    assert_ok(&(status, body));
    let keys = &emu.admin_ok("health")["p12_keys"];
    assert_eq!(keys["pool"], 0, "{keys}");
    assert_eq!(keys["taken"], 1, "{keys}");
    assert_eq!(keys["misses"], 1, "{keys}");
    let entry = &emu.journal("operation=IssueCertificateByTrackingCode")[0];
    assert!(
        entry["diagnostics"]
            .to_string()
            .contains("generated on demand (pool empty)"),
        "{entry}"
    );
}

#[test]
fn a_warm_pool_serves_p12_keys_without_a_miss() {
    let emu = TestEmulator::spawn();
    let tracking = register_p12(&emu, mehdi());
    // The registration warmed the pool; wait until it holds keys.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while emu.admin_ok("health")["p12_keys"]["ready"]
        .as_u64()
        .unwrap_or(0)
        < 2
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the pool never filled"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (status, body) = issue_p12(&emu, &tracking, Some(PASSWORD));
    assert_ok(&(status, body));
    let keys = &emu.admin_ok("health")["p12_keys"];
    assert_eq!(keys["pool"], 16, "{keys}");
    assert_eq!(
        (keys["taken"].as_u64(), keys["misses"].as_u64()),
        (Some(1), Some(0)),
        "{keys}"
    );
    let entry = &emu.journal("operation=IssueCertificateByTrackingCode")[0];
    assert!(
        entry["diagnostics"].to_string().contains("from the pool"),
        "{entry}"
    );
}

#[test]
fn a_world_whose_profiles_issue_no_p12_tokens_keeps_no_key_pool() {
    let emu = TestEmulator::spawn_edited(|s| {
        s.replace(
            "  [[pki.cas.profiles]]\n",
            "  [[pki.cas.profiles]]\n  token_types = [\"USERGENERATED\"]\n",
        )
    });
    let keys = &emu.admin_ok("health")["p12_keys"];
    assert_eq!(keys["pool"], 0, "{keys}");
    // The world still registers the tokens it offers.
    assert!(!emu.register_mehdi().is_empty());
    let keys = &emu.admin_ok("health")["p12_keys"];
    assert_eq!(
        (keys["pool"].as_u64(), keys["ready"].as_u64()),
        (Some(0), Some(0)),
        "{keys}"
    );
}
