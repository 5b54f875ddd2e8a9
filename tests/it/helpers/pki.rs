//! PKI RA helpers: the scenario's customers ([`Customer`]) and registry persons, request bodies
//! signed by a customer, the refusal/success assertions, and `TestEmulator` shortcuts for the
//! PKI methods. Every PKI answer is `(HTTP status, JSON body)`, as [`TestEmulator::post`] gives
//! it.

use super::*;
use serde_json::{json, Value};
use std::path::PathBuf;

// ── customers ────────────────────────────────────────────────────────────────────────────

/// A PKI customer (integrator) of the scenario: what it sends as `customercode`, the key it
/// signs with, and its report key.
#[derive(Clone, Copy, Debug)]
pub struct Customer {
    pub code: &'static str,
    pub license: &'static str,
    /// Its private key, under `fixtures/`.
    pub key_file: &'static str,
    pub report_key: &'static str,
}

impl Customer {
    /// Customer A of scenarios/default.toml: CAs 01, 08 and 03, every identity check, provider
    /// face authentication, credit 10 000 000.
    pub const A: Customer = Customer {
        code: "10320874334",
        license: "1234",
        key_file: "pki/customers/10320874334.key",
        report_key: "report-key-A-0001",
    };

    /// Customer B: CA 01 only, a .NET `<RSAKeyValue>` public key on file, no identity checks,
    /// name lookup (20 000 per issue), credit 1 000 000.
    pub const B: Customer = Customer {
        code: "14105318760",
        license: "5678",
        key_file: "pki/customers/14105318760.key",
        report_key: "report-key-B-0002",
    };

    /// `code-license`, the `customercode` field.
    pub fn customercode(&self) -> String {
        format!("{}-{}", self.code, self.license)
    }

    pub fn key(&self) -> PathBuf {
        fixture(self.key_file)
    }

    /// The documented "Unicode" signature: RSA-SHA1 over UTF-16LE of `text` (openssl, iconv).
    pub fn sign_unicode(&self, text: &str) -> String {
        sign_unicode(&self.key(), text)
    }

    /// RSA-SHA1 over `data` as given (`Sign(field)` over the field's ASCII text).
    pub fn sign(&self, data: &[u8]) -> String {
        openssl_sign(&self.key(), data)
    }

