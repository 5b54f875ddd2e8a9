//! Transport: status codes, the JSON error shape on every failure, headers, exact
//! response casing, case-insensitive method and parameter names, and bad input that must
//! neither crash the server nor change anything.

use crate::helpers::*;
use reqwest::blocking::Response;
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

/// An answer with all its headers (the journal-id [`Answer`] of the helpers keeps only the
/// Content-Type).
struct HttpAnswer {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl HttpAnswer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }
    fn pair(&self) -> (u16, Value) {
        (self.status, self.json())
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }
}

fn answer(resp: Response) -> HttpAnswer {
    HttpAnswer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        text: resp.text().unwrap(),
    }
}

fn send(
    emu: &TestEmulator,
    method: Method,
    path: &str,
    ct: Option<&str>,
    body: Vec<u8>,
) -> HttpAnswer {
    let mut req = emu.client.request(method, format!("{}{path}", emu.url));
    if let Some(ct) = ct {
        req = req.header("Content-Type", ct);
    }
    answer(req.body(body).send().unwrap())
}

fn post_bytes(emu: &TestEmulator, method: &str, body: &[u8]) -> HttpAnswer {
    send(
        emu,
        Method::POST,
        &format!("/api/{method}"),
        Some("application/json"),
        body.to_vec(),
    )
}

fn keys_of(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// The server still answers, and nothing was registered by what came before.
fn assert_still_serving_and_unchanged(emu: &TestEmulator) {
    let (status, v) = emu.get("GetVersion", &[]);
    assert_eq!((status, &v["Version"]), (200, &json!("1.8")), "{v}");
    assert_eq!(emu.register_mehdi(), "1000001");
}

// ── bodies ───────────────────────────────────────────────────────────────────────────────

fn register_bytes() -> Vec<u8> {
    Customer::A
        .register_body("01", "Bronze-Sign", mehdi())
        .to_string()
        .into_bytes()
}

/// Mehdi's registration with `field` replaced by `value`.
fn register_with(field: &str, value: Value) -> Vec<u8> {
    let mut body = Customer::A.register_body("01", "Bronze-Sign", mehdi());
    body[field] = value;
    body.to_string().into_bytes()
}

const JSON: Option<&str> = Some("application/json");

/// One refused RegisterInfo body: (case, Content-Type, the bytes sent, HTTP status, ErrorCode,
/// what ErrorMessage names).
type Refusal = (
    &'static str,
    Option<&'static str>,
    fn() -> Vec<u8>,
    u16,
    i64,
    &'static [&'static str],
);

const BODY_REFUSALS: &[Refusal] = &[
    (
        "malformed JSON is 400 MalformedBody",
        JSON,
        || br#"{"caName": "01", "customercode": "#.to_vec(),
        400,
        101,
        &["the request body is not JSON"],
    ),
    (
        "a JSON array body is 400 MalformedBody",
        JSON,
        || {
            let body = json!([Customer::A.register_body("01", "Bronze-Sign", mehdi())]);
            body.to_string().into_bytes()
        },
        400,
        101,
        &["JSON array", "a JSON object is expected"],
    ),
    (
        "an empty body is 400",
        JSON,
        Vec::new,
        400,
        101,
        &["empty", "JSON object"],
    ),
    (
        "Content-Type text/plain is 415",
        Some("text/plain"),
        register_bytes,
        415,
        107,
        &["Content-Type is 'text/plain'", "application/json"],
    ),
    (
        "no Content-Type is 415",
        None,
        register_bytes,
        415,
        107,
        &["no Content-Type", "application/json"],
    ),
    // Wrong JSON types are invalid fields, not crashes.
    (
        "personData as a string",
        JSON,
        || register_with("personData", json!("0012345679")),
        200,
        103,
        &["personData is a JSON string", "an object is expected"],
    ),
    (
        "caName as an array",
        JSON,
        || register_with("caName", json!(["01"])),
        200,
        103,
        &["caName is a JSON array", "a string is expected"],
    ),
];

#[test]
fn refused_bodies_get_the_json_error_and_change_nothing() {
    each_case(
        BODY_REFUSALS,
        |c| c.0,
        |&(_, content_type, body, http, code, needles)| {
            let emu = TestEmulator::spawn();
            let a = send(
                &emu,
                Method::POST,
                "/api/RegisterInfo",
                content_type,
                body(),
            );
            assert_refused(&a.pair(), http, code, needles);
            assert_still_serving_and_unchanged(&emu);
        },
    );
}

