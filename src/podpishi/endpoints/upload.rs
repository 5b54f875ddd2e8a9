//! `POST /api.php`: upload a document for a counterparty to sign or view.
//!
//! Checks, in order: the form (multipart; urlencoded is read too so that a `uf` sent as text
//! gets its own message), login+apikey, every field rule of the document, the owner's
//! `signature_pem` (verified over the first file), then ONE transaction: `uniq_reference`
//! unique per account, a blocked client refused, the balance decremented (it may go
//! negative, as documented), the document, its files (stored once by SHA-256), the permission
//! of the owner (i, signed_type 1) and of the receiver (signed_type 2 for `type_delegate` 1,
//! 3 for 2), the by-BIN index and the receiver's email.

use crate::ids;
use crate::journal::Meta;
use crate::podpishi::error::{DocContext, Kind, PodpishiError, Refused, XML_DECL};
use crate::podpishi::state::{keys, Account, Document, Permission, StoredFile};
use crate::podpishi::wire::{Form, Part};
use crate::podpishi::{put_document, signing, Podpishi};
use crate::store::{refuse, Table};
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
    let r = run(pod, form, account, &mut doc);
    meta.diagnostics.append(&mut doc.diagnostics);
    meta.warnings.append(&mut doc.warnings);
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
        m.insert(p.name.clone(), v);
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

fn bin_field(pod: &Podpishi, form: &Form, name: &str) -> Result<String, PodpishiError> {
    let v = form.required(name, Kind::MissingField)?;
    if v.len() != 12 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PodpishiError::new(
            Kind::InvalidField,
            format!("{name} is '{v}'; expected exactly 12 digits (a BIN or IIN)"),
        ));
    }
    if pod.world().spec.check_digits {
        if let Some(p) = ids::iin_bin_problem(&v) {
            return Err(PodpishiError::new(
                Kind::InvalidField,
                format!("{name}: {p} (IIN/BIN check digit; podpishi.check_digits = false turns this off)"),
            ));
        }
    }
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

