//! Scenario events and reactions on the frozen scenario clock: nothing happens until a
//! test advances the clock through `POST /__admin/clock`, then every due action runs — CA
//! outages, clock jumps, credit changes, an officer approving, a counterparty signing or
//! refusing. `GET /__admin/schedule` shows what is pending and done, the journal shows each
//! action under api "scenario", and a reset installs the scenario's events again.

use crate::helpers::*;
use serde_json::{json, Value};

fn available(emu: &TestEmulator, ca: &str) -> bool {
    let (status, body) = emu.get("IsAvailable", &[("caName", ca)]);
    assert_eq!(status, 200, "{body}");
    body["IsAvailable"]
        .as_bool()
        .unwrap_or_else(|| panic!("{body}"))
}

fn pending(emu: &TestEmulator) -> Vec<Value> {
    emu.admin_ok("schedule")["pending"]
        .as_array()
        .unwrap()
        .clone()
}

fn done(emu: &TestEmulator) -> Vec<String> {
    emu.admin_ok("schedule")["done"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

/// The receiver's permission (`signed_type='2'`) of a `getstatus` answer, as its XML element.
fn receiver_permission(status_xml: &str) -> String {
    let elements: Vec<&str> = status_xml
        .split("<permission ")
        .skip(1)
        .map(|p| &p[..p.find("/>").unwrap()])
        .filter(|p| p.contains("signed_type='2'"))
        .collect();
    assert_eq!(elements.len(), 1, "{status_xml}");
    elements[0].to_string()
}

// ── events ───────────────────────────────────────────────────────────────────────────────

const CA_OUTAGE: &str = r#"
[[events]]
at = "+30s"
action = { kind = "ca_availability", ca = "01", available = false }

[[events]]
at = "+2m"
action = { kind = "ca_availability", ca = "01", available = true }
"#;

#[test]
fn a_ca_goes_down_and_up_on_schedule() {
    let emu = TestEmulator::spawn_edited(|t| t + CA_OUTAGE);
    assert!(available(&emu, "01"));
    let p = pending(&emu);
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!(p[0]["at"], "2026-06-01T08:00:30Z");
    assert_eq!(
        p[0]["action"],
        json!({"kind": "ca_availability", "ca": "01", "available": false})
    );
    assert_eq!(p[0]["origin"], "events[0] at +30s");
    assert_eq!(p[0]["record"], Value::Null);
    assert_eq!(p[1]["at"], "2026-06-01T08:02:00Z");
    assert_eq!(done(&emu), Vec::<String>::new());

    // A frozen clock does not move by itself: real time passing changes nothing.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(available(&emu, "01"));
    assert_eq!(emu.advance("29s"), "2026-06-01T08:00:29Z");
    assert!(available(&emu, "01"), "the outage came early");

    assert_eq!(emu.advance("2s"), "2026-06-01T08:00:31Z");
    assert!(!available(&emu, "01"), "the outage did not happen at +30s");
    assert!(available(&emu, "08"));
    assert_refused(
        &emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi()),
        200,
        601,
        &["CA '01' is not available"],
    );
    assert_eq!(pending(&emu).len(), 1);
    let d = done(&emu);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].starts_with("events[0] at +30s"), "{d:?}");
    assert!(d[0].contains("CA 01 unavailable"), "{d:?}");
    let journaled = emu.journal("api=scenario");
    assert_eq!(journaled.len(), 1, "{journaled:?}");
    assert_eq!(journaled[0]["operation"], "event");
    assert_eq!(journaled[0]["success"], true);
    assert_eq!(journaled[0]["request"], "events[0] at +30s");
    assert_eq!(journaled[0]["time"], "2026-06-01T08:00:31Z");

    emu.advance("90s");
    assert!(available(&emu, "01"));
    assert_eq!(emu.register_mehdi(), "1000001");
    assert_eq!(pending(&emu), Vec::<Value>::new());
    assert_eq!(done(&emu).len(), 2);
}