#[test]
fn body_over_the_limit_is_413() {
    let emu = TestEmulator::spawn_edited(|t| {
        assert!(t.contains("pki_max_body_bytes = 1048576"));
        t.replace("pki_max_body_bytes = 1048576", "pki_max_body_bytes = 2048")
    });
    let mut body = Customer::A.register_body("01", "Bronze-Sign", mehdi());
    body["padding"] = json!("x".repeat(4096));
    let a = post_bytes(&emu, "RegisterInfo", body.to_string().as_bytes());
    assert_refused(
        &a.pair(),
        413,
        104,
        &["over 2048 bytes", "pki_max_body_bytes"],
    );
    // Under the limit the same request is served.
    assert_still_serving_and_unchanged(&emu);
}

#[test]
fn hostile_bodies_do_not_crash_the_server() {
    let emu = TestEmulator::spawn();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bodies: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe, 0x00, 0x7b],
        deep.into_bytes(),
        b"\xEF\xBB\xBF".to_vec(),
        br#"{"customercode": "\ud800"}"#.to_vec(),
        b"null".to_vec(),
        b"1e999999".to_vec(),
    ];
    for body in bodies {
        let a = post_bytes(&emu, "RegisterInfo", &body);
        let (status, v) = a.pair();
        assert_eq!(status, 400, "{:?}: {v}", String::from_utf8_lossy(&body));
        assert_eq!(v["ErrorCode"], 101, "{v}");
        assert_eq!(v["IsSuccess"], false, "{v}");
    }
    assert_still_serving_and_unchanged(&emu);
}

// ── methods and paths ────────────────────────────────────────────────────────────────────

/// A method signsim does not know is a 404 (ErrorCode 105) that helps: (case, the method
/// posted to, what ErrorMessage names).
#[test]
fn unknown_methods_are_404_naming_what_was_meant() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "no such method: the methods are listed",
            "NoSuchMethod",
            &[
                "there is no method 'NoSuchMethod' under /api/",
                "RegisterInfo",
                "GetCAList",
            ],
        ),
        (
            "a near miss",
            "RegisterInf",
            &["did you mean RegisterInfo?"],
        ),
        (
            "the correct spelling of the upstream's misspelt method",
            "ReceivedCertConfirmation",
            &[
                "ReceivedCertConfirmation",
                "RecievedCertConfirmation (sic)",
                "/api/RecievedCertConfirmation",
            ],
        ),
    ];
    let emu = TestEmulator::spawn();
    each_case(
        cases,
        |c| c.0,
        |&(_, method, needles)| {
            let a = post_bytes(&emu, method, b"{}");
            assert_refused(&a.pair(), 404, 105, needles);
        },
    );
    assert_still_serving_and_unchanged(&emu);
}

/// A method called with the other verb is a 405 (ErrorCode 106) whose Allow header names the
/// right one: (case, the verb sent, the path, the body's content type, Allow, what
/// ErrorMessage names).
#[test]
fn the_wrong_verb_is_405_with_an_allow_header() {
    type Case = (
        &'static str,
        Method,
        &'static str,
        Option<&'static str>,
        &'static str,
        &'static [&'static str],
    );
    let cases: &[Case] = &[
        (
            "GET on a POST method",
            Method::GET,
            "/api/RegisterInfo",
            None,
            "POST",
            &["RegisterInfo", "POST", "GET"],
        ),
        (
            "POST on a GET method",
            Method::POST,
            "/api/GetCAList?Customercode=10320874334",
            Some("application/json"),
            "GET",
            &["GetCAList", "GET", "POST"],
        ),
    ];
    let emu = TestEmulator::spawn();
    each_case(
        cases,
        |c| c.0,
        |(_, verb, path, ct, allow, needles)| {
            let body = if ct.is_some() { b"{}".to_vec() } else { vec![] };
            let a = send(&emu, verb.clone(), path, *ct, body);
            assert_eq!(a.header("allow"), *allow);
            assert_refused(&a.pair(), 405, 106, needles);
        },
    );
    assert_still_serving_and_unchanged(&emu);
}

