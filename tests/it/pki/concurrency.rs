//! Concurrent requests: credit is never double-spent, a tracking code is issued once, and one
//! subject gets one tracking code however many registrations race.

use crate::helpers::*;
use serde_json::{json, Value};
use std::sync::Barrier;

const N: usize = 8;

#[test]
fn national_code_generator_agrees_with_the_fixtures() {
    assert_eq!(valid_national_code(1234567), "0012345679");
    assert_eq!(valid_national_code(49937089), "0499370899");
    assert_eq!(valid_national_code(8457594), "0084575948");
    assert_eq!(valid_national_code(127314159), "1273141598");
}

fn applicant(i: usize) -> Value {
    documented(json!({
        "NationalCode": valid_national_code(234_567_000 + i as u32 * 13),
        "Name": "آزمون",
        "LastName": format!("شماره {i}"),
        "EnName": "Test",
        "EnLastName": format!("Applicant{i}"),
        "FatherName": "پدر",
        "IsMan": true,
        "TokenType": "USERGENERATED"
    }))
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

/// N registrations of one subject racing: (case, CA, profile, the tracking codes they get in
/// order, what the next registration (Zahra's, in CA 01) gets when that is the point).
#[test]
fn parallel_registrations_of_one_subject_get_the_tracking_codes_of_their_ca() {
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        fn() -> Vec<String>,
        Option<&'static str>,
    );
    let cases: &[Case] = &[
        (
            "CA 01 gives them one tracking code, and only one number is taken",
            "01",
            "Bronze-Sign",
            || vec!["1000001".to_string(); N],
            Some("1000002"),
        ),
        (
            "the government CA gives each its own",
            "03",
            "Gov-Sign",
            || {
                (1_000_001..=1_000_000 + N as u64)
                    .map(|c| c.to_string())
                    .collect()
            },
            None,
        ),
    ];
    each_case(
        cases,
        |c| c.0,
        |&(_, ca, profile, want, next)| {
            let emu = TestEmulator::spawn();
            let body = Customer::A.register_body(ca, profile, mehdi());
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
            assert_eq!(codes, want());
            if let Some(next) = next {
                assert_eq!(
                    emu.register(&Customer::A, "01", "Bronze-Sign", zahra()),
                    next
                );
            }
        },
    );
}
