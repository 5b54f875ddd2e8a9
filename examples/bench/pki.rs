//! PKI RA requests of the default scenario's customers and how their answers are judged.

use crate::http::{b64, post};

/// A PKI success: HTTP 200 and `"IsSuccess":true` (signsim writes compact JSON).
pub fn ok_pki(s: u16, b: &[u8]) -> bool {
    s == 200 && b.windows(16).any(|w| w == b"\"IsSuccess\":true")
}

/// RegisterInfo of registry person Mehdi Ahmadi by customer 10320874334 (every identity
/// check), signed: after the first, each one is an idempotent repeat.
pub fn register_body() -> Vec<u8> {
    let key = std::fs::read_to_string("fixtures/pki/customers/10320874334.key")
        .expect("run from the repository root");
    let sk = signsim::crypto::rsa::parse_private_key(&key)
        .expect("customer 10320874334's fixture key parses");
    let sig = signsim::crypto::rsa::sign_sha1(
        &sk,
        &signsim::crypto::utf16le("10320874334-1234-0012345679"),
    )
    .expect("RSA-SHA1 signing");
    let body = serde_json::json!({
        "caName": "01", "customercode": "10320874334-1234", "profileName": "Bronze-Sign",
        "signature": b64(&sig),
        "personData": {"NationalCode": "0012345679", "Name": "مهدی", "LastName": "احمدی",
            "EnName": "Mehdi", "EnLastName": "Ahmadi", "FatherName": "حسن", "IsMan": true,
            "Telephone": "09121234567", "BirthDate": "1990/05/12", "TokenType": "USERGENERATED",
            "City": "تهران", "ProvinceName": "تهران", "PostalCode": "1136913111",
            "IsForeign": false, "BirthCertificateID": "1234", "AgencySN": "",
            "Email": "mehdi@example.test"}
    });
    post(
        "/api/RegisterInfo",
        "application/json",
        body.to_string().as_bytes(),
    )
}

/// Customer 14105318760 (licence 5678) of the default scenario: CA 01 only and no identity
/// checks, so any person with a valid national code registers; its key is in fixtures/.
pub const CUSTOMER_B: (&str, &str) = ("14105318760", "14105318760-5678");
/// Its report key (IssuingReport).
pub const REPORT_KEY_B: &str = "report-key-B-0002";
/// The P12 password of every P12 registration.
pub const P12_PASSWORD: &str = "bench-s3cret";

/// The private key of customer B.
fn key_b() -> rsa::RsaPrivateKey {
    let key = std::fs::read_to_string("fixtures/pki/customers/14105318760.key")
        .expect("run from the repository root");
    signsim::crypto::rsa::parse_private_key(&key).expect("customer B's fixture key parses")
}

/// A valid Iranian national code from nine leading digits, as tests/it/helpers/pki.rs makes
/// them: s = Σ d_i·(10−i), r = s mod 11, check digit r if r < 2 else 11 − r.
pub fn national_code(first9: u32) -> String {
    let head = format!("{first9:09}");
    let s: u32 = head
        .bytes()
        .enumerate()
        .map(|(i, b)| (b - b'0') as u32 * (10 - i as u32))
        .sum();
    let r = s % 11;
    format!("{head}{}", if r < 2 { r } else { 11 - r })
}

/// Distinct applicants of customer B (person i: national code from 100 000 000 + i, last
/// names with i), with their RegisterInfo signatures made once for every server of the run.
pub struct People {
    signatures: Vec<String>,
}

