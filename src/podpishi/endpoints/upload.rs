//! `POST /api.php`: upload a document for a counterparty to sign or view.
//!
//! Checks, in order: the form (multipart; urlencoded is read too so that a `uf` sent as text
//! gets its own message), login+apikey, every field rule of the document, the owner's
//! `signature_pem` (verified over the first file), then ONE transaction: `uniq_reference`
//! unique per account, a blocked client refused, an account with no documents left refused,
//! the balance decremented (never below zero), the document, its files (stored once by SHA-256), the permission
//! of the owner (i, signed_type 1) and of the receiver (signed_type 2 for `type_delegate` 1,
//! 3 for 2), the by-BIN index and the receiver's email.

use crate::changes::Changes;
use crate::journal::{Meta, Warning};
use crate::podpishi::ctx::{bin_check_digit, portable};
use crate::podpishi::error::{DocContext, Kind, PodpishiError, Refused, XML_DECL};
use crate::podpishi::model::documents;
use crate::podpishi::signing::{self, Verdict};
use crate::podpishi::state::{Account, StoredFile};
use crate::podpishi::wire::{Form, Part};
use crate::podpishi::Podpishi;
use bytes::Bytes;
use quick_xml::escape::escape;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Stores the document of an authenticated upload; the answer's XML, or the refusal with what
/// the form said about the document (for the document-level shape).
pub fn handle(
    pod: &Podpishi,
    form: &Form,
    account: Arc<Account>,
    meta: &mut Meta,
) -> Result<String, Refused> {
    let mut doc = DocContext::default();
    let changes = Changes::new();
    let r = run(pod, form, account, &mut doc, &changes);
    meta.diagnostics.append(&mut doc.diagnostics);
    meta.warnings.append(&mut doc.warnings);
    meta.changes = changes.take();
    match r {
        Ok((num, xml)) => {
            meta.record = Some(num.to_string());
            Ok(xml)
        }
        Err(error) => Err(Refused {
            error,
            doc: Some(Box::new(doc)),
            oper: None,
        }),
    }
}

/// Text fields as sent (apikey masked), file parts as name, size and SHA-256.
pub fn summarize(form: &Form) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for p in &form.parts {
        let v = match &p.file_name {
            Some(f) => {
                serde_json::json!({"file": f, "bytes": p.bytes.len(), "sha256": crate::crypto::sha256_hex(&p.bytes)})
            }
            None if p.name == "apikey" => serde_json::json!("********"),
            None => {
                crate::journal::summarize(&serde_json::json!(String::from_utf8_lossy(&p.bytes)))
            }
        };
        m.insert(p.name.to_string(), v);
    }
    serde_json::Value::Object(m)
}

fn text_limited(form: &Form, name: &str, max: usize) -> Result<Option<String>, PodpishiError> {
    match form.text(name)? {
        None => Ok(None),
        Some(v) => {
            let n = v.chars().count();
            if n > max {
                Err(PodpishiError::new(
                    Kind::InvalidField,
                    format!("{name} has {n} characters; at most {max} are allowed"),
                ))
            } else {
                Ok(Some(v))
            }
        }
    }
}

/// A BIN/IIN field: 12 digits (refused otherwise, as documented); a wrong check digit warns
/// `bin-check-digit` ([`bin_check_digit`]).
fn bin_field(
    pod: &Podpishi,
    form: &Form,
    name: &str,
    warnings: &mut Vec<Warning>,
) -> Result<String, PodpishiError> {
    let v = form.required(name, Kind::MissingField)?;
    if v.len() != 12 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PodpishiError::new(
            Kind::InvalidField,
            format!("{name} is '{v}'; expected exactly 12 digits (a BIN or IIN)"),
        ));
    }
    bin_check_digit(pod.world(), warnings, name, &v)?;
    Ok(v)
}

fn uf_parts(form: &Form) -> Result<Vec<&Part>, PodpishiError> {
    let parts: Vec<&Part> = form
        .parts
        .iter()
        .filter(|p| p.name == "uf" || p.name.starts_with("uf["))
        .collect();
    if parts.is_empty() {
        return Err(PodpishiError::new(
            Kind::MissingField,
            "uf is missing: attach the document as a file part named uf (curl -F uf=@file; PHP: new CURLFile($path))",
        ));
    }
    for p in &parts {
        if p.file_name.is_none() {
            let text = String::from_utf8_lossy(&p.bytes);
            if text.starts_with('@') {
                return Err(PodpishiError::new(
                    Kind::LegacyAtUpload,
                    format!(
                        "{} arrived as the text '{}', not as a file: PHP's '@/path' upload syntax was removed in PHP 7 (CURLOPT_SAFE_UPLOAD), so cURL sends the path itself; send 'uf' => new CURLFile('{}') instead",
                        p.name,
                        text.chars().take(200).collect::<String>(),
                        text.trim_start_matches('@').chars().take(200).collect::<String>()
                    ),
                ));
            }
            return Err(PodpishiError::new(
                Kind::InvalidField,
                format!("{} arrived as a plain text field of {} bytes, not as a file part; send it as a file (multipart part with a filename)", p.name, p.bytes.len()),
            ));
        }
    }
    Ok(parts)
}