fn run(
    pod: &Podpishi,
    form: &Form,
    account: Arc<Account>,
    ctx: &mut DocContext,
) -> Result<(u64, String), PodpishiError> {
    // Context for the document-level error shape, as far as the fields are readable.
    ctx.reference = form
        .text("uniq_reference")
        .ok()
        .flatten()
        .unwrap_or_default();
    ctx.package = form
        .text("pack_reference")
        .ok()
        .flatten()
        .unwrap_or_default();
    ctx.nametxt = form.text("nametxt").ok().flatten().unwrap_or_default();
    ctx.filetxt = form
        .parts
        .iter()
        .find(|p| p.name == "uf" || p.name.starts_with("uf["))
        .and_then(|p| p.file_name.clone())
        .unwrap_or_default();

    let nametxt = text_limited(form, "nametxt", 250)?
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let reference = text_limited(form, "uniq_reference", 100)?
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let package = match form
        .text("pack_reference")?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
    {
        None => String::new(),
        Some(p) => {
            p.parse::<i64>().map_err(|_| {
                PodpishiError::new(
                    Kind::InvalidField,
                    format!("pack_reference is '{p}'; expected a whole number (BIGINT)"),
                )
            })?;
            p
        }
    };
    let owner_bin = bin_field(pod, form, "owner_bin")?;
    if !account.bins.contains(&owner_bin) {
        return Err(PodpishiError::new(
            Kind::InvalidField,
            format!("owner_bin {owner_bin} is not a template (шаблон ЭЦП) of account {}; its BINs are: {}", account.login, account.bins.join(", ")),
        ));
    }
    let receiver_bin = bin_field(pod, form, "receiver_bin")?;
    let type_delegate = form.required("type_delegate", Kind::MissingField)?;
    let signed_type = match type_delegate.as_str() {
        "1" => 2,
        "2" => 3,
        other => {
            return Err(PodpishiError::new(
                Kind::InvalidField,
                format!("type_delegate is '{other}'; expected 1 (view and sign) or 2 (view only)"),
            ))
        }
    };
    let receiver_mail = form.required("receiver_mail", Kind::MissingField)?;
    if receiver_mail.chars().count() > 30 {
        return Err(PodpishiError::new(
            Kind::InvalidField,
            format!(
                "receiver_mail '{receiver_mail}' has {} characters; at most 30 are allowed",
                receiver_mail.chars().count()
            ),
        ));
    }
    let at = receiver_mail.find('@');
    if !matches!(at, Some(i) if i > 0 && i + 1 < receiver_mail.len())
        || receiver_mail.contains(char::is_whitespace)
    {
        return Err(PodpishiError::new(
            Kind::InvalidField,
            format!("receiver_mail '{receiver_mail}' is not an email address"),
        ));
    }
    let ufs = uf_parts(form)?;
    let files: Vec<(StoredFile, Bytes)> = ufs
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
        .collect();
    let filetxt = files
        .iter()
        .map(|(f, _)| f.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    ctx.filetxt = filetxt.clone();
    let name = if nametxt.is_empty() {
        files[0].0.name.clone()
    } else {
        nametxt.clone()
    };

    let now = pod.now();
    // The owner's own signature, judged before the transaction (pure, RSA work).
    let verdict = match form.parts.iter().find(|p| p.name == "signature_pem") {
        Some(p) if !p.bytes.iter().all(u8::is_ascii_whitespace) => {
            let text = String::from_utf8(p.bytes.to_vec()).map_err(|_| {
                PodpishiError::new(Kind::SignatureInvalid, "signature_pem is not base64 text")
            })?;
            let der = signing::decode("signature_pem", &text)?;
            if signing::is_armored(&text) {
                crate::podpishi::ctx::portable(
                    pod.world(),
                    &mut ctx.warnings,
                    "signature-pem-armor",
                    "signature_pem is PEM-armoured; the document sends plain base64 of the CMS"
                        .into(),
                )?;
            }
            Some(signing::judge(
                pod.world(),
                now,
                "signature_pem",
                &der,
                &files[0].1,
                &owner_bin,
            )?)
        }
        _ => None,
    };

    let first = pod.world().spec.first_document_number;
    let login = account.login.clone();
    let num = pod.store().write(|tx| {
        let mut acc: Account = tx
            .get(Table::PodAccounts, &keys::account(&login))?
            .ok_or_else(|| crate::store::Abort::Refuse(PodpishiError::new(Kind::Authorization, format!("login '{login}' is not an account of this service"))))?;
        if acc.blocked {
            return refuse(PodpishiError::new(
                Kind::ClientBlocked,
                format!("account {login} is blocked by its partner (setblockuser) and cannot upload documents"),
            ));
        }
        if !reference.is_empty() {
            if let Some(n) = tx.get::<u64, _>(Table::PodByReference, &keys::reference(&login, &reference))? {
                return refuse(PodpishiError::new(
                    Kind::DuplicateReference,
                    format!("uniq_reference '{reference}' is already document {n} of account {login}; the stored document was not changed"),
                ));
            }
        }
        let num = tx.next_seq("pod.document", first)?;
        let mut owner = Permission::new(tx.next_seq("pod.permission", 1)?, 1, &owner_bin);
        if let Some(v) = &verdict {
            v.apply(&mut owner, now);
        }
        let receiver = Permission::new(tx.next_seq("pod.permission", 1)?, signed_type, &receiver_bin);
        let doc = Document {
            num,
            owner_login: login.clone(),
            owner_bin: owner_bin.clone(),
            receiver_bin: receiver_bin.clone(),
            receiver_mail: receiver_mail.clone(),
            reference: reference.clone(),
            package: package.clone(),
            name: name.clone(),
            files: files.iter().map(|(f, _)| f.clone()).collect(),
            created: now,
            permissions: vec![owner, receiver],
        };
        put_document(tx, &doc, &files)?;
        if !reference.is_empty() {
            tx.put(Table::PodByReference, &keys::reference(&login, &reference), &num)?;
        }
        acc.balance -= 1;
        tx.put(Table::PodAccounts, &keys::account(&login), &acc)?;
        Ok(num)
    })?;
    match verdict.as_ref() {
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
    Ok((
        num,
        format!(
            "{XML_DECL}<resp err=\"no\">\n<doc num='{num}' reference='{}' package='{}' nametxt='{}' filetxt='{}'>ok</doc>\n</resp>",
            escape(&reference),
            escape(&package),
            escape(&name),
            escape(&filetxt)
        ),
    ))
}
