//! `delpermission`: the receiver deletes its own permission, the owner the receiver's, nobody the
//! owner's own or a signed one; a deleted permission can no longer be signed (neither by
//! `addsignature` nor in the counterparty's cabinet) and getstatus and getlistdocs show it.

use crate::helpers::*;

#[test]
fn receiver_deletes_its_own_permission_and_can_no_longer_sign() {
    let emu = TestEmulator::spawn();
    let num = emu.pod_upload_num(Upload::alfa_to_beta("DEL-R"));
    // The receiver may not delete the owner's permission, nor may a third party anything.
    let before = emu.pod_getstatus(ALFA, &num);
    assert_command_refused(
        &emu.pod_delpermission(BETA, &num, "1"),
        "delpermission",
        13,
        &["permission 1 is the owner's own (signed_type 1); it can not be deleted"],
    );
    assert_command_refused(
        &emu.pod_delpermission(GAMMA, &num, "2"),
        "delpermission",
        11,
        &["account gamma@test.kz (BINs 160940007893) is neither"],
    );
    assert_command_refused(
        &emu.pod_delpermission(BETA, &num, "7"),
        "delpermission",
        12,
        &["<indexnum> 7: document 1001 has no permission 7"],
    );
    assert_eq!(emu.pod_getstatus(ALFA, &num), before);

    // README: "the receiver its own".
    assert_command_ok(&emu.pod_delpermission(BETA, &num, "2"), "delpermission");
    assert_eq!(
        emu.pod_getstatus(ALFA, &num),
        getstatus_answer(
            &num,
            &[
                perm("1", 1, 1, ALFA_BIN, UNSIGNED, 0),
                perm("2", 1, 2, BETA_BIN, UNSIGNED, 1)
            ]
        )
    );
    let beta_view = emu.pod_getstatus(BETA, &num);
    assert_eq!(
        beta_view,
        getstatus_answer(
            &num,
            &[
                perm("1", 0, 1, ALFA_BIN, UNSIGNED, 0),
                perm("2", 0, 2, BETA_BIN, UNSIGNED, 1)
            ]
        )
    );
    assert_command_refused(
        &emu.pod_delpermission(BETA, &num, "2"),
        "delpermission",
        13,
        &["permission 2 of document 1001 is already deleted"],
    );
    let sig = openssl_cms_sign_kz("petrova", &contract(), false, true);
    assert_command_refused(
        &emu.pod_addsignature(BETA, &num, "2", &sig),
        "addsignature",
        13,
        &["permission 2 of document 1001 was deleted (sign_deleted=1); it can not be signed"],
    );
    // The counterparty's cabinet step is refused too (409, README).
    let (s, v) = emu.pod_admin_sign(&num, &serde_json::json!({"signer": "petrova"}));
    assert_eq!(s, 409, "{v}");
    assert_eq!(emu.pod_getstatus(BETA, &num), beta_view);
    assert_eq!(
        emu.pod_getdoc_files(BETA, &num),
        vec![("contract.txt".to_string(), contract())]
    );
    // getlistdocs shows the deletion as well.
    let listed = permissions(&emu.pod_list(BETA));
    assert_eq!(listed.len(), 2);
    assert_eq!(
        (
            listed[1]["i"].as_str(),
            listed[1]["sign_deleted"].as_str(),
            listed[1]["signed"].as_str()
        ),
        ("2", "1", "0")
    );
}

#[test]
fn owner_deletes_the_receivers_permission_which_getstatus_then_shows() {
    let emu = TestEmulator::spawn();
    let num = emu.pod_upload_num(Upload::alfa_to_beta("DEL-O"));
    assert_command_ok(&emu.pod_delpermission(ALFA, &num, "2"), "delpermission");
    let expected = getstatus_answer(
        &num,
        &[
            perm("1", 0, 1, ALFA_BIN, UNSIGNED, 0),
            perm("2", 0, 2, BETA_BIN, UNSIGNED, 1),
        ],
    );
    assert_eq!(emu.pod_getstatus(BETA, &num), expected);
    let sig = openssl_cms_sign_kz("nurlanov", &contract(), true, true);
    assert_command_refused(
        &emu.pod_addsignature(BETA, &num, "2", &sig),
        "addsignature",
        13,
        &["permission 2 of document 1001 was deleted (sign_deleted=1); it can not be signed"],
    );
    assert_eq!(emu.pod_getstatus(BETA, &num), expected);
    // The owner's own permission is still signable by the owner.
    let own = openssl_cms_sign_kz("seitkali", &contract(), false, true);
    assert_command_ok(&emu.pod_addsignature(ALFA, &num, "1", &own), "addsignature");
    assert!(
        emu.pod_getstatus(ALFA, &num).contains(&perm(
            "1",
            1,
            1,
            ALFA_BIN,
            &signed_attrs(
                ALFA_BIN,
                "СЕЙТКАЛИ АСЕЛЬ ЕРЛАНОВНА",
                "ТОО «Альфа Тест»",
                1,
                CREATED
            ),
            0
        )),
        "{}",
        emu.pod_getstatus(ALFA, &num)
    );
}

