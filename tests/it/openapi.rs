//! The OpenAPI 3.1 documents at `/__admin/openapi/{pki,podpishi,admin}.json`: each validates
//! with an independent validator (`openapi-spec-validator`, Python), describes every route of
//! its API (all 16 PKI methods with request and response schemas and the signature rule of each
//! signed one; every Podpishi command exemplified; every control route), and every PKI answer
//! this test provokes — successes and refusals of all 16 methods, in all three envelopes —
//! validates against its method's response schema (Python `jsonschema`, draft 2020-12).

use crate::helpers::*;
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Whether Python has `module`; a missing one fails under CI (`.ci/run` installs it) and
/// skips otherwise, saying so.
fn python_has(module: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var("CI").map(|v| v != "true").unwrap_or(true),
            "CI=true but python3 lacks {module}: .ci/run installs openapi-spec-validator"
        );
        report(&format!(
            "SKIPPED: python3 has no {module} (pip install openapi-spec-validator)"
        ));
    }
    ok
}

fn python_stdin(code: &str, args: &[&str], input: &[u8]) -> (bool, String) {
    let mut child = Command::new("python3")
        .args(["-c", code])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

const VALIDATE_SPEC: &str = r#"
import json, sys
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
for path in sys.argv[1:]:
    spec, _ = read_from_filename(path)
    validate(spec)
    print("valid", path.rsplit("/", 1)[-1], len(spec["paths"]), "paths")
"#;

const VALIDATE_ANSWERS: &str = r##"
import json, sys
from jsonschema import Draft202012Validator
doc = json.load(open(sys.argv[1]))
bad = 0
n = 0
for line in sys.stdin:
    a = json.loads(line)
    schema = {"$ref": "#/components/schemas/" + a["method"] + "Response", "components": doc["components"]}
    errors = list(Draft202012Validator(schema).iter_errors(a["body"]))
    n += 1
    if errors:
        bad += 1
        print("INVALID", a["method"], a["status"], json.dumps(a["body"], ensure_ascii=False)[:300])
        for e in errors[:3]:
            print("   ", list(e.absolute_path), e.message[:200])
print(n, "answers checked,", bad, "invalid")
sys.exit(1 if bad else 0)
"##;

#[test]
fn the_three_documents_validate_and_describe_every_route() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let mut docs = serde_json::Map::new();
    let mut files = Vec::new();
    for api in ["pki", "podpishi", "admin"] {
        let a = emu.admin_raw(&format!("openapi/{api}.json"));
        assert_eq!(a.status, 200, "{}", a.text());
        assert!(a.content_type.starts_with("application/json"));
        let doc = a.json();
        assert_eq!(doc["openapi"], "3.1.0", "{api}");
        let path = dir.path().join(format!("{api}.json"));
        std::fs::write(&path, &a.body).unwrap();
        files.push(path.to_str().unwrap().to_string());
        docs.insert(api.into(), doc);
    }
    assert_admin_error(
        &emu.admin_get("openapi/nope.json"),
        404,
        &["pki.json", "podpishi.json", "admin.json"],
    );

    // PKI: all 16 methods with their verb, request and response; the signature rules.
    let pki = &docs["pki"];
    let methods: Vec<(&str, &str)> = vec![
        ("GetVersion", "get"),
        ("GetCAList", "get"),
        ("GetCAProfileInfo", "get"),
        ("IsAvailable", "get"),
        ("RegisterInfo", "post"),
        ("GetTrackingCodeInfo", "post"),
        ("IssueCertificateByTrackingCode", "post"),
        ("RevokeCertificate", "post"),
        ("RequestApprove", "post"),
        ("GetAllCert", "get"),
        ("GetAllMobileCert", "get"),
        ("GetUserCertHistory", "post"),
        ("IssuingReport", "post"),
        ("IsApproved", "post"),
        ("RecievedCertConfirmation", "post"),
        ("GetCredit", "post"),
    ];
    for (m, verb) in &methods {
        let op = &pki["paths"][format!("/api/{m}")][verb];
        assert!(op.is_object(), "{m} {verb} missing");
        if *verb == "post" {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            assert!(schema["properties"].is_object(), "{m}: {schema}");
        }
        assert!(
            pki["components"]["schemas"][format!("{m}Response")].is_object(),
            "{m}"
        );
    }
    assert_eq!(
        pki["paths"].as_object().unwrap().len(),
        17,
        "16 methods and the CRL"
    );
    let signed = [
        (
            "RegisterInfo",
            "signature",
            "Unicode(customercode + \"-\" + NationalCode)",
        ),
        (
            "GetTrackingCodeInfo",
            "sign",
            "Unicode(nationalCode + trackingCode)",
        ),
        ("IssueCertificateByTrackingCode", "signature", "Sign(csr)"),
        ("RevokeCertificate", "signature", "Sign(certificate)"),
        (
            "RequestApprove",
            "sign",
            "Unicode(nationalCode + trackingCode + approver)",
        ),
        (
            "RecievedCertConfirmation",
            "signature",
            "Unicode(certificate)",
        ),
        (
            "GetUserCertHistory",
            "signature",
            "Unicode(SerialNumber + rnd)",
        ),
    ];
    for (m, field, formula) in signed {
        let op = &pki["paths"][format!("/api/{m}")]["post"];
        assert_eq!(op["x-signsim-signature"]["field"], field, "{m}");
        assert_eq!(op["x-signsim-signature"]["formula"], formula, "{m}");
        assert!(
            op["requestBody"]["content"]["application/json"]["schema"]["properties"][field]
                .is_object(),
            "{m}"
        );
    }
    // The documented casing, with default-world examples.
    let reg =
        &pki["paths"]["/api/RegisterInfo"]["post"]["requestBody"]["content"]["application/json"];
    assert_eq!(reg["example"]["customercode"], "10320874334-1234");
    assert_eq!(reg["example"]["personData"]["NationalCode"], "0012345679");
    assert!(pki["paths"]["/api/GetCAList"]["get"]["parameters"][0]["name"] == "Customercode");

    // Podpishi: multipart upload; every command described and exemplified as base64 XML.
    let pod = &docs["podpishi"];
    assert!(
        pod["paths"]["/api.php"]["post"]["requestBody"]["content"]["multipart/form-data"]
            .is_object()
    );
    let examples = pod["paths"]["/apistatus.php"]["post"]["requestBody"]["content"]
        ["application/x-www-form-urlencoded"]["examples"]
        .as_object()
        .unwrap();
    assert_eq!(examples.len(), 13);
    for (oper, ex) in examples {
        let xml = String::from_utf8(unb64(ex["value"]["command"].as_str().unwrap())).unwrap();
        assert!(
            xml.starts_with(&format!("<data><oper>{oper}</oper>")),
            "{xml}"
        );
    }
    // An example command works as documented.
    let ex = &examples["getavailabledocs"]["value"];
    let xml = String::from_utf8(unb64(ex["command"].as_str().unwrap())).unwrap();
    let answer = emu.pod_command_answer(
        (
            ex["login"].as_str().unwrap(),
            ex["apikey"].as_str().unwrap(),
        ),
        &xml,
    );
    assert!(answer.text().contains("err=\"no\""), "{}", answer.text());

    // The control API: every route, the documents' own route included.
    let admin = &docs["admin"];
    for path in [
        "/__admin/health",
        "/__admin/openapi/{api}.json",
        "/__admin/ui",
        "/__admin/pki/tracking/{code}/approve",
        "/__admin/requests/count",
    ] {
        assert!(admin["paths"][path].is_object(), "{path}");
    }

    if !python_has("openapi_spec_validator") {
        return;
    }
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let (ok, out) = python_stdin(VALIDATE_SPEC, &args, b"");
    assert!(ok, "openapi-spec-validator refused a document:\n{out}");
    report(&format!(
        "OpenAPI validation (openapi-spec-validator): {}",
        out.trim().replace('\n', "; ")
    ));
}