#[test]
fn a_reset_installs_the_scenarios_events_again() {
    let emu = TestEmulator::spawn_edited(|t| t + CA_OUTAGE);
    emu.advance("31s");
    assert!(!available(&emu, "01"));
    assert_eq!(emu.admin_post("reset", &json!({})).0, 200);
    assert_eq!(emu.clock_now(), TEST_CLOCK);
    assert!(available(&emu, "01"));
    let p = pending(&emu);
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!(p[0]["at"], "2026-06-01T08:00:30Z");
    assert_eq!(done(&emu), Vec::<String>::new());
    emu.advance("31s");
    assert!(
        !available(&emu, "01"),
        "the event did not run again after the reset"
    );
}

#[test]
fn a_clock_jump_event_moves_the_clock_and_runs_what_became_due() {
    let emu = TestEmulator::spawn_edited(|t| {
        t + r#"
[[events]]
at = "+10s"
action = { kind = "clock_jump", by = "1d" }

[[events]]
at = "+1h"
action = { kind = "credit", customer = "10320874334", set = 42 }
"#
    });
    assert_eq!(emu.advance("9s"), "2026-06-01T08:00:09Z");
    assert_eq!(emu.credit(&Customer::A), 10_000_000);
    emu.advance("2s");
    assert_eq!(emu.clock_now(), "2026-06-02T08:00:11Z");
    // The jump passed +1h: the credit event ran too.
    assert_eq!(emu.credit(&Customer::A), 42);
    let t = emu.register_mehdi();
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{t}"))["registered_at"],
        "2026-06-02T08:00:11Z"
    );
    let d = done(&emu);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(d[0].contains("clock moved by 1d"), "{d:?}");
    assert!(d[1].contains("credit is now 42"), "{d:?}");
}

#[test]
fn credit_events_set_and_add() {
    let emu = TestEmulator::spawn_edited(|t| {
        t + r#"
[[events]]
at = "+1m"
action = { kind = "credit", customer = "10320874334", set = 300000 }

[[events]]
at = "+2m"
action = { kind = "credit", customer = "14105318760", add = -400000 }
"#
    });
    emu.advance("59s");
    assert_eq!(
        (emu.credit(&Customer::A), emu.credit(&Customer::B)),
        (10_000_000, 1_000_000)
    );
    emu.advance("1s");
    assert_eq!(
        (emu.credit(&Customer::A), emu.credit(&Customer::B)),
        (300_000, 1_000_000)
    );
    emu.advance("1m");
    assert_eq!(
        (emu.credit(&Customer::A), emu.credit(&Customer::B)),
        (300_000, 600_000)
    );
    // The new credit is what issuing charges against.
    let dir = tempfile::tempdir().unwrap();
    let (_key, csr) = openssl_csr(dir.path(), 2048);
    let t = emu.register_mehdi();
    emu.issue(&Customer::A, "01", "Bronze-Sign", &t, &csr);
    assert_eq!(emu.credit(&Customer::A), 150_000);
}

// ── PKI reactions ────────────────────────────────────────────────────────────────────────

const APPROVE_IN_PERSON: &str = r#"
[[reactions]]
on = { api = "pki", operation = "RegisterInfo", field = "profileName", value = "Bronze-Sign-InPerson" }
after = "5s"
do = { kind = "approve", approver = "scenario officer" }
"#;

