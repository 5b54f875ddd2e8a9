//! A client that sends exactly what the documents show passes under `--portability refuse`
//! with no warning: the whole PKI lifecycle sent as a PHP client (`json_encode`: `\/` and
//! `\uXXXX` escapes) and as a .NET client (`System.Text.Json`: `\uXXXX` for non-ASCII and
//! HTML-sensitive characters, `application/json; charset=utf-8`), and the whole Podpishi
//! document flow (upload, getstatus, the counterparty's addsignature, getdoc, getlistdocs,
//! getavailabledocs, delpermission) — refuse turns every leniency into a refusal, so a flow
//! that relies on one fails here.

use crate::helpers::*;
use serde_json::{json, Value};

fn refusing() -> TestEmulator {
    TestEmulator::spawn_edited(|s| {
        s.replacen("portability = \"warn\"", "portability = \"refuse\"", 1)
    })
}

/// How a client writes its JSON bodies.
#[derive(Clone, Copy, Debug)]
enum Client {
    /// PHP's `json_encode` with default flags, sent by curl.
    Php,
    /// .NET's `System.Text.Json` with the default encoder, sent by `HttpClient`.
    Dotnet,
}

impl Client {
    fn content_type(self) -> &'static str {
        match self {
            Client::Php => "application/json",
            Client::Dotnet => "application/json; charset=utf-8",
        }
    }

    /// `v` serialized as this client's library does.
    fn encode(self, v: &Value) -> Vec<u8> {
        let plain = serde_json::to_string(v).unwrap();
        let mut out = String::new();
        for c in plain.chars() {
            let escape = match self {
                Client::Php => !c.is_ascii(),
                Client::Dotnet => !c.is_ascii() || matches!(c, '+' | '<' | '>' | '&' | '\''),
            };
            if matches!(self, Client::Php) && c == '/' {
                out.push_str("\\/");
            } else if escape {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            } else {
                out.push(c);
            }
        }
        out.into_bytes()
    }

    fn post(self, emu: &TestEmulator, method: &str, body: &Value) -> Value {
        let (status, answer) = emu.post_raw(method, self.content_type(), self.encode(body));
        assert_eq!(status, 200, "{self:?} {method}: {answer}");
        let ok = answer
            .get("IsSuccess")
            .or_else(|| answer.get("ResultCode"))
            .cloned();
        assert_eq!(ok, Some(json!(true)), "{self:?} {method}: {answer}");
        answer
    }
}

fn pki_lifecycle(client: Client) {
    let emu = refusing();
    let c = &Customer::A;
    let person = mehdi();
    let national = person["NationalCode"].as_str().unwrap().to_string();

    let (status, cas) = emu.get("GetCAList", &[("Customercode", c.code)]);
    assert_eq!(status, 200, "{client:?} GetCAList: {cas}");
    let (status, profile) = emu.get(
        "GetCAProfileInfo",
        &[("Customercode", c.code), ("caName", "01")],
    );
    assert_eq!(status, 200, "{client:?} GetCAProfileInfo: {profile}");

    let registered = client.post(
        &emu,
        "RegisterInfo",
        &c.register_body("01", "Bronze-Sign", person),
    );
    let tracking = registered["TrackingCode"]
        .as_str()
        .unwrap_or_else(|| panic!("{registered}"))
        .to_string();

    let dir = tempfile::tempdir().unwrap();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let issued = client.post(
        &emu,
        "IssueCertificateByTrackingCode",
        &c.issue_body("01", "Bronze-Sign", &tracking, &csr),
    );
    let cert = issued["Certificate"]
        .as_str()
        .unwrap_or_else(|| panic!("{issued}"))
        .to_string();

    client.post(
        &emu,
        "RecievedCertConfirmation",
        &json!({
            "certificate": cert,
            "signature": c.sign_unicode(&cert),
            "customercode": c.customercode(),
            "trackingCode": tracking,
        }),
    );
    client.post(
        &emu,
        "GetTrackingCodeInfo",
        &json!({
            "nationalCode": national,
            "trackingCode": tracking,
            "customercode": c.customercode(),
            "sign": c.sign_unicode(&format!("{national}{tracking}")),
        }),
    );
    let rnd = format!("{client:?}-flow-1");
    let history = client.post(
        &emu,
        "GetUserCertHistory",
        &json!({
            "customercode": c.customercode(),
            "SerialNumber": national,
            "rnd": rnd,
            "signature": c.sign_unicode(&format!("{national}{rnd}")),
        }),
    );
    assert!(
        history.to_string().contains(&tracking),
        "{client:?}: the history lists the lifecycle: {history}"
    );
    client.post(&emu, "RevokeCertificate", &c.revoke_body(&cert, 4));

    let (status, crl) = emu.get_bytes("/crl/01.crl");
    assert_eq!(status, 200, "{client:?}: the CRL");
    assert!(!crl.is_empty());
    let warnings = emu.admin_ok("warnings");
    assert_eq!(
        warnings["kinds"],
        json!({}),
        "{client:?}: nothing relied on: {warnings}"
    );
}

#[test]
fn a_php_client_runs_the_pki_lifecycle_under_refuse_without_a_warning() {
    pki_lifecycle(Client::Php);
}

#[test]
fn a_dotnet_client_runs_the_pki_lifecycle_under_refuse_without_a_warning() {
    pki_lifecycle(Client::Dotnet);
}

#[test]
fn the_podpishi_document_flow_runs_under_refuse_without_a_warning() {
    let emu = refusing();
    let num = emu.pod_upload_num(Upload::alfa_to_beta("FLOW-1"));
    let status = emu.pod_getstatus(ALFA, &num);
    let receiver = permissions(&status)
        .into_iter()
        .find(|p| p.get("signed_type").map(String::as_str) == Some("2"))
        .unwrap_or_else(|| panic!("no permission to sign: {status}"));
    let i = receiver["i"].clone();

    // The counterparty signs with its own key, as its client would.
    let der = openssl_cms_sign_kz("petrova", &contract(), false, true);
    assert_command_ok(&emu.pod_addsignature(BETA, &num, &i, &der), "addsignature");
    assert!(
        emu.pod_getstatus(ALFA, &num).contains("signed='1'"),
        "{}",
        emu.pod_getstatus(ALFA, &num)
    );
    let files = emu.pod_getdoc_files(ALFA, &num);
    assert!(files.iter().any(|(n, _)| n == "contract.txt"), "{files:?}");

    let list = emu.pod_oper(
        ALFA,
        "<oper>getlistdocs</oper><time1>20260601000000</time1><time2>20260601235959</time2>",
    );
    assert!(answer_xml(&list).contains(&num), "{}", list.text());
    let available = emu.pod_oper(ALFA, "<oper>getavailabledocs</oper>");
    assert!(
        answer_xml(&available).contains("err=\"no\""),
        "{}",
        available.text()
    );

    // The owner withdraws the receiver's right to sign a second document.
    let second = emu.pod_upload_num(Upload::alfa_to_beta("FLOW-2"));
    let status = emu.pod_getstatus(ALFA, &second);
    let receiver = permissions(&status)
        .into_iter()
        .find(|p| p.get("signed_type").map(String::as_str) == Some("2"))
        .unwrap_or_else(|| panic!("no permission to sign: {status}"));
    assert_command_ok(
        &emu.pod_delpermission(ALFA, &second, &receiver["i"]),
        "delpermission",
    );
    let warnings = emu.admin_ok("warnings");
    assert_eq!(
        warnings["kinds"],
        json!({}),
        "nothing relied on: {warnings}"
    );
}
