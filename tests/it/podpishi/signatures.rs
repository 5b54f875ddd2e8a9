//! Signatures on documents, made and checked by `openssl cms`: the owner's `signature_pem` in
//! every form (someone else's, or over other bytes, refused), the receiver's `addsignature` and
//! its refusals, the counterparty's cabinet step, `signsim cms sign` output, GOST signatures
//! under the scenario's policy, and signed_policy/signed_firm from each certificate's role OID
//! and O.

use crate::helpers::*;
use serde_json::json;

fn status(emu: &TestEmulator, acc: (&str, &str), num: &str) -> String {
    emu.pod_command(
        acc,
        &format!("<data><oper>getstatus</oper><docuniq>{num}</docuniq><time>20260601130000</time></data>"),
    )
    .1
}

#[test]
fn owner_signature_pem_made_by_openssl_in_every_form() {
    let emu = TestEmulator::spawn();
    for (n, (attached, attrs)) in [(false, true), (false, false), (true, true), (true, false)]
        .into_iter()
        .enumerate()
    {
        let sig = openssl_cms_sign_kz("seitkali", &contract(), attached, attrs);
        let u = Upload::alfa_to_beta(&format!("S{n}")).set("signature_pem", &b64(&sig));
        let num = doc_num(&emu.pod_upload(u).1);
        let x = status(&emu, ALFA, &num);
        assert!(x.contains("signed_type='1' must_signed_by_bin='160940001237' signed='1' signed_bin='160940001237' signed_fio='СЕЙТКАЛИ АСЕЛЬ ЕРЛАНОВНА' signed_firm='ТОО «Альфа Тест»' signed_policy='1' signed_date='20260601130000' sign_deleted='0'"), "{x}");
        // getdoc returns the CMS exactly as sent; openssl verifies it.
        let (_, zip) = emu.pod_command_bytes(
            BETA,
            &format!(
                "<data><oper>getdoc</oper><docnum>{num}</docnum><time>20260601130000</time></data>"
            ),
        );
        let files = unzip(&zip);
        let p7s = &files.iter().find(|(n, _)| n.ends_with(".p7s")).unwrap();
        assert_eq!(p7s.0, format!("signature-{}-160940001237.p7s", 2 * n + 1));
        assert_eq!(p7s.1, sig);
        openssl_cms_verify(&p7s.1, (!attached).then_some(&contract()[..])).unwrap();
    }
}

#[test]
fn owner_signature_by_someone_else_or_over_other_bytes_is_refused() {
    let emu = TestEmulator::spawn();
    let balance = emu.pod_balance(ALFA);
    let by_petrova = openssl_cms_sign_kz("petrova", &contract(), false, true);
    let (_, xml) =
        emu.pod_upload(Upload::alfa_to_beta("W1").set("signature_pem", &b64(&by_petrova)));
    assert!(xml.contains("<doc num='' reference='W1'") && xml.contains("errtxt='signature_pem is signed by ПЕТРОВА ЕЛЕНА СЕРГЕЕВНА with a certificate of BIN 160940004561 (IIN 880101400562), but it must be signed for BIN/IIN 160940001237'>err</doc>"), "{xml}");
    let other = openssl_cms_sign_kz("seitkali", b"other bytes", false, true);
    let (_, xml) = emu.pod_upload(Upload::alfa_to_beta("W2").set("signature_pem", &b64(&other)));
    assert!(
        xml.contains(
            "errtxt='signature_pem: the messageDigest attribute does not match the content"
        ),
        "{xml}"
    );
    let attached_other = openssl_cms_sign_kz("seitkali", b"other bytes", true, true);
    let (_, xml) =
        emu.pod_upload(Upload::alfa_to_beta("W3").set("signature_pem", &b64(&attached_other)));
    assert!(xml.contains("errtxt='signature_pem: the signature is attached over 11 bytes that are not the document"), "{xml}");
    let (_, xml) = emu.pod_upload(Upload::alfa_to_beta("W4").set("signature_pem", "not base64!"));
    assert!(
        xml.contains("errtxt='signature_pem is not base64 of a DER CMS signature"),
        "{xml}"
    );
    assert_eq!(emu.pod_balance(ALFA), balance);
    assert_eq!(emu.pod_list(ALFA).matches("<permission").count(), 0);
}

