//! Podpishi.Online helpers: the scenario's accounts and KZ test signers, uploads (reqwest
//! multipart), commands as `command=<base64 XML>`, and their answers, raw or checked to the
//! byte (HTTP 200, `text/xml; charset=UTF-8`, the documented shapes).

use super::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

// ── accounts and signers ─────────────────────────────────────────────────────────────────

pub const ALFA: (&str, &str) = ("alfa@test.kz", "7588ca38acc4ef76149caa0b0c115d94");
pub const BETA: (&str, &str) = ("beta@test.kz", "0b5f3c1e9a7d4e2f8c6b1a0d9e8f7a6b");
pub const GAMMA: (&str, &str) = ("gamma@test.kz", "c0ffee00c0ffee00c0ffee00c0ffee00");
pub const PARTNER: (&str, &str) = ("partner@test.kz", "9f8e7d6c5b4a39281706f5e4d3c2b1a0");
pub const ALFA_BIN: &str = "160940001237";
pub const BETA_BIN: &str = "160940004561";
pub const GAMMA_BIN: &str = "160940007893";

pub fn kz_signer(name: &str) -> (PathBuf, PathBuf) {
    (
        fixture(&format!("kz/signers/{name}.pem")),
        fixture(&format!("kz/signers/{name}.key")),
    )
}

/// The subject of a KZ test signer's certificate as openssl prints it (long names:
/// `commonName`, `surname`, `serialNumber`, `countryName`, `givenName`, `organizationName`,
/// `organizationalUnitName`).
pub fn kz_subject(signer: &str) -> BTreeMap<String, String> {
    let (cert, _) = kz_signer(signer);
    let out = run(
        "openssl",
        &[
            "x509",
            "-in",
            cert.to_str().unwrap(),
            "-noout",
            "-subject",
            "-nameopt",
            "sep_multiline,utf8,lname",
        ],
        b"",
    );
    String::from_utf8(out)
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().split_once('='))
        .filter(|(k, _)| !k.is_empty() && *k != "subject")
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The extendedKeyUsage of a KZ test signer's certificate as openssl prints it.
pub fn kz_eku(signer: &str) -> String {
    let (cert, _) = kz_signer(signer);
    String::from_utf8(run(
        "openssl",
        &[
            "x509",
            "-in",
            cert.to_str().unwrap(),
            "-noout",
            "-ext",
            "extendedKeyUsage",
        ],
        b"",
    ))
    .unwrap()
}

/// `ФИО` as the README defines signed_fio: the certificate's CN, a space, its G (patronymic).
pub fn fio_of(signer: &str) -> String {
    let s = kz_subject(signer);
    format!("{} {}", s["commonName"], s["givenName"])
}

/// `openssl cms -sign` over `data` by a KZ test signer; returns DER.
pub fn openssl_cms_sign_kz(signer: &str, data: &[u8], attached: bool, attrs: bool) -> Vec<u8> {
    let (cert, key) = kz_signer(signer);
    openssl_cms_with(&cert, &key, data, attached, attrs, &["-md", "sha256"])
}

/// `openssl cms -verify` against the KZ test root; `content` for detached signatures.
pub fn openssl_cms_verify(der: &[u8], content: Option<&[u8]>) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let sig = write(dir.path(), "sig.p7s", der);
    let root = fixture("kz/root-ca.pem");
    let mut args = vec![
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        sig.to_str().unwrap(),
        "-CAfile",
        root.to_str().unwrap(),
        "-out",
        "/dev/null",
    ];
    let c;
    if let Some(content) = content {
        c = write(dir.path(), "content", content);
        args.extend(["-content", c.to_str().unwrap()]);
    }
    try_run("openssl", &args, b"").map(|_| ())
}

// ── uploads ──────────────────────────────────────────────────────────────────────────────

/// One upload's fields; `uf` is a list of (file name, bytes).
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub files: Vec<(String, Vec<u8>)>,
}

