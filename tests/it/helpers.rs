//! The test emulator and the independent crypto peers.

#![allow(dead_code)]

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;

pub const CUSTOMER_A: &str = "10320874334";
pub const LICENSE_A: &str = "1234";
pub const CUSTOMER_B: &str = "14105318760";
pub const LICENSE_B: &str = "5678";
/// The frozen clock of every test emulator unless a test moves it.
pub const TEST_CLOCK: &str = "2026-06-01T08:00:00Z";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("fixtures").join(rel)
}

pub fn customer_key(code: &str) -> PathBuf {
    fixture(&format!("pki/customers/{code}.key"))
}

/// A signsim running in this process on 127.0.0.1:0 with an in-memory store and a frozen clock.
pub struct TestEmulator {
    pub url: String,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub client: reqwest::blocking::Client,
    _dir: Option<tempfile::TempDir>,
}

pub struct Options {
    /// Replaces the default scenario's text (paths resolve against `scenarios/`).
    pub scenario_text: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub clock: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            scenario_text: None,
            data_dir: None,
            clock: Some(TEST_CLOCK.into()),
        }
    }
}

pub fn default_scenario_text() -> String {
    std::fs::read_to_string(repo().join("scenarios/default.toml")).expect("scenarios/default.toml")
}

impl TestEmulator {
    pub fn spawn() -> TestEmulator {
        TestEmulator::spawn_with(Options::default())
    }

    /// The default scenario with `edit` applied to its text.
    pub fn spawn_edited(edit: impl FnOnce(String) -> String) -> TestEmulator {
        TestEmulator::spawn_with(Options {
            scenario_text: Some(edit(default_scenario_text())),
            ..Options::default()
        })
    }

    pub fn spawn_with(opts: Options) -> TestEmulator {
        let text = opts.scenario_text.unwrap_or_else(default_scenario_text);
        let config = signsim::config::Config {
            addr: "127.0.0.1:0".parse().unwrap(),
            scenario: signsim::config::ScenarioSource::Text {
                text,
                base: repo().join("scenarios"),
            },
            data_dir: opts.data_dir,
            ready_file: None,
            frozen_clock: opts.clock.map(|c| {
                time::OffsetDateTime::parse(&c, &time::format_description::well_known::Rfc3339)
                    .unwrap()
            }),
            public_url: None,
            admin_token: None,
            journal_size: 1000,
        };
        let (url_tx, url_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let running = match signsim::start(config).await {
                    Ok(r) => r,
                    Err(e) => {
                        url_tx.send(Err(e.to_string())).unwrap();
                        return;
                    }
                };
                url_tx.send(Ok(running.url.clone())).unwrap();
                tokio::task::spawn_blocking(move || stop_rx.recv())
                    .await
                    .ok();
                running.stop().await;
            });
        });
        let url = url_rx
            .recv()
            .unwrap()
            .unwrap_or_else(|e| panic!("signsim did not start: {e}"));
        TestEmulator {
            url,
            stop: Some(stop_tx),
            thread: Some(thread),
            client: reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap(),
            _dir: None,
        }
    }

    /// GET `/api/{method}?query`; returns (status, JSON body).
    pub fn get(&self, method: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let resp = self
            .client
            .get(format!("{}/api/{method}", self.url))
            .query(query)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().unwrap_or(Value::Null))
    }

    /// POST a JSON body to `/api/{method}`; returns (status, JSON body).
    pub fn post(&self, method: &str, body: &Value) -> (u16, Value) {
        self.post_raw(method, "application/json", body.to_string().into_bytes())
    }

    pub fn post_raw(&self, method: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let resp = self
            .client
            .post(format!("{}/api/{method}", self.url))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        let resp = self
            .client
            .get(format!("{}{path}", self.url))
            .send()
            .unwrap();
        (resp.status().as_u16(), resp.bytes().unwrap().to_vec())
    }
}