    /// A signed RegisterInfo body: `Unicode(customercode + "-" + NationalCode)`.
    pub fn register_body(&self, ca: &str, profile: &str, person: Value) -> Value {
        let customercode = self.customercode();
        let nc = person["NationalCode"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let sig = self.sign_unicode(&format!("{customercode}-{nc}"));
        json!({
            "caName": ca,
            "customercode": customercode,
            "profileName": profile,
            "signature": sig,
            "personData": person,
        })
    }

    /// A signed IssueCertificateByTrackingCode body (`Sign(csr)`, ASCII form).
    pub fn issue_body(&self, ca: &str, profile: &str, tracking: &str, csr_der: &[u8]) -> Value {
        let csr = b64(csr_der);
        let sig = self.sign(csr.as_bytes());
        json!({
            "caName": ca,
            "profileName": profile,
            "trackingCode": tracking,
            "csr": csr,
            "paymentId": "pay-1",
            "signature": sig,
            "customercode": self.customercode(),
        })
    }

    /// A signed RevokeCertificate body (`Sign(certificate)`, ASCII form).
    pub fn revoke_body(&self, cert_b64: &str, reason: i64) -> Value {
        json!({
            "certificate": cert_b64,
            "signature": self.sign(cert_b64.as_bytes()),
            "customercode": self.customercode(),
            "revokeCertReason": reason,
        })
    }

    /// A RequestApprove body: `sign` is `Unicode(nationalCode + trackingCode + approver)`;
    /// `approverSign` is sent empty when `None` (the document: "must be empty" for remote
    /// approval), `orderId` (optional) is left out when `None`.
    pub fn request_approve_body(
        &self,
        national: &str,
        tracking: &str,
        approver: &str,
        approver_sign: Option<&str>,
        order_id: Option<&str>,
    ) -> Value {
        let mut body = json!({
            "customercode": self.customercode(),
            "nationalCode": national,
            "trackingCode": tracking,
            "approver": approver,
            "sign": self.sign_unicode(&approval_text(national, tracking, approver)),
            "approverSign": approver_sign.unwrap_or(""),
        });
        if let Some(o) = order_id {
            body["orderId"] = json!(o);
        }
        body
    }
}

/// A signed GetUserCertHistory body: `Unicode(SerialNumber + rnd)`.
pub fn history_body(c: &Customer, serial: &str, rnd: &str) -> Value {
    json!({
        "customercode": c.customercode(),
        "SerialNumber": serial,
        "rnd": rnd,
        "signature": c.sign_unicode(&format!("{serial}{rnd}")),
    })
}

// ── registry persons ─────────────────────────────────────────────────────────────────────

/// The registry person 0012345679 (Mehdi Ahmadi) as personData.
pub fn mehdi() -> Value {
    json!({
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
        "AgencySN": "",
        "Email": "mehdi@example.test"
    })
}

/// The registry person 0023456787 (Zahra Karimi; registry birth date 1368/02/15 Solar Hijri).
pub fn zahra() -> Value {
    json!({
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
        "IsForeign": false,
        "TokenType": "USERGENERATED",
        "AgencySN": ""
    })
}

/// The registry person 0061204501 (Reza Mohammadi).
pub fn reza() -> Value {
    json!({
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
        "IsForeign": false,
        "TokenType": "USERGENERATED",
        "AgencySN": ""
    })
}

/// `person` with every personData field the document's body shows and does not mark optional
/// (the PKI document, lines 327–357) that it left out sent empty (`IsMan` true, `IsForeign`
/// false): what a client that always writes the whole body sends. The names stay left out
/// when they are (customer B looks them up).
pub fn documented(mut person: Value) -> Value {
    let defaults = [
        ("IsMan", json!(true)),
        ("Telephone", json!("")),
        ("IsForeign", json!(false)),
        ("BirthCertificateID", json!("")),
        ("BirthDate", json!("")),
        ("AgencySN", json!("")),
    ];
    if let Some(p) = person.as_object_mut() {
        for (name, value) in defaults {
            p.entry(name).or_insert(value);
        }
    }
    person
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

// ── answers ──────────────────────────────────────────────────────────────────────────────

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
    if *flag == "ResultCode" && body.get("ErrorCode").is_none() {
        // GetTrackingCodeInfo and IsApproved: exactly the documented members; the code and
        // the message are in X-Signsim-Diagnostic (`<ErrorCode> <kind>: <message>`).
        return assert_refused_in_diagnostic(body, code, needles);
    }
    assert_eq!(body["ErrorCode"], code, "ErrorCode; body: {body}");
    let msg = body["ErrorMessage"]
        .as_str()
        .unwrap_or_else(|| panic!("ErrorMessage is not a string in {body}"));
    for n in needles {
        assert!(msg.contains(n), "ErrorMessage lacks {n:?}: {msg}");
    }
}

/// A PKI refusal's `(ErrorCode, ErrorMessage)` as a client reads them: from the body, or — for
/// GetTrackingCodeInfo and IsApproved, whose documented body has no room for them — from
/// `X-Signsim-Diagnostic` (`<ErrorCode> <kind>: <message>`, docs/errors.md).
pub fn refusal_of(a: &Answer) -> Option<(i64, String)> {
    let v: Value = serde_json::from_slice(&a.body).ok()?;
    if let Some(code) = v.get("ErrorCode").and_then(Value::as_i64) {
        let message = v["ErrorMessage"].as_str().unwrap_or("").to_string();
        return Some((code, message));
    }
    let diagnostic = decode_header_text(a.diagnostic.as_deref()?);
    let (code, rest) = diagnostic.split_once(' ')?;
    let (_kind, message) = rest.split_once(": ")?;
    Some((code.parse().ok()?, message.to_string()))
}

/// A refusal in the `{ResultCode, Description, Message}` envelope: those members only, and
/// the code and message in the last answer's `X-Signsim-Diagnostic`.
fn assert_refused_in_diagnostic(body: &Value, code: i64, needles: &[&str]) {
    let mut members: Vec<&String> = body
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    members.sort();
    assert_eq!(
        members,
        ["Description", "Message", "ResultCode"],
        "the documented members only: {body}"
    );
    assert_eq!(body["Message"], "Unsuccess", "{body}");
    let diagnostic =
        last_diagnostic().unwrap_or_else(|| panic!("no X-Signsim-Diagnostic beside {body}"));
    assert!(
        diagnostic.starts_with(&format!("{code} ")),
        "ErrorCode {code} in X-Signsim-Diagnostic: {diagnostic}"
    );
    for n in needles {
        assert!(
            diagnostic.contains(n),
            "X-Signsim-Diagnostic lacks {n:?}: {diagnostic}"
        );
    }
}

/// Asserts an `IsSuccess: true` answer with HTTP 200.
pub fn assert_ok(resp: &(u16, Value)) {
    let (status, body) = resp;
    assert_eq!(*status, 200, "{body}");
    assert_eq!(body["IsSuccess"], true, "{body}");
    assert_eq!(body["ErrorCode"], 0, "{body}");
}

// ── the PKI methods ──────────────────────────────────────────────────────────────────────

impl TestEmulator {
    /// RegisterInfo by `c`.
    pub fn register_info(
        &self,
        c: &Customer,
        ca: &str,
        profile: &str,
        person: Value,
    ) -> (u16, Value) {
        self.post("RegisterInfo", &c.register_body(ca, profile, person))
    }