#[test]
fn receiver_adds_an_openssl_signature_and_cannot_sign_twice() {
    let emu = TestEmulator::spawn();
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("A1")).1);
    // nurlanov (HR, role 4) signs for Бета.
    let sig = openssl_cms_sign_kz("nurlanov", &contract(), false, false);
    let cmd = format!("<data><oper>addsignature</oper><docnum>{num}</docnum><indexnum>2</indexnum><signature_pem>{}</signature_pem><time>20260601130000</time></data>", b64(&sig));
    let (_, x) = emu.pod_command(BETA, &cmd);
    assert_eq!(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"no\" command=\"addsignature\">\n</resp>");
    let s = status(&emu, ALFA, &num);
    assert!(s.contains("i='2' is_own_doc='1' created='20260601130000' signed_type='2' must_signed_by_bin='160940004561' signed='1' signed_bin='160940004561' signed_fio='НУРЛАНОВ АРМАН БОЛАТОВИЧ' signed_firm='АО «Бета Тест»' signed_policy='4'"), "{s}");
    let again = openssl_cms_sign_kz("petrova", &contract(), false, true);
    let cmd = format!("<data><oper>addsignature</oper><docnum>{num}</docnum><indexnum>2</indexnum><signature_pem>{}</signature_pem><time>20260601130000</time></data>", b64(&again));
    let (_, x) = emu.pod_command(BETA, &cmd);
    assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"yes\" command=\"addsignature\">\n<status>13</status>\n<errdesc>permission 2 of document 1001 is already signed by НУРЛАНОВ АРМАН БОЛАТОВИЧ (160940004561)"), "{x}");
    assert_eq!(status(&emu, ALFA, &num), s);
    // The downloaded signature verifies with openssl.
    let (_, zip) = emu.pod_command_bytes(
        ALFA,
        &format!(
            "<data><oper>getdoc</oper><docnum>{num}</docnum><time>20260601130000</time></data>"
        ),
    );
    let files = unzip(&zip);
    assert_eq!(files[1].0, "signature-2-160940004561.p7s");
    openssl_cms_verify(&files[1].1, Some(&contract())).unwrap();
}

#[test]
fn addsignature_refusals_leave_the_permission_unsigned() {
    let emu = TestEmulator::spawn();
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("A2")).1);
    let before = status(&emu, ALFA, &num);
    let sig = |who: &str| b64(&openssl_cms_sign_kz(who, &contract(), false, true));
    let add = |acc, i: &str, pem: &str| {
        emu.pod_command(acc, &format!("<data><oper>addsignature</oper><docnum>{num}</docnum><indexnum>{i}</indexnum><signature_pem>{pem}</signature_pem><time>20260601130000</time></data>")).1
    };
    let cases = [
        (add(BETA, "2", &sig("omarov")), 21, "&lt;signature_pem&gt; is signed by ОМАРОВ ДАНИЯР КАЙРАТОВИЧ with a certificate of BIN 160940007893 (IIN 800210300900), but it must be signed for BIN/IIN 160940004561"),
        (add(GAMMA, "2", &sig("omarov")), 11, "&lt;docnum&gt; 1001: document 1001 is between BINs 160940001237 and 160940004561; account gamma@test.kz (BINs 160940007893) is neither"),
        (add(BETA, "9", &sig("petrova")), 12, "&lt;indexnum&gt; 9: document 1001 has no permission 9"),
        (add(BETA, "1", &sig("petrova")), 13, "permission 1 of document 1001 must be signed by BIN 160940001237, which is not a template of account beta@test.kz"),
        (add(BETA, "2", "AAAA"), 20, "&lt;signature_pem&gt;: not a DER CMS SignedData"),
        (add(BETA, "2", &b64(&openssl_cms_sign_kz("petrova", b"tampered", false, true))), 20, "&lt;signature_pem&gt;: the messageDigest attribute does not match the content"),
    ];
    for (x, st, needle) in cases {
        assert!(x.starts_with(&format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"yes\" command=\"addsignature\">\n<status>{st}</status>\n<errdesc>{needle}")), "expected {st} {needle}\n got {x}");
    }
    assert_eq!(status(&emu, ALFA, &num), before);
}