#[test]
fn an_in_person_registration_is_approved_five_seconds_later() {
    let emu = TestEmulator::spawn_edited(|t| t + APPROVE_IN_PERSON);
    // Another profile does not trigger the reaction.
    let plain = emu.register(&Customer::A, "01", "Bronze-Sign", zahra());
    assert_eq!(pending(&emu), Vec::<Value>::new());

    let t = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    let p = pending(&emu);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0]["at"], "2026-06-01T08:00:05Z");
    assert_eq!(p[0]["record"], t.as_str());
    assert_eq!(
        p[0]["action"],
        json!({"kind": "approve", "approver": "scenario officer"})
    );
    assert_eq!(emu.is_approved(&t), (json!(false), json!("Unsuccess")));

    emu.advance("4s");
    assert_eq!(emu.is_approved(&t), (json!(false), json!("Unsuccess")));
    assert_eq!(emu.state_of(&t), "AwaitingApproval");
    emu.advance("2s");
    assert_eq!(emu.is_approved(&t), (json!(true), json!("Success")));
    let rec = emu.admin_ok(&format!("pki/tracking/{t}"));
    assert_eq!(rec["status"], "Approved", "{rec}");
    assert_eq!(rec["approval"]["approver"], "scenario officer", "{rec}");
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{plain}"))["status"],
        "Registered"
    );

    let dir = tempfile::tempdir().unwrap();
    let issued = emu.issue(
        &Customer::A,
        "01",
        "Bronze-Sign-InPerson",
        &t,
        &openssl_csr(dir.path(), 2048).1,
    );
    assert_eq!(issued["PaymentStatus"], "Paid", "{issued}");

    // The reaction is in the journal, under the tracking code.
    let journaled = emu.journal("api=scenario");
    assert_eq!(journaled.len(), 1, "{journaled:?}");
    let e = &journaled[0];
    assert_eq!(e["operation"], "reaction", "{e}");
    assert_eq!(e["record"], t.as_str(), "{e}");
    assert_eq!(e["success"], true, "{e}");
    assert!(
        e["response"]
            .as_str()
            .unwrap()
            .contains(&format!("tracking code {t} approved")),
        "{e}"
    );
    assert_eq!(emu.journal(&format!("api=scenario&record={t}")).len(), 1);
    let d = done(&emu);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].starts_with(&format!("reactions[0] to RegisterInfo {t}")),
        "{d:?}"
    );
    assert_eq!(pending(&emu), Vec::<Value>::new());
}

#[test]
fn a_reset_drops_pending_reactions() {
    let emu = TestEmulator::spawn_edited(|t| t + APPROVE_IN_PERSON);
    emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    assert_eq!(pending(&emu).len(), 1);
    assert_eq!(emu.admin_post("reset", &json!({})).0, 200);
    assert_eq!(pending(&emu), Vec::<Value>::new());
    emu.advance("10s");
    assert_eq!(emu.journal("api=scenario"), Vec::<Value>::new());
    // The reaction still follows new registrations.
    let t = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    assert_eq!(t, "1000001");
    emu.advance("5s");
    assert_eq!(emu.is_approved(&t), (json!(true), json!("Success")));
}

#[test]
fn the_third_is_approved_poll_of_a_tracking_code_approves_it() {
    let emu = TestEmulator::spawn_edited(|t| {
        t + r#"
[[reactions]]
on = { api = "pki", operation = "IsApproved" }
count = 3
do = { kind = "approve" }
"#
    });
    let a = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", mehdi());
    let b = emu.register(&Customer::A, "01", "Bronze-Sign-InPerson", zahra());
    let not_yet = (json!(false), json!("Unsuccess"));
    assert_eq!(emu.is_approved(&a), not_yet); // a: 1
    assert_eq!(emu.is_approved(&b), not_yet); // b: 1
    assert_eq!(emu.is_approved(&a), not_yet); // a: 2
    assert_eq!(emu.is_approved(&b), not_yet); // b: 2
    assert_eq!(
        emu.is_approved(&a),
        not_yet,
        "the 3rd poll itself still waits"
    ); // a: 3
    assert_eq!(emu.is_approved(&a), (json!(true), json!("Success")));
    assert_eq!(
        emu.admin_ok(&format!("pki/tracking/{b}"))["status"],
        "AwaitingApproval",
        "polls count per tracking code"
    );
    assert_eq!(emu.is_approved(&b), not_yet); // b: 3
    assert_eq!(emu.is_approved(&b), (json!(true), json!("Success")));
    let journaled = emu.journal("api=scenario");
    assert_eq!(journaled.len(), 2, "{journaled:?}");
    assert_eq!(journaled[0]["record"], a.as_str());
    assert_eq!(journaled[1]["record"], b.as_str());
}

// ── Podpishi reactions ───────────────────────────────────────────────────────────────────