/// One PKI answer as served: its method, status and body.
struct Served {
    method: &'static str,
    status: u16,
    body: Value,
}

fn get(emu: &TestEmulator, served: &mut Vec<Served>, m: &'static str, q: &[(&str, &str)]) -> Value {
    let (status, body) = emu.get(m, q);
    served.push(Served {
        method: m,
        status,
        body: body.clone(),
    });
    body
}

fn post(emu: &TestEmulator, served: &mut Vec<Served>, m: &'static str, body: &Value) -> Value {
    let (status, b) = emu.post(m, body);
    served.push(Served {
        method: m,
        status,
        body: b.clone(),
    });
    b
}

#[test]
fn every_served_pki_answer_matches_its_response_schema() {
    let emu = TestEmulator::spawn();
    let mut served: Vec<Served> = Vec::new();
    get(&emu, &mut served, "GetVersion", &[]);
    get(
        &emu,
        &mut served,
        "GetCAList",
        &[("Customercode", "10320874334")],
    );
    get(
        &emu,
        &mut served,
        "GetCAList",
        &[("Customercode", "99999999999")],
    );
    get(
        &emu,
        &mut served,
        "GetCAProfileInfo",
        &[("Customercode", "10320874334"), ("caName", "01")],
    );
    get(
        &emu,
        &mut served,
        "GetCAProfileInfo",
        &[("Customercode", "10320874334"), ("caName", "77")],
    );
    get(&emu, &mut served, "IsAvailable", &[("caName", "01")]);
    get(&emu, &mut served, "IsAvailable", &[]);
    // A lifecycle: register, info, issue, confirm, history, reports, revoke.
    let reg = post(
        &emu,
        &mut served,
        "RegisterInfo",
        &Customer::A.register_body("01", "Bronze-Sign", mehdi()),
    );
    let tc = reg["TrackingCode"].as_str().unwrap().to_string();
    let mut bad = Customer::A.register_body("01", "Bronze-Sign", zahra());
    bad["signature"] = json!(Customer::A.sign(b"not the text"));
    post(&emu, &mut served, "RegisterInfo", &bad);
    post(&emu, &mut served, "RegisterInfo", &json!({"caName": "01"}));
    let national = "0012345679";
    post(
        &emu,
        &mut served,
        "GetTrackingCodeInfo",
        &json!({"nationalCode": national, "trackingCode": tc, "customercode": Customer::A.customercode(), "sign": Customer::A.sign_unicode(&format!("{national}{tc}"))}),
    );
    post(
        &emu,
        &mut served,
        "GetTrackingCodeInfo",
        &json!({"nationalCode": national, "trackingCode": "999", "customercode": Customer::A.customercode(), "sign": Customer::A.sign_unicode(&format!("{national}999"))}),
    );
    let dir = tempfile::tempdir().unwrap();
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let issued = post(
        &emu,
        &mut served,
        "IssueCertificateByTrackingCode",
        &Customer::A.issue_body("01", "Bronze-Sign", &tc, &csr),
    );
    post(
        &emu,
        &mut served,
        "IssueCertificateByTrackingCode",
        &Customer::A.issue_body("01", "Bronze-Sign", "4242", &csr),
    );
    let cert = issued["Certificate"].as_str().unwrap().to_string();
    post(
        &emu,
        &mut served,
        "RecievedCertConfirmation",
        &json!({"certificate": cert, "signature": Customer::A.sign_unicode(&cert), "customercode": Customer::A.customercode(), "trackingCode": tc}),
    );
    post(
        &emu,
        &mut served,
        "RecievedCertConfirmation",
        &json!({"certificate": "bm90IGEgY2VydA==", "signature": Customer::A.sign_unicode("bm90IGEgY2VydA=="), "customercode": Customer::A.customercode(), "trackingCode": tc}),
    );
    let rnd = "r-1";
    post(
        &emu,
        &mut served,
        "GetUserCertHistory",
        &json!({"SerialNumber": national, "customercode": Customer::A.customercode(), "rnd": rnd, "signature": Customer::A.sign_unicode(&format!("{national}{rnd}"))}),
    );
    post(
        &emu,
        &mut served,
        "GetUserCertHistory",
        &json!({"SerialNumber": national, "customercode": Customer::A.customercode(), "rnd": "", "signature": Customer::A.sign_unicode(national)}),
    );
    get(
        &emu,
        &mut served,
        "GetAllCert",
        &[("SerialNumber", national)],
    );
    get(&emu, &mut served, "GetAllCert", &[]);
    get(
        &emu,
        &mut served,
        "GetAllMobileCert",
        &[("NationalCode", national)],
    );
    get(
        &emu,
        &mut served,
        "GetAllMobileCert",
        &[("TrackingCode", &tc), ("CAName", "01")],
    );
    for kind in ["PerCA", "PerCA&Status", "detail"] {
        let rows = post(
            &emu,
            &mut served,
            "IssuingReport",
            &json!({"reportkey": "report-key-A-0001", "customercode": "10320874334", "startdate": "2026/06/01", "enddate": "1405/03/11", "type": kind, "id": ""}),
        );
        assert!(
            rows.as_array().is_some_and(|r| !r.is_empty()),
            "{kind}: {rows}"
        );
    }
    post(
        &emu,
        &mut served,
        "IssuingReport",
        &json!({"reportkey": "wrong", "customercode": "10320874334", "startdate": "2026/06/01", "enddate": "2026/06/01", "type": "PerCA", "id": ""}),
    );
    post(
        &emu,
        &mut served,
        "GetCredit",
        &json!({"reportkey": "report-key-A-0001", "customercode": "10320874334"}),
    );
    post(
        &emu,
        &mut served,
        "GetCredit",
        &json!({"reportkey": "nope", "customercode": "10320874334"}),
    );
    post(
        &emu,
        &mut served,
        "RevokeCertificate",
        &Customer::A.revoke_body(&cert, 1),
    );
    post(
        &emu,
        &mut served,
        "RevokeCertificate",
        &Customer::A.revoke_body(&cert, 1),
    );
    // Approval: in person and by face authentication, IsApproved before and after.
    let waiting = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", zahra());
    post(
        &emu,
        &mut served,
        "IsApproved",
        &json!({"trackingCode": waiting}),
    );
    post(
        &emu,
        &mut served,
        "IsApproved",
        &json!({"trackingCode": "31337"}),
    );
    let text = approval_text("0023456787", &waiting, APPROVER_1);
    let cms = openssl_cms_sign("approver-1", &utf16le(&text), false, false);
    post(
        &emu,
        &mut served,
        "RequestApprove",
        &Customer::A.request_approve_body(
            "0023456787",
            &waiting,
            APPROVER_1,
            Some(&b64(&cms)),
            None,
        ),
    );
    post(
        &emu,
        &mut served,
        "RequestApprove",
        &Customer::A.request_approve_body(
            "0023456787",
            &waiting,
            APPROVER_1,
            Some(&b64(&cms)),
            None,
        ),
    );
    post(
        &emu,
        &mut served,
        "IsApproved",
        &json!({"trackingCode": waiting}),
    );
    // Transport refusals in each envelope: wrong verb, wrong content type, malformed body.
    for (m, body) in [("IsApproved", "{"), ("RegisterInfo", "[1]")] {
        let (status, b) = emu.post_raw(m, "application/json", body.as_bytes().to_vec());
        served.push(Served {
            method: m,
            status,
            body: b,
        });
    }
    let (status, b) = emu.post_raw("GetCredit", "text/plain", b"{}".to_vec());
    served.push(Served {
        method: "GetCredit",
        status,
        body: b,
    });
    let (status, b) = emu.post("GetVersion", &json!({}));
    served.push(Served {
        method: "GetVersion",
        status,
        body: b,
    });
    let (status, b) = emu.get("RegisterInfo", &[]);
    served.push(Served {
        method: "RegisterInfo",
        status,
        body: b,
    });
    let (status, b) = emu.get("IsAvailable", &[("caName", "03")]);
    served.push(Served {
        method: "IsAvailable",
        status,
        body: b,
    });

    let covered: std::collections::BTreeSet<&str> = served.iter().map(|s| s.method).collect();
    assert_eq!(covered.len(), 16, "every method answered: {covered:?}");
    let statuses: std::collections::BTreeSet<u16> = served.iter().map(|s| s.status).collect();
    for s in [200, 400, 401, 405, 415] {
        assert!(statuses.contains(&s), "no {s} among {statuses:?}");
    }
    assert!(served
        .iter()
        .any(|s| s.body["IsSuccess"] == false && s.status == 200));
    assert!(served.iter().any(|s| s.body["ResultCode"] == false));

    if !python_has("jsonschema") {
        return;
    }
    let doc = emu.admin_raw("openapi/pki.json");
    let path = dir.path().join("pki.json");
    std::fs::write(&path, &doc.body).unwrap();
    let lines: String = served
        .iter()
        .map(|s| json!({"method": s.method, "status": s.status, "body": s.body}).to_string() + "\n")
        .collect();
    let (ok, out) = python_stdin(
        VALIDATE_ANSWERS,
        &[path.to_str().unwrap()],
        lines.as_bytes(),
    );
    assert!(ok, "answers that do not match the document:\n{out}");
    report(&format!(
        "OpenAPI: {} served PKI answers of all 16 methods ({} statuses) match their response schemas: {}",
        served.len(),
        statuses.len(),
        out.trim()
    ));
    // A schema that could not fail would prove nothing: an extra property is refused.
    let tampered = json!({"method": "GetVersion", "status": 200, "body": {"IsSuccess": true, "Version": "1.8", "ErrorCode": 0, "ErrorMessage": "", "Extra": 1}}).to_string() + "\n";
    let (ok, out) = python_stdin(
        VALIDATE_ANSWERS,
        &[path.to_str().unwrap()],
        tampered.as_bytes(),
    );
    assert!(!ok, "{out}");
}