#[test]
fn method_names_are_case_insensitive() {
    let emu = TestEmulator::spawn();
    let (status, body) = emu.get("getcalist", &[("Customercode", Customer::A.code)]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["IsSuccess"], true, "{body}");
    let names: Vec<&str> = body["CAList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["CAName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["01", "08", "03"]);
    let resp = emu.post(
        "REGISTERINFO",
        &Customer::A.register_body("01", "Bronze-Sign", mehdi()),
    );
    assert_ok(&resp);
    assert_eq!(resp.1["TrackingCode"], "1000001");
}

#[test]
fn query_parameter_names_are_case_insensitive() {
    let emu = TestEmulator::spawn();
    // Customer B's list differs from A's, so the parameter was really read.
    let (status, body) = emu.get("GetCAList", &[("CUSTOMERCODE", Customer::B.code)]);
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["CAList"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|c| c["CAName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["01"]);
    let (status, body) = emu.get(
        "GetCAProfileInfo",
        &[("customerCode", Customer::A.code), ("CANAME", "08")],
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Profile"][0]["ProfileName"], "Silver-Sign", "{body}");
    // Without it, the refusal names the parameter.
    let resp = emu.get("GetCAList", &[]);
    assert_refused(&resp, 200, 102, &["Customercode is missing"]);
}

#[test]
fn unknown_path_outside_api_is_a_json_404_naming_path_and_scenario() {
    let emu = TestEmulator::spawn();
    let a = send(&emu, Method::GET, "/no/such/thing", None, vec![]);
    assert_eq!(a.status, 404, "{}", a.text);
    assert_eq!(a.header("content-type"), "application/json; charset=utf-8");
    let err = a.json()["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", a.text))
        .to_string();
    assert!(err.contains("GET /no/such/thing"), "{err}");
    assert!(err.contains("scenario 'default'"), "{err}");
    assert!(err.contains("/api/{Method}"), "{err}");
}

// ── headers and casing ───────────────────────────────────────────────────────────────────

#[test]
fn every_response_carries_x_signsim_and_json_content_type() {
    let emu = TestEmulator::spawn();
    let register = Customer::A
        .register_body("01", "Bronze-Sign", mehdi())
        .to_string()
        .into_bytes();
    let answers = [
        send(&emu, Method::GET, "/api/GetVersion", None, vec![]),
        send(
            &emu,
            Method::POST,
            "/api/RegisterInfo",
            Some("application/json"),
            register,
        ),
        send(
            &emu,
            Method::POST,
            "/api/RegisterInfo",
            Some("application/json"),
            b"{".to_vec(),
        ),
        send(
            &emu,
            Method::POST,
            "/api/RegisterInfo",
            Some("text/plain"),
            b"{}".to_vec(),
        ),
        send(&emu, Method::GET, "/api/RegisterInfo", None, vec![]),
        send(&emu, Method::GET, "/api/Nope", None, vec![]),
        send(&emu, Method::GET, "/elsewhere", None, vec![]),
        send(&emu, Method::GET, "/crl/99.crl", None, vec![]),
    ];
    for a in &answers {
        assert_eq!(
            a.header("x-signsim"),
            env!("CARGO_PKG_VERSION"),
            "{}",
            a.text
        );
        assert_eq!(
            a.header("content-type"),
            "application/json; charset=utf-8",
            "{}",
            a.text
        );
    }
    let crl = send(&emu, Method::GET, "/crl/01.crl", None, vec![]);
    assert_eq!(crl.status, 200);
    assert_eq!(crl.header("x-signsim"), env!("CARGO_PKG_VERSION"));
    assert_eq!(crl.header("content-type"), "application/pkix-crl");
}

#[test]
fn responses_use_the_documents_exact_casing() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    // RegisterInfo, success and refusal.
    let resp = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    assert_ok(&resp);
    let register_keys = sorted(&[
        "IsSuccess",
        "TrackingCode",
        "Description",
        "ErrorCode",
        "ErrorMessage",
    ]);
    assert_eq!(keys_of(&resp.1), register_keys);
    assert!(resp.1["TrackingCode"].is_string(), "{}", resp.1);
    let desc = resp.1["Description"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", resp.1));
    let desc: Value = serde_json::from_str(desc).unwrap();
    for k in [
        "FirstName",
        "LastName",
        "City",
        "ProvinceName",
        "ProvinceId",
        "FatherName",
        "AgencySN",
        "CSR",
        "Certificate",
    ] {
        assert!(desc.get(k).is_some(), "Description lacks {k}: {desc}");
    }
    let resp = emu.register_info(&Customer::A, "99", "Bronze-Sign", mehdi());
    assert_eq!(keys_of(&resp.1), register_keys);
    assert!(resp.1["Description"].is_string(), "{}", resp.1);

    // IssueCertificateByTrackingCode.
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let issued = emu.issue(&Customer::A, "01", "Bronze-Sign", "1000001", &csr);
    assert_eq!(
        keys_of(&issued),
        sorted(&[
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
        ])
    );
    // GetCredit: Credit is a string.
    let (_, credit) = emu.post(
        "GetCredit",
        &json!({"reportkey": "report-key-A-0001", "customercode": Customer::A.code}),
    );
    assert_eq!(
        keys_of(&credit),
        sorted(&[
            "IsSuccess",
            "Credit",
            "Description",
            "ErrorCode",
            "ErrorMessage"
        ])
    );
    assert_eq!(credit["Credit"], "9850000");
    // IsApproved: the ResultCode envelope.
    let (_, approved) = emu.post("IsApproved", &json!({"trackingCode": "1000001"}));
    assert_eq!(
        keys_of(&approved),
        sorted(&["ResultCode", "Description", "Message"])
    );
    // IsAvailable.
    let (_, available) = emu.get("IsAvailable", &[("caName", "01")]);
    assert_eq!(
        keys_of(&available),
        sorted(&["IsAvailable", "Description", "ErrorCode", "ErrorMessage"])
    );
    assert_eq!(available["IsAvailable"], true);
}

#[test]
fn get_version_returns_1_8() {
    let emu = TestEmulator::spawn();
    let (status, body) = emu.get("GetVersion", &[]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["IsSuccess"], true, "{body}");
    assert_eq!(body["Version"], "1.8", "{body}");
}

#[test]
fn get_ca_profile_info_returns_the_documents_item_fields() {
    let emu = TestEmulator::spawn();
    let (status, body) = emu.get(
        "GetCAProfileInfo",
        &[("Customercode", Customer::A.code), ("caName", "01")],
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["IsSuccess"], true, "{body}");
    let profiles = body["Profile"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let names: Vec<&str> = profiles
        .iter()
        .map(|p| p["ProfileName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Bronze-Sign",
            "Bronze-Sign-InPerson",
            "Bronze-Sign-FaceAuth",
            "Bronze-Stamp"
        ]
    );
    let fields = sorted(&[
        "SubjectDNConfig",
        "ProfileName",
        "Price",
        "FaceAuth",
        "InputType",
        "Approval",
        "ProductId",
        "Description",
    ]);
    for p in profiles {
        assert_eq!(keys_of(p), fields);
    }
    let bronze = &profiles[0];
    assert_eq!(bronze["Price"], 150000);
    assert_eq!(bronze["FaceAuth"], false);
    assert_eq!(bronze["Approval"], false);
    assert_eq!(bronze["InputType"], "manually");
    assert_eq!(bronze["ProductId"], 101);
    assert_eq!(
        bronze["Description"],
        "Natural person signing certificate, one year"
    );
    let dn = bronze["SubjectDNConfig"].as_str().unwrap();
    assert!(dn.starts_with("CN={EnName} {EnLastName} [Sign]"), "{dn}");
    assert!(dn.contains("{NationalCode}"), "{dn}");
    let in_person = &profiles[1];
    assert_eq!(
        (&in_person["Approval"], &in_person["InputType"]),
        (&json!(true), &json!("card"))
    );
    let face = &profiles[2];
    assert_eq!(
        (&face["FaceAuth"], &face["InputType"]),
        (&json!(true), &json!("mobile"))
    );
    // A CA the customer may not use.
    let resp = emu.get(
        "GetCAProfileInfo",
        &[("Customercode", Customer::B.code), ("caName", "08")],
    );
    assert_refused(&resp, 200, 206, &["customer 14105318760", "CA '08'"]);
}