#[test]
fn the_counterparty_signs_an_uploaded_document_two_seconds_later() {
    // petrova signs for АО «Бета Тест» (BIN 160940004561): alfa uploads to that BIN.
    let emu = TestEmulator::spawn_edited(|t| {
        t + r#"
[[reactions]]
on = { api = "podpishi", operation = "upload" }
after = "2s"
do = { kind = "sign", signer = "petrova" }
"#
    });
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("R-SIGN")).1);
    let p = pending(&emu);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0]["record"], num.as_str());
    assert_eq!(p[0]["at"], "2026-06-01T08:00:02Z");
    assert!(
        receiver_permission(&emu.pod_status(ALFA, &num)).contains("signed='0'"),
        "{}",
        emu.pod_status(ALFA, &num)
    );
    emu.advance("1s");
    assert!(receiver_permission(&emu.pod_status(ALFA, &num)).contains("signed='0'"));

    emu.advance("2s");
    let journaled = emu.journal("api=scenario");
    assert_eq!(journaled.len(), 1, "{journaled:?}");
    assert_eq!(
        journaled[0]["success"], true,
        "the sign reaction failed: {}",
        journaled[0]
    );
    assert_eq!(journaled[0]["record"], num.as_str());
    let perm = receiver_permission(&emu.pod_status(ALFA, &num));
    assert!(
        perm.contains("must_signed_by_bin='160940004561' signed='1' signed_bin='160940004561' signed_fio='ПЕТРОВА ЕЛЕНА СЕРГЕЕВНА' signed_firm='АО «Бета Тест»'"),
        "{perm}"
    );
    assert!(perm.contains("sign_deleted='0'"), "{perm}");
    // The signature is a real CMS over the document.
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
    openssl_cms_verify(&p7s.1, Some(&contract())).unwrap();
}

#[test]
fn the_counterparty_refuses_an_uploaded_document() {
    let emu = TestEmulator::spawn_edited(|t| {
        t + r#"
[[reactions]]
on = { api = "podpishi", operation = "upload" }
after = "1m"
do = { kind = "refuse", reason = "not our contract" }
"#
    });
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("R-REFUSE")).1);
    emu.advance("59s");
    assert!(receiver_permission(&emu.pod_status(BETA, &num)).contains("sign_deleted='0'"));
    emu.advance("2s");
    let journaled = emu.journal("api=scenario");
    assert_eq!(journaled.len(), 1, "{journaled:?}");
    assert_eq!(
        journaled[0]["success"], true,
        "the refuse reaction failed: {}",
        journaled[0]
    );
    let perm = receiver_permission(&emu.pod_status(BETA, &num));
    assert!(
        perm.contains("signed='0' signed_bin='' signed_fio='' signed_firm='' signed_policy='0' signed_date='' sign_deleted='1'"),
        "{perm}"
    );
}

#[test]
fn a_reaction_can_follow_uploads_for_one_receiver_bin_only() {
    let emu = TestEmulator::spawn_edited(|t| {
        t + r#"
[[reactions]]
on = { api = "podpishi", operation = "upload", field = "receiver_bin", value = "160940004561" }
after = "2s"
do = { kind = "sign", signer = "petrova" }
"#
    });
    let to_gamma = Upload::alfa_to_beta("R-GAMMA")
        .set("receiver_bin", GAMMA_BIN)
        .set("receiver_mail", "gamma@test.kz");
    let other = doc_num(&emu.pod_upload(to_gamma).1);
    assert_eq!(
        pending(&emu),
        Vec::<Value>::new(),
        "an upload to BIN {GAMMA_BIN} matched"
    );
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("R-BETA")).1);
    let p = pending(&emu);
    assert_eq!(
        p.len(),
        1,
        "the upload to BIN {BETA_BIN} did not match: {p:?}"
    );
    assert_eq!(p[0]["record"], num.as_str());
    emu.advance("3s");
    assert!(
        receiver_permission(&emu.pod_status(ALFA, &num))
            .contains("signed='1' signed_bin='160940004561'"),
        "{}",
        emu.pod_status(ALFA, &num)
    );
    assert!(receiver_permission(&emu.pod_status(ALFA, &other)).contains("signed='0'"));
}
