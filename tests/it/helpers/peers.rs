//! The independent peers: the `openssl` CLI, Python's `cryptography` and `zipfile`, and
//! `iconv` make the keys, CSRs, signatures and encodings signsim verifies, and check what it
//! answers. Nothing here uses signsim's own code.

use super::fixture;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
