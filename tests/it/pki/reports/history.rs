//! GetUserCertHistory: every lifecycle of the calling customer with statuses and dates, signed
//! by the customer, and a random `rnd` that may not be replayed within the window.

use super::*;
use std::collections::BTreeSet;

#[test]
fn history_lists_every_lifecycle_of_the_calling_customer_with_statuses_and_dates() {
    let emu = TestEmulator::spawn();
    let w = build_world(&emu);
    let resp = history(&emu, &Customer::A, MEHDI, "rnd-0001");
    assert_ok(&resp);
    let list = &resp.1["CertList"];
    // Mehdi's four lifecycles under A; not B's, not Zahra's or Reza's.
    assert_eq!(
        codes(list),
        sorted(&[&w.revoked, &w.issued, &w.pending, &w.silver]),
        "{list}"
    );

    let revoked = item(list, &w.revoked);
    assert_eq!(revoked["Status"], "Revoked", "{revoked}");
    assert_eq!(revoked["Certificate"], w.revoked.cert.as_str());
    assert_eq!(revoked["RegisterDate"], "2026-06-01T08:00:00Z");
    assert_eq!(revoked["IssueDate"], "2026-06-01T08:00:00Z");
    assert_eq!(revoked["RevokeDate"], "2026-06-01T08:00:00Z");
    assert!(
        revoked["Issuer"].as_str().unwrap().contains(BRONZE_CA),
        "{revoked}"
    );

    let issued = item(list, &w.issued);
    assert_eq!(issued["Status"], "Issued", "{issued}");
    assert_eq!(issued["Certificate"], w.issued.cert.as_str());
    assert_eq!(issued["RegisterDate"], "2026-06-01T08:00:00Z");
    assert_eq!(issued["IssueDate"], "2026-06-01T08:00:00Z");
    assert_eq!(issued["RevokeDate"], "", "{issued}");

    let pending = item(list, &w.pending);
    assert_eq!(pending["Status"], "Registered", "{pending}");
    assert_eq!(pending["Certificate"], "", "{pending}");
    assert_eq!(pending["RegisterDate"], "2026-06-01T08:00:00Z");
    assert_eq!(pending["IssueDate"], "", "{pending}");
    assert_eq!(pending["RevokeDate"], "", "{pending}");

    let silver = item(list, &w.silver);
    assert_eq!(silver["Status"], "Issued", "{silver}");
    assert!(
        silver["Issuer"].as_str().unwrap().contains(SILVER_CA),
        "{silver}"
    );
    assert_eq!(silver["Certificate"], w.silver.cert.as_str());

    // Ids are the tracking codes (docs/pki.md): the revoked lifecycle restarted under its code
    // (one tracking code per subject DN), so its two lifecycles share one Id, the ended first.
    let ids: BTreeSet<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            assert_eq!(
                i["Id"].to_string(),
                i["TrackingCode"].as_str().unwrap(),
                "{i}"
            );
            i["Id"].to_string()
        })
        .collect();
    assert_eq!(ids.len(), 3, "{list}");

    // Customer B sees only its own lifecycle of Mehdi.
    let resp = history(&emu, &Customer::B, MEHDI, "rnd-0001");
    assert_ok(&resp);
    assert_eq!(codes(&resp.1["CertList"]), sorted(&[&w.b_mehdi]));
    assert_eq!(item(&resp.1["CertList"], &w.b_mehdi)["Status"], "Issued");

    // Somebody with no lifecycle: an empty list.
    let resp = history(&emu, &Customer::B, ZAHRA, "rnd-0002");
    assert_ok(&resp);
    assert_eq!(resp.1["CertList"], json!([]));
}

