//! What the other Podpishi files leave out, over real HTTP: an individual (IIN) signing with
//! `addsignature` and being refused for another IIN; `delpermission` by the receiver and by
//! the owner, and of a signed permission; a client blocked by its partner; two concurrent
//! `addsignature` calls on one permission; `signed_policy`/`signed_firm` per role from the
//! certificate; and the transport of every error answer (HTTP 200, `text/xml; charset=UTF-8`).
//!
//! Every answer these tests judge goes through [`xml`] or [`zip_entries`], so its HTTP status
//! and Content-Type are checked as well (the helpers' `pod_balance`/`pod_list` only read state
//! for before/after comparisons).

use crate::helpers::*;
use std::collections::BTreeMap;
use std::sync::Barrier;

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const IVANOV: (&str, &str) = ("ivanov@test.kz", "11112222333344445555666677778888");
const IVANOV_IIN: &str = "850315300128";
/// A second individual, added to the scenario by the tests that need one (a valid IIN:
/// 1995-06-12, female; check digit 4).
const SIDOROVA: (&str, &str) = ("sidorova@test.kz", "aaaabbbbccccddddeeeeffff00001111");
const SIDOROVA_IIN: &str = "950612400124";
/// 13:00 in Almaty (UTC+5) is the frozen test clock 2026-06-01T08:00:00Z.
const CREATED: &str = "20260601130000";
const UNSIGNED: &str =
    "signed='0' signed_bin='' signed_fio='' signed_firm='' signed_policy='0' signed_date=''";

// ── transport and shapes ──────────────────────────────────────────────────────────────────

/// The body of an XML answer, after asserting HTTP 200 and `text/xml; charset=UTF-8`
/// (SPEC 2.1, README "Podpishi.Online choices": HTTP 200 for every answer).
fn xml(a: &Answer) -> String {
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (200, "text/xml; charset=UTF-8"),
        "answer {} (journal id {}): {}",
        a.status,
        a.id,
        a.text()
    );
    let x = String::from_utf8(a.body.clone()).expect("the answer is UTF-8");
    assert!(x.starts_with(DECL), "no XML declaration: {x}");
    assert!(
        !x.contains("<status>99</status>"),
        "signsim failed (Internal): {x}"
    );
    x
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The exact text between `head` and `tail`, or a panic showing the answer.
fn between<'a>(x: &'a str, head: &str, tail: &str) -> &'a str {
    assert!(
        x.starts_with(head) && x.ends_with(tail) && x.len() >= head.len() + tail.len(),
        "expected\n{head}…{tail}\n got\n{x}"
    );
    &x[head.len()..x.len() - tail.len()]
}

/// A command-level refusal (`<resp err="yes" command="oper"><status>N</status><errdesc>…`),
/// exactly that shape; the (unescaped) errdesc must contain every needle. Returns the answer.
fn refused(a: &Answer, oper: &str, status: u32, needles: &[&str]) -> String {
    let x = xml(a);
    let head = format!(
        "{DECL}<resp err=\"yes\" command=\"{oper}\">\n<status>{status}</status>\n<errdesc>"
    );
    let desc = between(&x, &head, "</errdesc>\n</resp>");
    assert!(!desc.contains('<'), "errdesc holds markup: {x}");
    let desc = unescape(desc);
    for n in needles {
        assert!(desc.contains(n), "errdesc lacks «{n}»: {x}");
    }
    x
}

/// A request-level refusal (`<resp err="yes"><status>N</status><errdesc>…`).
fn refused_request(a: &Answer, status: u32, needles: &[&str]) -> String {
    let x = xml(a);
    let head = format!("{DECL}<resp err=\"yes\">\n<status>{status}</status>\n<errdesc>");
    let desc = unescape(between(&x, &head, "</errdesc>\n</resp>"));
    for n in needles {
        assert!(desc.contains(n), "errdesc lacks «{n}»: {x}");
    }
    x
}

/// The upload's document-level refusal (`<doc num='' … errtxt='…'>err</doc>`), exactly.
fn refused_doc(a: &Answer, reference: &str, filetxt: &str, needles: &[&str]) -> String {
    let x = xml(a);
    let head = format!("{DECL}<resp err=\"no\">\n<doc num='' reference='{reference}' package='201707' nametxt='Договор № 15' filetxt='{filetxt}' errtxt='");
    let errtxt = unescape(between(&x, &head, "'>err</doc>\n</resp>"));
    for n in needles {
        assert!(errtxt.contains(n), "errtxt lacks «{n}»: {x}");
    }
    x
}

/// The documented empty success answer of `oper`.
fn assert_ok(a: &Answer, oper: &str) {
    assert_eq!(
        xml(a),
        format!("{DECL}<resp err=\"no\" command=\"{oper}\">\n</resp>")
    );
}

// ── commands ──────────────────────────────────────────────────────────────────────────────

fn cmd(emu: &TestEmulator, acc: (&str, &str), body: &str) -> Answer {
    emu.pod_command_answer(acc, &format!("<data>{body}<time></time></data>"))
}

fn upload(emu: &TestEmulator, u: Upload) -> String {
    doc_num(&xml(&emu.pod_upload_answer(u)))
}

fn addsignature(emu: &TestEmulator, acc: (&str, &str), num: &str, i: &str, der: &[u8]) -> Answer {
    cmd(
        emu,
        acc,
        &format!(
            "<oper>addsignature</oper><docnum>{num}</docnum><indexnum>{i}</indexnum><signature_pem>{}</signature_pem>",
            b64(der)
        ),
    )
}

fn delpermission(emu: &TestEmulator, acc: (&str, &str), num: &str, i: &str) -> Answer {
    cmd(
        emu,
        acc,
        &format!("<oper>delpermission</oper><docnum>{num}</docnum><indexnum>{i}</indexnum>"),
    )
}

