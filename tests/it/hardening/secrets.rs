//! Secrets are masked everywhere the control API shows them: the journal
//! never holds a P12 `password`, a `reportkey`, a `sesspass` or an apikey; the PKI state dump
//! holds no PKCS#12 (whose private key it would hand out) and no password hash; the PKCS#12 is
//! downloaded only by name from `GET /__admin/pki/tracking/{code}/p12`, and openssl opens it.

use super::*;
use serde_json::json;

const PASSWORD: &str = "P12-secret 4711";

/// Everything the control API would show a reader: the journal, both state dumps, the
/// tracking records and the accounts.
fn everything_shown(emu: &TestEmulator, tracking: &str) -> String {
    [
        emu.admin_ok("requests").to_string(),
        emu.admin_ok("pki/state").to_string(),
        emu.admin_ok("podpishi/state").to_string(),
        emu.admin_ok(&format!("pki/tracking/{tracking}"))
            .to_string(),
        emu.admin_ok("pki/tracking?nationalCode=0012345679")
            .to_string(),
        emu.admin_ok("podpishi/accounts/alfa@test.kz").to_string(),
        emu.admin_ok("podpishi/accounts/partner@test.kz")
            .to_string(),
    ]
    .join("\n")
}

#[test]
fn no_secret_is_shown_and_the_p12_is_a_named_download() {
    let emu = TestEmulator::spawn();
    let mut person = mehdi();
    person["TokenType"] = json!("P12");
    person["password"] = json!(PASSWORD);
    let tracking = emu.register(&Customer::A, "01", "Bronze-Sign", person);
    let mut body = Customer::A.issue_body("01", "Bronze-Sign", &tracking, b"");
    body["csr"] = json!("none");
    body["signature"] = json!(Customer::A.sign(b"none"));
    body["password"] = json!(PASSWORD);
    let (status, issued) = emu.post("IssueCertificateByTrackingCode", &body);
    assert_eq!(status, 200, "{issued}");
    let p12_b64 = issued["Certificate"].as_str().unwrap().to_string();
    // A report key and a partner session.
    assert!(emu.credit(&Customer::A) > 0);
    let x = answer_xml(&emu.pod_oper(
        PARTNER,
        "<oper>reguserbypartner</oper><email>client@shop.kz</email><remoteid>42</remoteid>",
    ));
    assert!(x.contains("<serviceid>5001</serviceid>"), "{x}");
    let x = answer_xml(&emu.pod_oper(
        PARTNER,
        "<oper>authuserbypartner</oper><serviceid>5001</serviceid><remoteid>42</remoteid><userip>10.0.0.1</userip>",
    ));
    let sesspass = x
        .split("<sesspass>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(sesspass.len(), 32, "{x}");
    assert!(emu
        .pod_upload(Upload::alfa_to_beta("rk-secret"))
        .1
        .contains(">ok</doc>"));

    let shown = everything_shown(&emu, &tracking);
    for (what, secret) in [
        ("the P12 password", PASSWORD),
        ("the report key", Customer::A.report_key),
        ("the session password", sesspass.as_str()),
        ("alfa's apikey", ALFA.1),
        ("the partner's apikey", PARTNER.1),
        ("the PKCS#12", &p12_b64[..200]),
    ] {
        assert!(
            !shown.contains(secret),
            "{what} is shown by the control API"
        );
    }
    // Masked where they were, so a reader still sees that they were sent.
    let register = &emu.journal("operation=RegisterInfo")[0];
    assert_eq!(
        register["request"]["personData"]["password"], "********",
        "{register}"
    );
    let credit = &emu.journal("operation=GetCredit")[0];
    assert_eq!(credit["request"]["reportkey"], "********", "{credit}");
    let auth = &emu.journal("operation=authuserbypartner")[0];
    assert!(
        auth["response"]
            .as_str()
            .unwrap()
            .contains("<sesspass>********</sesspass>"),
        "{auth}"
    );
    let rec = emu.admin_ok(&format!("pki/tracking/{tracking}"));
    assert_eq!(rec["p12_password_sha256"], "********", "{rec}");
    let p12 = &rec["issue"]["p12"];
    let der = unb64(&p12_b64);
    assert_eq!(p12["bytes"], der.len(), "{rec}");
    assert_eq!(p12["sha256"], sha256_hex(&der));
    assert_eq!(
        p12["download"],
        format!("/__admin/pki/tracking/{tracking}/p12")
    );

    // The one place the key is handed out: asked for by name, the bytes issued, opened by openssl.
    let a = emu.admin_raw(&format!("pki/tracking/{tracking}/p12"));
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (200, "application/x-pkcs12")
    );
    assert_eq!(a.body, der);
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "token.p12", &a.body);
    let keys = run(
        "openssl",
        &[
            "pkcs12",
            "-in",
            file.to_str().unwrap(),
            "-passin",
            &format!("pass:{PASSWORD}"),
            "-nocerts",
            "-nodes",
        ],
        b"",
    );
    assert!(String::from_utf8_lossy(&keys).contains("PRIVATE KEY"));
    // A USERGENERATED record, an unknown code: no PKCS#12 to give.
    let other = emu.register(&Customer::A, "01", "Bronze-Sign", reza());
    let (s, v) = emu.admin_get(&format!("pki/tracking/{other}/p12"));
    assert_eq!(s, 404, "{v}");
    assert!(error_of(&v).contains("has no PKCS#12"), "{v}");
    assert_eq!(emu.admin_get("pki/tracking/999/p12").0, 404);
    // The download itself is journaled without the key.
    let dl = &emu.journal("operation=pki.tracking.p12&include=admin")[0];
    assert!(!dl.to_string().contains(&p12_b64[..64]), "{dl}");
}