#[test]
fn a_signed_permission_can_not_be_deleted_by_anyone() {
    let emu = TestEmulator::spawn();
    let num = emu.pod_upload_num(Upload::alfa_to_beta("DEL-S"));
    let sig = openssl_cms_sign_kz("petrova", &contract(), false, true);
    assert_command_ok(&emu.pod_addsignature(BETA, &num, "2", &sig), "addsignature");
    let before = (
        emu.pod_getstatus(ALFA, &num),
        emu.pod_getdoc_files(ALFA, &num),
    );
    assert!(
        before.0.contains(&perm(
            "2",
            1,
            2,
            BETA_BIN,
            &signed_attrs(
                BETA_BIN,
                "ПЕТРОВА ЕЛЕНА СЕРГЕЕВНА",
                "АО «Бета Тест»",
                2,
                CREATED
            ),
            0
        )),
        "{}",
        before.0
    );
    for acc in [BETA, ALFA] {
        assert_command_refused(
            &emu.pod_delpermission(acc, &num, "2"),
            "delpermission",
            13,
            &["permission 2 of document 1001 is already signed by ПЕТРОВА ЕЛЕНА СЕРГЕЕВНА (160940004561); a signed permission can not be deleted"],
        );
    }
    assert_eq!(
        (
            emu.pod_getstatus(ALFA, &num),
            emu.pod_getdoc_files(ALFA, &num)
        ),
        before
    );
    assert_eq!(before.1.len(), 2);
    assert_eq!(
        before.1[1],
        ("signature-2-160940004561.p7s".to_string(), sig)
    );
}

#[test]
fn delpermission_by_owner_then_signing_is_refused() {
    let emu = TestEmulator::spawn();
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("D1")).1);
    let x = emu.pod_command(ALFA, &format!("<data><oper>delpermission</oper><docnum>{num}</docnum><indexnum>1</indexnum><time>20260601130000</time></data>")).1;
    assert!(x.contains("<status>13</status>\n<errdesc>permission 1 is the owner&apos;s own (signed_type 1); it can not be deleted"), "{x}");
    let x = emu.pod_command(ALFA, &format!("<data><oper>delpermission</oper><docnum>{num}</docnum><indexnum>2</indexnum><time>20260601130000</time></data>")).1;
    assert_eq!(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"no\" command=\"delpermission\">\n</resp>");
    let x = emu.pod_command(ALFA, &format!("<data><oper>delpermission</oper><docnum>{num}</docnum><indexnum>2</indexnum><time>20260601130000</time></data>")).1;
    assert!(
        x.contains("<errdesc>permission 2 of document 1001 is already deleted"),
        "{x}"
    );
    let sig = b64(&openssl_cms_sign_kz("petrova", &contract(), false, true));
    let x = emu.pod_command(BETA, &format!("<data><oper>addsignature</oper><docnum>{num}</docnum><indexnum>2</indexnum><signature_pem>{sig}</signature_pem><time>20260601130000</time></data>")).1;
    assert!(x.contains("<errdesc>permission 2 of document 1001 was deleted (sign_deleted=1); it can not be signed"), "{x}");
}

/// Every path that signs applies one sign transition, so each refuses the same states with the
/// same words: `addsignature`, and the counterparty's cabinet step of the control API (which
/// the dashboard and scenario reactions use), whether it signs or refuses.
#[test]
fn every_path_that_signs_refuses_the_same_permissions_alike() {
    let emu = TestEmulator::spawn();
    let sig = openssl_cms_sign_kz("petrova", &contract(), false, true);
    let signed = emu.pod_upload_num(Upload::alfa_to_beta("ALIKE-S"));
    let (s, v) = emu.pod_admin_sign(&signed, &serde_json::json!({"signer": "petrova"}));
    assert_eq!(s, 200, "{v}");
    let deleted = emu.pod_upload_num(Upload::alfa_to_beta("ALIKE-D"));
    // Permission numbers run across documents: each upload makes the owner's and the receiver's.
    assert_command_ok(&emu.pod_delpermission(BETA, &deleted, "4"), "delpermission");
    let view_only = emu.pod_upload_num(Upload::alfa_to_beta("ALIKE-V").set("type_delegate", "2"));
    let cases = [
        (
            &signed,
            2,
            "is already signed by",
            "a signed permission can not be signed again",
        ),
        (
            &deleted,
            4,
            "was deleted (sign_deleted=1)",
            "it can not be signed",
        ),
        (
            &view_only,
            6,
            "is view-only (signed_type 3, type_delegate 2)",
            "it can not be signed",
        ),
    ];
    for (num, i, why, rule) in cases {
        let needles = [
            format!("permission {i} of document {num} {why}"),
            rule.to_string(),
        ];
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        let before = emu.pod_getstatus(ALFA, num);
        assert_command_refused(
            &emu.pod_addsignature(BETA, num, &i.to_string(), &sig),
            "addsignature",
            13,
            &needles,
        );
        for action in ["sign", "refuse"] {
            let step = serde_json::json!({"signer": "petrova", "action": action, "index": i});
            assert_admin_error(&emu.pod_admin_sign(num, &step), 409, &needles);
        }
        assert_eq!(
            emu.pod_getstatus(ALFA, num),
            before,
            "document {num} changed"
        );
    }
}
