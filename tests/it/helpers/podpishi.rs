//! Podpishi.Online helpers: the scenario's accounts and KZ test signers, uploads (reqwest
//! multipart), commands as `command=<base64 XML>`, and answers with their transport.

use super::*;
use std::path::PathBuf;

// ── Podpishi.Online ──────────────────────────────────────────────────────────────────────

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
}

pub fn contract() -> Vec<u8> {
    std::fs::read(fixture("docs/contract.txt")).unwrap()
}

impl TestEmulator {
    /// POST /api.php with reqwest multipart; returns (status, body).
    pub fn pod_upload(&self, u: Upload) -> (u16, String) {
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
        let resp = self
            .client
            .post(format!("{}/api.php", self.url))
            .multipart(form)
            .send()
            .unwrap();
        (resp.status().as_u16(), resp.text().unwrap())
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

    /// The account's `counts` from getavailabledocs.
    pub fn pod_balance(&self, acc: (&str, &str)) -> i64 {
        let (_, x) = self.pod_command(
            acc,
            "<data><oper>getavailabledocs</oper><time></time></data>",
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
        self.pod_command(acc, "<data><oper>getlistdocs</oper><time1>20260101</time1><time2>20261231</time2><time></time></data>").1
    }
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

impl TestEmulator {
    /// The Podpishi `getstatus` answer for document `num`, asked by `acc`.
    pub fn pod_status(&self, acc: (&str, &str), num: &str) -> String {
        self.pod_command(
            acc,
            &format!("<data><oper>getstatus</oper><docuniq>{num}</docuniq><time></time></data>"),
        )
        .1
    }
}

// ── Podpishi answers with their transport (status, Content-Type, journal id) ─────────────

impl Upload {
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

impl TestEmulator {
    /// POST /api.php with reqwest multipart, as an [`Answer`].
    pub fn pod_upload_answer(&self, u: Upload) -> Answer {
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
        Answer::from(
            self.client
                .post(format!("{}/api.php", self.url))
                .multipart(form)
                .send()
                .unwrap(),
        )
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

    /// Any request to `path` (`/api.php`, `/apistatus.php`) with a raw body, as an [`Answer`].
    pub fn pod_raw_answer(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut req = self.client.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", self.url),
        );
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        Answer::from(req.body(body).send().unwrap())
    }
}

/// The subject of a KZ test signer's certificate as openssl prints it (long names:
/// `commonName`, `surname`, `serialNumber`, `countryName`, `givenName`, `organizationName`,
/// `organizationalUnitName`).
pub fn kz_subject(signer: &str) -> std::collections::BTreeMap<String, String> {
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
