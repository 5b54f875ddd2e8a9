//! Podpishi.Online under `/__admin/podpishi/`: documents, accounts, the outbox and partner
//! transactions, and the counterparty's cabinet step (sign with a real CMS, or refuse).

use crate::helpers::*;
use serde_json::{json, Value};

#[test]
fn podpishi_documents_accounts_outbox_and_partner_transactions() {
    let emu = TestEmulator::spawn();
    let alfa = emu.admin_ok("podpishi/accounts/alfa@test.kz");
    assert_eq!(alfa["login"], ALFA.0, "{alfa}");
    assert_eq!(alfa["balance"], 10, "{alfa}");
    assert_eq!(alfa["bins"], json!([ALFA_BIN]), "{alfa}");
    assert_eq!(alfa["blocked"], false, "{alfa}");
    assert_eq!(emu.admin_ok("podpishi/outbox"), json!([]));
    assert_eq!(emu.admin_ok("podpishi/partner-transactions"), json!([]));

    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("ADM-1")).1);
    assert_eq!(emu.admin_ok("podpishi/accounts/alfa@test.kz")["balance"], 9);
    assert_eq!(emu.admin_ok("podpishi/accounts/beta@test.kz")["balance"], 5);

    let doc = emu.admin_ok(&format!("podpishi/documents/{num}"));
    assert_eq!(doc["num"], 1001, "{doc}");
    assert_eq!(doc["owner_login"], ALFA.0, "{doc}");
    assert_eq!(doc["owner_bin"], ALFA_BIN, "{doc}");
    assert_eq!(doc["receiver_bin"], BETA_BIN, "{doc}");
    assert_eq!(doc["reference"], "ADM-1", "{doc}");
    assert_eq!(doc["created"], TEST_CLOCK, "{doc}");
    assert_eq!(
        doc["files"],
        json!([{"name": "contract.txt", "sha256": sha256_hex(&contract()), "size": contract().len()}]),
        "{doc}"
    );
    let perms = doc["permissions"].as_array().unwrap();
    assert_eq!(perms.len(), 2, "{doc}");
    assert_eq!(perms[1]["must_signed_by_bin"], BETA_BIN, "{doc}");
    assert_eq!(perms[1]["signed"], false, "{doc}");

    let outbox = emu.admin_ok("podpishi/outbox");
    assert_eq!(outbox.as_array().unwrap().len(), 1, "{outbox}");
    assert_eq!(outbox[0]["to"], "beta@test.kz", "{outbox}");
    assert_eq!(outbox[0]["document"], 1001, "{outbox}");

    let x = emu.pod_command(PARTNER, "<data><oper>addpackage2client</oper><refnum>77</refnum><bin2client>160940007893</bin2client><packet>1</packet><time>20260601130000</time></data>").1;
    assert!(x.contains("err=\"no\""), "{x}");
    let trn = emu.admin_ok("podpishi/partner-transactions");
    let values: Vec<&Value> = trn
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["value"])
        .filter(|v| v.get("refnum").is_some())
        .collect();
    assert!(!values.is_empty(), "{trn}");
    for v in &values {
        assert_eq!(v["partner"], PARTNER.0, "{trn}");
        assert_eq!(v["bin2client"], GAMMA_BIN, "{trn}");
        assert_eq!(v["packet"], 1, "{trn}");
        assert_eq!(v["count"], 10, "{trn}");
        assert_eq!(v["refnum"], 77, "{trn}");
    }
    assert_eq!(
        emu.admin_ok("podpishi/accounts/gamma@test.kz")["balance"],
        10
    );

    let (status, body) = emu.admin_get("podpishi/documents/4711");
    assert_eq!(status, 404, "{body}");
    assert!(
        error_of(&body).contains("there is no document 4711"),
        "{body}"
    );
    let (status, body) = emu.admin_get("podpishi/nothing-here");
    assert_eq!(status, 404, "{body}");
}

