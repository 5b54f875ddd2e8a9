//! Bad requests to Podpishi.Online: malformed commands get the command-level error shape,
//! authorization errors the request-level one, and oversize, malformed or wrong-method requests
//! are refused; none changes a balance or stores a document.

use crate::helpers::*;

fn assert_cmd_error(x: &str, oper: &str, status: u32, needle: &str) {
    let head = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"yes\" command=\"{oper}\">\n<status>{status}</status>\n<errdesc>{needle}");
    assert!(x.starts_with(&head), "expected {head}\n got {x}");
}

#[test]
fn bad_commands_get_the_command_level_shape_and_change_nothing() {
    let emu = TestEmulator::spawn();
    let balance = emu.pod_balance(ALFA);
    let f = |c: &str| {
        String::from_utf8(
            emu.pod_form(&[("login", ALFA.0), ("apikey", ALFA.1), ("command", c)])
                .1,
        )
        .unwrap()
    };
    // A length no padding can mend is not base64; missing padding alone is accepted, as PHP's
    // base64_decode does ("PGRhdGE" is "<data" unpadded: it decodes, then fails as XML).
    assert_cmd_error(&f("PGRhdGE+P"), "", 6, "command is not base64: its length");
    assert_cmd_error(
        &f("PGRhdGE"),
        "",
        6,
        "command is not well-formed XML: syntax error: tag not closed",
    );
    assert_cmd_error(&f("!!!!"), "", 6, "command is not base64: character");
    assert_cmd_error(&f(""), "", 3, "command is missing or empty");
    assert_cmd_error(&f("PGRh dGE+"), "", 6, "command contains spaces");
    assert_cmd_error(
        &f(&b64(b"<data><oper>getstatus</oper>")),
        "",
        6,
        "command XML ends before &lt;/data&gt;",
    );
    assert_cmd_error(
        &f(&b64(b"<data><oper>x</data>")),
        "",
        6,
        "command is not well-formed XML",
    );
    assert_cmd_error(&f(&b64(b"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><data><oper>&lol2;</oper></data>")), "", 6, "command carries a DOCTYPE");
    assert_cmd_error(
        &f(&b64(
            b"<data><oper>getstatus</oper><docuniq>&xxe;</docuniq></data>",
        )),
        "",
        6,
        "entity &amp;xxe; is not defined",
    );
    assert_cmd_error(
        &f(&b64(&[0xff, 0xfe])),
        "",
        6,
        "command decodes to bytes that are not UTF-8",
    );
    assert_cmd_error(
        &f(&b64(b"<data><time>20260601130000</time></data>")),
        "",
        3,
        "&lt;oper&gt; is missing from &lt;data&gt;",
    );
    assert_cmd_error(&emu.pod_command(ALFA, "<data><oper>getstatuss</oper><time>20260601130000</time></data>").1, "getstatuss", 7, "&lt;oper&gt; &apos;getstatuss&apos; is not a command of /apistatus.php; the commands are: getstatus, getlistdocs");
    assert_cmd_error(
        &emu.pod_command(
            ALFA,
            "<data><oper>getdoc</oper><time>20260601130000</time></data>",
        )
        .1,
        "getdoc",
        3,
        "&lt;docnum&gt; is missing from getdoc",
    );
    assert_cmd_error(
        &emu.pod_command(
            ALFA,
            "<data><oper>getdoc</oper><docnum>12x</docnum><time>20260601130000</time></data>",
        )
        .1,
        "getdoc",
        4,
        "&lt;docnum&gt; is &apos;12x&apos;; expected a whole number",
    );
    assert_cmd_error(
        &emu.pod_command(
            ALFA,
            "<data><oper>getdoc</oper><docnum>4711</docnum><time>20260601130000</time></data>",
        )
        .1,
        "getdoc",
        10,
        "&lt;docnum&gt; 4711: there is no document 4711",
    );
    assert_cmd_error(
        &emu.pod_command(
            ALFA,
            "<data><oper>getstatus</oper><time>20260601130000</time></data>",
        )
        .1,
        "getstatus",
        3,
        "&lt;docuniq&gt; is missing",
    );
    assert_cmd_error(
        &emu.pod_command(
            ALFA,
            "<data><oper>getavailabledocs</oper><time>2026-06-01</time></data>",
        )
        .1,
        "getavailabledocs",
        4,
        "&lt;time&gt; is &apos;2026-06-01&apos;: not 14 or 8 digits",
    );
    assert_cmd_error(&emu.pod_command(ALFA, "<data><oper>getlistdocs</oper><time1>20261301</time1><time2>20261231</time2><time>20260601130000</time></data>").1, "getlistdocs", 4, "&lt;time1&gt; is &apos;20261301&apos;: the month is not 01..12");
    assert_eq!(emu.pod_balance(ALFA), balance);
}

