//! Transaction signatures: every refusal names the mistake, and the ambiguous
//! `Sign(csr)` accepts the forms its policy allows. Signatures are made by openssl (over
//! UTF-16LE made by iconv) and by Python's `cryptography`, never by signsim's own code.

use crate::helpers::*;
use serde_json::{json, Value};

/// What customer A signs to register Mehdi: `customercode + "-" + NationalCode`.
const SIGNED_TEXT: &str = "10320874334-1234-0012345679";

/// Mehdi's RegisterInfo body for customer A with `signature` replaced.
fn register_with_signature(sig: &str) -> Value {
    let mut body = Customer::A.register_body("01", "Bronze-Sign", mehdi());
    body["signature"] = json!(sig);
    body
}

/// A refused registration consumed no tracking code: the next good one is the first number.
fn assert_no_tracking_code_consumed(emu: &TestEmulator) {
    assert_eq!(emu.register_mehdi(), "1000001");
}

/// One refused registration signature: the case, the `signature` sent (`None`: the property
/// left out), HTTP status, ErrorCode, what ErrorMessage names and what it must not name.
struct BadSignature {
    case: &'static str,
    signature: Option<String>,
    http: u16,
    code: i64,
    names: Vec<String>,
    not_names: Vec<String>,
}

fn bad(
    case: &'static str,
    signature: Option<String>,
    http: u16,
    code: i64,
    names: &[&str],
) -> BadSignature {
    BadSignature {
        case,
        signature,
        http,
        code,
        names: names.iter().map(|n| n.to_string()).collect(),
        not_names: Vec::new(),
    }
}

#[test]
fn refused_signatures_name_the_mistake_and_consume_no_tracking_code() {
    let good = Customer::A.sign_unicode(SIGNED_TEXT);
    let on_file = spki_sha256(&fixture("pki/customers/10320874334.pub.pem"));
    assert_eq!(on_file.len(), 64, "{on_file}");
    // The stranger's own fingerprint would mislead: the message must not name it.
    let stranger = spki_sha256(&fixture("pki/customers/stranger.pub.pem"));
    // 128 bytes → 172 characters; cutting 3 leaves a length no base64 text can have.
    let cut_3 = good[..good.len() - 3].to_string();
    // The first 42 whole quanta: valid base64 of 126 bytes, too short for a 1024-bit key.
    assert_eq!(good.len(), 172);
    let quanta_42 = good[..168].to_string();
    assert_eq!(unb64(&quanta_42).len(), 126);
    let cases = [
        bad(
            "over UTF-8 instead of UTF-16LE",
            Some(Customer::A.sign(SIGNED_TEXT.as_bytes())),
            200,
            203,
            &[
                "signature verifies over UTF-8",
                SIGNED_TEXT,
                "the service signs UTF-16LE",
            ],
        ),
        bad(
            "SHA-256 instead of SHA-1, naming both hashes",
            Some(openssl_sign_sha256(
                &Customer::A.key(),
                &utf16le(SIGNED_TEXT),
            )),
            200,
            203,
            &["RSA-SHA256", "UTF-16LE", "RSA-SHA1", "sign with SHA-1"],
        ),
        BadSignature {
            not_names: vec![stranger],
            ..bad(
                "an unknown key, naming the fingerprint of the key on file",
                Some(sign_unicode(
                    &fixture("pki/customers/stranger.key"),
                    SIGNED_TEXT,
                )),
                200,
                203,
                &[
                    "does not verify",
                    SIGNED_TEXT,
                    "customer 10320874334",
                    &on_file,
                ],
            )
        },
        bad(
            "customer B's key for customer A, naming customer B",
            Some(Customer::B.sign_unicode(SIGNED_TEXT)),
            200,
            203,
            &[
                "made with customer 14105318760's key",
                "for customer 10320874334",
            ],
        ),
        bad(
            "truncated base64 is malformed",
            Some(cut_3),
            200,
            204,
            &["signature", "not valid base64", "169"],
        ),
        bad(
            "cut at a base64 quantum is truncated",
            Some(quanta_42),
            200,
            203,
            &["126 bytes", "128 bytes", "truncated"],
        ),
        bad(
            "empty, saying what to sign",
            Some(String::new()),
            200,
            204,
            &[
                "signature is missing",
                "RSA-SHA1",
                "Unicode(customercode + \"-\" + NationalCode)",
                "10320874334",
            ],
        ),
        // A missing property is the same as an empty one.
        bad("missing", None, 200, 204, &["signature is missing"]),
        bad(
            "over another national code, naming the expected text",
            Some(Customer::A.sign_unicode("10320874334-1234-0023456787")),
            200,
            203,
            &["does not verify over", SIGNED_TEXT, "SPKI SHA-256"],
        ),
    ];
    each_case(
        &cases,
        |c| c.case,
        |c| {
            let emu = TestEmulator::spawn();
            let mut body = register_with_signature("");
            match &c.signature {
                Some(sig) => body["signature"] = json!(sig),
                None => {
                    body.as_object_mut().unwrap().remove("signature");
                }
            }
            let resp = emu.post("RegisterInfo", &body);
            let names: Vec<&str> = c.names.iter().map(String::as_str).collect();
            assert_refused(&resp, c.http, c.code, &names);
            let msg = resp.1["ErrorMessage"].as_str().unwrap();
            for n in &c.not_names {
                assert!(!msg.contains(n.as_str()), "names {n:?}: {msg}");
            }
            assert_eq!(resp.1["TrackingCode"], Value::Null, "{}", resp.1);
            assert_no_tracking_code_consumed(&emu);
        },
    );
}

