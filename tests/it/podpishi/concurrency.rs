//! Concurrent commands on one permission: two or more `addsignature` calls store exactly one
//! signature, and `addsignature` racing `delpermission` lets exactly one win.

use crate::helpers::*;
use std::sync::Barrier;

/// Sends every signature at once (a barrier releases the threads together); the answers in
/// the order of `sigs`.
fn race(emu: &TestEmulator, num: &str, i: &str, sigs: &[Vec<u8>]) -> Vec<Answer> {
    let barrier = Barrier::new(sigs.len());
    std::thread::scope(|s| {
        let hs: Vec<_> = sigs
            .iter()
            .map(|sig| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    emu.pod_addsignature(BETA, num, i, sig)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn concurrent_addsignature_on_one_permission_stores_exactly_one() {
    let emu = TestEmulator::spawn();
    let petrova = openssl_cms_sign_kz("petrova", &contract(), false, true);
    let nurlanov = openssl_cms_sign_kz("nurlanov", &contract(), true, true);
    let rounds: Vec<Vec<Vec<u8>>> = vec![
        vec![petrova.clone(), nurlanov.clone()],
        vec![nurlanov.clone(), petrova.clone()],
        vec![petrova.clone(), petrova.clone()],
        vec![petrova.clone(), nurlanov.clone()],
        vec![nurlanov.clone(), nurlanov.clone()],
        vec![
            petrova.clone(),
            nurlanov.clone(),
            petrova.clone(),
            nurlanov.clone(),
            petrova.clone(),
            nurlanov.clone(),
        ],
    ];
    for (n, sigs) in rounds.iter().enumerate() {
        let num = emu.pod_upload_num(Upload::alfa_to_beta(&format!("RACE-{n}")));
        let i = (2 * n + 2).to_string();
        let answers = race(&emu, &num, &i, sigs);
        let mut winners = Vec::new();
        for (k, a) in answers.iter().enumerate() {
            let x = answer_xml(a);
            if x.contains("err=\"no\"") {
                assert_command_ok(a, "addsignature");
                winners.push(k);
            } else {
                assert_command_refused(
                    a,
                    "addsignature",
                    13,
                    &[
                        &format!("permission {i} of document {num} is already signed by"),
                        "a signed permission can not be signed again",
                    ],
                );
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "round {n}: {:?}",
            answers.iter().map(Answer::text).collect::<Vec<_>>()
        );
        let won = &sigs[winners[0]];
        let fio = if *won == petrova {
            "ПЕТРОВА ЕЛЕНА СЕРГЕЕВНА"
        } else {
            "НУРЛАНОВ АРМАН БОЛАТОВИЧ"
        };
        let policy = if *won == petrova { 2 } else { 4 };
        let x = emu.pod_getstatus(ALFA, &num);
        let ps = permissions(&x);
        assert_eq!(ps.len(), 2, "{x}");
        assert_eq!(
            (
                ps[1]["signed"].as_str(),
                ps[1]["signed_fio"].as_str(),
                ps[1]["signed_policy"].as_str()
            ),
            ("1", fio, policy.to_string().as_str()),
            "{x}"
        );
        assert_eq!(ps[0]["signed"], "0", "{x}");
        let files = emu.pod_getdoc_files(BETA, &num);
        let p7s: Vec<_> = files.iter().filter(|(f, _)| f.ends_with(".p7s")).collect();
        assert_eq!(
            p7s.len(),
            1,
            "round {n}: {:?}",
            files.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        assert_eq!(p7s[0].0, format!("signature-{i}-160940004561.p7s"));
        assert_eq!(&p7s[0].1, won);
        assert_eq!(files.len(), 2);
    }
}

#[test]
fn concurrent_addsignature_and_delpermission_one_wins() {
    // 40 uploads: alfa is seeded with 40 documents instead of 10.
    let emu = TestEmulator::spawn_edited(|t| t.replacen("balance = 10\n", "balance = 40\n", 1));
    let sig = openssl_cms_sign_kz("petrova", &contract(), false, true);
    // The delete starts 0, 5, … 195 µs after the signature, so some rounds land while the
    // signature is being verified (between addsignature's first check and its transaction).
    for n in 0..40u64 {
        let num = emu.pod_upload_num(Upload::alfa_to_beta(&format!("SD-{n}")));
        let i = (2 * n + 2).to_string();
        let barrier = Barrier::new(2);
        let (signed, deleted) = std::thread::scope(|s| {
            let a = s.spawn(|| {
                barrier.wait();
                emu.pod_addsignature(BETA, &num, &i, &sig)
            });
            let b = s.spawn(|| {
                barrier.wait();
                let start = std::time::Instant::now();
                while start.elapsed() < std::time::Duration::from_micros(5 * n) {
                    std::hint::spin_loop();
                }
                // Alternate who deletes: the receiver, then the owner.
                emu.pod_delpermission(if n % 2 == 0 { BETA } else { ALFA }, &num, &i)
            });
            (a.join().unwrap(), b.join().unwrap())
        });
        let sign_ok = answer_xml(&signed).contains("err=\"no\"");
        let del_ok = answer_xml(&deleted).contains("err=\"no\"");
        assert!(
            sign_ok ^ del_ok,
            "round {n}: {} / {}",
            signed.text(),
            deleted.text()
        );
        let ps = permissions(&emu.pod_getstatus(ALFA, &num));
        if sign_ok {
            assert_command_refused(
                &deleted,
                "delpermission",
                13,
                &["a signed permission can not be deleted"],
            );
            assert_eq!(
                (ps[1]["signed"].as_str(), ps[1]["sign_deleted"].as_str()),
                ("1", "0")
            );
            assert_eq!(emu.pod_getdoc_files(ALFA, &num).len(), 2);
        } else {
            assert_command_ok(&deleted, "delpermission");
            assert_command_refused(
                &signed,
                "addsignature",
                13,
                &["was deleted (sign_deleted=1)"],
            );
            assert_eq!(
                (ps[1]["signed"].as_str(), ps[1]["sign_deleted"].as_str()),
                ("0", "1")
            );
            assert_eq!(emu.pod_getdoc_files(ALFA, &num).len(), 1);
        }
    }
}
