//! Every method's refusal exactly as its document shapes it: the HTTP status the document lists
//! (`Status Code 200` for every POST method and GetAllMobileCert, `200 / 401 Unauthorized` only
//! for GetCAList, GetCAProfileInfo and IsAvailable: the PKI document, lines 230, 259, 291, 363,
//! 446, 516, 556), the members of the method's documented answer and no other (GetTrackingCodeInfo
//! and IsApproved have no `ErrorCode`/`ErrorMessage`: lines 449–488, 587–591), and the code and
//! message in `X-Signsim-Diagnostic` — readable, RFC 8187 style, when the message is Persian or
//! Cyrillic.

use crate::helpers::*;
use serde_json::{json, Value};

/// A customer the scenario does not have: signs with A's key, so only the code is wrong.
const STRANGER: Customer = Customer {
    code: "99999999999",
    ..Customer::A
};

/// One refusal: the method, how it is called, the status and code expected, and the members
/// of the method's documented answer.
struct Case {
    method: &'static str,
    call: fn(&TestEmulator) -> Answer,
    status: u16,
    code: i64,
    kind: &'static str,
    members: &'static [&'static str],
}

const IS_SUCCESS: [&str; 3] = ["IsSuccess", "ErrorCode", "ErrorMessage"];

fn members(extra: &[&str], base: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = base.iter().chain(extra).map(|s| s.to_string()).collect();
    all.sort();
    all
}

fn post(emu: &TestEmulator, method: &str, body: Value) -> Answer {
    emu.post_answer(method, &body)
}

/// Every POST method refused for an unknown customer (IsApproved, which names none, for an
/// unknown tracking code), and GetAllMobileCert: HTTP 200, as their documents list only 200.
fn post_cases() -> Vec<Case> {
    vec![
        Case {
            method: "RegisterInfo",
            call: |e| {
                post(
                    e,
                    "RegisterInfo",
                    STRANGER.register_body("01", "Bronze-Sign", mehdi()),
                )
            },
            status: 200,
            code: 201,
            kind: "UnknownCustomer",
            members: &[
                "IsSuccess",
                "TrackingCode",
                "Description",
                "ErrorCode",
                "ErrorMessage",
            ],
        },
        Case {
            method: "GetTrackingCodeInfo",
            call: |e| {
                post(
                    e,
                    "GetTrackingCodeInfo",
                    json!({
                        "nationalCode": "0012345679", "trackingCode": "1000001",
                        "customercode": STRANGER.customercode(),
                        "sign": STRANGER.sign_unicode("00123456791000001"),
                    }),
                )
            },
            status: 200,
            code: 201,
            kind: "UnknownCustomer",
            members: &["ResultCode", "Description", "Message"],
        },
        Case {
            method: "IssueCertificateByTrackingCode",
            call: |e| {
                post(
                    e,
                    "IssueCertificateByTrackingCode",
                    STRANGER.issue_body("01", "Bronze-Sign", "1000001", b"csr"),
                )
            },
            status: 200,
            code: 201,
            kind: "UnknownCustomer",
            members: &[
                "IsSuccess",
                "Certificate",
                "PaymentStatus",
                "Description",
                "CN",
                "IssuerName",
                "ValidFrom",
                "ValidTo",
                "ErrorCode",
                "ErrorMessage",
            ],
        },
        Case {
            method: "RevokeCertificate",
            call: |e| post(e, "RevokeCertificate", STRANGER.revoke_body("AAAA", 1)),
            status: 200,
            code: 201,
            kind: "UnknownCustomer",
            members: &["IsSuccess", "Description", "ErrorCode", "ErrorMessage"],
        },
        Case {
            method: "IsApproved",
            call: |e| post(e, "IsApproved", json!({"trackingCode": "4711"})),
            status: 200,
            code: 401,
            kind: "TrackingCodeUnknown",
            members: &["ResultCode", "Description", "Message"],
        },
        Case {
            method: "RequestApprove",
            call: |e| {
                post(
                    e,
                    "RequestApprove",
                    STRANGER.request_approve_body("0012345679", "1000001", "x", None, None),
                )
            },
            status: 200,
            code: 201,
            kind: "UnknownCustomer",
            members: &[
                "ResultCode",
                "Description",
                "Message",
                "ErrorCode",
                "ErrorMessage",
            ],
        },
        Case {
            method: "RecievedCertConfirmation",
            call: |e| {
                post(
                    e,
                    "RecievedCertConfirmation",
                    json!({
                        "certificate": "AAAA", "signature": STRANGER.sign_unicode("AAAA"),
                        "customercode": STRANGER.customercode(), "trackingCode": "1000001",
                    }),
                )
            },
            status: 200,
            code: 201,
            kind: "UnknownCustomer",
            members: &["IsSuccess", "Description", "ErrorCode", "ErrorMessage"],
        },
        Case {
            method: "GetUserCertHistory",
            call: |e| {
                post(
                    e,
                    "GetUserCertHistory",
                    json!({
                        "SerialNumber": "0012345679", "rnd": "shape-1",
                        "customercode": STRANGER.customercode(),
                        "signature": STRANGER.sign_unicode("0012345679shape-1"),
                    }),
                )
            },
            status: 200,
            code: 201,
            kind: "UnknownCustomer",
            members: &["IsSuccess", "CertList", "ErrorCode", "ErrorMessage"],
        },
        Case {
            method: "IssuingReport",
            call: |e| {
                post(
                    e,
                    "IssuingReport",
                    json!({
                        "reportkey": Customer::A.report_key, "customercode": STRANGER.code,
                        "startdate": "2026/06/01", "enddate": "2026/06/01", "type": "PerCA",
                    }),
                )
            },
            status: 200,
            code: 201,
            kind: "UnknownCustomer",
            members: &IS_SUCCESS,
        },
        Case {
            method: "GetCredit",
            call: |e| {
                post(
                    e,
                    "GetCredit",
                    json!({"reportkey": Customer::A.report_key, "customercode": STRANGER.code}),
                )
            },
            status: 200,
            code: 201,
            kind: "UnknownCustomer",
            members: &[
                "IsSuccess",
                "Credit",
                "Description",
                "ErrorCode",
                "ErrorMessage",
            ],
        },
        Case {
            method: "GetAllMobileCert",
            call: |e| {
                e.get_answer(
                    "GetAllMobileCert",
                    &[
                        ("NationalCode", "0012345679"),
                        ("CustomerCode", STRANGER.code),
                    ],
                )
            },
            status: 200,
            code: 201,
            kind: "UnknownCustomer",
            members: &["IsSuccess", "CertList", "ErrorCode", "ErrorMessage"],
        },
    ]
}