#[test]
fn history_warns_a_reused_rnd_and_not_a_new_one() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    let t = emu.register_mehdi();
    assert_ok(&history(&emu, &Customer::A, MEHDI, "once-only-42"));
    // The document asks for "a random string" and names no uniqueness rule (the PKI
    // document, line 758): a repeat is answered, with an rnd-repeated warning.
    let a = emu.post_answer(
        "GetUserCertHistory",
        &history_body(&Customer::A, MEHDI, "once-only-42"),
    );
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    assert_eq!(codes(&a.json()["CertList"]), vec![t.clone()]);
    assert_eq!(a.warnings.len(), 1, "{:?}", a.warnings);
    for needle in [
        "rnd-repeated ",
        "rnd 'once-only-42'",
        "already sent",
        Customer::A.code,
        "replay_window_seconds",
        "line 758",
    ] {
        assert!(a.warnings[0].contains(needle), "{needle}: {:?}", a.warnings);
    }
    let a = emu.post_answer(
        "GetUserCertHistory",
        &history_body(&Customer::A, MEHDI, "once-only-43"),
    );
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_eq!(codes(&a.json()["CertList"]), vec![t]);
    // The window is per customer: B may use the same random string.
    let a = emu.post_answer(
        "GetUserCertHistory",
        &history_body(&Customer::B, MEHDI, "once-only-42"),
    );
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_eq!(
        emu.admin_ok("warnings")["kinds"]["rnd-repeated"]["count"],
        1
    );
}

#[test]
fn history_with_a_bad_signature_is_refused_and_does_not_burn_the_rnd() {
    let emu = TestEmulator::spawn();
    emu.register_mehdi();
    let text = format!("{MEHDI}fresh-rnd");
    // (case, the signature sent over `{MEHDI}fresh-rnd`'s body, what ErrorMessage names
    // besides the text that should have been signed).
    type Case = (&'static str, fn(&str) -> String, &'static [&'static str]);
    let cases: &[Case] = &[
        (
            "signed over UTF-8",
            |text| Customer::A.sign(text.as_bytes()),
            &["UTF-8", "UTF-16LE"],
        ),
        (
            "signed by another key",
            |text| sign_unicode(&fixture("pki/customers/stranger.key"), text),
            &["does not verify", Customer::A.code],
        ),
        (
            "signed over another rnd than the one sent",
            |_| Customer::A.sign_unicode(&format!("{MEHDI}other-rnd")),
            &["does not verify"],
        ),
    ];
    each_case(
        cases,
        |c| c.0,
        |&(_, sign, needles)| {
            let mut body = history_body(&Customer::A, MEHDI, "fresh-rnd");
            body["signature"] = json!(sign(&text));
            let resp = emu.post("GetUserCertHistory", &body);
            let mut all = vec![text.as_str()];
            all.extend_from_slice(needles);
            assert_refused(&resp, 200, 203, &all);
        },
    );
    // The refused calls did not record the rnd.
    let resp = history(&emu, &Customer::A, MEHDI, "fresh-rnd");
    assert_ok(&resp);
    assert_eq!(resp.1["CertList"].as_array().unwrap().len(), 1);
}

#[test]
fn history_without_rnd_is_refused() {
    let emu = TestEmulator::spawn();
    let resp = history(&emu, &Customer::A, MEHDI, "");
    assert_refused(&resp, 200, 102, &["rnd is missing"]);
}

#[test]
fn a_used_rnd_is_warned_within_the_replay_window_and_not_after_it() {
    let emu = TestEmulator::spawn();
    emu.relies_on_leniency();
    emu.register_mehdi();
    assert_ok(&history(&emu, &Customer::A, MEHDI, "windowed"));
    emu.advance("599s");
    let a = emu.post_answer(
        "GetUserCertHistory",
        &history_body(&Customer::A, MEHDI, "windowed"),
    );
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    assert_eq!(a.warnings.len(), 1, "{:?}", a.warnings);
    assert!(
        a.warnings[0].starts_with("rnd-repeated ") && a.warnings[0].contains("600"),
        "{:?}",
        a.warnings
    );
    // The window runs from the first use: a repeat does not extend it.
    emu.advance("2s");
    let a = emu.post_answer(
        "GetUserCertHistory",
        &history_body(&Customer::A, MEHDI, "windowed"),
    );
    assert_eq!(a.json()["IsSuccess"], true, "{}", a.text());
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_eq!(a.json()["CertList"].as_array().unwrap().len(), 1);
}