#[test]
fn authorization_errors_are_request_level() {
    let emu = TestEmulator::spawn();
    // errdesc is the document's text exactly; the reason is in the journal.
    let expect = |x: &[u8], why: &str| {
        let x = String::from_utf8(x.to_vec()).unwrap();
        assert_authorization_refused(&emu, &x, why);
    };
    let c = b64(b"<data><oper>getavailabledocs</oper><time>20260601130000</time></data>");
    expect(
        &emu.pod_form(&[
            ("login", "nobody@test.kz"),
            ("apikey", ALFA.1),
            ("command", &c),
        ])
        .1,
        "login 'nobody@test.kz' is not an account of this service",
    );
    expect(
        &emu.pod_form(&[("login", ALFA.0), ("apikey", "short"), ("command", &c)])
            .1,
        "apikey has 5 characters; it has exactly 32",
    );
    expect(
        &emu.pod_form(&[("apikey", ALFA.1), ("command", &c)]).1,
        "login is missing",
    );
    // Multipart is accepted for commands too.
    let form = reqwest::blocking::multipart::Form::new()
        .text("login", ALFA.0)
        .text("apikey", ALFA.1)
        .text("command", c.clone());
    let x = emu
        .client
        .post(format!("{}/apistatus.php", emu.url))
        .multipart(form)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        x.contains("command=\"getavailabledocs\" counts=\"10\""),
        "{x}"
    );
}

#[test]
fn oversize_malformed_and_wrong_method() {
    let emu = TestEmulator::spawn_edited(|t| {
        t.replace("max_upload_bytes = 20971520", "max_upload_bytes = 4096")
    });
    let balance = emu.pod_balance(ALFA);
    // One buffer (not reqwest's streamed multipart): the answer may come before the body is read.
    let mut body =
        b"--XYZ\r\nContent-Disposition: form-data; name=\"uf\"; filename=\"big.bin\"\r\n\r\n"
            .to_vec();
    body.extend(vec![7u8; 10_000]);
    body.extend(b"\r\n--XYZ--\r\n");
    let resp = emu
        .client
        .post(format!("{}/api.php", emu.url))
        .header("Content-Type", "multipart/form-data; boundary=XYZ")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let x = resp.text().unwrap();
    assert_eq!(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"yes\">\n<status>2</status>\n<errdesc>the request body is over 4096 bytes (podpishi.max_upload_bytes)</errdesc>\n</resp>");
    let resp = emu
        .client
        .post(format!("{}/api.php", emu.url))
        .header("Content-Type", "multipart/form-data; boundary=XYZ")
        .body("--XYZ\r\nContent-Disposition: form-data; name=\"login\"\r\n\r\nalfa@test.kz\r\n--XY")
        .send()
        .unwrap();
    let x = resp.text().unwrap();
    assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resp err=\"yes\">\n<status>1</status>\n<errdesc>the multipart/form-data body is malformed"), "{x}");
    let x = emu
        .client
        .post(format!("{}/api.php", emu.url))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(x.contains("<status>1</status>\n<errdesc>Content-Type is &apos;application/json&apos;; send multipart/form-data"), "{x}");
    let (s, b) = emu.get_bytes("/apistatus.php");
    assert_eq!(s, 200);
    assert!(String::from_utf8(b)
        .unwrap()
        .contains("<errdesc>/apistatus.php is called with POST only, not GET</errdesc>"));
    assert_eq!(emu.pod_balance(ALFA), balance);
    assert_eq!(emu.pod_list(ALFA).matches("<permission").count(), 0);
}
