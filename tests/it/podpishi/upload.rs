//! Uploads to /api.php: reqwest multipart and `curl -F` like the PHP sample, several files back
//! byte for byte, a reused reference refused with the documented text (concurrent duplicates
//! make one document), PHP's removed `@/path` syntax explained, every field rule, blocked and
//! negative-balance accounts, and an acknowledged upload surviving `kill -9`.

use crate::helpers::*;

#[test]
fn upload_with_reqwest_then_getstatus() {
    let emu = TestEmulator::spawn();
    let before = emu.pod_balance(ALFA);
    let (status, xml) = emu.pod_upload(Upload::alfa_to_beta("(SECRETAR)(20170629)(LETTER-2948)"));
    assert_eq!(status, 200);
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"no\">\n<doc num='1001' reference='(SECRETAR)(20170629)(LETTER-2948)' package='201707' nametxt='Договор № 15' filetxt='contract.txt'>ok</doc>\n</resp>"
    );
    assert_eq!(emu.pod_balance(ALFA), before - 1);
    let (_, x) = emu.pod_command(
        ALFA,
        "<data><oper>getstatus</oper><docuniq>1001</docuniq><time>20260601130000</time></data>",
    );
    assert_eq!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"no\" command=\"getstatus\">\n<docnum>\n<id>1001</id>\n<signinfo>\n<permission i='1' is_own_doc='1' created='20260601130000' signed_type='1' must_signed_by_bin='160940001237' signed='0' signed_bin='' signed_fio='' signed_firm='' signed_policy='0' signed_date='' sign_deleted='0' />\n<permission i='2' is_own_doc='1' created='20260601130000' signed_type='2' must_signed_by_bin='160940004561' signed='0' signed_bin='' signed_fio='' signed_firm='' signed_policy='0' signed_date='' sign_deleted='0' /></signinfo>\n</docnum>\n</resp>"
    );
    // The receiver sees it as incoming.
    let (_, x) = emu.pod_command(
        BETA,
        "<data><oper>getstatus</oper><docuniq>1001</docuniq><time>20260601130000</time></data>",
    );
    assert!(x.contains("<permission i='2' is_own_doc='0'"), "{x}");
    // The email went to the outbox.
    let out: serde_json::Value = emu
        .client
        .get(format!("{}/__admin/podpishi/outbox", emu.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(out[0]["to"], "beta@test.kz");
    assert_eq!(out[0]["document"], 1001);
}

#[test]
fn upload_with_curl_like_the_php_sample() {
    let emu = TestEmulator::spawn();
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "file.xls",
        &std::fs::read(fixture("docs/blob.bin")).unwrap(),
    );
    let args = [
        "-s",
        "-F",
        "login=alfa@test.kz",
        "-F",
        "apikey=7588ca38acc4ef76149caa0b0c115d94",
        "-F",
        "nametxt=Новый документ",
        "-F",
        "uniq_reference=C-1",
        "-F",
        "pack_reference=201707",
        "-F",
        "owner_bin=160940001237",
        "-F",
        "receiver_bin=160940007893",
        "-F",
        "type_delegate=2",
        "-F",
        "receiver_mail= some@email2.com",
    ];
    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    args.push("-F".into());
    args.push(format!("uf=@{}", file.display()));
    args.push(format!("{}/api.php", emu.url));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = String::from_utf8(run("curl", &a, b"")).unwrap();
    let num = doc_num(&out);
    assert!(out.contains("filetxt='file.xls'"), "{out}");
    // type_delegate 2: the receiver may only view.
    let (_, x) = emu.pod_command(
        GAMMA,
        &format!("<data><oper>getstatus</oper><docuniq>{num}</docuniq><time>20260601130000</time></data>"),
    );
    assert!(
        x.contains("signed_type='3' must_signed_by_bin='160940007893'"),
        "{x}"
    );
    // The file comes back byte for byte.
    let (s, zip) = emu.pod_command_bytes(
        GAMMA,
        &format!(
            "<data><oper>getdoc</oper><docnum>{num}</docnum><time>20260601130000</time></data>"
        ),
    );
    assert_eq!(s, 200);
    let files = unzip(&zip);
    assert_eq!(
        files,
        vec![(
            "file.xls".to_string(),
            std::fs::read(fixture("docs/blob.bin")).unwrap()
        )]
    );
}

#[test]
fn several_files_come_back_byte_exact_and_same_names_are_kept_apart() {
    let emu = TestEmulator::spawn();
    let mut u = Upload::alfa_to_beta("multi");
    let pdf = std::fs::read(fixture("docs/invoice.pdf")).unwrap();
    u.files.push(("invoice.pdf".into(), pdf.clone()));
    u.files.push(("contract.txt".into(), b"second".to_vec()));
    let num = doc_num(&emu.pod_upload(u).1);
    let (_, zip) = emu.pod_command_bytes(
        BETA,
        &format!(
            "<data><oper>getdoc</oper><docnum>{num}</docnum><time>20260601130000</time></data>"
        ),
    );
    let files = unzip(&zip);
    assert_eq!(
        files,
        vec![
            ("contract (2).txt".to_string(), b"second".to_vec()),
            ("contract.txt".to_string(), contract()),
            ("invoice.pdf".to_string(), pdf),
        ]
    );
}