impl Upload {
    /// A valid upload from alfa to beta of `fixtures/docs/contract.txt`.
    pub fn alfa_to_beta(reference: &str) -> Upload {
        Upload {
            fields: vec![
                ("login".into(), ALFA.0.into()),
                ("apikey".into(), ALFA.1.into()),
                ("nametxt".into(), "Договор № 15".into()),
                ("uniq_reference".into(), reference.into()),
                ("pack_reference".into(), "201707".into()),
                ("owner_bin".into(), ALFA_BIN.into()),
                ("receiver_bin".into(), BETA_BIN.into()),
                ("type_delegate".into(), "1".into()),
                ("receiver_mail".into(), "beta@test.kz".into()),
            ],
            files: vec![("contract.txt".into(), contract())],
        }
    }

    pub fn set(mut self, name: &str, value: &str) -> Upload {
        self.fields.retain(|(k, _)| k != name);
        self.fields.push((name.into(), value.into()));
        self
    }

    pub fn without(mut self, name: &str) -> Upload {
        self.fields.retain(|(k, _)| k != name);
        if name == "uf" {
            self.files.clear();
        }
        self
    }

    /// The contract uploaded by `acc` for its template `owner_bin` to `receiver_bin`.
    pub fn between(
        acc: (&str, &str),
        owner_bin: &str,
        receiver_bin: &str,
        receiver_mail: &str,
        reference: &str,
    ) -> Upload {
        Upload::alfa_to_beta(reference)
            .set("login", acc.0)
            .set("apikey", acc.1)
            .set("owner_bin", owner_bin)
            .set("receiver_bin", receiver_bin)
            .set("receiver_mail", receiver_mail)
    }
}

pub fn contract() -> Vec<u8> {
    std::fs::read(fixture("docs/contract.txt")).unwrap()
}

/// The `num` of a successful upload answer.
pub fn doc_num(xml: &str) -> String {
    assert!(xml.contains(">ok</doc>"), "upload failed: {xml}");
    xml.split("num='")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap()
        .to_string()
}

/// The upload as reqwest's multipart form: its fields, then each file as a `uf` part.
pub fn upload_form(u: Upload) -> reqwest::blocking::multipart::Form {
    let mut form = reqwest::blocking::multipart::Form::new();
    for (k, v) in u.fields {
        form = form.text(k, v);
    }
    for (name, bytes) in u.files {
        form = form.part(
            "uf",
            reqwest::blocking::multipart::Part::bytes(bytes).file_name(name),
        );
    }
    form
}

// ── requests ─────────────────────────────────────────────────────────────────────────────

impl TestEmulator {
    /// POST /api.php with reqwest multipart; returns (status, body).
    pub fn pod_upload(&self, u: Upload) -> (u16, String) {
        let resp = self
            .client
            .post(format!("{}/api.php", self.url))
            .multipart(upload_form(u))
            .send()
            .unwrap();
        (resp.status().as_u16(), resp.text().unwrap())
    }

    /// POST /api.php with reqwest multipart, as an [`Answer`].
    pub fn pod_upload_answer(&self, u: Upload) -> Answer {
        Answer::from(
            self.client
                .post(format!("{}/api.php", self.url))
                .multipart(upload_form(u))
                .send()
                .unwrap(),
        )
    }

    /// POST /apistatus.php form-urlencoded with `command=<urlencoded base64(xml)>`.
    pub fn pod_command(&self, acc: (&str, &str), xml: &str) -> (u16, String) {
        let (s, b) = self.pod_command_bytes(acc, xml);
        (s, String::from_utf8_lossy(&b).into_owned())
    }

    pub fn pod_command_bytes(&self, acc: (&str, &str), xml: &str) -> (u16, Vec<u8>) {
        self.pod_form(&[
            ("login", acc.0),
            ("apikey", acc.1),
            ("command", &b64(xml.as_bytes())),
        ])
    }

    pub fn pod_form(&self, fields: &[(&str, &str)]) -> (u16, Vec<u8>) {
        let resp = self
            .client
            .post(format!("{}/apistatus.php", self.url))
            .form(fields)
            .send()
            .unwrap();
        (resp.status().as_u16(), resp.bytes().unwrap().to_vec())
    }

