//! What integrators working by hand need: a transaction signature over a text, and complete
//! signed request bodies for curl (`signsim pki sign`, `signsim pki body`). The signed texts
//! and byte forms are exactly the ones the server checks (see `signature.rs`).

use crate::crypto::rsa::{parse_private_key, sign_sha1};
use crate::crypto::{b64, der_from_b64_or_pem, utf16le};
use serde_json::{json, Map, Value};

/// Base64 RSA-SHA1 over `text` as UTF-16LE (`utf16le`, the document's "Unicode") or UTF-8/ASCII.
pub fn sign_text(key_pem: &str, text: &str, encoding: &str) -> Result<String, String> {
    let key = parse_private_key(key_pem)?;
    let bytes = match encoding {
        "utf16le" | "unicode" => utf16le(text),
        "utf8" | "ascii" => text.as_bytes().to_vec(),
        other => return Err(format!("encoding '{other}' is not utf16le or utf8")),
    };
    sign_sha1(&key, &bytes).map(|s| b64(&s))
}

/// What `pki body` needs besides the key.
#[derive(Default)]
pub struct BodyInput {
    /// `CustomerCode-LisenceNumber`.
    pub customercode: String,
    /// `name=value` fields; `personData.X=…` for RegisterInfo's nested object.
    pub fields: Vec<(String, String)>,
    /// File contents for `csr` / `certificate` (DER or PEM), sent as base64 DER.
    pub csr: Option<Vec<u8>>,
    pub certificate: Option<Vec<u8>>,
    /// The approver's certificate and key (PEM) for RequestApprove's approverSign.
    pub approver: Option<(String, String)>,
    /// When to date the approver's CMS signing time.
    pub now: Option<time::OffsetDateTime>,
}

fn der_b64(bytes: &[u8]) -> Result<String, String> {
    let der = if bytes.starts_with(b"-----BEGIN") {
        der_from_b64_or_pem(&String::from_utf8_lossy(bytes))?
    } else {
        bytes.to_vec()
    };
    Ok(b64(&der))
}

/// A complete signed JSON body for `operation`.
pub fn build_body(operation: &str, key_pem: &str, input: &BodyInput) -> Result<Value, String> {
    let mut top = Map::new();
    let mut person = Map::new();
    for (k, v) in &input.fields {
        match k.strip_prefix("personData.") {
            Some(p) => person.insert(p.to_string(), json!(v)),
            None => top.insert(k.clone(), json!(v)),
        };
    }
    let get = |m: &Map<String, Value>, k: &str| {
        m.get(k).and_then(Value::as_str).unwrap_or("").to_string()
    };
    let sign_u = |text: &str| sign_text(key_pem, text, "utf16le");
    let sign_a = |text: &str| sign_text(key_pem, text, "utf8");
    let cc = input.customercode.clone();
    if cc.is_empty() {
        return Err("--customercode CODE-LICENSE is required".into());
    }
    match operation.to_ascii_lowercase().as_str() {
        "registerinfo" => {
            let nc = get(&person, "NationalCode");
            if nc.is_empty() {
                return Err("set personData.NationalCode=…".into());
            }
            top.insert("customercode".into(), json!(cc));
            top.insert("signature".into(), json!(sign_u(&format!("{cc}-{nc}"))?));
            top.insert("personData".into(), Value::Object(person));
        }
        "gettrackingcodeinfo" => {
            top.insert("customercode".into(), json!(cc));
            let text = format!("{}{}", get(&top, "nationalCode"), get(&top, "trackingCode"));
            top.insert("sign".into(), json!(sign_u(&text)?));
        }
        "issuecertificatebytrackingcode" => {
            let csr = match &input.csr {
                Some(bytes) => der_b64(bytes)?,
                None => get(&top, "csr"),
            };
            if csr.is_empty() {
                return Err("give --csr FILE, or csr=none for a P12 token".into());
            }
            top.insert("customercode".into(), json!(cc));
            top.insert("csr".into(), json!(csr));
            top.insert("signature".into(), json!(sign_a(&csr)?));
        }
        "revokecertificate" | "recievedcertconfirmation" => {
            let cert = der_b64(input.certificate.as_deref().ok_or("give --certificate FILE")?)?;
            top.insert("customercode".into(), json!(cc));
            top.insert("certificate".into(), json!(cert));
            let sig = if operation.eq_ignore_ascii_case("RevokeCertificate") { sign_a(&cert)? } else { sign_u(&cert)? };
            top.insert("signature".into(), json!(sig));
        }
        "requestapprove" => {
            let text = format!("{}{}{}", get(&top, "nationalCode"), get(&top, "trackingCode"), get(&top, "approver"));
            top.insert("customercode".into(), json!(cc));
            top.insert("sign".into(), json!(sign_u(&text)?));
            let approver_sign = match &input.approver {
                Some((cert_pem, key_pem)) => {
                    let cert = der_from_b64_or_pem(cert_pem)?;
                    let key = parse_private_key(key_pem)?;
                    let at = input.now.unwrap_or_else(|| crate::clock::Clock::system().now());
                    b64(&crate::crypto::cms::sign(&cert, &key, &utf16le(&text), false, at).map_err(|e| e.to_string())?)
                }
                None => String::new(),
            };
            top.insert("approverSign".into(), json!(approver_sign));
        }
        "getusercerthistory" => {
            if get(&top, "rnd").is_empty() {
                let rnd: u64 = rsa::rand_core::RngCore::next_u64(&mut rsa::rand_core::OsRng);
                top.insert("rnd".into(), json!(format!("{rnd:016x}")));
            }
            top.insert("customercode".into(), json!(cc));
            let text = format!("{}{}", get(&top, "SerialNumber"), get(&top, "rnd"));
            top.insert("signature".into(), json!(sign_u(&text)?));
        }
        other => {
            return Err(format!(
                "'{other}' is not a signed method: RegisterInfo, GetTrackingCodeInfo, IssueCertificateByTrackingCode, RevokeCertificate, RecievedCertConfirmation, RequestApprove, GetUserCertHistory"
            ))
        }
    }
    Ok(Value::Object(top))
}