#[test]
fn an_unknown_podpishi_account_is_not_found_like_an_unknown_document() {
    let emu = TestEmulator::spawn();
    let (status, body) = emu.admin_get("podpishi/accounts/nobody@test.kz");
    assert!(
        error_of(&body).contains("there is no account 'nobody@test.kz'"),
        "{body}"
    );
    assert_eq!(
        status, 404,
        "an unknown account should be 404 like documents/{{num}} and the PKI's unknown records: {body}"
    );
}

#[test]
fn podpishi_counterparty_signs_with_real_cms_or_refuses() {
    let emu = TestEmulator::spawn();
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("SIGN-1")).1);
    let (status, body) = emu.pod_admin_sign(&num, &json!({"signer": "petrova", "action": "sign"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["i"], 2, "{body}");
    assert_eq!(body["signed"], 1, "{body}");
    assert_eq!(body["signed_bin"], BETA_BIN, "{body}");
    assert_eq!(body["signed_fio"], "ПЕТРОВА ЕЛЕНА СЕРГЕЕВНА", "{body}");
    assert_eq!(body["signed_firm"], "АО «Бета Тест»", "{body}");
    let doc = emu.admin_ok(&format!("podpishi/documents/{num}"));
    assert_eq!(doc["permissions"][1]["signed"], true, "{doc}");
    assert_eq!(doc["permissions"][1]["signed_date"], TEST_CLOCK, "{doc}");
    let s = emu.pod_status(ALFA, &num);
    assert!(
        s.contains("i='2' is_own_doc='1' created='20260601130000' signed_type='2' must_signed_by_bin='160940004561' signed='1' signed_bin='160940004561' signed_fio='ПЕТРОВА ЕЛЕНА СЕРГЕЕВНА'"),
        "{s}"
    );
    // getdoc's ZIP carries the signature; openssl verifies it over the document.
    let (_, zip) = emu.pod_command_bytes(
        ALFA,
        &format!(
            "<data><oper>getdoc</oper><docnum>{num}</docnum><time>20260601130000</time></data>"
        ),
    );
    let files = unzip(&zip);
    let p7s = files
        .iter()
        .find(|(n, _)| n == "signature-2-160940004561.p7s")
        .unwrap_or_else(|| panic!("{:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>()));
    assert_eq!(p7s.1, unb64(body["signature_pem"].as_str().unwrap()));
    openssl_cms_verify(&p7s.1, Some(&contract())).unwrap();
    assert!(openssl_cms_verify(&p7s.1, Some(b"other content")).is_err());

    // Refuse on another document.
    let num2 = doc_num(&emu.pod_upload(Upload::alfa_to_beta("SIGN-2")).1);
    let (status, body) = emu.pod_admin_sign(&num2, &json!({"action": "refuse"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sign_deleted"], 1, "{body}");
    assert!(emu.pod_status(BETA, &num2).contains("must_signed_by_bin='160940004561' signed='0' signed_bin='' signed_fio='' signed_firm='' signed_policy='0' signed_date='' sign_deleted='1'"));

    // Refusals change nothing.
    let before = emu.admin_ok("podpishi/state");
    let (status, body) = emu.pod_admin_sign(&num2, &json!({"signer": "nobody"}));
    assert_eq!(status, 400, "{body}");
    assert!(
        error_of(&body).contains("signer 'nobody' is not a test signer"),
        "{body}"
    );
    let (status, body) = emu.pod_admin_sign(&num, &json!({"signer": "petrova", "action": "stamp"}));
    assert_eq!(status, 400, "{body}");
    assert!(
        error_of(&body).contains("action 'stamp' is not sign or refuse"),
        "{body}"
    );
    let (status, body) = emu.pod_admin_sign("4711", &json!({"signer": "petrova"}));
    assert_eq!(status, 404, "{body}");
    assert_eq!(emu.admin_ok("podpishi/state"), before);
}