// ── Sign(csr): an ambiguous form ─────────────────────────────────────────────────────────

/// The three byte forms an integrator might sign for `Sign(csr)`.
#[derive(Clone, Copy, Debug)]
enum CsrForm {
    Ascii,
    Utf16le,
    Der,
}

fn issue_signed(form: CsrForm, tracking: &str, csr_der: &[u8]) -> Value {
    let key = Customer::A.key();
    let csr = b64(csr_der);
    let sig = match form {
        CsrForm::Ascii => openssl_sign(&key, csr.as_bytes()),
        CsrForm::Utf16le => openssl_sign(&key, &utf16le(&csr)),
        CsrForm::Der => openssl_sign(&key, csr_der),
    };
    let mut body = Customer::A.issue_body("01", "Bronze-Sign", tracking, csr_der);
    body["signature"] = json!(sig);
    body
}

#[test]
fn lenient_policy_accepts_sign_csr_over_ascii_utf16le_and_der() {
    let emu = TestEmulator::spawn();
    // Pins the lenient forms, which warn `signature-form` (tests/it/portability.rs).
    emu.relies_on_leniency();
    let dir = tempfile::tempdir().unwrap();
    let forms = [
        (CsrForm::Ascii, mehdi()),
        (CsrForm::Utf16le, zahra()),
        (CsrForm::Der, reza()),
    ];
    for (form, person) in forms {
        let tracking = emu.register(&Customer::A, "01", "Bronze-Sign", person);
        let (_key, csr) = openssl_csr(dir.path(), 2048);
        let resp = emu.post(
            "IssueCertificateByTrackingCode",
            &issue_signed(form, &tracking, &csr),
        );
        assert_ok(&resp);
        assert_eq!(resp.1["PaymentStatus"], "Paid", "{form:?}: {}", resp.1);
        assert_eq!(emu.state_of(&tracking), "Issued", "{form:?}");
    }
    assert_eq!(emu.credit(&Customer::A), 10_000_000 - 3 * 150_000);
}

fn strict() -> TestEmulator {
    TestEmulator::spawn_edited(|t| {
        assert!(t.contains("signature = \"lenient\""));
        t.replace("signature = \"lenient\"", "signature = \"strict\"")
    })
}