#[test]
fn admin_counterparty_signs_or_refuses() {
    let emu = TestEmulator::spawn();
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("C1")).1);
    let (s, v) = emu.pod_admin_sign(&num, &json!({"signer": "omarov"}));
    assert_eq!(s, 400);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("must be signed for BIN/IIN 160940004561"),
        "{v}"
    );
    let (s, v) = emu.pod_admin_sign(&num, &json!({"signer": "petrova", "attached": true}));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["signed_policy"], 2);
    let der = unb64(v["signature_pem"].as_str().unwrap());
    openssl_cms_verify(&der, None).unwrap();
    let (s, v) = emu.pod_admin_sign(&num, &json!({"action": "refuse"}));
    assert_eq!(s, 409, "{v}");
    let num2 = doc_num(&emu.pod_upload(Upload::alfa_to_beta("C2")).1);
    let (s, v) = emu.pod_admin_sign(&num2, &json!({"action": "refuse"}));
    assert_eq!((s, v["sign_deleted"].as_i64()), (200, Some(1)));
    assert!(status(&emu, BETA, &num2).contains("must_signed_by_bin='160940004561' signed='0' signed_bin='' signed_fio='' signed_firm='' signed_policy='0' signed_date='' sign_deleted='1'"));
    let (s, _) = emu.pod_admin_sign("99999", &json!({"signer": "petrova"}));
    assert_eq!(s, 404);
}

#[test]
fn cli_cms_sign_output_is_accepted_as_signature_pem() {
    let emu = TestEmulator::spawn();
    let out = run(
        env!("CARGO_BIN_EXE_signsim"),
        &[
            "cms",
            "sign",
            "--signer",
            "seitkali",
            "--in",
            fixture("docs/contract.txt").to_str().unwrap(),
        ],
        b"",
    );
    let pem = String::from_utf8(out).unwrap();
    openssl_cms_verify(&unb64(pem.trim()), Some(&contract())).unwrap();
    let num = doc_num(
        &emu.pod_upload(Upload::alfa_to_beta("CLI").set("signature_pem", pem.trim()))
            .1,
    );
    assert!(status(&emu, ALFA, &num).contains("signed_bin='160940001237'"));
    let (cert, key) = kz_signer("ivanov");
    let out = run(
        env!("CARGO_BIN_EXE_signsim"),
        &[
            "cms",
            "sign",
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--attached",
            "--in",
            fixture("docs/contract.txt").to_str().unwrap(),
        ],
        b"",
    );
    openssl_cms_verify(&unb64(String::from_utf8(out).unwrap().trim()), None).unwrap();
}

/// A GOST-signed CMS: an openssl RSA signature whose signature algorithm OID is replaced by
/// GOST 34.310-2004 (signsim cannot verify GOST, so it cannot tell the difference).
fn gost_cms(signer: &str) -> Vec<u8> {
    use der::{Decode, Encode};
    let der_bytes = openssl_cms_sign_kz(signer, &contract(), false, true);
    let ci = cms::content_info::ContentInfo::from_der(&der_bytes).unwrap();
    let mut sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
    let mut infos: Vec<cms::signed_data::SignerInfo> = sd.signer_infos.0.iter().cloned().collect();
    infos[0].signature_algorithm.oid = "1.2.398.3.10.1.1.1.2".parse().unwrap();
    sd.signer_infos = cms::signed_data::SignerInfos(infos.try_into().unwrap());
    let ci = cms::content_info::ContentInfo {
        content_type: ci.content_type,
        content: der::Any::from_der(&sd.to_der().unwrap()).unwrap(),
    };
    ci.to_der().unwrap()
}

