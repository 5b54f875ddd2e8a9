//! Renewal (تمدید, the PKI document, line 48, which gives it no method of its own), walked as a
//! client does it over HTTP (docs/pki.md#renewal): issue; end the lifecycle — revoke, or let the
//! certificate expire by moving the clock (`/__admin/clock`); RegisterInfo again gets the same
//! tracking code (one tracking code per subject DN, lines 403–405), its lifecycle restarted;
//! issue a new certificate; the history keeps every certificate.

use crate::helpers::*;
use serde_json::{json, Value};

const MEHDI: &str = "0012345679";

fn history(emu: &TestEmulator, rnd: &str) -> Vec<Value> {
    let (status, body) = emu.post(
        "GetUserCertHistory",
        &json!({
            "SerialNumber": MEHDI,
            "customercode": Customer::A.customercode(),
            "rnd": rnd,
            "signature": Customer::A.sign_unicode(&format!("{MEHDI}{rnd}")),
        }),
    );
    assert_eq!((status, &body["IsSuccess"]), (200, &json!(true)), "{body}");
    body["CertList"].as_array().cloned().unwrap_or_default()
}

/// `(TrackingCode, Status, Certificate)` of each history item, in order.
fn lives(items: &[Value]) -> Vec<(String, String, String)> {
    items
        .iter()
        .map(|i| {
            let s = |k: &str| i[k].as_str().unwrap_or_default().to_string();
            (s("TrackingCode"), s("Status"), s("Certificate"))
        })
        .collect()
}

fn move_clock(emu: &TestEmulator, by: &str) {
    let r = emu
        .client
        .post(format!("{}/__admin/clock", emu.url))
        .json(&json!({ "advance": by }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

fn active_certificate(register_answer: &Value) -> Value {
    let d: Value = serde_json::from_str(register_answer["Description"].as_str().unwrap()).unwrap();
    d["Certificate"].clone()
}

#[test]
fn renewing_after_revocation_and_after_expiry_keeps_the_tracking_code_and_every_certificate() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let credit = emu.credit(&Customer::A);

    // The first certificate.
    let t = emu.register_mehdi();
    let first = emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    let cert1 = first["Certificate"].as_str().unwrap().to_string();

    // Renewal before it expires (a new key): revoke it — 4 = superseded — and register again.
    assert_ok(&emu.revoke_certificate(&Customer::A, &cert1, 4));
    let (status, again) = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        again["TrackingCode"],
        t.as_str(),
        "the same tracking code: {again}"
    );
    assert_eq!(active_certificate(&again), Value::Null, "{again}");
    assert_eq!(emu.state_of(&t), "Registered");
    let second = emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    let cert2 = second["Certificate"].as_str().unwrap().to_string();
    assert_ne!(cert1, cert2);
    assert_eq!(second["PaymentStatus"], "Paid", "{second}");
    assert_eq!(
        lives(&history(&emu, "renewal-1")),
        vec![
            (t.clone(), "Revoked".into(), cert1.clone()),
            (t.clone(), "Issued".into(), cert2.clone()),
        ]
    );
    // RegisterInfo now returns the renewed certificate, as for any active one.
    let (_, repeat) = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    assert_eq!(repeat["TrackingCode"], t.as_str());
    assert_eq!(active_certificate(&repeat), json!(cert2));

    // Renewal after expiry: past NotAfter the lifecycle has ended; registering restarts it.
    move_clock(&emu, "366d");
    let (_, after) = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    assert_eq!(after["TrackingCode"], t.as_str(), "{after}");
    assert_eq!(active_certificate(&after), Value::Null, "{after}");
    assert_eq!(
        lives(&history(&emu, "renewal-2")),
        vec![
            (t.clone(), "Revoked".into(), cert1.clone()),
            (t.clone(), "Expired".into(), cert2.clone()),
            (t.clone(), "Registered".into(), String::new()),
        ]
    );
    // The expired certificate belongs to an ended lifecycle: it is not revoked in the new one.
    let resp = emu.revoke_certificate(&Customer::A, &cert2, 4);
    assert_refused(&resp, 200, 402, &["ended lifecycle", &t]);
    assert_eq!(emu.state_of(&t), "Registered");
    let third = emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    let (_, all) = emu.get("GetAllCert", &[("SerialNumber", MEHDI)]);
    let active: Vec<&str> = all["CertList"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["Certificate"].as_str())
        .collect();
    assert_eq!(
        active,
        vec![third["Certificate"].as_str().unwrap()],
        "{all}"
    );
    assert_eq!(emu.credit(&Customer::A), credit - 3 * 150_000);

    // The transitions the observer saw: a register from Revoked and one from Issued (expired).
    let registers: Vec<String> = emu
        .journal("operation=RegisterInfo")
        .iter()
        .flat_map(|e| e["changes"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["transition"] == "register")
        .map(|c| {
            format!(
                "{} → {}",
                c["from"].as_str().unwrap(),
                c["to"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        registers,
        vec![
            "[*] → Registered",
            "Revoked → Registered",
            "Issued → Registered"
        ]
    );
}

#[test]
fn the_government_public_ca_gives_a_new_tracking_code_as_the_document_excepts_it() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let t = emu.register(&Customer::A, "03", "Gov-Sign", mehdi());
    let issued = emu.issue(
        &Customer::A,
        "03",
        "Gov-Sign",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    assert_ok(&emu.revoke_certificate(&Customer::A, issued["Certificate"].as_str().unwrap(), 4));
    let again = emu.register(&Customer::A, "03", "Gov-Sign", mehdi());
    assert_ne!(
        again, t,
        "the government public CA is the document's exception"
    );
    assert_eq!(emu.state_of(&t), "Revoked");
    assert_eq!(emu.state_of(&again), "Registered");
}