/// Under the strict policy `Sign(csr)` has one form, the ASCII text of the field exactly as
/// sent: (case, the form signed, the refusal's words or `None` for accepted). A refusal
/// charges nothing and leaves the tracking code Registered.
#[test]
fn strict_policy_takes_sign_csr_only_over_the_ascii_text() {
    type Case = (&'static str, CsrForm, Option<&'static [&'static str]>);
    let cases: &[Case] = &[
        (
            "over the DER bytes, explaining the policy",
            CsrForm::Der,
            Some(&[
                "verifies over the base64-decoded DER bytes",
                "policy is strict",
                "only the ASCII text of the field exactly as sent",
            ]),
        ),
        (
            "over UTF-16LE",
            CsrForm::Utf16le,
            Some(&["verifies over UTF-16LE", "strict"]),
        ),
        ("over the ASCII text", CsrForm::Ascii, None),
    ];
    each_case(
        cases,
        |c| c.0,
        |&(_, form, refusal)| {
            let emu = strict();
            let dir = tempfile::tempdir().unwrap();
            let tracking = emu.register_mehdi();
            let (_key, csr) = openssl_csr(dir.path(), 2048);
            let resp = emu.post(
                "IssueCertificateByTrackingCode",
                &issue_signed(form, &tracking, &csr),
            );
            match refusal {
                Some(needles) => {
                    assert_refused(&resp, 200, 203, needles);
                    assert_eq!(resp.1["Certificate"], Value::Null);
                    assert_eq!(emu.credit(&Customer::A), 10_000_000);
                    assert_eq!(emu.state_of(&tracking), "Registered");
                }
                None => {
                    assert_ok(&resp);
                    assert_eq!(resp.1["PaymentStatus"], "Paid");
                    assert_eq!(emu.credit(&Customer::A), 10_000_000 - 150_000);
                }
            }
        },
    );
}

#[test]
fn strict_policy_still_takes_utf16le_for_register_info() {
    // "Unicode" fields have one form under either policy.
    let emu = strict();
    assert_eq!(emu.register_mehdi(), "1000001");
}

// ── Customer B: a .NET <RSAKeyValue> public key, names looked up ─────────────────────────

/// Signs `text` as .NET's `Encoding.Unicode` bytes with RSA-SHA1, in Python `cryptography`.
const PY_SIGN_UNICODE: &str = r#"
import sys, base64
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
key = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), password=None)
sig = key.sign(sys.argv[2].encode('utf-16-le'), padding.PKCS1v15(), hashes.SHA1())
print(base64.b64encode(sig).decode())
"#;

fn python_sign_unicode(key: &std::path::Path, text: &str) -> String {
    python(PY_SIGN_UNICODE, &[key.to_str().unwrap(), text])
        .trim()
        .to_string()
}

/// Sara with every name omitted: customer B has name lookup.
fn sara_without_names() -> Value {
    json!({
        "NationalCode": "1273141598",
        "IsMan": false,
        "Telephone": "09351234567",
        "BirthDate": "1372/07/01",
        "IsForeign": false,
        "BirthCertificateID": "",
        "TokenType": "USERGENERATED",
        "AgencySN": ""
    })
}

fn b_register_sara(sig: &str) -> Value {
    json!({
        "caName": "01",
        "customercode": "14105318760-5678",
        "profileName": "Bronze-Sign",
        "signature": sig,
        "personData": sara_without_names(),
    })
}

#[test]
fn dotnet_xml_key_verifies_a_python_signature_and_names_are_looked_up() {
    let emu = TestEmulator::spawn();
    let sig = python_sign_unicode(&Customer::B.key(), "14105318760-5678-1273141598");
    let resp = emu.post("RegisterInfo", &b_register_sara(&sig));
    assert_ok(&resp);
    assert_eq!(resp.1["TrackingCode"], "1000001");
    let text = resp.1["Description"]
        .as_str()
        .unwrap_or_else(|| panic!("Description is not a string: {}", resp.1));
    let desc: Value = serde_json::from_str(text).unwrap();
    assert_eq!(desc["FirstName"], "سارا", "{desc}");
    assert_eq!(desc["LastName"], "حسینی", "{desc}");
    assert_eq!(desc["EnFirstName"], "Sara", "{desc}");
    assert_eq!(desc["EnLastName"], "Hosseini", "{desc}");
    assert_eq!(desc["FatherName"], "مجید", "{desc}");
}

#[test]
fn dotnet_xml_key_refuses_customer_a_signature_naming_customer_a() {
    let emu = TestEmulator::spawn();
    let sig = python_sign_unicode(&Customer::A.key(), "14105318760-5678-1273141598");
    let resp = emu.post("RegisterInfo", &b_register_sara(&sig));
    assert_refused(
        &resp,
        200,
        203,
        &[
            "made with customer 10320874334's key",
            "for customer 14105318760",
        ],
    );
    // Nothing was registered: B's next registration is the first tracking code.
    let sig = python_sign_unicode(&Customer::B.key(), "14105318760-5678-1273141598");
    let resp = emu.post("RegisterInfo", &b_register_sara(&sig));
    assert_ok(&resp);
    assert_eq!(resp.1["TrackingCode"], "1000001");
}

/// `openssl dgst -sha256 -sign key` over `data`, base64 (the "wrong hash" mistake).
fn openssl_sign_sha256(key: &std::path::Path, data: &[u8]) -> String {
    b64(&run(
        "openssl",
        &["dgst", "-sha256", "-sign", key.to_str().unwrap()],
        data,
    ))
}