#[test]
fn reused_reference_is_refused_and_the_document_untouched() {
    let emu = TestEmulator::spawn();
    let num = doc_num(&emu.pod_upload(Upload::alfa_to_beta("A541158-ED")).1);
    let status_before = emu
        .pod_command(
            ALFA,
            &format!("<data><oper>getstatus</oper><docuniq>{num}</docuniq><time>20260601130000</time></data>"),
        )
        .1;
    let balance = emu.pod_balance(ALFA);
    let mut u = Upload::alfa_to_beta("A541158-ED").set("nametxt", "Новый офигенный документ");
    u.files = vec![("other.txt".into(), b"other bytes".to_vec())];
    let (s, xml) = emu.pod_upload(u);
    assert_eq!(s, 200);
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"no\">\n<doc num='' reference='A541158-ED' package='201707' nametxt='Новый офигенный документ' filetxt='other.txt' errtxt='Document already exist at DB'>err</doc>\n</resp>"
    );
    assert_eq!(emu.pod_balance(ALFA), balance);
    assert_eq!(
        emu.pod_command(
            ALFA,
            &format!("<data><oper>getstatus</oper><docuniq>{num}</docuniq><time>20260601130000</time></data>")
        )
        .1,
        status_before
    );
    let (_, zip) = emu.pod_command_bytes(
        ALFA,
        &format!(
            "<data><oper>getdoc</oper><docnum>{num}</docnum><time>20260601130000</time></data>"
        ),
    );
    assert_eq!(unzip(&zip), vec![("contract.txt".to_string(), contract())]);
    // Another account may use the same reference.
    let u = Upload::alfa_to_beta("A541158-ED")
        .set("login", BETA.0)
        .set("apikey", BETA.1)
        .set("owner_bin", BETA_BIN)
        .set("receiver_bin", ALFA_BIN);
    doc_num(&emu.pod_upload(u).1);
}

#[test]
fn the_duplicate_reference_error_is_exactly_the_documented_text() {
    let emu = TestEmulator::spawn();
    assert!(emu
        .pod_upload(Upload::alfa_to_beta("DUP"))
        .1
        .contains(">ok</doc>"));
    let (_, x) = emu.pod_upload(Upload::alfa_to_beta("DUP"));
    assert!(
        x.contains("errtxt='Document already exist at DB'>err</doc>"),
        "{x}"
    );
}

#[test]
fn concurrent_uploads_with_one_reference_create_one_document() {
    let emu = TestEmulator::spawn();
    let balance = emu.pod_balance(ALFA);
    let results: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| s.spawn(|| emu.pod_upload(Upload::alfa_to_beta("RACE")).1))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = results.iter().filter(|r| r.contains(">ok</doc>")).count();
    let dup = results
        .iter()
        .filter(|r| r.contains("Document already exist at DB"))
        .count();
    assert_eq!((ok, dup), (1, 7), "{results:?}");
    assert_eq!(emu.pod_balance(ALFA), balance - 1);
    assert_eq!(emu.pod_list(ALFA).matches("<permission id=").count(), 2);
}

#[test]
fn legacy_at_path_upload_is_explained() {
    let emu = TestEmulator::spawn();
    let balance = emu.pod_balance(ALFA);
    let u = Upload::alfa_to_beta("LEG")
        .without("uf")
        .set("uf", "@/путь/к/вашему/файлу/file.xls");
    let (s, xml) = emu.pod_upload(u);
    assert_eq!(s, 200);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"yes\">\n<status>5</status>\n<errdesc>uf arrived as the text &apos;@/путь/к/вашему/файлу/file.xls&apos;, not as a file: PHP&apos;s &apos;@/path&apos; upload syntax was removed"), "{xml}");
    assert!(
        xml.contains("new CURLFile(&apos;/путь/к/вашему/файлу/file.xls&apos;)"),
        "{xml}"
    );
    assert_eq!(emu.pod_balance(ALFA), balance);
    assert_eq!(emu.pod_list(ALFA).matches("<permission").count(), 0);
}

