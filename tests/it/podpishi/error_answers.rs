//! The transport of every error answer: HTTP 200, `text/xml; charset=UTF-8`, the documented
//! shapes, well-formed XML for an independent parser (python3's expat), control characters in
//! what the answer echoes included; none of them breaks the server or changes anything.

use crate::helpers::*;

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

#[test]
fn every_error_answer_is_http_200_text_xml_and_none_breaks_the_server() {
    let emu = TestEmulator::spawn();
    let num = emu.pod_upload_num(Upload::alfa_to_beta("T-1"));
    let balance = emu.pod_balance(ALFA);
    let state = |emu: &TestEmulator| {
        (
            emu.pod_getstatus(ALFA, &num),
            emu.pod_balance(ALFA),
            emu.pod_balance(BETA),
            emu.pod_list(ALFA),
            emu.pod_outbox_len(),
        )
    };
    let before = state(&emu);
    // Malformed probes on purpose: many carry no <time> (field-missing) and two send date-only
    // periods (time-date-only); what is checked here is the shape of every error answer.
    emu.relies_on_leniency();
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
        raw_answer(&emu, method, path, ct, body.to_vec())
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
    let view_only = emu.pod_upload_num(Upload::alfa_to_beta("T-VIEW").set("type_delegate", "2"));
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
    let next = emu.pod_upload_num(Upload::alfa_to_beta("T-8"));
    assert_eq!(next, "1003");
    assert_command_ok(
        &emu.pod_addsignature(
            BETA,
            &next,
            "6",
            &openssl_cms_sign_kz("petrova", &contract(), false, true),
        ),
        "addsignature",
    );
    assert_eq!(
        answer_xml(&emu.pod_oper(ALFA, "<oper>getavailabledocs</oper>")),
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
    assert_request_refused(
        get("GET /api.php"),
        1,
        &["/api.php is called with POST only, not GET"],
    );
    // The documented text exactly; the reason beside it, in a header and in the journal.
    let unauthorized = get("empty body, no Content-Type");
    assert_eq!(
        assert_request_refused(unauthorized, 0, &[]),
        format!("{DECL}<resp err=\"yes\">\n<status>0</status>\n<errdesc>Authorization error (code=0)</errdesc>\n</resp>")
    );
    assert_eq!(unauthorized.diagnostic.as_deref(), Some("login is missing"));
    let entry = emu.admin_ok(&format!("requests/{}", unauthorized.id));
    assert!(
        entry["diagnostics"]
            .to_string()
            .contains("login is missing"),
        "{entry}"
    );
    // A command body that is no form: the command-level shape with command="" (error.rs).
    assert_command_refused(
        get("JSON command"),
        "",
        1,
        &["Content-Type is 'application/json'"],
    );
    assert_command_refused(get("docnum over u64"), "getdoc", 4, &["<docnum>"]);
    assert_command_refused(
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
        assert_command_refused(get(label), "addsignature", 20, &["<signature_pem>"]);
    }
    assert_command_refused(
        get("signature_pem empty"),
        "addsignature",
        3,
        &["<signature_pem>"],
    );
    assert_command_refused(
        get("getstatus with 400 docuniq, the last unknown"),
        "getstatus",
        10,
        &["<docuniq> 4711: there is no document 4711"],
    );
    assert_command_refused(
        get("view-only permission signed"),
        "addsignature",
        13,
        &["view-only"],
    );
    assert_command_refused(
        get("partner command by a client"),
        "setblockuser",
        40,
        &["setblockuser is a partner command; account alfa@test.kz is not a partner"],
    );
    assert_doc_refused(
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

#[test]
fn control_characters_in_requests_never_make_an_answer_ill_formed() {
    let emu = TestEmulator::spawn();
    let num = emu.pod_upload_num(Upload::alfa_to_beta("CC-0"));
    let c = |x: &str| emu.pod_command_answer(ALFA, x);
    let answers: Vec<(&str, Answer)> = vec![
        (
            "oper with &#x1;",
            c("<data><oper>get&#x1;status</oper><time>20260601130000</time></data>"),
        ),
        (
            "docnum with &#x1b;",
            c("<data><oper>getdoc</oper><docnum>12&#x1b;</docnum><time>20260601130000</time></data>"),
        ),
        (
            "docnum with a raw U+0001",
            c("<data><oper>getdoc</oper><docnum>12\u{1}</docnum><time>20260601130000</time></data>"),
        ),
        (
            "docuniq with a raw U+001B",
            c(&format!(
                "<data><oper>getstatus</oper><docuniq>{num}\u{1b}</docuniq><time>20260601130000</time></data>"
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

/// Any request to `path` (`/api.php`, `/apistatus.php`) with a raw body, as an [`Answer`].
fn raw_answer(
    emu: &TestEmulator,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Answer {
    let mut req = emu.client.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{}{path}", emu.url),
    );
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    Answer::from(req.body(body).send().unwrap())
}

/// A request-level refusal (`<resp err="yes"><status>N</status><errdesc>…`).
fn assert_request_refused(a: &Answer, status: u32, needles: &[&str]) -> String {
    let x = answer_xml(a);
    let head = format!("{DECL}<resp err=\"yes\">\n<status>{status}</status>\n<errdesc>");
    let desc = unescape(between(&x, &head, "</errdesc>\n</resp>"));
    for n in needles {
        assert!(desc.contains(n), "errdesc lacks «{n}»: {x}");
    }
    x
}
