//! An individual (IIN, not BIN) on Podpishi.Online: signing with `addsignature` as its IIN with
//! policy 0 and no firm, uploading with its own `signature_pem`, and being refused (changing
//! nothing) when the signature is for another IIN or BIN, or its account holds neither BIN.

use crate::helpers::*;

const IVANOV: (&str, &str) = ("ivanov@test.kz", "11112222333344445555666677778888");
const IVANOV_IIN: &str = "850315300128";
/// A second individual, added to the scenario by the tests that need one (a valid IIN:
/// 1995-06-12, female; check digit 4).
const SIDOROVA: (&str, &str) = ("sidorova@test.kz", "aaaabbbbccccddddeeeeffff00001111");
const SIDOROVA_IIN: &str = "950612400124";

/// The default scenario with the second individual's account (IIN 950612400124).
fn with_sidorova() -> TestEmulator {
    TestEmulator::spawn_edited(|t| {
        t.replacen(
            "[[podpishi.tariffs]]",
            &format!(
                "[[podpishi.accounts]]\nlogin = \"{}\"\napikey = \"{}\"\nbins = [\"{SIDOROVA_IIN}\"]\nbalance = 3\n\n[[podpishi.tariffs]]",
                SIDOROVA.0, SIDOROVA.1
            ),
            1,
        )
    })
}

#[test]
fn individual_signs_with_addsignature_as_its_iin_with_policy_0() {
    let emu = TestEmulator::spawn();
    let num = emu.pod_upload_num(Upload::between(
        BETA,
        BETA_BIN,
        IVANOV_IIN,
        "ivanov@test.kz",
        "IND-1",
    ));
    let owner = perm("1", 1, 1, BETA_BIN, UNSIGNED, 0);
    assert_eq!(
        emu.pod_getstatus(BETA, &num),
        getstatus_answer(
            &num,
            &[owner.clone(), perm("2", 1, 2, IVANOV_IIN, UNSIGNED, 0)]
        )
    );
    // The individual sees it as incoming, its own permission i=2.
    assert_eq!(
        emu.pod_getstatus(IVANOV, &num),
        getstatus_answer(
            &num,
            &[
                perm("1", 0, 1, BETA_BIN, UNSIGNED, 0),
                perm("2", 0, 2, IVANOV_IIN, UNSIGNED, 0)
            ]
        )
    );
    // Sign 90 minutes later, so signed_date is the clock at signing, not the creation time.
    emu.advance("90m");
    let sig = openssl_cms_sign_kz("ivanov", &contract(), false, true);
    assert_command_ok(
        &emu.pod_addsignature(IVANOV, &num, "2", &sig),
        "addsignature",
    );

    // The fields come from ivanov's certificate (NCA RK layout): signed_bin is the IIN of
    // SERIALNUMBER=IIN…, signed_fio CN + G, no O so no firm, and policy 0 for an individual
    // (README: "0 for an individual (1.2.398.3.3.4.1.1)").
    let subject = kz_subject("ivanov");
    assert_eq!(subject["serialNumber"], format!("IIN{IVANOV_IIN}"));
    assert!(!subject.contains_key("organizationName"), "{subject:?}");
    assert!(
        kz_eku("ivanov").contains("1.2.398.3.3.4.1.1\n"),
        "{}",
        kz_eku("ivanov")
    );
    let fio = fio_of("ivanov");
    assert_eq!(fio, "ИВАНОВ ИВАН ИВАНОВИЧ");
    let signed = signed_attrs(IVANOV_IIN, &fio, "", 0, "20260601143000");
    assert_eq!(
        emu.pod_getstatus(BETA, &num),
        getstatus_answer(&num, &[owner, perm("2", 1, 2, IVANOV_IIN, &signed, 0)])
    );
    assert_eq!(
        emu.pod_getstatus(IVANOV, &num),
        getstatus_answer(
            &num,
            &[
                perm("1", 0, 1, BETA_BIN, UNSIGNED, 0),
                perm("2", 0, 2, IVANOV_IIN, &signed, 0)
            ]
        )
    );
    // getdoc: the file and the individual's CMS exactly as sent; openssl verifies it.
    let files = emu.pod_getdoc_files(IVANOV, &num);
    assert_eq!(
        files,
        vec![
            ("contract.txt".to_string(), contract()),
            (format!("signature-2-{IVANOV_IIN}.p7s"), sig.clone())
        ]
    );
    openssl_cms_verify(&files[1].1, Some(&files[0].1)).unwrap();
    assert_eq!(emu.pod_getdoc_files(BETA, &num), files);
}

#[test]
fn individual_uploads_with_its_own_signature_pem() {
    let emu = TestEmulator::spawn();
    let sig = openssl_cms_sign_kz("ivanov", &contract(), true, true);
    let u = Upload::between(IVANOV, IVANOV_IIN, ALFA_BIN, "alfa@test.kz", "IND-OWN")
        .set("signature_pem", &b64(&sig));
    let num = emu.pod_upload_num(u);
    assert_eq!(
        emu.pod_getstatus(IVANOV, &num),
        getstatus_answer(
            &num,
            &[
                perm(
                    "1",
                    1,
                    1,
                    IVANOV_IIN,
                    &signed_attrs(IVANOV_IIN, "ИВАНОВ ИВАН ИВАНОВИЧ", "", 0, CREATED),
                    0
                ),
                perm("2", 1, 2, ALFA_BIN, UNSIGNED, 0)
            ]
        )
    );
    assert_eq!(emu.pod_balance(IVANOV), 2);
}