impl Drop for TestEmulator {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ── independent peers ────────────────────────────────────────────────────────────────────

/// Runs a command with `stdin`, panics with its stderr on failure, returns stdout.
pub fn run(cmd: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let out = try_run(cmd, args, stdin);
    match out {
        Ok(o) => o,
        Err(e) => panic!("{cmd} {}: {e}", args.join(" ")),
    }
}

pub fn try_run(cmd: &str, args: &[&str], stdin: &[u8]) -> Result<Vec<u8>, String> {
    let mut child = Command::new(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {cmd}: {e}"))?;
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "exit {:?}: {}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        ))
    }
}

pub fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

pub fn unb64(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

/// `iconv -f UTF-8 -t UTF-16LE`: .NET's Encoding.Unicode, made by an independent tool.
pub fn utf16le(text: &str) -> Vec<u8> {
    run("iconv", &["-f", "UTF-8", "-t", "UTF-16LE"], text.as_bytes())
}

/// `openssl dgst -sha1 -sign key` over `data`, base64.
pub fn openssl_sign(key: &Path, data: &[u8]) -> String {
    b64(&run(
        "openssl",
        &["dgst", "-sha1", "-sign", key.to_str().unwrap()],
        data,
    ))
}

/// The documented "Unicode" signature: RSA-SHA1 over UTF-16LE of `text`.
pub fn sign_unicode(key: &Path, text: &str) -> String {
    openssl_sign(key, &utf16le(text))
}

/// A fresh RSA key (PEM file in `dir`) and a DER CSR for it, made by `openssl req`.
pub fn openssl_csr(dir: &Path, bits: u32) -> (PathBuf, Vec<u8>) {
    let key = dir.join(format!(
        "leaf-{bits}-{}.key",
        std::process::id() as u64 + rand_suffix()
    ));
    let csr = run(
        "openssl",
        &[
            "req",
            "-new",
            "-newkey",
            &format!("rsa:{bits}"),
            "-nodes",
            "-keyout",
            key.to_str().unwrap(),
            "-subj",
            "/CN=ignored by the RA/O=Client",
            "-outform",
            "DER",
        ],
        b"",
    );
    (key, csr)
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Writes `data` to a file in `dir` and returns its path.
pub fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// `openssl verify` of a DER certificate against the fixture chain of `ca_file` (e.g. "pki/ca-01.pem").
/// Returns openssl's output, or its error text.
pub fn openssl_verify(
    dir: &Path,
    cert_der: &[u8],
    ca_file: &str,
    crl_der: Option<&[u8]>,
    at: &str,
) -> Result<String, String> {
    let pem = run("openssl", &["x509", "-inform", "DER"], cert_der);
    let cert = write(dir, "verify-leaf.pem", &pem);
    let mut chain = std::fs::read(fixture("pki/root-ca.pem")).unwrap();
    chain.extend(std::fs::read(fixture(ca_file)).unwrap());
    let chain = write(dir, "verify-chain.pem", &chain);
    let attime = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp()
        .to_string();
    let mut args = vec![
        "verify",
        "-attime",
        &attime,
        "-CAfile",
        chain.to_str().unwrap(),
    ];
    let crl_path;
    if let Some(crl) = crl_der {
        let crl_pem = run("openssl", &["crl", "-inform", "DER"], crl);
        crl_path = write(dir, "verify.crl.pem", &crl_pem);
        args.extend(["-crl_check", "-CRLfile", crl_path.to_str().unwrap()]);
    }
    args.push(cert.to_str().unwrap());
    try_run("openssl", &args, b"").map(|o| String::from_utf8_lossy(&o).into_owned())
}

/// `openssl x509 -text` of a DER certificate, names printed as UTF-8.
pub fn openssl_text(cert_der: &[u8]) -> String {
    String::from_utf8_lossy(&run(
        "openssl",
        &[
            "x509",
            "-inform",
            "DER",
            "-noout",
            "-text",
            "-nameopt",
            "utf8,sep_comma_plus_space",
        ],
        cert_der,
    ))
    .into_owned()
}

/// Runs a Python 3 snippet with `cryptography`; argv as given; returns stdout.
pub fn python(code: &str, args: &[&str]) -> String {
    let mut all = vec!["-c", code];
    all.extend_from_slice(args);
    String::from_utf8(run("python3", &all, b"")).unwrap()
}

// ── PKI request builders ─────────────────────────────────────────────────────────────────

/// The registry person 0012345679 (Mehdi Ahmadi) as personData.
pub fn mehdi() -> Value {
    serde_json::json!({
        "NationalCode": "0012345679",
        "Name": "مهدی",
        "LastName": "احمدی",
        "EnName": "Mehdi",
        "EnLastName": "Ahmadi",
        "FatherName": "حسن",
        "IsMan": true,
        "PostalCode": "1136913111",
        "Telephone": "09121234567",
        "IsForeign": false,
        "BirthCertificateID": "1234",
        "BirthDate": "1990/05/12",
        "City": "تهران",
        "ProvinceName": "تهران",
        "TokenType": "USERGENERATED",
        "Email": "mehdi@example.test"
    })
}

/// A signed RegisterInfo body for customer A.
pub fn register_body(ca: &str, profile: &str, person: Value) -> Value {
    register_body_as(
        CUSTOMER_A,
        LICENSE_A,
        &customer_key(CUSTOMER_A),
        ca,
        profile,
        person,
    )
}

/// A signed IssueCertificateByTrackingCode body for customer A (`Sign(csr)`: ASCII of the field).
/// A signed RegisterInfo body for customer B.
pub fn register_body_b(ca: &str, profile: &str, person: Value) -> Value {
    register_body_as(
        CUSTOMER_B,
        LICENSE_B,
        &customer_key(CUSTOMER_B),
        ca,
        profile,
        person,
    )
}

pub fn issue_body(ca: &str, profile: &str, tracking: &str, csr_der: &[u8]) -> Value {
    issue_body_as(CUSTOMER_A, LICENSE_A, ca, profile, tracking, csr_der)
}

impl TestEmulator {
    /// Registers Mehdi in CA 01 / Bronze-Sign; returns the tracking code.
    pub fn register_mehdi(&self) -> String {
        let (status, body) =
            self.post("RegisterInfo", &register_body("01", "Bronze-Sign", mehdi()));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["IsSuccess"], true, "{body}");
        body["TrackingCode"].as_str().unwrap().to_string()
    }

    /// A customer's credit, through GetCredit.
    pub fn credit_of(&self, code: &str, report_key: &str) -> i64 {
        let (status, body) = self.post(
            "GetCredit",
            &serde_json::json!({"reportkey": report_key, "customercode": code}),
        );
        assert_eq!(status, 200, "{body}");
        body["Credit"].as_str().unwrap().parse().unwrap()
    }
}

// ── shared by the PKI test modules ───────────────────────────────────────────────────────

/// Asserts a refusal: the HTTP status, the envelope's false flag (`IsSuccess`, `ResultCode` or
/// `IsAvailable`, whichever the method answers with), the exact `ErrorCode`, and that
/// `ErrorMessage` contains every needle.
pub fn assert_refused(resp: &(u16, Value), http: u16, code: i64, needles: &[&str]) {
    let (status, body) = resp;
    assert_eq!(*status, http, "HTTP status; body: {body}");
    let flag = ["IsSuccess", "ResultCode", "IsAvailable"]
        .iter()
        .find(|k| body.get(**k).is_some())
        .unwrap_or_else(|| panic!("no IsSuccess/ResultCode/IsAvailable in {body}"));
    assert_eq!(body[*flag], false, "{flag}; body: {body}");
    assert_eq!(body["ErrorCode"], code, "ErrorCode; body: {body}");
    let msg = body["ErrorMessage"]
        .as_str()
        .unwrap_or_else(|| panic!("ErrorMessage is not a string in {body}"));
    for n in needles {
        assert!(msg.contains(n), "ErrorMessage lacks {n:?}: {msg}");
    }
}

/// Asserts an `IsSuccess: true` answer with HTTP 200.
pub fn assert_ok(resp: &(u16, Value)) {
    let (status, body) = resp;
    assert_eq!(*status, 200, "{body}");
    assert_eq!(body["IsSuccess"], true, "{body}");
    assert_eq!(body["ErrorCode"], 0, "{body}");
}

/// The registry person 0023456787 (Zahra Karimi; registry birth date 1368/02/15 Solar Hijri).
pub fn zahra() -> Value {
    serde_json::json!({
        "NationalCode": "0023456787",
        "Name": "زهرا",
        "LastName": "کریمی",
        "EnName": "Zahra",
        "EnLastName": "Karimi",
        "FatherName": "علی",
        "IsMan": false,
        "Telephone": "09131112233",
        "BirthCertificateID": "5521",
        "BirthDate": "1989/05/05",
        "City": "اصفهان",
        "ProvinceName": "اصفهان",
        "PostalCode": "8173613411",
        "TokenType": "USERGENERATED"
    })
}

/// The registry person 0061204501 (Reza Mohammadi).
pub fn reza() -> Value {
    serde_json::json!({
        "NationalCode": "0061204501",
        "Name": "رضا",
        "LastName": "محمدی",
        "EnName": "Reza",
        "EnLastName": "Mohammadi",
        "FatherName": "محمود",
        "IsMan": true,
        "Telephone": "09151234567",
        "BirthCertificateID": "8842",
        "BirthDate": "1985/11/30",
        "TokenType": "USERGENERATED"
    })
}

/// A signed RegisterInfo body for any customer, signed with `key` (openssl, UTF-16LE by iconv).
pub fn register_body_as(
    customer: &str,
    license: &str,
    key: &Path,
    ca: &str,
    profile: &str,
    person: Value,
) -> Value {
    let customercode = format!("{customer}-{license}");
    let nc = person["NationalCode"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let sig = sign_unicode(key, &format!("{customercode}-{nc}"));
    serde_json::json!({
        "caName": ca,
        "customercode": customercode,
        "profileName": profile,
        "signature": sig,
        "personData": person,
    })
}

/// A signed IssueCertificateByTrackingCode body for any customer (`Sign(csr)`, ASCII form).
pub fn issue_body_as(
    customer: &str,
    license: &str,
    ca: &str,
    profile: &str,
    tracking: &str,
    csr_der: &[u8],
) -> Value {
    let csr = b64(csr_der);
    let sig = openssl_sign(&customer_key(customer), csr.as_bytes());
    serde_json::json!({
        "caName": ca,
        "profileName": profile,
        "trackingCode": tracking,
        "csr": csr,
        "paymentId": "pay-1",
        "signature": sig,
        "customercode": format!("{customer}-{license}"),
    })
}

/// A signed RevokeCertificate body (`Sign(certificate)`, ASCII form).
pub fn revoke_body_as(customer: &str, license: &str, cert_b64: &str, reason: i64) -> Value {
    let sig = openssl_sign(&customer_key(customer), cert_b64.as_bytes());
    serde_json::json!({
        "certificate": cert_b64,
        "signature": sig,
        "customercode": format!("{customer}-{license}"),
        "revokeCertReason": reason,
    })
}

/// `openssl dgst -sha256 -sign key` over `data`, base64 (the "wrong hash" mistake).
pub fn openssl_sign_sha256(key: &Path, data: &[u8]) -> String {
    b64(&run(
        "openssl",
        &["dgst", "-sha256", "-sign", key.to_str().unwrap()],
        data,
    ))
}

/// SHA-256 of a public key's SPKI DER, lowercase hex, computed by openssl alone.
pub fn spki_sha256(pub_pem: &Path) -> String {
    let der = run(
        "openssl",
        &[
            "pkey",
            "-pubin",
            "-in",
            pub_pem.to_str().unwrap(),
            "-outform",
            "DER",
        ],
        b"",
    );
    let out = String::from_utf8(run("openssl", &["dgst", "-sha256", "-r"], &der)).unwrap();
    out.split_whitespace().next().unwrap().to_lowercase()
}

/// The serial number of a DER certificate as openssl prints it (uppercase hex).
pub fn openssl_serial(cert_der: &[u8]) -> String {
    let out = String::from_utf8(run(
        "openssl",
        &["x509", "-inform", "DER", "-noout", "-serial"],
        cert_der,
    ))
    .unwrap();
    out.trim().trim_start_matches("serial=").to_string()
}

/// `openssl crl -text` of a DER CRL.
pub fn openssl_crl_text(crl_der: &[u8]) -> String {
    String::from_utf8_lossy(&run(
        "openssl",
        &["crl", "-inform", "DER", "-noout", "-text"],
        crl_der,
    ))
    .into_owned()
}

impl TestEmulator {
    /// The state of a tracking code as IsApproved reports it ("tracking code N is <State>").
    pub fn state_of(&self, tracking: &str) -> String {
        let (status, body) =
            self.post("IsApproved", &serde_json::json!({"trackingCode": tracking}));
        assert_eq!(status, 200, "{body}");
        let d = body["Description"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"));
        d.rsplit(' ').next().unwrap().to_string()
    }

    /// Registers `person` for customer A and returns the tracking code (asserting success).
    pub fn register_a(&self, ca: &str, profile: &str, person: Value) -> String {
        let resp = self.post("RegisterInfo", &register_body(ca, profile, person));
        assert_ok(&resp);
        resp.1["TrackingCode"].as_str().unwrap().to_string()
    }

    /// Issues for customer A from `csr_der`; returns the success body.
    pub fn issue_a(&self, ca: &str, profile: &str, tracking: &str, csr_der: &[u8]) -> Value {
        let resp = self.post(
            "IssueCertificateByTrackingCode",
            &issue_body(ca, profile, tracking, csr_der),
        );
        assert_ok(&resp);
        resp.1
    }

    /// Customer A's credit.
    pub fn credit_a(&self) -> i64 {
        self.credit_of(CUSTOMER_A, "report-key-A-0001")
    }

    /// Customer B's credit.
    pub fn credit_b(&self) -> i64 {
        self.credit_of(CUSTOMER_B, "report-key-B-0002")
    }
}

// ── approval, P12 and reports (issue 3) ──────────────────────────────────────────────────

/// The scenario's in-person approvers (`[[pki.approvers]]` of scenarios/default.toml).
pub const APPROVER_1: &str = "TEST Approver Ali Rezaei";
pub const APPROVER_2: &str = "TEST Approver Maryam Karimi";
pub const REPORT_KEY_A: &str = "report-key-A-0001";
pub const REPORT_KEY_B: &str = "report-key-B-0002";

/// (certificate, key) of a fixture approver: `approver-1`, `approver-2` or `approver-rogue`.
pub fn approver_files(name: &str) -> (PathBuf, PathBuf) {
    (
        fixture(&format!("pki/approvers/{name}.pem")),
        fixture(&format!("pki/approvers/{name}.key")),
    )
}

/// What RequestApprove's `sign` and `approverSign` cover: `nationalCode + trackingCode + approver`.
pub fn approval_text(national: &str, tracking: &str, approver: &str) -> String {
    format!("{national}{tracking}{approver}")
}

/// `openssl cms -sign -binary -outform DER` by the fixture approver `signer` over `data`:
/// detached unless `attached` (`-nodetach`), with signed attributes unless `noattr`.
pub fn openssl_cms_sign(signer: &str, data: &[u8], noattr: bool, attached: bool) -> Vec<u8> {
    let (cert, key) = approver_files(signer);
    openssl_cms_with(&cert, &key, data, attached, !noattr, &[])
}

/// `openssl cms -sign -binary -outform DER` by `cert`/`key` over `data`: detached unless
/// `attached`, with signed attributes when `attrs`, plus `extra` arguments.
pub fn openssl_cms_with(
    cert: &Path,
    key: &Path,
    data: &[u8],
    attached: bool,
    attrs: bool,
    extra: &[&str],
) -> Vec<u8> {
    let mut args = vec![
        "cms",
        "-sign",
        "-binary",
        "-outform",
        "DER",
        "-signer",
        cert.to_str().unwrap(),
        "-inkey",
        key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    if !attrs {
        args.push("-noattr");
    }
    if attached {
        args.push("-nodetach");
    }
    run("openssl", &args, data)
}

/// `openssl cms -cmsout -print` of a DER CMS: the structure as openssl sees it.
pub fn openssl_cms_print(der: &[u8]) -> String {
    String::from_utf8_lossy(&run(
        "openssl",
        &["cms", "-cmsout", "-print", "-inform", "DER"],
        der,
    ))
    .into_owned()
}

/// Python `cryptography`'s `PKCS7SignatureBuilder` (SHA-256, DetachedSignature + Binary) by the
/// fixture approver `signer` over `data`; DER.
pub fn python_pkcs7_detached(signer: &str, data: &[u8]) -> Vec<u8> {
    let (cert, key) = approver_files(signer);
    let out = python(
        "import sys, base64\n\
         from cryptography import x509\n\
         from cryptography.hazmat.primitives import hashes, serialization\n\
         from cryptography.hazmat.primitives.serialization import pkcs7\n\
         cert = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())\n\
         key = serialization.load_pem_private_key(open(sys.argv[2], 'rb').read(), None)\n\
         sig = pkcs7.PKCS7SignatureBuilder().set_data(base64.b64decode(sys.argv[3]))\
         .add_signer(cert, key, hashes.SHA256())\
         .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])\n\
         print(base64.b64encode(sig).decode())",
        &[cert.to_str().unwrap(), key.to_str().unwrap(), &b64(data)],
    );
    unb64(out.trim())
}

/// A RequestApprove body for any customer: `sign` is openssl RSA-SHA1 over UTF-16LE (iconv) of
/// `nationalCode + trackingCode + approver`; `approverSign` and `orderId` are left out when `None`.
pub fn request_approve_body_as(
    customer: &str,
    license: &str,
    national: &str,
    tracking: &str,
    approver: &str,
    approver_sign: Option<&str>,
    order_id: Option<&str>,
) -> Value {
    let sign = sign_unicode(
        &customer_key(customer),
        &approval_text(national, tracking, approver),
    );
    let mut body = serde_json::json!({
        "customercode": format!("{customer}-{license}"),
        "nationalCode": national,
        "trackingCode": tracking,
        "approver": approver,
        "sign": sign,
    });
    if let Some(s) = approver_sign {
        body["approverSign"] = serde_json::json!(s);
    }
    if let Some(o) = order_id {
        body["orderId"] = serde_json::json!(o);
    }
    body
}

/// A valid Iranian national code from nine leading digits (check digit per src/ids.rs:
/// s = Σ d_i·(10−i), r = s mod 11, check = r if r < 2 else 11 − r).
pub fn valid_national_code(first9: u32) -> String {
    let head = format!("{first9:09}");
    let s: u32 = head
        .bytes()
        .enumerate()
        .map(|(i, b)| (b - b'0') as u32 * (10 - i as u32))
        .sum();
    let r = s % 11;
    format!("{head}{}", if r < 2 { r } else { 11 - r })
}

impl TestEmulator {
    /// IsApproved's `(ResultCode, Message)`, asserting HTTP 200.
    pub fn is_approved(&self, tracking: &str) -> (Value, Value) {
        let (status, body) =
            self.post("IsApproved", &serde_json::json!({"trackingCode": tracking}));
        assert_eq!(status, 200, "{body}");
        (body["ResultCode"].clone(), body["Message"].clone())
    }

    /// Customer A approves `tracking` in person: approver-1's detached CMS (openssl, signed
    /// attributes) over UTF-16LE of the approval text; asserts success.
    pub fn approve_in_person_a(&self, national: &str, tracking: &str) {
        let text = approval_text(national, tracking, APPROVER_1);
        let cms = openssl_cms_sign("approver-1", &utf16le(&text), false, false);
        let (status, body) = self.post(
            "RequestApprove",
            &request_approve_body_as(
                CUSTOMER_A,
                LICENSE_A,
                national,
                tracking,
                APPROVER_1,
                Some(&b64(&cms)),
                None,
            ),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["ResultCode"], true, "{body}");
        assert_eq!(body["Message"], "Success", "{body}");
    }

    /// Registers `person` for customer B (signed with B's key) and returns the tracking code.
    pub fn register_b(&self, ca: &str, profile: &str, person: Value) -> String {
        let resp = self.post("RegisterInfo", &register_body_b(ca, profile, person));
        assert_ok(&resp);
        resp.1["TrackingCode"].as_str().unwrap().to_string()
    }

    /// Issues for customer B from `csr_der`; returns the success body.
    pub fn issue_b(&self, ca: &str, profile: &str, tracking: &str, csr_der: &[u8]) -> Value {
        let resp = self.post(
            "IssueCertificateByTrackingCode",
            &issue_body_as(CUSTOMER_B, LICENSE_B, ca, profile, tracking, csr_der),
        );
        assert_ok(&resp);
        resp.1
    }
}

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

    pub fn pod_admin_sign(&self, num: &str, body: &Value) -> (u16, Value) {
        let resp = self
            .client
            .post(format!(
                "{}/__admin/podpishi/documents/{num}/sign",
                self.url
            ))
            .json(body)
            .send()
            .unwrap();
        (resp.status().as_u16(), resp.json().unwrap_or(Value::Null))
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

/// Unpacks a ZIP into (name, bytes) with python3's zipfile (an independent reader).
pub fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let z = write(dir.path(), "d.zip", bytes);
    let out = dir.path().join("out");
    run(
        "python3",
        &[
            "-m",
            "zipfile",
            "-e",
            z.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
        b"",
    );
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

// ── control plane (issue 5): /__admin, journal ids, the binary as a process ─────────────

/// The journal id a response carries (`X-Signsim-Request-Id`); panics when it is missing.
pub fn request_id(headers: &reqwest::header::HeaderMap) -> u64 {
    headers
        .get("x-signsim-request-id")
        .unwrap_or_else(|| panic!("no X-Signsim-Request-Id in {headers:?}"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// One answer as the client saw it: status, journal id, content type, raw body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub id: u64,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn from(resp: reqwest::blocking::Response) -> Answer {
        let status = resp.status().as_u16();
        let id = request_id(resp.headers());
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        Answer {
            status,
            id,
            content_type,
            body: resp.bytes().unwrap().to_vec(),
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the text when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// `/__admin/` + `path` unless `path` already starts with `/`.
fn admin_url(base: &str, path: &str) -> String {
    if path.starts_with('/') {
        format!("{base}{path}")
    } else {
        format!("{base}/__admin/{path}")
    }
}

fn status_and_json(resp: reqwest::blocking::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

impl TestEmulator {
    /// GET `/__admin/{path}`; (status, JSON body — a JSON string when the body is not JSON).
    pub fn admin_get(&self, path: &str) -> (u16, Value) {
        status_and_json(self.client.get(admin_url(&self.url, path)).send().unwrap())
    }

    /// POST JSON to `/__admin/{path}`.
    pub fn admin_post(&self, path: &str, body: &Value) -> (u16, Value) {
        status_and_json(
            self.client
                .post(admin_url(&self.url, path))
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .unwrap(),
        )
    }

    /// POST a raw text body (a scenario's TOML) to `/__admin/{path}`.
    pub fn admin_post_text(&self, path: &str, content_type: &str, body: &str) -> (u16, Value) {
        status_and_json(
            self.client
                .post(admin_url(&self.url, path))
                .header("Content-Type", content_type)
                .body(body.to_string())
                .send()
                .unwrap(),
        )
    }

    /// DELETE `/__admin/{path}`.
    pub fn admin_delete(&self, path: &str) -> (u16, Value) {
        status_and_json(
            self.client
                .delete(admin_url(&self.url, path))
                .send()
                .unwrap(),
        )
    }

    /// GET `/__admin/{path}` as an [`Answer`] (PEM, DER, …).
    pub fn admin_raw(&self, path: &str) -> Answer {
        Answer::from(self.client.get(admin_url(&self.url, path)).send().unwrap())
    }

    /// GET `/__admin/{path}`, asserting 200; the JSON body.
    pub fn admin_ok(&self, path: &str) -> Value {
        let (status, body) = self.admin_get(path);
        assert_eq!(status, 200, "GET /__admin/{path}: {body}");
        body
    }

    /// `GET /__admin/requests?{query}`'s `requests` array.
    pub fn journal(&self, query: &str) -> Vec<Value> {
        let body = self.admin_ok(&format!("requests?{query}"));
        body["requests"]
            .as_array()
            .unwrap_or_else(|| panic!("no requests array in {body}"))
            .clone()
    }

    /// `POST /__admin/requests/count` with `filter`; asserts 200.
    pub fn journal_count(&self, filter: &Value) -> u64 {
        let (status, body) = self.admin_post("requests/count", filter);
        assert_eq!(status, 200, "{body}");
        body["count"].as_u64().unwrap_or_else(|| panic!("{body}"))
    }

    /// `POST /__admin/clock {"advance": by}`, asserting 200; returns the new `now`.
    pub fn advance(&self, by: &str) -> String {
        let (status, body) = self.admin_post("clock", &serde_json::json!({ "advance": by }));
        assert_eq!(status, 200, "advance {by}: {body}");
        body["now"].as_str().unwrap().to_string()
    }

    /// `GET /__admin/clock`'s `now`.
    pub fn clock_now(&self) -> String {
        self.admin_ok("clock")["now"].as_str().unwrap().to_string()
    }

    /// `POST /__admin/faults` with `rule`, asserting 200; returns the rule's name.
    pub fn add_fault(&self, rule: &Value) -> String {
        let (status, body) = self.admin_post("faults", rule);
        assert_eq!(status, 200, "{rule}: {body}");
        body["added"].as_str().unwrap().to_string()
    }

    /// A GET to `/api/{method}?query` as an [`Answer`] (with its journal id).
    pub fn get_answer(&self, method: &str, query: &[(&str, &str)]) -> Answer {
        Answer::from(
            self.client
                .get(format!("{}/api/{method}", self.url))
                .query(query)
                .send()
                .unwrap(),
        )
    }

    /// A JSON POST to `/api/{method}` as an [`Answer`] (with its journal id).
    pub fn post_answer(&self, method: &str, body: &Value) -> Answer {
        Answer::from(
            self.client
                .post(format!("{}/api/{method}", self.url))
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .unwrap(),
        )
    }

    /// The Podpishi `getstatus` answer for document `num`, asked by `acc`.
    pub fn pod_status(&self, acc: (&str, &str), num: &str) -> String {
        self.pod_command(
            acc,
            &format!("<data><oper>getstatus</oper><docuniq>{num}</docuniq><time></time></data>"),
        )
        .1
    }
}

/// A client that opens a new connection for every request (no idle pool).
pub fn fresh_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The `std::io::ErrorKind`s found along an error's source chain.
pub fn io_error_kinds(e: &(dyn std::error::Error + 'static)) -> Vec<std::io::ErrorKind> {
    let mut kinds = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            kinds.push(io.kind());
        }
        cur = err.source();
    }
    kinds
}

/// The `signsim` binary serving in a child process (`serve --clock TEST_CLOCK` + `args`);
/// killed when dropped.
pub struct SignsimProcess {
    child: std::process::Child,
    /// The URL the binary printed on its first stdout line.
    pub printed_url: String,
    /// The same port on 127.0.0.1 (what a local client connects to).
    pub url: String,
}

impl SignsimProcess {
    pub fn start(args: &[&str]) -> SignsimProcess {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_signsim"))
            .args(["serve", "--clock", TEST_CLOCK])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let printed_url = line.trim().to_string();
        let port = printed_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or_else(|| panic!("first stdout line is not a URL: {printed_url:?}"));
        SignsimProcess {
            child,
            printed_url,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for SignsimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `signsim serve --clock TEST_CLOCK args…` expecting it to exit by itself within 20 s;
/// returns (exit code, stdout, stderr). Panics (after killing it) when it keeps running.
pub fn signsim_exit(args: &[&str]) -> (Option<i32>, String, String) {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_signsim"))
        .args(["serve", "--clock", TEST_CLOCK])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("signsim serve {} kept running", args.join(" "));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), out, err)
}

/// The problems of a refused `POST /__admin/scenario`, as the README documents the answer:
/// `{"problems": [{line, field, message}]}`.
pub fn scenario_problems(body: &Value) -> Vec<Value> {
    body["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no top-level \"problems\" array in {body}"))
        .clone()
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