/// The GET CA methods, whose documents list `401 Unauthorized`: an unknown customer is a 401;
/// IsAvailable names no customer, so its refusal (an unknown CA) is a 200.
fn ca_cases() -> Vec<Case> {
    vec![
        Case {
            method: "GetCAList",
            call: |e| e.get_answer("GetCAList", &[("Customercode", STRANGER.code)]),
            status: 401,
            code: 201,
            kind: "UnknownCustomer",
            members: &["IsSuccess", "CAList", "ErrorCode", "ErrorMessage"],
        },
        Case {
            method: "GetCAProfileInfo",
            call: |e| {
                e.get_answer(
                    "GetCAProfileInfo",
                    &[("Customercode", STRANGER.code), ("caName", "01")],
                )
            },
            status: 401,
            code: 201,
            kind: "UnknownCustomer",
            members: &["IsSuccess", "Profile", "ErrorCode", "ErrorMessage"],
        },
        Case {
            method: "IsAvailable",
            call: |e| e.get_answer("IsAvailable", &[("caName", "99")]),
            status: 200,
            code: 207,
            kind: "UnknownCa",
            members: &["IsAvailable", "Description", "ErrorCode", "ErrorMessage"],
        },
    ]
}

fn check(emu: &TestEmulator, c: &Case) {
    let a = (c.call)(emu);
    let body = a.json();
    assert_eq!(a.status, c.status, "{}: HTTP status; {body}", c.method);
    let got = members(
        &body
            .as_object()
            .unwrap_or_else(|| panic!("{}: not an object: {body}", c.method))
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[],
    );
    assert_eq!(
        got,
        members(c.members, &[]),
        "{}: the documented members only",
        c.method
    );
    let flag = ["IsSuccess", "ResultCode", "IsAvailable"]
        .into_iter()
        .find(|f| body.get(*f).is_some())
        .unwrap_or_else(|| panic!("{}: no flag in {body}", c.method));
    assert_eq!(body[flag], false, "{}: {body}", c.method);
    if flag == "ResultCode" {
        assert_eq!(body["Message"], "Unsuccess", "{}: {body}", c.method);
    }
    // The diagnostic: `<ErrorCode> <kind>: <message>`, the same code and message as the body's
    // (where it has them) and the journal's.
    let raw = a
        .diagnostic
        .as_deref()
        .unwrap_or_else(|| panic!("{}: no X-Signsim-Diagnostic", c.method));
    let diagnostic = decode_header_text(raw);
    let prefix = format!("{} {}: ", c.code, c.kind);
    assert!(
        diagnostic.starts_with(&prefix),
        "{}: {diagnostic}",
        c.method
    );
    let message = &diagnostic[prefix.len()..];
    assert!(!message.is_empty(), "{}: {diagnostic}", c.method);
    if let Some(m) = body.get("ErrorMessage") {
        assert_eq!(body["ErrorCode"], c.code, "{}: {body}", c.method);
        assert_eq!(m, message, "{}: {body}", c.method);
    }
    let entry = emu.admin_ok(&format!("requests/{}", a.id));
    assert_eq!(entry["status"], c.status, "{}: {entry}", c.method);
    assert_eq!(entry["refusal"]["code"], c.code, "{}: {entry}", c.method);
    assert!(
        entry["diagnostics"]
            .to_string()
            .contains(&format!("refused: {}", c.kind)),
        "{}: {entry}",
        c.method
    );
}

