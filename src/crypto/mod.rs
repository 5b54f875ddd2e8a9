//! Cryptography as pure functions: RSA keys and PKCS#1 v1.5 signatures ([`rsa`]), X.509
//! certificates, CSRs and CRLs ([`x509`]).
//!
//! Nothing here reads files, configuration or the clock: key bytes and times come in as
//! arguments, so every function can be tested against the `openssl` CLI on fixed inputs.

pub mod cms;
pub mod kz;
pub mod rsa;
pub mod x509;

use base64::Engine;
use sha2::{Digest, Sha256};

/// .NET's `Encoding.Unicode`: UTF-16 little-endian, no byte-order mark.
pub fn utf16le(s: &str) -> Vec<u8> {
    // One allocation of the size an ASCII text needs (a signed text is ASCII), not a
    // `flat_map` collected byte by byte.
    let mut out = Vec::with_capacity(2 * s.len());
    for u in s.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

pub fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// `text` without its ASCII white space (line breaks of wrapped base64), borrowed when it has
/// none: every such byte is at most a space, so one pass without a branch a byte clears the
/// common text before the exact test.
pub fn without_ascii_space(text: &str) -> std::borrow::Cow<'_, str> {
    let maybe_space = text.bytes().fold(false, |seen, b| seen | (b <= b' '));
    if maybe_space && text.bytes().any(|b| b.is_ascii_whitespace()) {
        text.chars().filter(|c| !c.is_ascii_whitespace()).collect()
    } else {
        text.into()
    }
}

/// Decodes standard base64 the way .NET's `Convert.FromBase64String` does: white space
/// (line breaks of PEM-style wrapping) is ignored, padding is required.
pub fn b64_decode(text: &str) -> Result<Vec<u8>, String> {
    let compact = without_ascii_space(text);
    if compact.is_empty() {
        return Err("it is empty".into());
    }
    if compact.len() % 4 != 0 {
        return Err(format!(
            "its length without white space ({}) is not a multiple of 4: truncated or unpadded",
            compact.len()
        ));
    }
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| match e {
            base64::DecodeError::InvalidByte(at, byte) => format!(
                "character {:?} at position {at} is not in the base64 alphabet",
                byte as char
            ),
            base64::DecodeError::InvalidLength(len) => {
                format!("its length without white space ({len}) is not a multiple of 4: truncated or unpadded")
            }
            base64::DecodeError::InvalidLastSymbol(at, _) => {
                format!("the last symbol at position {at} has trailing bits set: truncated")
            }
            base64::DecodeError::InvalidPadding => "its padding is wrong".into(),
        })
}

/// DER from text that is either base64 DER or PEM (any label).
pub fn der_from_b64_or_pem(text: &str) -> Result<Vec<u8>, String> {
    let t = text.trim();
    if t.starts_with("-----BEGIN") {
        let body: String = t
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("");
        b64_decode(&body)
    } else {
        b64_decode(t)
    }
}

/// DER from base64, or from a PEM block whose label is one of `labels` and which ends with
/// the matching `-----END …-----` line (nothing but whitespace around it).
pub fn der_from_b64_or_labelled_pem(text: &str, labels: &[&str]) -> Result<Vec<u8>, String> {
    let t = text.trim();
    if !t.starts_with("-----") {
        return b64_decode(t);
    }
    let mut lines = t.lines().map(str::trim);
    let first = lines.next().unwrap_or("");
    let label = first
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or_else(|| {
            format!(
                "the PEM's first line '{first}' is not '-----BEGIN {}-----'",
                labels[0]
            )
        })?;
    if !labels.contains(&label) {
        return Err(format!(
            "the PEM is labelled '{label}'; expected {}",
            labels
                .iter()
                .map(|l| format!("'{l}'"))
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    let mut ended = false;
    for line in lines.by_ref() {
        if line == end {
            ended = true;
            break;
        }
        if line.starts_with("-----") {
            return Err(format!("the PEM has '{line}' where '{end}' was expected"));
        }
        body.push_str(line);
    }
    if !ended {
        return Err(format!("the PEM has no '{end}' line: it was cut off"));
    }
    if lines.any(|l| !l.is_empty()) {
        return Err(format!("text follows the PEM's '{end}' line"));
    }
    b64_decode(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16le_matches_iconv() {
        // printf 'A-ی' | iconv -t UTF-16LE | xxd
        assert_eq!(utf16le("A-ی"), vec![0x41, 0x00, 0x2d, 0x00, 0xcc, 0x06]);
    }

    #[test]
    fn base64_errors_say_what_is_wrong() {
        assert_eq!(b64_decode("QUJD\r\nREVG").unwrap(), b"ABCDEF");
        assert!(b64_decode("QUJDRA")
            .unwrap_err()
            .contains("not a multiple of 4"));
        assert!(b64_decode("QU*D").unwrap_err().contains("'*'"));
        assert!(b64_decode("").unwrap_err().contains("empty"));
    }
}
