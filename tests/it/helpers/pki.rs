//! PKI RA helpers: the scenario's customers and registry persons, signed request bodies, the
//! refusal/success assertions, and `TestEmulator` shortcuts for the PKI methods.

use super::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub const CUSTOMER_A: &str = "10320874334";
pub const LICENSE_A: &str = "1234";
pub const CUSTOMER_B: &str = "14105318760";
pub const LICENSE_B: &str = "5678";

pub fn customer_key(code: &str) -> PathBuf {
    fixture(&format!("pki/customers/{code}.key"))
}

// ── PKI request builders ─────────────────────────────────────────────────────────────────

/// The registry person 0012345679 (Mehdi Ahmadi) as personData.
pub fn mehdi() -> Value {
    serde_json::json!({
        "NationalCode": "0012345679",
        "Name": "مهدی",
        "LastName": "احمدی",
        "EnName": "Mehdi",
        "EnLastName": "Ahmadi",
        "FatherName": "حسن",
        "IsMan": true,
        "PostalCode": "1136913111",
        "Telephone": "09121234567",
        "IsForeign": false,
        "BirthCertificateID": "1234",
        "BirthDate": "1990/05/12",
        "City": "تهران",
        "ProvinceName": "تهران",
        "TokenType": "USERGENERATED",
        "Email": "mehdi@example.test"
    })
}

/// A signed RegisterInfo body for customer A.
pub fn register_body(ca: &str, profile: &str, person: Value) -> Value {
    register_body_as(
        CUSTOMER_A,
        LICENSE_A,
        &customer_key(CUSTOMER_A),
        ca,
        profile,
        person,
    )
}

/// A signed IssueCertificateByTrackingCode body for customer A (`Sign(csr)`: ASCII of the field).
/// A signed RegisterInfo body for customer B.
pub fn register_body_b(ca: &str, profile: &str, person: Value) -> Value {
    register_body_as(
        CUSTOMER_B,
        LICENSE_B,
        &customer_key(CUSTOMER_B),
        ca,
        profile,
        person,
    )
}

pub fn issue_body(ca: &str, profile: &str, tracking: &str, csr_der: &[u8]) -> Value {
    issue_body_as(CUSTOMER_A, LICENSE_A, ca, profile, tracking, csr_der)
}

impl TestEmulator {
    /// Registers Mehdi in CA 01 / Bronze-Sign; returns the tracking code.
    pub fn register_mehdi(&self) -> String {
        let (status, body) =
            self.post("RegisterInfo", &register_body("01", "Bronze-Sign", mehdi()));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["IsSuccess"], true, "{body}");
        body["TrackingCode"].as_str().unwrap().to_string()
    }

    /// A customer's credit, through GetCredit.
    pub fn credit_of(&self, code: &str, report_key: &str) -> i64 {
        let (status, body) = self.post(
            "GetCredit",
            &serde_json::json!({"reportkey": report_key, "customercode": code}),
        );
        assert_eq!(status, 200, "{body}");
        body["Credit"].as_str().unwrap().parse().unwrap()
    }
}

// ── shared by the PKI test modules ───────────────────────────────────────────────────────

/// Asserts a refusal: the HTTP status, the envelope's false flag (`IsSuccess`, `ResultCode` or
/// `IsAvailable`, whichever the method answers with), the exact `ErrorCode`, and that
/// `ErrorMessage` contains every needle.
pub fn assert_refused(resp: &(u16, Value), http: u16, code: i64, needles: &[&str]) {
    let (status, body) = resp;
    assert_eq!(*status, http, "HTTP status; body: {body}");
    let flag = ["IsSuccess", "ResultCode", "IsAvailable"]
        .iter()
        .find(|k| body.get(**k).is_some())
        .unwrap_or_else(|| panic!("no IsSuccess/ResultCode/IsAvailable in {body}"));
    assert_eq!(body[*flag], false, "{flag}; body: {body}");
    assert_eq!(body["ErrorCode"], code, "ErrorCode; body: {body}");
    let msg = body["ErrorMessage"]
        .as_str()
        .unwrap_or_else(|| panic!("ErrorMessage is not a string in {body}"));
    for n in needles {
        assert!(msg.contains(n), "ErrorMessage lacks {n:?}: {msg}");
    }
}

/// Asserts an `IsSuccess: true` answer with HTTP 200.
pub fn assert_ok(resp: &(u16, Value)) {
    let (status, body) = resp;
    assert_eq!(*status, 200, "{body}");
    assert_eq!(body["IsSuccess"], true, "{body}");
    assert_eq!(body["ErrorCode"], 0, "{body}");
}

/// The registry person 0023456787 (Zahra Karimi; registry birth date 1368/02/15 Solar Hijri).
pub fn zahra() -> Value {
    serde_json::json!({
        "NationalCode": "0023456787",
        "Name": "زهرا",
        "LastName": "کریمی",
        "EnName": "Zahra",
        "EnLastName": "Karimi",
        "FatherName": "علی",
        "IsMan": false,
        "Telephone": "09131112233",
        "BirthCertificateID": "5521",
        "BirthDate": "1989/05/05",
        "City": "اصفهان",
        "ProvinceName": "اصفهان",
        "PostalCode": "8173613411",
        "TokenType": "USERGENERATED"
    })
}