/// The whole getstatus answer for one document.
fn status(emu: &TestEmulator, acc: (&str, &str), num: &str) -> String {
    xml(&cmd(
        emu,
        acc,
        &format!("<oper>getstatus</oper><docuniq>{num}</docuniq>"),
    ))
}

/// The exact getstatus answer for one document with these `<permission … />` elements.
fn status_of(num: &str, perms: &[String]) -> String {
    format!(
        "{DECL}<resp err=\"no\" command=\"getstatus\">\n<docnum>\n<id>{num}</id>\n<signinfo>\n{}</signinfo>\n</docnum>\n</resp>",
        perms.join("\n")
    )
}

/// One `<permission … />` element of getstatus.
fn perm(i: &str, own: u8, signed_type: u8, must: &str, signature: &str, deleted: u8) -> String {
    format!("<permission i='{i}' is_own_doc='{own}' created='{CREATED}' signed_type='{signed_type}' must_signed_by_bin='{must}' {signature} sign_deleted='{deleted}' />")
}

/// The signer attributes of a signed permission.
fn signed_attrs(bin: &str, fio: &str, firm: &str, policy: u8, date: &str) -> String {
    format!("signed='1' signed_bin='{bin}' signed_fio='{fio}' signed_firm='{firm}' signed_policy='{policy}' signed_date='{date}'")
}

/// getdoc's ZIP, unpacked, after asserting HTTP 200 and `application/zip`.
fn zip_entries(emu: &TestEmulator, acc: (&str, &str), num: &str) -> Vec<(String, Vec<u8>)> {
    let a = cmd(
        emu,
        acc,
        &format!("<oper>getdoc</oper><docnum>{num}</docnum>"),
    );
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (200, "application/zip"),
        "{}",
        a.text()
    );
    unzip(&a.body)
}

/// The emails in the outbox.
fn outbox_len(emu: &TestEmulator) -> usize {
    let (s, v) = emu.admin_get("podpishi/outbox");
    assert_eq!(s, 200, "{v}");
    v.as_array().unwrap_or_else(|| panic!("{v}")).len()
}

/// The answers that an independent XML parser (python3's expat) rejects, as "label: error".
fn not_well_formed(answers: &[(&str, &Answer)]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    for (k, (_, a)) in answers.iter().enumerate() {
        write(dir.path(), &format!("{k:04}.xml"), &a.body);
    }
    let code = r#"
import sys, os, xml.dom.minidom as m
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    try:
        m.parse(os.path.join(d, f))
    except Exception as e:
        print(f[:4], e)
"#;
    let out = python(code, &[dir.path().to_str().unwrap()]);
    out.lines()
        .map(|l| {
            let (k, e) = l.split_once(' ').unwrap();
            let (label, a) = answers[k.parse::<usize>().unwrap()];
            format!("{label}: {e}: {:?}", a.text())
        })
        .collect()
}

/// `<permission …/>` attributes in order of appearance.
fn permissions(x: &str) -> Vec<BTreeMap<String, String>> {
    x.split("<permission ")
        .skip(1)
        .map(|p| {
            let body = p.split("/>").next().unwrap();
            body.split("' ")
                .filter_map(|kv| kv.trim().split_once("='"))
                .map(|(k, v)| (k.to_string(), v.trim_end_matches('\'').to_string()))
                .collect()
        })
        .collect()
}

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

/// `ФИО` as the README defines signed_fio: the certificate's CN, a space, its G (patronymic).
fn fio_of(signer: &str) -> String {
    let s = kz_subject(signer);
    format!("{} {}", s["commonName"], s["givenName"])
}

// ── 1. an individual signs ────────────────────────────────────────────────────────────────