impl People {
    /// Signs the RegisterInfo text `Unicode(customercode + "-" + NationalCode)` of persons
    /// 0 … n − 1 on every core (RSA-1024, the rsa crate); prints how long that took.
    pub fn new(n: usize) -> People {
        if n == 0 {
            return People {
                signatures: Vec::new(),
            };
        }
        let t0 = std::time::Instant::now();
        let key = key_b();
        let threads = std::thread::available_parallelism().map_or(2, |p| p.get());
        let per = n.div_ceil(threads);
        let signatures: Vec<String> = std::thread::scope(|s| {
            let parts: Vec<_> = (0..threads)
                .map(|t| {
                    let key = &key;
                    s.spawn(move || {
                        (t * per..((t + 1) * per).min(n))
                            .map(|i| sign_register(key, &national_code(first9(i))))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().expect("a signing thread panicked"))
                .collect()
        });
        eprintln!(
            "bench: signed {n} RegisterInfo texts in {:.1} s",
            t0.elapsed().as_secs_f64()
        );
        People { signatures }
    }

    /// How many persons there are.
    pub fn len(&self) -> usize {
        self.signatures.len()
    }

    /// RegisterInfo of person `i` under CA 01 and `profile`: `USERGENERATED`, or `P12` with
    /// [`P12_PASSWORD`].
    pub fn register(&self, i: usize, profile: &str, p12: bool) -> Vec<u8> {
        let mut person = serde_json::json!({
            "NationalCode": national_code(first9(i)),
            "Name": "آزمون", "LastName": format!("بار {i}"),
            "EnName": "Bench", "EnLastName": format!("Person{i}"),
            "FatherName": "پدر", "TokenType": "USERGENERATED",
            // Every field of the document's body, so the bench measures the documented path.
            "IsMan": true, "Telephone": "", "IsForeign": false, "BirthCertificateID": "",
            "BirthDate": "", "AgencySN": "",
        });
        if p12 {
            person["TokenType"] = "P12".into();
            person["password"] = P12_PASSWORD.into();
        }
        crate::http::post_json(
            "/api/RegisterInfo",
            &serde_json::json!({
                "caName": "01", "customercode": CUSTOMER_B.1, "profileName": profile,
                "signature": self.signatures[i], "personData": person,
            }),
        )
    }
}

/// The nine leading digits of person `i`'s national code.
fn first9(i: usize) -> u32 {
    100_000_000 + i as u32
}

/// Base64 RSA-SHA1 of UTF-16LE(`customercode-nationalCode`) by customer B.
fn sign_register(key: &rsa::RsaPrivateKey, national: &str) -> String {
    let text = format!("{}-{national}", CUSTOMER_B.1);
    let sig = signsim::crypto::rsa::sign_sha1(key, &signsim::crypto::utf16le(&text))
        .expect("RSA-SHA1 signing");
    b64(&sig)
}

/// The tracking code of a successful RegisterInfo answer.
pub fn tracking_code(status: u16, body: &[u8]) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    match (status, v["IsSuccess"].as_bool(), v["TrackingCode"].as_str()) {
        (200, Some(true), Some(code)) => Ok(code.to_string()),
        _ => Err(v.to_string()),
    }
}

/// A fresh issue: a success that was charged (`PaymentStatus: "Paid"`), not the uncharged
/// answer to a repeat.
pub fn ok_fresh_issue(s: u16, b: &[u8]) -> bool {
    ok_pki(s, b) && b.windows(22).any(|w| w == b"\"PaymentStatus\":\"Paid\"")
}

/// One CSR for every USERGENERATED issue: base64 DER of a new RSA-2048 key's request
/// (sha256WithRSA; its subject is ignored, the certificate's comes from the registration),
/// and customer B's `Sign(csr)` over that text.
pub struct Csr {
    pub b64: String,
    pub signature: String,
}

impl Csr {
    /// Makes the key and the request (aws-lc through rcgen) and signs the text.
    pub fn new() -> Csr {
        let key =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .expect("an RSA-2048 key");
        let der = rcgen::CertificateParams::default()
            .serialize_request(&key)
            .expect("a CSR")
            .der()
            .to_vec();
        let text = b64(&der);
        let sig = signsim::crypto::rsa::sign_sha1(&key_b(), text.as_bytes()).expect("Sign(csr)");
        Csr {
            b64: text,
            signature: b64(&sig),
        }
    }
}

/// IssueCertificateByTrackingCode of `tracking` (CA 01, `profile`) by customer B: with the
/// CSR, or for a P12 token (`csr` = `none`, signed as that text, and the password).
pub fn issue(tracking: &str, profile: &str, token: IssueToken<'_>) -> Vec<u8> {
    let mut body = serde_json::json!({
        "caName": "01", "profileName": profile, "trackingCode": tracking,
        "paymentId": format!("pay-{tracking}"), "customercode": CUSTOMER_B.1,
    });
    match token {
        IssueToken::Csr(csr) => {
            body["csr"] = csr.b64.clone().into();
            body["signature"] = csr.signature.clone().into();
        }
        IssueToken::P12 { none_signature } => {
            body["csr"] = "none".into();
            body["password"] = P12_PASSWORD.into();
            body["signature"] = none_signature.into();
        }
    }
    crate::http::post_json("/api/IssueCertificateByTrackingCode", &body)
}

/// What an issue is for.
pub enum IssueToken<'a> {
    Csr(&'a Csr),
    P12 { none_signature: &'a str },
}

/// Customer B's `Sign("none")`, the signature of a P12 issue.
pub fn none_signature() -> String {
    b64(&signsim::crypto::rsa::sign_sha1(&key_b(), b"none").expect("Sign(none)"))
}