    /// POST /apistatus.php form-urlencoded `login`, `apikey`, `command=<base64(xml)>`, as an
    /// [`Answer`].
    pub fn pod_command_answer(&self, acc: (&str, &str), xml: &str) -> Answer {
        self.pod_form_answer(&[
            ("login", acc.0),
            ("apikey", acc.1),
            ("command", &b64(xml.as_bytes())),
        ])
    }

    /// POST /apistatus.php with these urlencoded fields, as an [`Answer`].
    pub fn pod_form_answer(&self, fields: &[(&str, &str)]) -> Answer {
        Answer::from(
            self.client
                .post(format!("{}/apistatus.php", self.url))
                .form(fields)
                .send()
                .unwrap(),
        )
    }

    /// The account's `counts` from getavailabledocs.
    pub fn pod_balance(&self, acc: (&str, &str)) -> i64 {
        let (_, x) = self.pod_command(
            acc,
            "<data><oper>getavailabledocs</oper><time>20260601130000</time></data>",
        );
        let v = x
            .split("counts=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_else(|| panic!("{x}"));
        v.parse().unwrap()
    }

    /// getlistdocs over all of 2026 for the account's first BIN.
    pub fn pod_list(&self, acc: (&str, &str)) -> String {
        self.pod_command(acc, "<data><oper>getlistdocs</oper><time1>20260101000000</time1><time2>20261231235959</time2><time>20260601130000</time></data>").1
    }

    /// The Podpishi `getstatus` answer for document `num`, asked by `acc`.
    pub fn pod_status(&self, acc: (&str, &str), num: &str) -> String {
        self.pod_command(
            acc,
            &format!("<data><oper>getstatus</oper><docuniq>{num}</docuniq><time>20260601130000</time></data>"),
        )
        .1
    }
}

// ── answers checked to the byte ──────────────────────────────────────────────────────────

pub const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
/// 13:00 in Almaty (UTC+5) is the frozen test clock 2026-06-01T08:00:00Z.
pub const CREATED: &str = "20260601130000";
/// The signer attributes of a permission nobody has signed.
pub const UNSIGNED: &str =
    "signed='0' signed_bin='' signed_fio='' signed_firm='' signed_policy='0' signed_date=''";

/// The body of an XML answer, after asserting HTTP 200 and `text/xml; charset=UTF-8`
/// (docs/reference.md, Podpishi.Online choices: HTTP 200 for every answer), the XML
/// declaration, and that signsim did not fail (status 99).
pub fn answer_xml(a: &Answer) -> String {
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

/// The text of an XML attribute or element with its five entities replaced.
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The exact text between `head` and `tail`, or a panic showing the answer.
pub fn between<'a>(x: &'a str, head: &str, tail: &str) -> &'a str {
    assert!(
        x.starts_with(head) && x.ends_with(tail) && x.len() >= head.len() + tail.len(),
        "expected\n{head}…{tail}\n got\n{x}"
    );
    &x[head.len()..x.len() - tail.len()]
}