    /// Registers `person` for `c`, asserting success; the tracking code.
    pub fn register(&self, c: &Customer, ca: &str, profile: &str, person: Value) -> String {
        let resp = self.register_info(c, ca, profile, person);
        assert_ok(&resp);
        resp.1["TrackingCode"].as_str().unwrap().to_string()
    }

    /// Registers Mehdi for customer A in CA 01 / Bronze-Sign; the tracking code.
    pub fn register_mehdi(&self) -> String {
        self.register(&Customer::A, "01", "Bronze-Sign", mehdi())
    }

    /// IssueCertificateByTrackingCode by `c` from `csr_der`.
    pub fn issue_certificate(
        &self,
        c: &Customer,
        ca: &str,
        profile: &str,
        tracking: &str,
        csr_der: &[u8],
    ) -> (u16, Value) {
        self.post(
            "IssueCertificateByTrackingCode",
            &c.issue_body(ca, profile, tracking, csr_der),
        )
    }

    /// Issues for `c` from `csr_der`, asserting success; the answer's body.
    pub fn issue(
        &self,
        c: &Customer,
        ca: &str,
        profile: &str,
        tracking: &str,
        csr_der: &[u8],
    ) -> Value {
        let resp = self.issue_certificate(c, ca, profile, tracking, csr_der);
        assert_ok(&resp);
        resp.1
    }

    /// RevokeCertificate by `c`.
    pub fn revoke_certificate(&self, c: &Customer, cert_b64: &str, reason: i64) -> (u16, Value) {
        self.post("RevokeCertificate", &c.revoke_body(cert_b64, reason))
    }

    /// `c`'s credit, through GetCredit with its report key.
    pub fn credit(&self, c: &Customer) -> i64 {
        let (status, body) = self.post(
            "GetCredit",
            &json!({"reportkey": c.report_key, "customercode": c.code}),
        );
        assert_eq!(status, 200, "{body}");
        body["Credit"].as_str().unwrap().parse().unwrap()
    }

    /// The state of a tracking code as IsApproved reports it ("tracking code N is <State>").
    pub fn state_of(&self, tracking: &str) -> String {
        let (status, body) = self.post("IsApproved", &json!({"trackingCode": tracking}));
        assert_eq!(status, 200, "{body}");
        let d = body["Description"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"));
        d.rsplit(' ').next().unwrap().to_string()
    }

    /// IsApproved's `(ResultCode, Message)`, asserting HTTP 200.
    pub fn is_approved(&self, tracking: &str) -> (Value, Value) {
        let (status, body) = self.post("IsApproved", &json!({"trackingCode": tracking}));
        assert_eq!(status, 200, "{body}");
        (body["ResultCode"].clone(), body["Message"].clone())
    }

    /// `c` approves `tracking` in person: approver-1's detached CMS (openssl, signed
    /// attributes) over UTF-16LE of the approval text; asserts success.
    pub fn approve_in_person(&self, c: &Customer, national: &str, tracking: &str) {
        let text = approval_text(national, tracking, APPROVER_1);
        let cms = openssl_cms_sign("approver-1", &utf16le(&text), false, false);
        let (status, body) = self.post(
            "RequestApprove",
            &c.request_approve_body(national, tracking, APPROVER_1, Some(&b64(&cms)), None),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["ResultCode"], true, "{body}");
        assert_eq!(body["Message"], "Success", "{body}");
    }
}

// ── in-person approval ───────────────────────────────────────────────────────────────────

/// The scenario's first in-person approver (`[[pki.approvers]]` of scenarios/default.toml).
pub const APPROVER_1: &str = "TEST Approver Ali Rezaei";

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