/// A file name without directories or control characters; `document-N.bin` if none is left.
fn clean_name(name: &str, n: usize) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let s: String = base.chars().filter(|c| !c.is_control()).collect();
    let s = s.trim().trim_start_matches('.').to_string();
    if s.is_empty() {
        format!("document-{n}.bin")
    } else {
        s
    }
}

/// The upload form, every field bound once and checked (refusals name the field).
struct Upload {
    nametxt: String,
    reference: String,
    package: String,
    owner_bin: String,
    receiver_bin: String,
    /// The receiver's permission: 2 to view and sign (`type_delegate` 1), 3 to view (2).
    receiver_type: u8,
    receiver_mail: String,
    files: Vec<(StoredFile, Bytes)>,
}

impl Upload {
    /// The files' names, as the answer's `filetxt` lists them.
    fn filetxt(&self) -> String {
        self.files
            .iter()
            .map(|(f, _)| f.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `nametxt`, or the first file's name.
    fn name(&self) -> String {
        if self.nametxt.is_empty() {
            self.files[0].0.name.clone()
        } else {
            self.nametxt.clone()
        }
    }
}

/// parse (every field rule in the documented order; the owner BIN being one of the account's is
/// among them, checked right after `owner_bin` is read, so the form's refusals keep that order)
/// → judge the owner's signature → one model call → render.
fn run(
    pod: &Podpishi,
    form: &Form,
    account: Arc<Account>,
    ctx: &mut DocContext,
    changes: &Changes,
) -> Result<(u64, String), PodpishiError> {
    remember_context(form, ctx);
    let up = parse(pod, form, &account, &mut ctx.warnings)?;
    let filetxt = up.filetxt();
    ctx.filetxt = filetxt.clone();
    let now = pod.now();
    let owner_signature = owner_signature(pod, form, &up, now, ctx)?;
    let name = up.name();
    let new = documents::NewUpload {
        owner_bin: up.owner_bin,
        receiver_bin: up.receiver_bin,
        receiver_mail: up.receiver_mail,
        receiver_type: up.receiver_type,
        reference: up.reference,
        package: up.package,
        name,
        files: up.files,
        owner_signature,
    };
    let first = pod.world().spec.first_document_number;
    let num = documents::upload(pod.store(), first, now, &account.login, &new, changes)?.num;
    diagnose(num, new.owner_signature.as_ref(), ctx);
    Ok((
        num,
        format!(
            "{XML_DECL}<resp err=\"no\">\n<doc num='{num}' reference='{}' package='{}' nametxt='{}' filetxt='{}'>ok</doc>\n</resp>",
            escape(&new.reference),
            escape(&new.package),
            escape(&new.name),
            escape(&filetxt)
        ),
    ))
}

/// Context for the document-level error shape, as far as the fields are readable.
fn remember_context(form: &Form, ctx: &mut DocContext) {
    let text = |n: &str| form.text(n).ok().flatten().unwrap_or_default();
    ctx.reference = text("uniq_reference");
    ctx.package = text("pack_reference");
    ctx.nametxt = text("nametxt");
    ctx.filetxt = form
        .parts
        .iter()
        .find(|p| p.name == "uf" || p.name.starts_with("uf["))
        .and_then(|p| p.file_name.clone())
        .unwrap_or_default();
}

/// Every field rule of the document, in the order the refusals are documented.
fn parse(
    pod: &Podpishi,
    form: &Form,
    account: &Account,
    warnings: &mut Vec<Warning>,
) -> Result<Upload, PodpishiError> {
    let nametxt = text_limited(form, "nametxt", 250)?
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let reference = text_limited(form, "uniq_reference", 100)?
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let package = pack_reference(form)?;
    let owner_bin = bin_field(pod, form, "owner_bin", warnings)?;
    if !account.bins.contains(&owner_bin) {
        return Err(PodpishiError::new(
            Kind::InvalidField,
            format!("owner_bin {owner_bin} is not a template (шаблон ЭЦП) of account {}; its BINs are: {}", account.login, account.bins.join(", ")),
        ));
    }
    let receiver_bin = bin_field(pod, form, "receiver_bin", warnings)?;
    if receiver_bin == owner_bin {
        portable(
            pod.world(),
            warnings,
            "receiver-is-owner",
            format!("receiver_bin {receiver_bin} is owner_bin; expected the BIN of the organisation that must sign the document (the Podpishi document, line 34), which the document does not say may be the owner's own"),
        )?;
    }
    let receiver_type = type_delegate(form)?;
    let receiver_mail = receiver_mail(pod, form, warnings)?;
    let files = files(form)?;
    Ok(Upload {
        nametxt,
        reference,
        package,
        owner_bin,
        receiver_bin,
        receiver_type,
        receiver_mail,
        files,
    })
}

/// `pack_reference`: empty, or a whole number (BIGINT) kept as sent (trimmed).
fn pack_reference(form: &Form) -> Result<String, PodpishiError> {
    match form
        .text("pack_reference")?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
    {
        None => Ok(String::new()),
        Some(p) => {
            p.parse::<i64>().map_err(|_| {
                PodpishiError::new(
                    Kind::InvalidField,
                    format!("pack_reference is '{p}'; expected a whole number (BIGINT)"),
                )
            })?;
            Ok(p)
        }
    }
}

/// `type_delegate` → the receiver permission's `signed_type`.
fn type_delegate(form: &Form) -> Result<u8, PodpishiError> {
    let type_delegate = form.required("type_delegate", Kind::MissingField)?;
    match type_delegate.as_str() {
        "1" => Ok(2),
        "2" => Ok(3),
        other => Err(PodpishiError::new(
            Kind::InvalidField,
            format!("type_delegate is '{other}'; expected 1 (view and sign) or 2 (view only)"),
        )),
    }
}

/// `receiver_mail`: required, at most 30 characters (the Podpishi document, line 41; both
/// refused). Trimmed, as the document's sample sends `' some@email2.com'`. The document gives
/// no other rule: one `@` and no whitespace is accepted silently, any other form with the
/// warning `mail-form`.
fn receiver_mail(
    pod: &Podpishi,
    form: &Form,
    warnings: &mut Vec<Warning>,
) -> Result<String, PodpishiError> {
    let receiver_mail = form.required("receiver_mail", Kind::MissingField)?;
    if receiver_mail.chars().count() > 30 {
        return Err(PodpishiError::new(
            Kind::InvalidField,
            format!(
                "receiver_mail '{receiver_mail}' has {} characters; at most 30 are allowed (the Podpishi document, line 41)",
                receiver_mail.chars().count()
            ),
        ));
    }
    if receiver_mail.matches('@').count() != 1 || receiver_mail.contains(char::is_whitespace) {
        portable(
            pod.world(),
            warnings,
            "mail-form",
            format!("receiver_mail is '{receiver_mail}'; expected an email address with one '@' and no spaces, e.g. some@email2.com (the Podpishi document, line 41); production may not deliver the notification or may refuse the upload"),
        )?;
    }
    Ok(receiver_mail)
}

/// The `uf` parts as stored files (clean names, SHA-256) with their bytes.
fn files(form: &Form) -> Result<Vec<(StoredFile, Bytes)>, PodpishiError> {
    Ok(uf_parts(form)?
        .iter()
        .enumerate()
        .map(|(n, p)| {
            (
                StoredFile {
                    name: clean_name(p.file_name.as_deref().unwrap_or(""), n + 1),
                    sha256: crate::crypto::hex(&Sha256::digest(&p.bytes)),
                    size: p.bytes.len() as u64,
                },
                p.bytes.clone(),
            )
        })
        .collect())
}

/// The owner's own `signature_pem`, judged over the first file before the transaction (pure,
/// RSA work); None when the upload is unsigned.
fn owner_signature(
    pod: &Podpishi,
    form: &Form,
    up: &Upload,
    now: time::OffsetDateTime,
    ctx: &mut DocContext,
) -> Result<Option<Verdict>, PodpishiError> {
    let Some(p) = form.parts.iter().find(|p| p.name == "signature_pem") else {
        return Ok(None);
    };
    if p.bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let text = String::from_utf8(p.bytes.to_vec()).map_err(|_| {
        PodpishiError::new(Kind::SignatureInvalid, "signature_pem is not base64 text")
    })?;
    let der = signing::decode("signature_pem", &text)?;
    if signing::is_armored(&text) {
        crate::podpishi::ctx::portable(
            pod.world(),
            &mut ctx.warnings,
            "signature-pem-armor",
            "signature_pem is PEM-armoured; the document sends plain base64 of the CMS".into(),
        )?;
    }
    signing::judge(
        pod.world(),
        now,
        "signature_pem",
        &der,
        &up.files[0].1,
        &up.owner_bin,
    )
    .map(Some)
}

/// How the upload was judged, for the journal.
fn diagnose(num: u64, owner_signature: Option<&Verdict>, ctx: &mut DocContext) {
    match owner_signature {
        Some(v) => match &v.unverified {
            Some(note) => {
                tracing::warn!("podpishi: document {num}: owner signature {note}");
                ctx.diagnostics.push(format!("signature_pem: {note}"));
            }
            None => ctx.diagnostics.push(
                "signature_pem: CMS verified against the document and its signer's BIN".into(),
            ),
        },
        None => ctx
            .diagnostics
            .push("no signature_pem: the document is uploaded unsigned".into()),
    }
    ctx.diagnostics
        .push(format!("document {num} stored; balance debited by 1"));
}
