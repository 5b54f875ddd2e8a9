//! Concurrent requests: credit is never double-spent, a
//! tracking code is issued once, and one subject gets one tracking code however many
//! registrations race.

use crate::helpers::*;
use serde_json::{json, Value};
use std::sync::Barrier;

const N: usize = 8;

/// A valid Iranian national code from nine leading digits (check digit per src/ids.rs and
/// fixtures/README.md: s = Σ d_i·(10−i), r = s mod 11, check = r if r < 2 else 11 − r).
fn national_code(first9: u32) -> String {
    let head = format!("{first9:09}");
    let s: u32 = head
        .bytes()
        .enumerate()
        .map(|(i, b)| (b - b'0') as u32 * (10 - i as u32))
        .sum();
    let r = s % 11;
    format!("{head}{}", if r < 2 { r } else { 11 - r })
}

#[test]
fn national_code_generator_agrees_with_the_fixtures() {
    assert_eq!(national_code(1234567), "0012345679");
    assert_eq!(national_code(49937089), "0499370899");
    assert_eq!(national_code(8457594), "0084575948");
    assert_eq!(national_code(127314159), "1273141598");
}

fn applicant(i: usize) -> Value {
    json!({
        "NationalCode": national_code(234_567_000 + i as u32 * 13),
        "Name": "آزمون",
        "LastName": format!("شماره {i}"),
        "EnName": "Test",
        "EnLastName": format!("Applicant{i}"),
        "FatherName": "پدر",
        "IsMan": true,
        "TokenType": "USERGENERATED"
    })
}

/// Customer A with room for exactly three Bronze certificates and no identity checks.
fn three_certificates_of_credit() -> TestEmulator {
    TestEmulator::spawn_edited(|t| {
        let checks = "registry = true\n  shahkar = true\n  postal_code = true";
        assert!(t.contains("credit = 10000000") && t.contains(checks));
        t.replace("credit = 10000000", "credit = 450000").replace(
            checks,
            "registry = false\n  shahkar = false\n  postal_code = false",
        )
    })
}

#[test]
fn parallel_issues_never_overspend_the_credit() {
    let emu = three_certificates_of_credit();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(emu.credit(&Customer::A), 450_000);
    let jobs: Vec<(String, Vec<u8>)> = (0..N)
        .map(|i| {
            let tracking = emu.register(&Customer::A, "01", "Bronze-Sign", applicant(i));
            let (_key, csr) = openssl_csr(dir.path(), 2048);
            (tracking, csr)
        })
        .collect();
    let trackings: Vec<&String> = jobs.iter().map(|(t, _)| t).collect();
    let mut unique = trackings.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), N, "{trackings:?}");

    let barrier = Barrier::new(N);
    let results: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|(tracking, csr)| {
                let (emu, barrier) = (&emu, &barrier);
                s.spawn(move || {
                    let body = Customer::A.issue_body("01", "Bronze-Sign", tracking, csr);
                    barrier.wait();
                    emu.post("IssueCertificateByTrackingCode", &body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let (ok, refused): (Vec<_>, Vec<_>) = results.iter().partition(|(_, b)| b["IsSuccess"] == true);
    assert_eq!(ok.len(), 3, "{results:?}");
    assert_eq!(refused.len(), N - 3, "{results:?}");
    for r in &refused {
        assert_refused(r, 200, 501, &["costs 150000", "nothing was charged"]);
    }
    assert_eq!(emu.credit(&Customer::A), 0);
    let mut serials: Vec<String> = ok
        .iter()
        .map(|(_, b)| {
            assert_eq!(b["PaymentStatus"], "Paid", "{b}");
            openssl_serial(&unb64(b["Certificate"].as_str().unwrap()))
        })
        .collect();
    serials.sort();
    serials.dedup();
    assert_eq!(serials.len(), 3, "{serials:?}");
    let states: Vec<String> = jobs.iter().map(|(t, _)| emu.state_of(t)).collect();
    assert_eq!(
        states.iter().filter(|s| *s == "Issued").count(),
        3,
        "{states:?}"
    );
    assert_eq!(
        states.iter().filter(|s| *s == "Registered").count(),
        N - 3,
        "{states:?}"
    );
}

#[test]
fn parallel_issues_of_one_tracking_code_issue_once() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let tracking = emu.register_mehdi();
    let bodies: Vec<Value> = (0..N)
        .map(|_| {
            let (_key, csr) = openssl_csr(dir.path(), 2048);
            Customer::A.issue_body("01", "Bronze-Sign", &tracking, &csr)
        })
        .collect();
    let barrier = Barrier::new(N);
    let results: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = bodies
            .iter()
            .map(|body| {
                let (emu, barrier) = (&emu, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    emu.post("IssueCertificateByTrackingCode", body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let (ok, refused): (Vec<_>, Vec<_>) = results.iter().partition(|(_, b)| b["IsSuccess"] == true);
    assert_eq!(ok.len(), 1, "{results:?}");
    assert_eq!(ok[0].1["PaymentStatus"], "Paid");
    for r in &refused {
        assert_refused(r, 200, 402, &["is Issued", "RevokeCertificate first"]);
    }
    assert_eq!(emu.credit(&Customer::A), 10_000_000 - 150_000);
    assert_eq!(emu.state_of(&tracking), "Issued");
}

#[test]
fn parallel_registrations_of_one_subject_get_one_tracking_code() {
    let emu = TestEmulator::spawn();
    let body = Customer::A.register_body("01", "Bronze-Sign", mehdi());
    let barrier = Barrier::new(N);
    let codes: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..N)
            .map(|_| {
                let (emu, barrier, body) = (&emu, &barrier, &body);
                s.spawn(move || {
                    barrier.wait();
                    let resp = emu.post("RegisterInfo", body);
                    assert_ok(&resp);
                    resp.1["TrackingCode"].clone()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(codes.iter().all(|c| *c == "1000001"), "{codes:?}");
    // Only one number was taken.
    assert_eq!(
        emu.register(&Customer::A, "01", "Bronze-Sign", zahra()),
        "1000002"
    );
}

#[test]
fn parallel_registrations_in_the_government_ca_get_distinct_tracking_codes() {
    let emu = TestEmulator::spawn();
    let body = Customer::A.register_body("03", "Gov-Sign", mehdi());
    let barrier = Barrier::new(N);
    let mut codes: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..N)
            .map(|_| {
                let (emu, barrier, body) = (&emu, &barrier, &body);
                s.spawn(move || {
                    barrier.wait();
                    let resp = emu.post("RegisterInfo", body);
                    assert_ok(&resp);
                    resp.1["TrackingCode"].as_str().unwrap().to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    codes.sort();
    let want: Vec<String> = (1_000_001..=1_000_000 + N as u64)
        .map(|c| c.to_string())
        .collect();
    assert_eq!(codes, want);
}