#[test]
fn gost_signatures_follow_the_scenario_policy() {
    let emu = TestEmulator::spawn();
    let num = doc_num(
        &emu.pod_upload(
            Upload::alfa_to_beta("G1").set("signature_pem", &b64(&gost_cms("seitkali"))),
        )
        .1,
    );
    assert!(status(&emu, ALFA, &num).contains("signed='1' signed_bin='160940001237'"));
    // The policy decision is always reported in the journal.
    let entries: serde_json::Value = emu
        .client
        .get(format!(
            "{}/__admin/requests?api=podpishi&operation=upload&record={num}",
            emu.url
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let diagnostics = entries["requests"][0]["diagnostics"].to_string();
    assert!(
        diagnostics
            .contains("GOST 34.310-2004 (1.2.398.3.10.1.1.1.2) accepted without verification"),
        "{entries}"
    );
    let emu = TestEmulator::spawn_edited(|t| {
        t.replace(
            "unverifiable_algorithm = \"accept-and-flag\"",
            "unverifiable_algorithm = \"refuse\"",
        )
    });
    let (_, xml) = emu
        .pod_upload(Upload::alfa_to_beta("G1").set("signature_pem", &b64(&gost_cms("seitkali"))));
    assert!(xml.contains("errtxt='signature_pem: the signature uses GOST 34.310-2004 (1.2.398.3.10.1.1.1.2), which signsim cannot verify, and the scenario refuses such signatures"), "{xml}");
    assert_eq!(emu.pod_list(ALFA).matches("<permission").count(), 0);
}

#[test]
fn signed_policy_and_firm_come_from_the_role_oid_and_o_of_each_certificate() {
    let emu = TestEmulator::spawn();
    // (signer, the account that signs, the uploader, its BIN, the signer's BIN, the
    //  policy fixtures/README.md documents, the firm it documents)
    let cases = [
        (
            "seitkali",
            ALFA,
            BETA,
            BETA_BIN,
            ALFA_BIN,
            1u8,
            "ТОО «Альфа Тест»",
        ),
        (
            "petrova",
            BETA,
            ALFA,
            ALFA_BIN,
            BETA_BIN,
            2,
            "АО «Бета Тест»",
        ),
        (
            "nurlanov",
            BETA,
            ALFA,
            ALFA_BIN,
            BETA_BIN,
            4,
            "АО «Бета Тест»",
        ),
        (
            "omarov",
            GAMMA,
            ALFA,
            ALFA_BIN,
            GAMMA_BIN,
            1,
            "ТОО «Гамма Тест»",
        ),
    ];
    for (n, (signer, acc, owner, owner_bin, bin, policy, firm)) in cases.into_iter().enumerate() {
        // The certificate says what the README says: role OID .2.N, O, OU=BIN….
        let subject = kz_subject(signer);
        let eku = kz_eku(signer);
        assert!(
            eku.contains(&format!("1.2.398.3.3.4.1.2.{policy}\n")),
            "{signer}: {eku}"
        );
        assert_eq!(subject["organizationName"], firm, "{signer}");
        assert_eq!(subject["organizationalUnitName"], format!("BIN{bin}"));
        let num = emu.pod_upload_num(Upload::between(
            owner,
            owner_bin,
            bin,
            "x@test.kz",
            &format!("POL-{n}"),
        ));
        let i = (2 * n + 2).to_string();
        let sig = openssl_cms_sign_kz(signer, &contract(), n % 2 == 1, true);
        assert_command_ok(&emu.pod_addsignature(acc, &num, &i, &sig), "addsignature");
        let signed = signed_attrs(bin, &fio_of(signer), firm, policy, CREATED);
        assert_eq!(
            emu.pod_getstatus(acc, &num),
            getstatus_answer(
                &num,
                &[
                    perm(&(2 * n + 1).to_string(), 0, 1, owner_bin, UNSIGNED, 0),
                    perm(&i, 0, 2, bin, &signed, 0)
                ]
            ),
            "{signer}"
        );
        // getlistdocs carries the same attributes.
        let listed = answer_xml(&emu.pod_oper(
            acc,
            "<oper>getlistdocs</oper><time1>20260601000000</time1><time2>20260601235959</time2>",
        ));
        assert!(
            listed.contains(&format!("<permission id='{num}' i='{i}' api_reference='POL-{n}' name='Договор № 15' is_own_doc='0' created='{CREATED}' signed_type='2' must_signed_by_bin='{bin}' {signed} sign_deleted='0' />")),
            "{signer}: {listed}"
        );
    }
    // The owner's signature_pem on upload is judged the same way (petrova 2, nurlanov 4).
    for (signer, policy) in [("petrova", 2u8), ("nurlanov", 4)] {
        let sig = openssl_cms_sign_kz(signer, &contract(), false, false);
        let u = Upload::between(
            BETA,
            BETA_BIN,
            ALFA_BIN,
            "alfa@test.kz",
            &format!("OWN-{signer}"),
        )
        .set("signature_pem", &b64(&sig));
        let num = emu.pod_upload_num(u);
        let ps = permissions(&emu.pod_getstatus(BETA, &num));
        assert_eq!(
            (
                ps[0]["signed_bin"].as_str(),
                ps[0]["signed_fio"].as_str(),
                ps[0]["signed_firm"].as_str(),
                ps[0]["signed_policy"].as_str()
            ),
            (
                BETA_BIN,
                fio_of(signer).as_str(),
                "АО «Бета Тест»",
                policy.to_string().as_str()
            )
        );
    }
}