#[test]
fn individual_signs_with_addsignature_as_its_iin_with_policy_0() {
    let emu = TestEmulator::spawn();
    let num = upload(
        &emu,
        Upload::between(BETA, BETA_BIN, IVANOV_IIN, "ivanov@test.kz", "IND-1"),
    );
    let owner = perm("1", 1, 1, BETA_BIN, UNSIGNED, 0);
    assert_eq!(
        status(&emu, BETA, &num),
        status_of(
            &num,
            &[owner.clone(), perm("2", 1, 2, IVANOV_IIN, UNSIGNED, 0)]
        )
    );
    // The individual sees it as incoming, its own permission i=2.
    assert_eq!(
        status(&emu, IVANOV, &num),
        status_of(
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
    assert_ok(&addsignature(&emu, IVANOV, &num, "2", &sig), "addsignature");

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
        status(&emu, BETA, &num),
        status_of(&num, &[owner, perm("2", 1, 2, IVANOV_IIN, &signed, 0)])
    );
    assert_eq!(
        status(&emu, IVANOV, &num),
        status_of(
            &num,
            &[
                perm("1", 0, 1, BETA_BIN, UNSIGNED, 0),
                perm("2", 0, 2, IVANOV_IIN, &signed, 0)
            ]
        )
    );
    // getdoc: the file and the individual's CMS exactly as sent; openssl verifies it.
    let files = zip_entries(&emu, IVANOV, &num);
    assert_eq!(
        files,
        vec![
            ("contract.txt".to_string(), contract()),
            (format!("signature-2-{IVANOV_IIN}.p7s"), sig.clone())
        ]
    );
    openssl_cms_verify(&files[1].1, Some(&files[0].1)).unwrap();
    assert_eq!(zip_entries(&emu, BETA, &num), files);
}

#[test]
fn individual_uploads_with_its_own_signature_pem() {
    let emu = TestEmulator::spawn();
    let sig = openssl_cms_sign_kz("ivanov", &contract(), true, true);
    let u = Upload::between(IVANOV, IVANOV_IIN, ALFA_BIN, "alfa@test.kz", "IND-OWN")
        .set("signature_pem", &b64(&sig));
    let num = upload(&emu, u);
    assert_eq!(
        status(&emu, IVANOV, &num),
        status_of(
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
    let num = upload(
        &emu,
        Upload::between(BETA, BETA_BIN, SIDOROVA_IIN, "sidorova@test.kz", "IND-2"),
    );
    let balances = |emu: &TestEmulator| {
        [BETA, IVANOV, SIDOROVA]
            .map(|a| emu.pod_balance(a))
            .to_vec()
    };
    let before = (
        status(&emu, BETA, &num),
        status(&emu, SIDOROVA, &num),
        balances(&emu),
    );
    assert_eq!(
        before.0,
        status_of(
            &num,
            &[
                perm("1", 1, 1, BETA_BIN, UNSIGNED, 0),
                perm("2", 1, 2, SIDOROVA_IIN, UNSIGNED, 0)
            ]
        )
    );
    let by_ivanov = openssl_cms_sign_kz("ivanov", &contract(), false, true);
    refused(
        &addsignature(&emu, SIDOROVA, &num, "2", &by_ivanov),
        "addsignature",
        21,
        &[
            "<signature_pem> is signed by ИВАНОВ ИВАН ИВАНОВИЧ with an individual's certificate (IIN 850315300128), but it must be signed for BIN/IIN 950612400124",
        ],
    );
    // The same with an attached signature and without signed attributes.
    let attached = openssl_cms_sign_kz("ivanov", &contract(), true, false);
    refused(
        &addsignature(&emu, SIDOROVA, &num, "2", &attached),
        "addsignature",
        21,
        &["individual's certificate (IIN 850315300128), but it must be signed for BIN/IIN 950612400124"],
    );
    // The owner's own permission (BIN 160940004561) signed by the individual.
    refused(
        &addsignature(&emu, BETA, &num, "1", &by_ivanov),
        "addsignature",
        21,
        &["signed by ИВАНОВ ИВАН ИВАНОВИЧ with an individual's certificate (IIN 850315300128), but it must be signed for BIN/IIN 160940004561"],
    );
    // The individual's IIN permission signed by a legal entity's employee.
    let by_petrova = openssl_cms_sign_kz("petrova", &contract(), false, true);
    refused(
        &addsignature(&emu, SIDOROVA, &num, "2", &by_petrova),
        "addsignature",
        21,
        &["a certificate of BIN 160940004561 (IIN 880101400562), but it must be signed for BIN/IIN 950612400124"],
    );
    // ivanov's account holds neither BIN of the document.
    refused(
        &addsignature(&emu, IVANOV, &num, "2", &by_ivanov),
        "addsignature",
        11,
        &["document 1001 is between BINs 160940004561 and 950612400124; account ivanov@test.kz (BINs 850315300128) is neither"],
    );
    assert_eq!(
        (
            status(&emu, BETA, &num),
            status(&emu, SIDOROVA, &num),
            balances(&emu)
        ),
        before
    );
    assert_eq!(
        zip_entries(&emu, SIDOROVA, &num),
        vec![("contract.txt".to_string(), contract())]
    );
    // On upload: an owner_bin signed by an individual is the document-level refusal.
    let outbox = outbox_len(&emu);
    let u = Upload::between(BETA, BETA_BIN, SIDOROVA_IIN, "sidorova@test.kz", "IND-3")
        .set("signature_pem", &b64(&by_ivanov));
    refused_doc(
        &emu.pod_upload_answer(u),
        "IND-3",
        "contract.txt",
        &["signature_pem is signed by ИВАНОВ ИВАН ИВАНОВИЧ with an individual's certificate (IIN 850315300128), but it must be signed for BIN/IIN 160940004561"],
    );
    assert_eq!(balances(&emu), before.2);
    assert_eq!(outbox_len(&emu), outbox);
    assert_eq!(emu.pod_list(BETA).matches("<permission").count(), 2);
    // The refusals left the service working: ivanov (the only individual with a test key)
    // signs a document meant for his own IIN.
    let mine = upload(
        &emu,
        Upload::between(BETA, BETA_BIN, IVANOV_IIN, "ivanov@test.kz", "IND-4"),
    );
    assert_ok(
        &addsignature(&emu, IVANOV, &mine, "4", &by_ivanov),
        "addsignature",
    );
}

// ── 2. delpermission ──────────────────────────────────────────────────────────────────────

#[test]
fn receiver_deletes_its_own_permission_and_can_no_longer_sign() {
    let emu = TestEmulator::spawn();
    let num = upload(&emu, Upload::alfa_to_beta("DEL-R"));
    // The receiver may not delete the owner's permission, nor may a third party anything.
    let before = status(&emu, ALFA, &num);
    refused(
        &delpermission(&emu, BETA, &num, "1"),
        "delpermission",
        13,
        &["permission 1 is the owner's own (signed_type 1); it can not be deleted"],
    );
    refused(
        &delpermission(&emu, GAMMA, &num, "2"),
        "delpermission",
        11,
        &["account gamma@test.kz (BINs 160940007893) is neither"],
    );
    refused(
        &delpermission(&emu, BETA, &num, "7"),
        "delpermission",
        12,
        &["<indexnum> 7: document 1001 has no permission 7"],
    );
    assert_eq!(status(&emu, ALFA, &num), before);

    // README: "the receiver its own".
    assert_ok(&delpermission(&emu, BETA, &num, "2"), "delpermission");
    assert_eq!(
        status(&emu, ALFA, &num),
        status_of(
            &num,
            &[
                perm("1", 1, 1, ALFA_BIN, UNSIGNED, 0),
                perm("2", 1, 2, BETA_BIN, UNSIGNED, 1)
            ]
        )
    );
    let beta_view = status(&emu, BETA, &num);
    assert_eq!(
        beta_view,
        status_of(
            &num,
            &[
                perm("1", 0, 1, ALFA_BIN, UNSIGNED, 0),
                perm("2", 0, 2, BETA_BIN, UNSIGNED, 1)
            ]
        )
    );
    refused(
        &delpermission(&emu, BETA, &num, "2"),
        "delpermission",
        13,
        &["permission 2 of document 1001 is already deleted"],
    );
    let sig = openssl_cms_sign_kz("petrova", &contract(), false, true);
    refused(
        &addsignature(&emu, BETA, &num, "2", &sig),
        "addsignature",
        13,
        &["permission 2 of document 1001 was deleted (sign_deleted=1); it can not be signed"],
    );
    // The counterparty's cabinet step is refused too (409, README).
    let (s, v) = emu.pod_admin_sign(&num, &serde_json::json!({"signer": "petrova"}));
    assert_eq!(s, 409, "{v}");
    assert_eq!(status(&emu, BETA, &num), beta_view);
    assert_eq!(
        zip_entries(&emu, BETA, &num),
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
    let num = upload(&emu, Upload::alfa_to_beta("DEL-O"));
    assert_ok(&delpermission(&emu, ALFA, &num, "2"), "delpermission");
    let expected = status_of(
        &num,
        &[
            perm("1", 0, 1, ALFA_BIN, UNSIGNED, 0),
            perm("2", 0, 2, BETA_BIN, UNSIGNED, 1),
        ],
    );
    assert_eq!(status(&emu, BETA, &num), expected);
    let sig = openssl_cms_sign_kz("nurlanov", &contract(), true, true);
    refused(
        &addsignature(&emu, BETA, &num, "2", &sig),
        "addsignature",
        13,
        &["permission 2 of document 1001 was deleted (sign_deleted=1); it can not be signed"],
    );
    assert_eq!(status(&emu, BETA, &num), expected);
    // The owner's own permission is still signable by the owner.
    let own = openssl_cms_sign_kz("seitkali", &contract(), false, true);
    assert_ok(&addsignature(&emu, ALFA, &num, "1", &own), "addsignature");
    assert!(
        status(&emu, ALFA, &num).contains(&perm(
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
        status(&emu, ALFA, &num)
    );
}

#[test]
fn a_signed_permission_can_not_be_deleted_by_anyone() {
    let emu = TestEmulator::spawn();
    let num = upload(&emu, Upload::alfa_to_beta("DEL-S"));
    let sig = openssl_cms_sign_kz("petrova", &contract(), false, true);
    assert_ok(&addsignature(&emu, BETA, &num, "2", &sig), "addsignature");
    let before = (status(&emu, ALFA, &num), zip_entries(&emu, ALFA, &num));
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
        refused(
            &delpermission(&emu, acc, &num, "2"),
            "delpermission",
            13,
            &["permission 2 of document 1001 is already signed by ПЕТРОВА ЕЛЕНА СЕРГЕЕВНА (160940004561); a signed permission can not be deleted"],
        );
    }
    assert_eq!(
        (status(&emu, ALFA, &num), zip_entries(&emu, ALFA, &num)),
        before
    );
    assert_eq!(before.1.len(), 2);
    assert_eq!(
        before.1[1],
        ("signature-2-160940004561.p7s".to_string(), sig)
    );
}

// ── 3. a client blocked by its partner ────────────────────────────────────────────────────

#[test]
fn client_blocked_by_its_partner_cannot_upload() {
    use sha2::Digest;
    let emu = TestEmulator::spawn();
    let client_bin = "160940022222";
    let reg = xml(&cmd(
        &emu,
        PARTNER,
        &format!("<oper>reguserbypartner</oper><email>client@shop.kz</email><remoteid>42</remoteid><client_bin>{client_bin}</client_bin>"),
    ));
    assert_eq!(reg, format!("{DECL}<resp err=\"no\" command=\"reguserbypartner\">\n<flag_newreg>1</flag_newreg>\n<partner_owner>1</partner_owner>\n<serviceid>5001</serviceid>\n</resp>"));
    // README: apikey = first 32 hex of SHA-256("signsim:<email>:<serviceid>").
    let key = sha2::Sha256::digest(b"signsim:client@shop.kz:5001")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..32]
        .to_string();
    let client = ("client@shop.kz", key.as_str());
    assert_ok(
        &cmd(
            &emu,
            PARTNER,
            &format!("<oper>addpackage2client</oper><refnum>1</refnum><bin2client>{client_bin}</bin2client><packet>1</packet>"),
        ),
        "addpackage2client",
    );
    assert_eq!(emu.pod_balance(client), 10);
    // Before the block, the client uploads.
    let first = upload(
        &emu,
        Upload::between(client, client_bin, ALFA_BIN, "alfa@test.kz", "B1"),
    );
    assert_eq!(emu.pod_balance(client), 9);
    assert_ok(
        &cmd(
            &emu,
            PARTNER,
            &format!("<oper>setblockuser</oper><bin2client>{client_bin}</bin2client>"),
        ),
        "setblockuser",
    );
    let before = (
        emu.pod_balance(client),
        emu.pod_list(client),
        emu.pod_list(ALFA),
        emu.pod_list(GAMMA),
        outbox_len(&emu),
    );
    assert_eq!(before.1.matches("<permission").count(), 2, "{}", before.1);
    for reference in ["B2", "B1"] {
        refused_doc(
            &emu.pod_upload_answer(Upload::between(
                client,
                client_bin,
                ALFA_BIN,
                "alfa@test.kz",
                reference,
            )),
            reference,
            "contract.txt",
            &["account client@shop.kz is blocked by its partner (setblockuser) and cannot upload documents"],
        );
    }
    // Whatever the document: another receiver, view only, another file.
    let mut other = Upload::between(client, client_bin, GAMMA_BIN, "gamma@test.kz", "B3")
        .set("type_delegate", "2");
    other.files = vec![("invoice.pdf".into(), b"%PDF-1.4".to_vec())];
    refused_doc(
        &emu.pod_upload_answer(other),
        "B3",
        "invoice.pdf",
        &["account client@shop.kz is blocked by its partner (setblockuser) and cannot upload documents"],
    );
    assert_eq!(
        (
            emu.pod_balance(client),
            emu.pod_list(client),
            emu.pod_list(ALFA),
            emu.pod_list(GAMMA),
            outbox_len(&emu)
        ),
        before
    );
    // The earlier document is untouched and still readable.
    assert!(
        status(&emu, client, &first).contains(&format!("<id>{first}</id>")),
        "{}",
        status(&emu, client, &first)
    );
    // Blocking again is not an error (setblockuser.rs) and changes nothing.
    assert_ok(
        &cmd(
            &emu,
            PARTNER,
            &format!("<oper>setblockuser</oper><bin2client>{client_bin}</bin2client>"),
        ),
        "setblockuser",
    );
    assert_eq!(emu.pod_balance(client), before.0);
}

// ── 4. concurrent addsignature ────────────────────────────────────────────────────────────

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
                    addsignature(emu, BETA, num, i, sig)
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
        let num = upload(&emu, Upload::alfa_to_beta(&format!("RACE-{n}")));
        let i = (2 * n + 2).to_string();
        let answers = race(&emu, &num, &i, sigs);
        let mut winners = Vec::new();
        for (k, a) in answers.iter().enumerate() {
            let x = xml(a);
            if x.contains("err=\"no\"") {
                assert_ok(a, "addsignature");
                winners.push(k);
            } else {
                refused(
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
        let x = status(&emu, ALFA, &num);
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
        let files = zip_entries(&emu, BETA, &num);
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
    let emu = TestEmulator::spawn();
    let sig = openssl_cms_sign_kz("petrova", &contract(), false, true);
    // The delete starts 0, 5, … 195 µs after the signature, so some rounds land while the
    // signature is being verified (between addsignature's first check and its transaction).
    for n in 0..40u64 {
        let num = upload(&emu, Upload::alfa_to_beta(&format!("SD-{n}")));
        let i = (2 * n + 2).to_string();
        let barrier = Barrier::new(2);
        let (signed, deleted) = std::thread::scope(|s| {
            let a = s.spawn(|| {
                barrier.wait();
                addsignature(&emu, BETA, &num, &i, &sig)
            });
            let b = s.spawn(|| {
                barrier.wait();
                let start = std::time::Instant::now();
                while start.elapsed() < std::time::Duration::from_micros(5 * n) {
                    std::hint::spin_loop();
                }
                // Alternate who deletes: the receiver, then the owner.
                delpermission(&emu, if n % 2 == 0 { BETA } else { ALFA }, &num, &i)
            });
            (a.join().unwrap(), b.join().unwrap())
        });
        let sign_ok = xml(&signed).contains("err=\"no\"");
        let del_ok = xml(&deleted).contains("err=\"no\"");
        assert!(
            sign_ok ^ del_ok,
            "round {n}: {} / {}",
            signed.text(),
            deleted.text()
        );
        let ps = permissions(&status(&emu, ALFA, &num));
        if sign_ok {
            refused(
                &deleted,
                "delpermission",
                13,
                &["a signed permission can not be deleted"],
            );
            assert_eq!(
                (ps[1]["signed"].as_str(), ps[1]["sign_deleted"].as_str()),
                ("1", "0")
            );
            assert_eq!(zip_entries(&emu, ALFA, &num).len(), 2);
        } else {
            assert_ok(&deleted, "delpermission");
            refused(
                &signed,
                "addsignature",
                13,
                &["was deleted (sign_deleted=1)"],
            );
            assert_eq!(
                (ps[1]["signed"].as_str(), ps[1]["sign_deleted"].as_str()),
                ("0", "1")
            );
            assert_eq!(zip_entries(&emu, ALFA, &num).len(), 1);
        }
    }
}

// ── 5. signed_policy and signed_firm per role ─────────────────────────────────────────────

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
        let num = upload(
            &emu,
            Upload::between(owner, owner_bin, bin, "x@test.kz", &format!("POL-{n}")),
        );
        let i = (2 * n + 2).to_string();
        let sig = openssl_cms_sign_kz(signer, &contract(), n % 2 == 1, true);
        assert_ok(&addsignature(&emu, acc, &num, &i, &sig), "addsignature");
        let signed = signed_attrs(bin, &fio_of(signer), firm, policy, CREATED);
        assert_eq!(
            status(&emu, acc, &num),
            status_of(
                &num,
                &[
                    perm(&(2 * n + 1).to_string(), 0, 1, owner_bin, UNSIGNED, 0),
                    perm(&i, 0, 2, bin, &signed, 0)
                ]
            ),
            "{signer}"
        );
        // getlistdocs carries the same attributes.
        let listed = xml(&cmd(
            &emu,
            acc,
            "<oper>getlistdocs</oper><time1>20260601</time1><time2>20260601</time2>",
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
        let num = upload(&emu, u);
        let ps = permissions(&status(&emu, BETA, &num));
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

// ── 6. the transport of every error answer ────────────────────────────────────────────────

#[test]
fn every_error_answer_is_http_200_text_xml_and_none_breaks_the_server() {
    let emu = TestEmulator::spawn();
    let num = upload(&emu, Upload::alfa_to_beta("T-1"));
    let balance = emu.pod_balance(ALFA);
    let state = |emu: &TestEmulator| {
        (
            status(emu, ALFA, &num),
            emu.pod_balance(ALFA),
            emu.pod_balance(BETA),
            emu.pod_list(ALFA),
            outbox_len(emu),
        )
    };
    let before = state(&emu);
    let c = |xml_text: &str| emu.pod_command_answer(ALFA, xml_text);
    let cb = |xml_text: &str| emu.pod_command_answer(BETA, xml_text);
    let sig = openssl_cms_sign_kz("petrova", &contract(), false, true);
    let cert_der = {
        let (cert, _) = kz_signer("petrova");
        run(
            "openssl",
            &["x509", "-in", cert.to_str().unwrap(), "-outform", "DER"],
            b"",
        )
    };
    let deep = format!(
        "<data><oper>getstatus</oper>{}{}<docuniq>{num}</docuniq></data>",
        "<a>".repeat(20_000),
        "</a>".repeat(20_000)
    );
    let many: String = (0..400)
        .map(|k| format!("<docuniq>{}</docuniq>", if k == 399 { 4711 } else { 1001 }))
        .collect();
    let bad_utf8_multipart = {
        let mut b = b"--XYZ\r\nContent-Disposition: form-data; name=\"login\"\r\n\r\n".to_vec();
        b.extend([0xff, 0xfe, b'@']);
        b.extend(b"\r\n--XYZ--\r\n");
        b
    };
    // (label, answer): every one must be an error answer, except the two odd getlistdocs.
    let raw = |method: &str, path: &str, ct: Option<&str>, body: &[u8]| {
        emu.pod_raw_answer(method, path, ct, body.to_vec())
    };
    let form = |fields: &[(&str, &str)]| emu.pod_form_answer(fields);
    let up = |u: Upload| emu.pod_upload_answer(u);
    let sign_1001 = |pem: &[u8]| {
        cb(&format!(
            "<data><oper>addsignature</oper><docnum>{num}</docnum><indexnum>2</indexnum>\
             <signature_pem>{}</signature_pem></data>",
            b64(pem)
        ))
    };
    let getavailabledocs = b64(b"<data><oper>getavailabledocs</oper></data>");
    let urlencoded = Some("application/x-www-form-urlencoded");
    let multipart = Some("multipart/form-data; boundary=XYZ");
    let random: Vec<u8> = (0..65_536u32)
        .map(|k| (k.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let legacy_upload = format!(
        "login=alfa%40test.kz&apikey={}&owner_bin={ALFA_BIN}&receiver_bin={BETA_BIN}\
         &type_delegate=1&receiver_mail=beta%40test.kz&uf=%40%2Ftmp%2Ffile.xls",
        ALFA.1
    );
    let view_only = upload(
        &emu,
        Upload::alfa_to_beta("T-VIEW").set("type_delegate", "2"),
    );
    // (label, answer): every one must be an error answer, except the two odd getlistdocs.
    let mut answers: Vec<(&str, Answer)> = Vec::new();
    answers.push(("GET /api.php", raw("GET", "/api.php", None, b"")));
    answers.push((
        "PUT /api.php",
        raw(
            "PUT",
            "/api.php",
            Some("multipart/form-data; boundary=X"),
            b"--X--\r\n",
        ),
    ));
    answers.push((
        "DELETE /apistatus.php",
        raw("DELETE", "/apistatus.php", None, b""),
    ));
    answers.push((
        "empty body, no Content-Type",
        raw("POST", "/apistatus.php", None, b""),
    ));
    answers.push((
        "JSON command",
        raw(
            "POST",
            "/apistatus.php",
            Some("application/json"),
            b"{\"login\":\"alfa@test.kz\"}",
        ),
    ));
    answers.push((
        "multipart without boundary",
        raw("POST", "/apistatus.php", Some("multipart/form-data"), b"x"),
    ));
    answers.push((
        "truncated multipart upload",
        raw(
            "POST",
            "/api.php",
            multipart,
            b"--XYZ\r\nContent-Disposition: form-data; name=\"login\"\r\n\r\nalfa",
        ),
    ));
    answers.push((
        "multipart login not UTF-8",
        raw("POST", "/api.php", multipart, &bad_utf8_multipart),
    ));
    answers.push((
        "command multipart login not UTF-8",
        raw("POST", "/apistatus.php", multipart, &bad_utf8_multipart),
    ));
    answers.push((
        "urlencoded bytes not UTF-8",
        raw(
            "POST",
            "/apistatus.php",
            urlencoded,
            &[b'l', b'=', 0xff, 0xfe],
        ),
    ));
    answers.push((
        "percent-encoded login not UTF-8",
        raw(
            "POST",
            "/apistatus.php",
            urlencoded,
            format!("login=%FF%FE&apikey={}&command=eA%3D%3D", ALFA.1).as_bytes(),
        ),
    ));
    answers.push((
        "apikey of 32 non-ASCII characters",
        form(&[
            ("login", ALFA.0),
            ("apikey", &"ж".repeat(32)),
            ("command", &getavailabledocs),
        ]),
    ));
    answers.push((
        "login of 31 characters",
        form(&[
            ("login", &format!("{}@t.kz", "a".repeat(26))),
            ("apikey", ALFA.1),
            ("command", &getavailabledocs),
        ]),
    ));
    answers.push((
        "command twice, the first bad",
        form(&[
            ("login", ALFA.0),
            ("apikey", ALFA.1),
            ("command", "!!"),
            ("command", &getavailabledocs),
        ]),
    ));
    answers.push((
        "docnum over u64",
        c("<data><oper>getdoc</oper><docnum>99999999999999999999999</docnum></data>"),
    ));
    answers.push((
        "docnum negative",
        c("<data><oper>getdoc</oper><docnum>-5</docnum></data>"),
    ));
    answers.push((
        "docnum zero",
        c("<data><oper>getdoc</oper><docnum>0</docnum></data>"),
    ));
    answers.push((
        "indexnum u64::MAX",
        cb(&format!(
            "<data><oper>addsignature</oper><docnum>{num}</docnum>\
             <indexnum>18446744073709551615</indexnum><signature_pem>{}</signature_pem></data>",
            b64(&sig)
        )),
    ));
    answers.push(("signature_pem of random bytes", sign_1001(&random)));
    answers.push(("signature_pem is a certificate", sign_1001(&cert_der)));
    answers.push(("signature_pem truncated", sign_1001(&sig[..sig.len() / 2])));
    answers.push(("signature_pem empty", sign_1001(b"")));
    answers.push((
        "getstatus with 400 docuniq, the last unknown",
        c(&format!("<data><oper>getstatus</oper>{many}</data>")),
    ));
    answers.push(("20000 nested elements", c(&deep)));
    answers.push((
        "time 30 February",
        c("<data><oper>getavailabledocs</oper><time>20260230</time></data>"),
    ));
    answers.push((
        "time hour 24",
        c("<data><oper>getavailabledocs</oper><time>20260601240000</time></data>"),
    ));
    answers.push((
        "time1 year 0000",
        c("<data><oper>getlistdocs</oper><time1>00000101</time1><time2>99991231235959</time2></data>"),
    ));
    answers.push((
        "time2 before time1",
        c("<data><oper>getlistdocs</oper><time1>20261231</time1><time2>20260101</time2></data>"),
    ));
    answers.push((
        "CDATA oper unknown",
        c("<data><oper><![CDATA[<getstatus>]]></oper></data>"),
    ));
    answers.push((
        "view-only permission signed",
        cb(&format!(
            "<data><oper>addsignature</oper><docnum>{view_only}</docnum><indexnum>4</indexnum>\
             <signature_pem>{}</signature_pem></data>",
            b64(&sig)
        )),
    ));
    answers.push((
        "partner command by a client",
        c("<data><oper>setblockuser</oper><bin2client>160940007893</bin2client></data>"),
    ));
    answers.push((
        "pack_reference over BIGINT",
        up(Upload::alfa_to_beta("T-2").set("pack_reference", "9223372036854775808")),
    ));
    answers.push((
        "receiver_bin in full-width digits",
        up(Upload::alfa_to_beta("T-3").set("receiver_bin", "１６０９４０００４５６１")),
    ));
    answers.push((
        "signature_pem not base64",
        up(Upload::alfa_to_beta("T-4").set(
            "signature_pem",
            "-----BEGIN PKCS7-----\n@@@\n-----END PKCS7-----",
        )),
    ));
    answers.push((
        "signature_pem by another BIN",
        up(Upload::alfa_to_beta("T-5").set("signature_pem", &b64(&sig))),
    ));
    answers.push(("duplicate reference", up(Upload::alfa_to_beta("T-1"))));
    answers.push((
        "uf as '@/path' urlencoded",
        raw("POST", "/api.php", urlencoded, legacy_upload.as_bytes()),
    ));
    answers.push(("uf missing", up(Upload::alfa_to_beta("T-6").without("uf"))));
    // signature_pem sent as a binary file part (DER, not base64 text).
    {
        let mut form = reqwest::blocking::multipart::Form::new();
        for (k, v) in Upload::alfa_to_beta("T-7").fields {
            form = form.text(k, v);
        }
        form = form
            .part(
                "uf",
                reqwest::blocking::multipart::Part::bytes(contract()).file_name("contract.txt"),
            )
            .part(
                "signature_pem",
                reqwest::blocking::multipart::Part::bytes(sig.clone()).file_name("sig.p7s"),
            );
        answers.push((
            "signature_pem as a binary file part",
            Answer::from(
                emu.client
                    .post(format!("{}/api.php", emu.url))
                    .multipart(form)
                    .send()
                    .unwrap(),
            ),
        ));
    }
    let mut report = Vec::new();
    for (label, a) in &answers {
        let ok_transport = a.status == 200 && a.content_type == "text/xml; charset=UTF-8";
        let body = a.text();
        let is_error = body.contains("<resp err=\"yes\"") || body.contains(">err</doc>");
        if !ok_transport
            || !is_error
            || body.contains("<status>99</status>")
            || !body.starts_with(DECL)
        {
            report.push(format!(
                "{label}: HTTP {} {:?}: {body}",
                a.status, a.content_type
            ));
        }
    }
    // The two getlistdocs with odd but well-formed ranges may answer an (empty) list; those
    // are the only requests allowed to succeed.
    report.retain(|r| {
        !(r.starts_with("time1 year 0000:") || r.starts_with("time2 before time1:"))
            || !r.contains("HTTP 200 \"text/xml; charset=UTF-8\"")
            || r.contains("<status>99</status>")
    });
    assert!(
        report.is_empty(),
        "answers that break the contract:\n{}",
        report.join("\n")
    );
    // Nothing changed but the view-only document's upload, and the server works.
    let after = state(&emu);
    assert_eq!(after.0, before.0);
    assert_eq!((after.1, after.2), (balance - 1, before.2));
    assert_eq!(after.3.matches("<permission").count(), 4);
    assert_eq!(after.4, before.4 + 1);
    let next = upload(&emu, Upload::alfa_to_beta("T-8"));
    assert_eq!(next, "1003");
    assert_ok(
        &addsignature(
            &emu,
            BETA,
            &next,
            "6",
            &openssl_cms_sign_kz("petrova", &contract(), false, true),
        ),
        "addsignature",
    );
    assert_eq!(
        xml(&cmd(&emu, ALFA, "<oper>getavailabledocs</oper>")),
        format!(
            "{DECL}<resp err=\"no\" command=\"getavailabledocs\" counts=\"{}\"></resp>",
            balance - 2
        )
    );
    // The journal agrees: every Podpishi API request was answered HTTP 200.
    let journal = emu.journal("api=podpishi&limit=1000");
    assert!(journal.len() > answers.len(), "{}", journal.len());
    let not_200: Vec<_> = journal
        .iter()
        .filter(|r| !r["path"].as_str().unwrap_or("").starts_with("/__admin") && r["status"] != 200)
        .collect();
    assert!(not_200.is_empty(), "{not_200:?}");
    // A few of them, exactly.
    let get = |label: &str| &answers.iter().find(|(l, _)| *l == label).unwrap().1;
    refused_request(
        get("GET /api.php"),
        1,
        &["/api.php is called with POST only, not GET"],
    );
    refused_request(
        get("empty body, no Content-Type"),
        0,
        &["Authorization error (code=0): login is missing"],
    );
    // A command body that is no form: the command-level shape with command="" (error.rs).
    refused(
        get("JSON command"),
        "",
        1,
        &["Content-Type is 'application/json'"],
    );
    refused(get("docnum over u64"), "getdoc", 4, &["<docnum>"]);
    refused(
        get("indexnum u64::MAX"),
        "addsignature",
        12,
        &["<indexnum> 18446744073709551615"],
    );
    for label in [
        "signature_pem of random bytes",
        "signature_pem is a certificate",
        "signature_pem truncated",
    ] {
        refused(get(label), "addsignature", 20, &["<signature_pem>"]);
    }
    refused(
        get("signature_pem empty"),
        "addsignature",
        3,
        &["<signature_pem>"],
    );
    refused(
        get("getstatus with 400 docuniq, the last unknown"),
        "getstatus",
        10,
        &["<docuniq> 4711: there is no document 4711"],
    );
    refused(
        get("view-only permission signed"),
        "addsignature",
        13,
        &["view-only"],
    );
    refused(
        get("partner command by a client"),
        "setblockuser",
        40,
        &["setblockuser is a partner command; account alfa@test.kz is not a partner"],
    );
    refused_doc(
        get("duplicate reference"),
        "T-1",
        "contract.txt",
        &["Document already exist at DB"],
    );
    // Every answer is well-formed XML for an independent parser.
    let all: Vec<(&str, &Answer)> = answers.iter().map(|(l, a)| (*l, a)).collect();
    let broken = not_well_formed(&all);
    assert!(
        broken.is_empty(),
        "answers that are not well-formed XML:\n{}",
        broken.join("\n")
    );
}

// ── 6b. control characters in what the answer echoes ────────────────────────────────────

#[test]
fn control_characters_in_requests_never_make_an_answer_ill_formed() {
    let emu = TestEmulator::spawn();
    let num = upload(&emu, Upload::alfa_to_beta("CC-0"));
    let c = |x: &str| emu.pod_command_answer(ALFA, x);
    let answers: Vec<(&str, Answer)> = vec![
        (
            "oper with &#x1;",
            c("<data><oper>get&#x1;status</oper><time></time></data>"),
        ),
        (
            "docnum with &#x1b;",
            c("<data><oper>getdoc</oper><docnum>12&#x1b;</docnum><time></time></data>"),
        ),
        (
            "docnum with a raw U+0001",
            c("<data><oper>getdoc</oper><docnum>12\u{1}</docnum><time></time></data>"),
        ),
        (
            "docuniq with a raw U+001B",
            c(&format!(
                "<data><oper>getstatus</oper><docuniq>{num}\u{1b}</docuniq><time></time></data>"
            )),
        ),
        (
            "login with U+0001",
            emu.pod_command_answer(
                ("al\u{1}fa@test.kz", ALFA.1),
                "<data><oper>getavailabledocs</oper></data>",
            ),
        ),
        (
            "upload login with U+0001",
            emu.pod_upload_answer(Upload::alfa_to_beta("CC-1").set("login", "al\u{1}fa@test.kz")),
        ),
        (
            "receiver_mail with U+0001",
            emu.pod_upload_answer(
                Upload::alfa_to_beta("CC-2").set("receiver_mail", "b\u{1}@test.kz"),
            ),
        ),
        (
            "pack_reference with U+0002",
            emu.pod_upload_answer(Upload::alfa_to_beta("CC-3").set("pack_reference", "20\u{2}")),
        ),
        (
            "nametxt with U+0001 (duplicate reference)",
            emu.pod_upload_answer(Upload::alfa_to_beta("CC-0").set("nametxt", "Акт\u{1}№ 1")),
        ),
        (
            "nametxt with U+0001",
            emu.pod_upload_answer(Upload::alfa_to_beta("CC-4").set("nametxt", "Акт\u{1}№ 1")),
        ),
        (
            "uniq_reference with U+001B",
            emu.pod_upload_answer(Upload::alfa_to_beta("CC-5\u{1b}")),
        ),
    ];
    let mut problems = Vec::new();
    for (label, a) in &answers {
        if a.status != 200 || a.content_type != "text/xml; charset=UTF-8" {
            problems.push(format!("{label}: HTTP {} {:?}", a.status, a.content_type));
        }
        if a.text().contains("<status>99</status>") {
            problems.push(format!("{label}: Internal: {}", a.text()));
        }
    }
    // A command whose XML holds a character XML 1.0 does not allow (raw, or as a character
    // reference) is not well-formed: README status 6 "command is not base64 of well-formed
    // UTF-8 XML <data>".
    for label in [
        "oper with &#x1;",
        "docnum with &#x1b;",
        "docnum with a raw U+0001",
        "docuniq with a raw U+001B",
    ] {
        let a = &answers.iter().find(|(l, _)| *l == label).unwrap().1;
        if !a
            .text()
            .contains("<resp err=\"yes\" command=\"\">\n<status>6</status>")
        {
            problems.push(format!(
                "{label}: not refused as BadCommand (6): {:?}",
                a.text()
            ));
        }
    }
    let all: Vec<(&str, &Answer)> = answers.iter().map(|(l, a)| (*l, a)).collect();
    problems.extend(not_well_formed(&all));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