#[test]
fn individual_signature_for_another_iin_or_bin_is_refused_and_changes_nothing() {
    let emu = with_sidorova();
    // A document for the second individual: ivanov's signature is an individual's whose IIN
    // is not the permission's must_signed_by_bin.
    let num = emu.pod_upload_num(Upload::between(
        BETA,
        BETA_BIN,
        SIDOROVA_IIN,
        "sidorova@test.kz",
        "IND-2",
    ));
    let balances = |emu: &TestEmulator| {
        [BETA, IVANOV, SIDOROVA]
            .map(|a| emu.pod_balance(a))
            .to_vec()
    };
    let before = (
        emu.pod_getstatus(BETA, &num),
        emu.pod_getstatus(SIDOROVA, &num),
        balances(&emu),
    );
    assert_eq!(
        before.0,
        getstatus_answer(
            &num,
            &[
                perm("1", 1, 1, BETA_BIN, UNSIGNED, 0),
                perm("2", 1, 2, SIDOROVA_IIN, UNSIGNED, 0)
            ]
        )
    );
    let by_ivanov = openssl_cms_sign_kz("ivanov", &contract(), false, true);
    assert_command_refused(
        &emu.pod_addsignature(SIDOROVA, &num, "2", &by_ivanov),
        "addsignature",
        21,
        &[
            "<signature_pem> is signed by ИВАНОВ ИВАН ИВАНОВИЧ with an individual's certificate (IIN 850315300128), but it must be signed for BIN/IIN 950612400124",
        ],
    );
    // The same with an attached signature and without signed attributes.
    let attached = openssl_cms_sign_kz("ivanov", &contract(), true, false);
    assert_command_refused(
        &emu.pod_addsignature(SIDOROVA, &num, "2", &attached),
        "addsignature",
        21,
        &["individual's certificate (IIN 850315300128), but it must be signed for BIN/IIN 950612400124"],
    );
    // The owner's own permission (BIN 160940004561) signed by the individual.
    assert_command_refused(
        &emu.pod_addsignature(BETA, &num, "1", &by_ivanov),
        "addsignature",
        21,
        &["signed by ИВАНОВ ИВАН ИВАНОВИЧ with an individual's certificate (IIN 850315300128), but it must be signed for BIN/IIN 160940004561"],
    );
    // The individual's IIN permission signed by a legal entity's employee.
    let by_petrova = openssl_cms_sign_kz("petrova", &contract(), false, true);
    assert_command_refused(
        &emu.pod_addsignature(SIDOROVA, &num, "2", &by_petrova),
        "addsignature",
        21,
        &["a certificate of BIN 160940004561 (IIN 880101400562), but it must be signed for BIN/IIN 950612400124"],
    );
    // ivanov's account holds neither BIN of the document.
    assert_command_refused(
        &emu.pod_addsignature(IVANOV, &num, "2", &by_ivanov),
        "addsignature",
        11,
        &["document 1001 is between BINs 160940004561 and 950612400124; account ivanov@test.kz (BINs 850315300128) is neither"],
    );
    assert_eq!(
        (
            emu.pod_getstatus(BETA, &num),
            emu.pod_getstatus(SIDOROVA, &num),
            balances(&emu)
        ),
        before
    );
    assert_eq!(
        emu.pod_getdoc_files(SIDOROVA, &num),
        vec![("contract.txt".to_string(), contract())]
    );
    // On upload: an owner_bin signed by an individual is the document-level refusal.
    let outbox = emu.pod_outbox_len();
    let u = Upload::between(BETA, BETA_BIN, SIDOROVA_IIN, "sidorova@test.kz", "IND-3")
        .set("signature_pem", &b64(&by_ivanov));
    assert_doc_refused(
        &emu.pod_upload_answer(u),
        "IND-3",
        "contract.txt",
        &["signature_pem is signed by ИВАНОВ ИВАН ИВАНОВИЧ with an individual's certificate (IIN 850315300128), but it must be signed for BIN/IIN 160940004561"],
    );
    assert_eq!(balances(&emu), before.2);
    assert_eq!(emu.pod_outbox_len(), outbox);
    assert_eq!(emu.pod_list(BETA).matches("<permission").count(), 2);
    // The refusals left the service working: ivanov (the only individual with a test key)
    // signs a document meant for his own IIN.
    let mine = emu.pod_upload_num(Upload::between(
        BETA,
        BETA_BIN,
        IVANOV_IIN,
        "ivanov@test.kz",
        "IND-4",
    ));
    assert_command_ok(
        &emu.pod_addsignature(IVANOV, &mine, "4", &by_ivanov),
        "addsignature",
    );
}
