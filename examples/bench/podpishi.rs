//! Podpishi.Online requests of account alfa@test.kz (owner BIN 160940001237, receiver Бета
//! 160940004561) and how their answers are judged.

use crate::http::{b64, post};

/// The default scenario's account alfa@test.kz and its apikey.
const ALFA: (&str, &str) = ("alfa@test.kz", "7588ca38acc4ef76149caa0b0c115d94");

/// A command answer without an error: `err="no"` and no document-level `err`.
pub fn ok_pod(s: u16, b: &[u8]) -> bool {
    s == 200 && b.windows(8).any(|w| w == b"err=\"no\"") && !b.windows(8).any(|w| w == b">err</do")
}

/// A ZIP (`getdoc`'s answer).
pub fn ok_zip(s: u16, b: &[u8]) -> bool {
    s == 200 && b.starts_with(b"PK\x03\x04")
}

/// Percent-encodes a form value.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `POST /apistatus.php` as alfa: the form with `command` = base64 of `xml`.
pub fn command(xml: &str) -> Vec<u8> {
    let body = format!(
        "login={}&apikey={}&command={}",
        urlencode(ALFA.0),
        ALFA.1,
        urlencode(&b64(xml.as_bytes()))
    );
    post(
        "/apistatus.php",
        "application/x-www-form-urlencoded",
        body.as_bytes(),
    )
}

/// `POST /api.php`: alfa uploads `file` for Бета to sign, under `reference`.
pub fn upload(reference: &str, file: &[u8]) -> Vec<u8> {
    let boundary = "signsimbenchboundary";
    let mut body = Vec::new();
    for (k, v) in [
        ("login", ALFA.0),
        ("apikey", ALFA.1),
        ("nametxt", "bench"),
        ("uniq_reference", reference),
        ("owner_bin", "160940001237"),
        ("receiver_bin", "160940004561"),
        ("type_delegate", "1"),
        ("receiver_mail", "beta@test.kz"),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"uf\"; filename=\"doc.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    post(
        "/api.php",
        &format!("multipart/form-data; boundary={boundary}"),
        &body,
    )
}