/// The registry person 0061204501 (Reza Mohammadi).
pub fn reza() -> Value {
    serde_json::json!({
        "NationalCode": "0061204501",
        "Name": "رضا",
        "LastName": "محمدی",
        "EnName": "Reza",
        "EnLastName": "Mohammadi",
        "FatherName": "محمود",
        "IsMan": true,
        "Telephone": "09151234567",
        "BirthCertificateID": "8842",
        "BirthDate": "1985/11/30",
        "TokenType": "USERGENERATED"
    })
}

/// A signed RegisterInfo body for any customer, signed with `key` (openssl, UTF-16LE by iconv).
pub fn register_body_as(
    customer: &str,
    license: &str,
    key: &Path,
    ca: &str,
    profile: &str,
    person: Value,
) -> Value {
    let customercode = format!("{customer}-{license}");
    let nc = person["NationalCode"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let sig = sign_unicode(key, &format!("{customercode}-{nc}"));
    serde_json::json!({
        "caName": ca,
        "customercode": customercode,
        "profileName": profile,
        "signature": sig,
        "personData": person,
    })
}

/// A signed IssueCertificateByTrackingCode body for any customer (`Sign(csr)`, ASCII form).
pub fn issue_body_as(
    customer: &str,
    license: &str,
    ca: &str,
    profile: &str,
    tracking: &str,
    csr_der: &[u8],
) -> Value {
    let csr = b64(csr_der);
    let sig = openssl_sign(&customer_key(customer), csr.as_bytes());
    serde_json::json!({
        "caName": ca,
        "profileName": profile,
        "trackingCode": tracking,
        "csr": csr,
        "paymentId": "pay-1",
        "signature": sig,
        "customercode": format!("{customer}-{license}"),
    })
}

/// A signed RevokeCertificate body (`Sign(certificate)`, ASCII form).
pub fn revoke_body_as(customer: &str, license: &str, cert_b64: &str, reason: i64) -> Value {
    let sig = openssl_sign(&customer_key(customer), cert_b64.as_bytes());
    serde_json::json!({
        "certificate": cert_b64,
        "signature": sig,
        "customercode": format!("{customer}-{license}"),
        "revokeCertReason": reason,
    })
}

impl TestEmulator {
    /// The state of a tracking code as IsApproved reports it ("tracking code N is <State>").
    pub fn state_of(&self, tracking: &str) -> String {
        let (status, body) =
            self.post("IsApproved", &serde_json::json!({"trackingCode": tracking}));
        assert_eq!(status, 200, "{body}");
        let d = body["Description"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"));
        d.rsplit(' ').next().unwrap().to_string()
    }

    /// Registers `person` for customer A and returns the tracking code (asserting success).
    pub fn register_a(&self, ca: &str, profile: &str, person: Value) -> String {
        let resp = self.post("RegisterInfo", &register_body(ca, profile, person));
        assert_ok(&resp);
        resp.1["TrackingCode"].as_str().unwrap().to_string()
    }

    /// Issues for customer A from `csr_der`; returns the success body.
    pub fn issue_a(&self, ca: &str, profile: &str, tracking: &str, csr_der: &[u8]) -> Value {
        let resp = self.post(
            "IssueCertificateByTrackingCode",
            &issue_body(ca, profile, tracking, csr_der),
        );
        assert_ok(&resp);
        resp.1
    }

    /// Customer A's credit.
    pub fn credit_a(&self) -> i64 {
        self.credit_of(CUSTOMER_A, "report-key-A-0001")
    }

    /// Customer B's credit.
    pub fn credit_b(&self) -> i64 {
        self.credit_of(CUSTOMER_B, "report-key-B-0002")
    }
}

// ── approval, P12 and reports (issue 3) ──────────────────────────────────────────────────

/// The scenario's in-person approvers (`[[pki.approvers]]` of scenarios/default.toml).
pub const APPROVER_1: &str = "TEST Approver Ali Rezaei";
pub const APPROVER_2: &str = "TEST Approver Maryam Karimi";
pub const REPORT_KEY_A: &str = "report-key-A-0001";
pub const REPORT_KEY_B: &str = "report-key-B-0002";

/// (certificate, key) of a fixture approver: `approver-1`, `approver-2` or `approver-rogue`.
pub fn approver_files(name: &str) -> (PathBuf, PathBuf) {
    (
        fixture(&format!("pki/approvers/{name}.pem")),
        fixture(&format!("pki/approvers/{name}.key")),
    )
}

/// What RequestApprove's `sign` and `approverSign` cover: `nationalCode + trackingCode + approver`.
pub fn approval_text(national: &str, tracking: &str, approver: &str) -> String {
    format!("{national}{tracking}{approver}")
}

/// `openssl cms -sign -binary -outform DER` by the fixture approver `signer` over `data`:
/// detached unless `attached` (`-nodetach`), with signed attributes unless `noattr`.
pub fn openssl_cms_sign(signer: &str, data: &[u8], noattr: bool, attached: bool) -> Vec<u8> {
    let (cert, key) = approver_files(signer);
    openssl_cms_with(&cert, &key, data, attached, !noattr, &[])
}

/// Python `cryptography`'s `PKCS7SignatureBuilder` (SHA-256, DetachedSignature + Binary) by the
/// fixture approver `signer` over `data`; DER.
pub fn python_pkcs7_detached(signer: &str, data: &[u8]) -> Vec<u8> {
    let (cert, key) = approver_files(signer);
    let out = python(
        "import sys, base64\n\
         from cryptography import x509\n\
         from cryptography.hazmat.primitives import hashes, serialization\n\
         from cryptography.hazmat.primitives.serialization import pkcs7\n\
         cert = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())\n\
         key = serialization.load_pem_private_key(open(sys.argv[2], 'rb').read(), None)\n\
         sig = pkcs7.PKCS7SignatureBuilder().set_data(base64.b64decode(sys.argv[3]))\
         .add_signer(cert, key, hashes.SHA256())\
         .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])\n\
         print(base64.b64encode(sig).decode())",
        &[cert.to_str().unwrap(), key.to_str().unwrap(), &b64(data)],
    );
    unb64(out.trim())
}

/// A RequestApprove body for any customer: `sign` is openssl RSA-SHA1 over UTF-16LE (iconv) of
/// `nationalCode + trackingCode + approver`; `approverSign` and `orderId` are left out when `None`.
pub fn request_approve_body_as(
    customer: &str,
    license: &str,
    national: &str,
    tracking: &str,
    approver: &str,
    approver_sign: Option<&str>,
    order_id: Option<&str>,
) -> Value {
    let sign = sign_unicode(
        &customer_key(customer),
        &approval_text(national, tracking, approver),
    );
    let mut body = serde_json::json!({
        "customercode": format!("{customer}-{license}"),
        "nationalCode": national,
        "trackingCode": tracking,
        "approver": approver,
        "sign": sign,
    });
    if let Some(s) = approver_sign {
        body["approverSign"] = serde_json::json!(s);
    }
    if let Some(o) = order_id {
        body["orderId"] = serde_json::json!(o);
    }
    body
}

/// A valid Iranian national code from nine leading digits (check digit per src/ids.rs:
/// s = Σ d_i·(10−i), r = s mod 11, check = r if r < 2 else 11 − r).
pub fn valid_national_code(first9: u32) -> String {
    let head = format!("{first9:09}");
    let s: u32 = head
        .bytes()
        .enumerate()
        .map(|(i, b)| (b - b'0') as u32 * (10 - i as u32))
        .sum();
    let r = s % 11;
    format!("{head}{}", if r < 2 { r } else { 11 - r })
}

impl TestEmulator {
    /// IsApproved's `(ResultCode, Message)`, asserting HTTP 200.
    pub fn is_approved(&self, tracking: &str) -> (Value, Value) {
        let (status, body) =
            self.post("IsApproved", &serde_json::json!({"trackingCode": tracking}));
        assert_eq!(status, 200, "{body}");
        (body["ResultCode"].clone(), body["Message"].clone())
    }

    /// Customer A approves `tracking` in person: approver-1's detached CMS (openssl, signed
    /// attributes) over UTF-16LE of the approval text; asserts success.
    pub fn approve_in_person_a(&self, national: &str, tracking: &str) {
        let text = approval_text(national, tracking, APPROVER_1);
        let cms = openssl_cms_sign("approver-1", &utf16le(&text), false, false);
        let (status, body) = self.post(
            "RequestApprove",
            &request_approve_body_as(
                CUSTOMER_A,
                LICENSE_A,
                national,
                tracking,
                APPROVER_1,
                Some(&b64(&cms)),
                None,
            ),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["ResultCode"], true, "{body}");
        assert_eq!(body["Message"], "Success", "{body}");
    }

    /// Registers `person` for customer B (signed with B's key) and returns the tracking code.
    pub fn register_b(&self, ca: &str, profile: &str, person: Value) -> String {
        let resp = self.post("RegisterInfo", &register_body_b(ca, profile, person));
        assert_ok(&resp);
        resp.1["TrackingCode"].as_str().unwrap().to_string()
    }

    /// Issues for customer B from `csr_der`; returns the success body.
    pub fn issue_b(&self, ca: &str, profile: &str, tracking: &str, csr_der: &[u8]) -> Value {
        let resp = self.post(
            "IssueCertificateByTrackingCode",
            &issue_body_as(CUSTOMER_B, LICENSE_B, ca, profile, tracking, csr_der),
        );
        assert_ok(&resp);
        resp.1
    }
}
