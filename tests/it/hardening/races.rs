//! Every "exactly one" rule under simultaneous attempts (a barrier releases the threads
//! together): one upload per `uniq_reference`, one charge for the last credit, one stored
//! signature per permission, one tracking code per subject, one credit per partner `refnum`,
//! one revocation per certificate, one account per partner-registered email.

use super::*;
use serde_json::json;
use std::sync::Barrier;

const N: usize = 16;

/// Runs `f(i)` on `n` threads released at once; the results in order.
fn race<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let barrier = Barrier::new(n);
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, f) = (&barrier, &f);
                s.spawn(move || {
                    barrier.wait();
                    f(i)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn one_upload_per_uniq_reference() {
    let emu = TestEmulator::spawn();
    let balance = emu.pod_balance(ALFA);
    let answers = race(N, |_| emu.pod_upload(Upload::alfa_to_beta("rk-race")).1);
    let ok = answers.iter().filter(|x| x.contains(">ok</doc>")).count();
    let dup = answers
        .iter()
        .filter(|x| x.contains("Document already exist at DB"))
        .count();
    assert_eq!((ok, dup), (1, N - 1), "{answers:?}");
    assert_eq!(emu.pod_balance(ALFA), balance - 1);
    assert_eq!(
        emu.admin_ok("podpishi/state")["documents"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn the_last_credit_is_spent_once() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        emu.admin_post("pki/customers/10320874334/credit", &json!({"set": 150000}))
            .0,
        200
    );
    let codes = [
        emu.register_mehdi(),
        emu.register(&Customer::A, "01", "Bronze-Sign", reza()),
    ];
    let bodies: Vec<Value> = (0..N)
        .map(|i| {
            let (_, csr) = openssl_csr(dir.path(), 2048);
            Customer::A.issue_body("01", "Bronze-Sign", &codes[i % 2], &csr)
        })
        .collect();
    let answers = race(N, |i| {
        emu.post("IssueCertificateByTrackingCode", &bodies[i]).1
    });
    let paid = answers
        .iter()
        .filter(|v| v["PaymentStatus"] == "Paid")
        .count();
    assert_eq!(paid, 1, "{answers:?}");
    assert_eq!(emu.credit(&Customer::A), 0);
    let issued = emu.admin_ok("pki/state")["certificates"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(issued, 1);
}

#[test]
fn one_signature_per_permission() {
    let emu = TestEmulator::spawn();
    let num = emu.pod_upload_num(Upload::alfa_to_beta("rk-sig"));
    let petrova = openssl_cms_sign_kz("petrova", &contract(), false, true);
    let answers = race(N, |_| emu.pod_addsignature(BETA, &num, "2", &petrova));
    let ok = answers
        .iter()
        .filter(|a| a.text().contains("err=\"no\""))
        .count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        answers.iter().map(Answer::text).collect::<Vec<_>>()
    );
    let doc = emu.admin_ok(&format!("podpishi/documents/{num}"));
    let signed = doc["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["signed"] == true)
        .count();
    assert_eq!(signed, 1, "{doc}");
}

#[test]
fn one_tracking_code_per_subject() {
    let emu = TestEmulator::spawn();
    let body = Customer::A.register_body("01", "Bronze-Sign", mehdi());
    let answers = race(N, |_| emu.post("RegisterInfo", &body).1);
    let codes: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|v| {
            v["TrackingCode"]
                .as_str()
                .unwrap_or_else(|| panic!("{v}"))
                .to_string()
        })
        .collect();
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(
        emu.admin_ok("pki/state")["tracking"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn one_credit_per_partner_refnum() {
    let emu = TestEmulator::spawn();
    // Every request but the first is a replay of the refnum, on purpose (refnum-repeated).
    emu.relies_on_leniency();
    let before = emu.pod_balance(GAMMA);
    let cmd = "<oper>addpackage2client</oper><refnum>7777</refnum><bin2client>160940007893</bin2client><packet>1</packet>";
    let answers = race(N, |_| answer_xml(&emu.pod_oper(PARTNER, cmd)));
    assert!(
        answers.iter().all(|x| x.contains("err=\"no\"")),
        "{answers:?}"
    );
    assert_eq!(emu.pod_balance(GAMMA), before + 10);
    let listed = answer_xml(&emu.pod_oper(
        PARTNER,
        "<oper>getlistpartnertrn</oper><time1>20260601000000</time1><time2>20260601235959</time2>",
    ));
    assert_eq!(
        listed.matches("<refnum>7777</refnum>").count(),
        1,
        "{listed}"
    );
}

#[test]
fn one_revocation_per_certificate() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let cert = emu.issue(&Customer::A, "01", "Bronze-Sign", &tracking, &csr)["Certificate"]
        .as_str()
        .unwrap()
        .to_string();
    let body = Customer::A.revoke_body(&cert, 1);
    let answers = race(N, |_| emu.post("RevokeCertificate", &body).1);
    let ok = answers.iter().filter(|v| v["IsSuccess"] == true).count();
    let again = answers.iter().filter(|v| v["ErrorCode"] == 408).count();
    assert_eq!((ok, again), (1, N - 1), "{answers:?}");
    let history = emu.admin_ok(&format!("pki/tracking/{tracking}"))["history"].to_string();
    assert_eq!(history.matches("Revoked serial").count(), 1, "{history}");
}

#[test]
fn one_account_per_partner_registered_email() {
    let emu = TestEmulator::spawn();
    let cmd = "<oper>reguserbypartner</oper><email>race@shop.kz</email><remoteid>7</remoteid>";
    let answers = race(N, |_| answer_xml(&emu.pod_oper(PARTNER, cmd)));
    let new = answers
        .iter()
        .filter(|x| x.contains("<flag_newreg>1</flag_newreg>"))
        .count();
    assert_eq!(new, 1, "{answers:?}");
    let ids: std::collections::BTreeSet<&str> = answers
        .iter()
        .map(|x| {
            x.split("<serviceid>")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let state = emu.admin_ok("podpishi/state");
    let accounts = state["accounts"].as_array().unwrap();
    let race = accounts
        .iter()
        .filter(|a| a["value"]["login"] == "race@shop.kz")
        .count();
    assert_eq!(race, 1, "{state}");
}