#[test]
fn every_post_methods_refusal_is_http_200_in_its_documented_shape_with_the_diagnostic() {
    let emu = TestEmulator::spawn();
    let cases = post_cases();
    let posts = cases
        .iter()
        .filter(|c| c.method != "GetAllMobileCert")
        .count();
    assert_eq!(posts, 10, "every POST method of the route table");
    each_case(&cases, |c| c.method, |c| check(&emu, c));
}

#[test]
fn the_get_ca_methods_keep_401_where_their_document_lists_it() {
    let emu = TestEmulator::spawn();
    each_case(&ca_cases(), |c| c.method, |c| check(&emu, c));
}

/// A Persian refusal message in the PKI's diagnostic and a Cyrillic one in Podpishi's: plain
/// ASCII stays as it is; anything else is `UTF-8''` + percent-encoded UTF-8, which a client
/// decodes back to the message.
#[test]
fn persian_and_cyrillic_diagnostics_are_readable_once_percent_decoded() {
    let emu = TestEmulator::spawn();
    // Mehdi's registry name is مهدی: another Persian name is refused naming both.
    let mut wrong = mehdi();
    wrong["Name"] = json!("علی");
    let a = emu.post_answer(
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", wrong),
    );
    let body = a.json();
    assert_eq!((a.status, &body["ErrorCode"]), (200, &json!(303)), "{body}");
    let raw = a.diagnostic.clone().unwrap_or_default();
    assert!(
        raw.starts_with("303 RegistryMismatch: UTF-8''personData.Name%20%27%D8%B9"),
        "{raw}"
    );
    assert!(raw.is_ascii(), "{raw}");
    let decoded = decode_header_text(&raw);
    assert_eq!(
        decoded,
        format!(
            "303 RegistryMismatch: {}",
            body["ErrorMessage"].as_str().unwrap_or("")
        ),
    );
    assert!(decoded.contains("علی"), "{decoded}");

    // Podpishi: an unknown Cyrillic login; the body stays the documented text.
    let a = emu.pod_command_answer(
        ("иван@тест.kz", "00000000000000000000000000000000"),
        "<data><oper>getavailabledocs</oper></data>",
    );
    assert_eq!(a.status, 200);
    assert!(
        a.text().contains("Authorization error (code=0)"),
        "{}",
        a.text()
    );
    let raw = a.diagnostic.clone().unwrap_or_default();
    assert!(raw.starts_with("UTF-8''"), "{raw}");
    assert!(raw.is_ascii(), "{raw}");
    let decoded = decode_header_text(&raw);
    assert!(decoded.contains("иван@тест.kz"), "{decoded}");
    assert!(!decoded.contains('?'), "{decoded}");

    // Plain ASCII is sent as it is.
    let a = emu.post_answer("IsApproved", &json!({"trackingCode": "4711"}));
    assert_eq!(
        a.diagnostic.as_deref(),
        Some("401 TrackingCodeUnknown: tracking code '4711' does not exist")
    );
}