/// A command-level refusal (`<resp err="yes" command="oper"><status>N</status><errdesc>…`),
/// exactly that shape; the (unescaped) errdesc must contain every needle. Returns the answer.
pub fn assert_command_refused(a: &Answer, oper: &str, status: u32, needles: &[&str]) -> String {
    let x = answer_xml(a);
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

/// The documented authorization refusal, exactly `Authorization error (code=0)` as the
/// upstream writes it; the detail (`detail`, unescaped) is in the journal entry's diagnostics
/// and the `X-Signsim-Diagnostic` header, not in `errdesc`.
pub fn assert_authorization_refused(emu: &TestEmulator, xml: &str, detail: &str) {
    assert_eq!(
        xml,
        format!("{DECL}<resp err=\"yes\">\n<status>0</status>\n<errdesc>Authorization error (code=0)</errdesc>\n</resp>"),
    );
    let last = emu.journal("api=podpishi&limit=1");
    let diags = last[0]["diagnostics"].to_string();
    assert!(
        diags.contains(&format!("refused: Authorization (status 0): {detail}")),
        "the journal lacks «{detail}»: {diags}"
    );
}

/// The upload's document-level refusal (`<doc num='' … errtxt='…'>err</doc>`), exactly.
pub fn assert_doc_refused(a: &Answer, reference: &str, filetxt: &str, needles: &[&str]) -> String {
    let x = answer_xml(a);
    let head = format!("{DECL}<resp err=\"no\">\n<doc num='' reference='{reference}' package='201707' nametxt='Договор № 15' filetxt='{filetxt}' errtxt='");
    let errtxt = unescape(between(&x, &head, "'>err</doc>\n</resp>"));
    for n in needles {
        assert!(errtxt.contains(n), "errtxt lacks «{n}»: {x}");
    }
    x
}

/// The documented empty success answer of `oper`.
pub fn assert_command_ok(a: &Answer, oper: &str) {
    assert_eq!(
        answer_xml(a),
        format!("{DECL}<resp err=\"no\" command=\"{oper}\">\n</resp>")
    );
}

/// The exact getstatus answer for one document with these `<permission … />` elements.
pub fn getstatus_answer(num: &str, perms: &[String]) -> String {
    format!(
        "{DECL}<resp err=\"no\" command=\"getstatus\">\n<docnum>\n<id>{num}</id>\n<signinfo>\n{}</signinfo>\n</docnum>\n</resp>",
        perms.join("\n")
    )
}

/// One `<permission … />` element of getstatus.
pub fn perm(i: &str, own: u8, signed_type: u8, must: &str, signature: &str, deleted: u8) -> String {
    format!("<permission i='{i}' is_own_doc='{own}' created='{CREATED}' signed_type='{signed_type}' must_signed_by_bin='{must}' {signature} sign_deleted='{deleted}' />")
}

/// The signer attributes of a signed permission.
pub fn signed_attrs(bin: &str, fio: &str, firm: &str, policy: u8, date: &str) -> String {
    format!("signed='1' signed_bin='{bin}' signed_fio='{fio}' signed_firm='{firm}' signed_policy='{policy}' signed_date='{date}'")
}

/// `<permission …/>` attributes in order of appearance.
pub fn permissions(x: &str) -> Vec<BTreeMap<String, String>> {
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

impl TestEmulator {
    /// A command `<data>{body}<time>20260601130000</time></data>` by `acc`, as an [`Answer`].
    pub fn pod_oper(&self, acc: (&str, &str), body: &str) -> Answer {
        self.pod_command_answer(
            acc,
            &format!("<data>{body}<time>20260601130000</time></data>"),
        )
    }

    /// Uploads, asserting the transport and an `ok` document; its `num`.
    pub fn pod_upload_num(&self, u: Upload) -> String {
        doc_num(&answer_xml(&self.pod_upload_answer(u)))
    }

    pub fn pod_addsignature(&self, acc: (&str, &str), num: &str, i: &str, der: &[u8]) -> Answer {
        self.pod_oper(
            acc,
            &format!(
                "<oper>addsignature</oper><docnum>{num}</docnum><indexnum>{i}</indexnum><signature_pem>{}</signature_pem>",
                b64(der)
            ),
        )
    }

    pub fn pod_delpermission(&self, acc: (&str, &str), num: &str, i: &str) -> Answer {
        self.pod_oper(
            acc,
            &format!("<oper>delpermission</oper><docnum>{num}</docnum><indexnum>{i}</indexnum>"),
        )
    }

    /// The whole getstatus answer for one document, transport checked ([`answer_xml`]).
    pub fn pod_getstatus(&self, acc: (&str, &str), num: &str) -> String {
        answer_xml(&self.pod_oper(
            acc,
            &format!("<oper>getstatus</oper><docuniq>{num}</docuniq>"),
        ))
    }

    /// getdoc's ZIP, unpacked, after asserting HTTP 200 and `application/zip`.
    pub fn pod_getdoc_files(&self, acc: (&str, &str), num: &str) -> Vec<(String, Vec<u8>)> {
        let a = self.pod_oper(acc, &format!("<oper>getdoc</oper><docnum>{num}</docnum>"));
        assert_eq!(
            (a.status, a.content_type.as_str()),
            (200, "application/zip"),
            "{}",
            a.text()
        );
        unzip(&a.body)
    }
}