#[test]
fn every_field_rule_is_checked_and_nothing_is_stored() {
    let emu = TestEmulator::spawn();
    let balance = emu.pod_balance(ALFA);
    let cases: Vec<(Upload, u32, &str)> = vec![
        (Upload::alfa_to_beta("x").set("apikey", "7588ca38acc4ef76149caa0b0c115d95"), 0, "apikey is not the key of account 'alfa@test.kz'"),
        (Upload::alfa_to_beta("x").without("login"), 0, "login is missing"),
        (Upload::alfa_to_beta("x").set("nametxt", &"я".repeat(251)), 4, "nametxt has 251 characters; at most 250 are allowed"),
        (Upload::alfa_to_beta(&"r".repeat(101)), 4, "uniq_reference has 101 characters; at most 100 are allowed"),
        (Upload::alfa_to_beta("x").set("pack_reference", "12a"), 4, "pack_reference is &apos;12a&apos;; expected a whole number (BIGINT)"),
        (Upload::alfa_to_beta("x").without("owner_bin"), 3, "owner_bin is missing"),
        (Upload::alfa_to_beta("x").set("owner_bin", "16094000123"), 4, "owner_bin is &apos;16094000123&apos;; expected exactly 12 digits"),
        (Upload::alfa_to_beta("x").set("owner_bin", BETA_BIN), 4, "owner_bin 160940004561 is not a template (шаблон ЭЦП) of account alfa@test.kz; its BINs are: 160940001237"),
        (Upload::alfa_to_beta("x").set("receiver_bin", "19191902020"), 4, "receiver_bin is &apos;19191902020&apos;; expected exactly 12 digits (a BIN or IIN)"),
        (Upload::alfa_to_beta("x").set("type_delegate", "3"), 4, "type_delegate is &apos;3&apos;; expected 1 (view and sign) or 2 (view only)"),
        (Upload::alfa_to_beta("x").set("receiver_mail", "a-very-long-address@example.com"), 4, "receiver_mail &apos;a-very-long-address@example.com&apos; has 31 characters; at most 30 are allowed"),
        (Upload::alfa_to_beta("x").set("receiver_mail", "  "), 3, "receiver_mail is empty"),
        (Upload::alfa_to_beta("x").without("uf"), 3, "uf is missing: attach the document as a file part named uf"),
    ];
    for (u, status, needle) in cases {
        let (s, xml) = emu.pod_upload(u);
        assert_eq!(s, 200);
        if status == 0 {
            // errdesc is the document's text exactly; the reason is in the journal.
            assert_authorization_refused(&emu, &xml, needle);
            continue;
        }
        assert!(xml.starts_with(&format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"yes\">\n<status>{status}</status>\n<errdesc>{needle}")), "expected {status} {needle}\n got {xml}");
    }
    assert_eq!(emu.pod_balance(ALFA), balance);
    assert_eq!(emu.pod_list(ALFA).matches("<permission").count(), 0);
}

#[test]
fn blocked_client_and_used_up_document_count() {
    // gamma has 0 documents: the upload is refused (the Podpishi document, line 237: the
    // count can be exhausted) and the balance stays 0; the answer says how to get more.
    let emu = TestEmulator::spawn();
    let u = Upload::alfa_to_beta("G1")
        .set("login", GAMMA.0)
        .set("apikey", GAMMA.1)
        .set("owner_bin", GAMMA_BIN);
    let (_, xml) = emu.pod_upload(u);
    assert!(xml.contains("<doc num='' reference='G1'") && xml.contains("errtxt='account gamma@test.kz has 0 documents left to upload (getavailabledocs counts); an upload needs 1. Get more: getcreateinvoice"), "{xml}");
    assert_eq!(emu.pod_balance(GAMMA), 0);
    assert_eq!(emu.pod_list(GAMMA).matches("<permission").count(), 0);
    let emu = TestEmulator::spawn_edited(|t| {
        t.replace(
            "login = \"gamma@test.kz\"",
            "login = \"gamma@test.kz\"\nblocked = true",
        )
    });
    let u = Upload::alfa_to_beta("G1")
        .set("login", GAMMA.0)
        .set("apikey", GAMMA.1)
        .set("owner_bin", GAMMA_BIN);
    let (_, xml) = emu.pod_upload(u);
    assert!(xml.contains("<doc num='' reference='G1'") && xml.contains("errtxt='account gamma@test.kz is blocked by its partner (setblockuser) and cannot upload documents'>err</doc>"), "{xml}");
    assert_eq!(emu.pod_balance(GAMMA), 0);
}

#[test]
fn acknowledged_upload_survives_kill_9() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_signsim"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--clock",
                TEST_CLOCK,
                "--data-dir",
            ])
            .arg(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        (child, line.trim().to_string())
    };
    let (mut child, url) = start();
    let client = reqwest::blocking::Client::new();
    let form = reqwest::blocking::multipart::Form::new()
        .text("login", ALFA.0)
        .text("apikey", ALFA.1)
        .text("uniq_reference", "DUR")
        .text("owner_bin", ALFA_BIN)
        .text("receiver_bin", BETA_BIN)
        .text("type_delegate", "1")
        .text("receiver_mail", "beta@test.kz")
        .part(
            "uf",
            reqwest::blocking::multipart::Part::bytes(contract()).file_name("contract.txt"),
        );
    let xml = client
        .post(format!("{url}/api.php"))
        .multipart(form)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let num = doc_num(&xml);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let (mut child, url) = start();
    let cmd = b64(format!(
        "<data><oper>getstatus</oper><docuniq>{num}</docuniq><time>20260601130000</time></data>"
    )
    .as_bytes());
    let x = client
        .post(format!("{url}/apistatus.php"))
        .form(&[("login", ALFA.0), ("apikey", ALFA.1), ("command", &cmd)])
        .send()
        .unwrap()
        .text()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(x.contains(&format!("<id>{num}</id>")), "{x}");
}
