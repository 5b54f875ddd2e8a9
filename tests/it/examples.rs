//! The example scenarios in `scenarios/` do what their comments say, driven by the clock.

use crate::helpers::*;
use serde_json::{json, Value};

fn spawn_example(name: &str) -> TestEmulator {
    let text = std::fs::read_to_string(repo().join("scenarios").join(name)).unwrap();
    TestEmulator::spawn_with(Options {
        scenario_text: Some(text),
        clock: None,
        ..Options::default()
    })
}

fn advance(emu: &TestEmulator, by: &str) {
    let resp = emu
        .client
        .post(format!("{}/__admin/clock", emu.url))
        .json(&json!({"advance": by}))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

fn is_approved(emu: &TestEmulator, tc: &str) -> bool {
    let (_, v) = emu.post("IsApproved", &json!({"trackingCode": tc}));
    v["ResultCode"].as_bool().unwrap()
}

fn register(emu: &TestEmulator, profile: &str) -> String {
    let (status, v) = emu.register_info(&Customer::A, "01", profile, mehdi());
    assert_eq!((status, &v["IsSuccess"]), (200, &json!(true)), "{v}");
    v["TrackingCode"].as_str().unwrap().to_string()
}

#[test]
fn approval_flow_officer_approves_after_five_seconds_and_face_auth_after_three_polls() {
    let emu = spawn_example("approval-flow.toml");
    let tc = register(&emu, "Bronze-Sign-InPerson");
    assert!(!is_approved(&emu, &tc));
    advance(&emu, "4s");
    assert!(!is_approved(&emu, &tc), "approved too early");
    advance(&emu, "1s");
    assert!(
        is_approved(&emu, &tc),
        "the officer approves 5 s after registration"
    );
    let dir = tempfile::tempdir().unwrap();
    let (_, csr) = openssl_csr(dir.path(), 2048);
    let (_, issued) = emu.issue_certificate(&Customer::A, "01", "Bronze-Sign-InPerson", &tc, &csr);
    assert_eq!(issued["IsSuccess"], true, "{issued}");

    let mut sara = mehdi();
    sara["NationalCode"] = json!("1273141598");
    let (_, v) = emu.register_info(&Customer::A, "01", "Bronze-Sign-FaceAuth", sara);
    let face = v["TrackingCode"].as_str().unwrap().to_string();
    let polls: Vec<bool> = (0..4).map(|_| is_approved(&emu, &face)).collect();
    assert_eq!(
        polls,
        vec![false, false, false, true],
        "approved after the 3rd poll"
    );
}

#[test]
fn counterparty_signs_later_and_refuses_the_other() {
    let emu = spawn_example("counterparty-signs-later.toml");
    let (_, x) = emu.pod_upload(Upload::alfa_to_beta("REF-1"));
    let num = x
        .split("num='")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap()
        .to_string();
    let status = |n: &str| {
        emu.pod_command(
            ALFA,
            &format!("<data><oper>getstatus</oper><docuniq>{n}</docuniq><time>20260601130000</time></data>"),
        )
        .1
    };
    assert!(
        status(&num).contains("must_signed_by_bin='160940004561' signed='0'"),
        "{}",
        status(&num)
    );
    advance(&emu, "2s");
    let s = status(&num);
    assert!(
        s.contains("must_signed_by_bin='160940004561' signed='1' signed_bin='160940004561'"),
        "{s}"
    );
    assert!(s.contains("ПЕТРОВА"), "{s}");

    let (_, x) = emu.pod_upload(Upload::alfa_to_beta("REF-2").set("receiver_bin", GAMMA_BIN));
    let other = x
        .split("num='")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap()
        .to_string();
    advance(&emu, "59s");
    assert!(
        status(&other).contains("sign_deleted='0'"),
        "{}",
        status(&other)
    );
    advance(&emu, "2s");
    let s = status(&other);
    assert!(
        s.contains(&format!("must_signed_by_bin='{GAMMA_BIN}' signed='0'"))
            && s.contains("sign_deleted='1'"),
        "{s}"
    );
}

#[test]
fn ca_outage_comes_and_goes_on_the_clock() {
    let emu = spawn_example("ca-outage.toml");
    let up = || {
        emu.get("IsAvailable", &[("caName", "01")]).1["IsAvailable"]
            .as_bool()
            .unwrap()
    };
    assert!(up());
    advance(&emu, "31s");
    assert!(!up());
    let (_, v) = emu.register_info(&Customer::A, "01", "Bronze-Sign", mehdi());
    assert_eq!(v["ErrorCode"], 601, "{v}");
    advance(&emu, "60s");
    assert!(up());
    assert_eq!(emu.credit(&Customer::A), 150_000);
    advance(&emu, "30s");
    assert_eq!(emu.credit(&Customer::A), 1_150_000);
}

#[test]
fn flaky_network_is_the_same_every_run() {
    let run = || -> (Vec<bool>, Value) {
        let emu = spawn_example("flaky-network.toml");
        let mut magic = mehdi();
        magic["NationalCode"] = json!("0061204501");
        let b = Customer::B.register_body("01", "Bronze-Sign", magic);
        let (_, refused) = emu.post("RegisterInfo", &b);
        // Issue attempts: a reset is a transport error for the client.
        let dir = tempfile::tempdir().unwrap();
        let (_, csr) = openssl_csr(dir.path(), 2048);
        let mut outcomes = Vec::new();
        for i in 0..12 {
            let mut p = mehdi();
            p["NationalCode"] = json!(valid_national_code(700 + i));
            let (_, reg) = emu.register_info(&Customer::B, "01", "Bronze-Sign", p);
            let tc = reg["TrackingCode"]
                .as_str()
                .unwrap_or_else(|| panic!("{reg}"))
                .to_string();
            // Customer B is the flaky-network scenario's only customer.
            let body = Customer::B.issue_body("01", "Bronze-Sign", &tc, &csr);
            let sent = emu
                .client
                .post(format!("{}/api/IssueCertificateByTrackingCode", emu.url))
                .json(&body)
                .send();
            outcomes.push(sent.is_ok());
        }
        let (_, x) = emu.pod_upload(Upload::alfa_to_beta("R").set("receiver_bin", "160940004561"));
        let num = x
            .split("num='")
            .nth(1)
            .and_then(|r| r.split('\'').next())
            .unwrap()
            .to_string();
        let cmd =
            format!("<data><oper>getstatus</oper><docuniq>{num}</docuniq><time>20260601130000</time></data>");
        let first = emu.pod_command(ALFA, &cmd).0;
        let second = emu.pod_command(ALFA, &cmd);
        assert_eq!((first, second.0), (200, 503));
        assert_eq!(second.1, "Service Temporarily Unavailable");
        (outcomes, refused)
    };
    let (a, refused) = run();
    let (b, _) = run();
    assert_eq!(a, b, "same seed, same failures");
    assert!(a.iter().any(|ok| !ok) && a.iter().any(|ok| *ok), "{a:?}");
    assert_eq!(refused["IsSuccess"], false);
    assert_eq!(refused["ErrorCode"], 500);
    assert_eq!(refused["ErrorMessage"], "Service Unavailable");
}
