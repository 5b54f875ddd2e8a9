//! `getdoc`: a ZIP of the document's file(s), byte-exact, and one signature file per signed
//! permission.
//!
//! ZIP layout (emulator-defined): each file under its uploaded name (directories stripped; a
//! repeated name gets ` (2)`, ` (3)` before its extension), then
//! `signature-<i>-<signed_bin>.p7s` for each signed permission `i`: the DER CMS exactly as it
//! was received (attached or detached; detached signatures cover the first file). Entries are
//! stored (no compression) with the document's creation time.

use crate::podpishi::error::PodpishiError;
use crate::podpishi::model;
use crate::podpishi::state::Document;
use crate::podpishi::wire::Command;
use crate::podpishi::{Ctx, Reply};
use std::io::Write;

/// `getdoc`'s elements, each bound once.
struct Request {
    num: u64,
}

impl Request {
    fn parse(cmd: &Command) -> Result<Request, PodpishiError> {
        Ok(Request {
            num: cmd.required_u64("docnum")?,
        })
    }
}

/// parse → authorize (the document is this account's) → its files and signatures → render the
/// ZIP.
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let Request { num } = Request::parse(cmd)?;
    let doc = ctx.document(num, "docnum")?;
    let entries = entries(ctx, &doc)?;
    let bytes = zip_entries(&entries, ctx.time(doc.created))
        .map_err(|e| PodpishiError::internal("building the ZIP", e))?;
    Ok(Reply::Zip {
        name: format!("document-{num}.zip"),
        bytes,
    })
}

/// The ZIP's entries: the files under their names (duplicates renamed), then the signatures.
fn entries(ctx: &Ctx<'_>, doc: &Document) -> Result<Vec<(String, Vec<u8>)>, PodpishiError> {
    let num = doc.num;
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    let mut used = std::collections::HashSet::new();
    // Signature files keep their documented names; an uploaded file that happens to carry one
    // of them is renamed like any other duplicate.
    let mut signatures = Vec::new();
    for p in &doc.permissions {
        if let (true, Some(b64)) = (p.signed, &p.cms) {
            let der = crate::crypto::b64_decode(b64)
                .map_err(|e| PodpishiError::internal("reading a signature", e))?;
            signatures.push((format!("signature-{}-{}.p7s", p.i, p.signed_bin), der));
        }
    }
    used.extend(signatures.iter().map(|(n, _)| n.clone()));
    for f in &doc.files {
        let bytes = model::documents::file(ctx.store, &f.sha256)?.ok_or_else(|| {
            PodpishiError::internal(
                "reading a document file",
                format!("file {} of document {num} is missing", f.sha256),
            )
        })?;
        let mut name = f.name.clone();
        let mut n = 2;
        while !used.insert(name.clone()) {
            name = match f.name.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem} ({n}).{ext}"),
                None => format!("{} ({n})", f.name),
            };
            n += 1;
        }
        entries.push((name, bytes));
    }
    entries.extend(signatures);
    Ok(entries)
}

fn zip_entries(entries: &[(String, Vec<u8>)], stamp: String) -> Result<Vec<u8>, String> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let n = |a: usize, b: usize| {
        stamp
            .get(a..b)
            .and_then(|s| s.parse::<u16>().ok())
            .unwrap_or(0)
    };
    let dt = zip::DateTime::from_date_and_time(
        n(0, 4),
        n(4, 6) as u8,
        n(6, 8) as u8,
        n(8, 10) as u8,
        n(10, 12) as u8,
        n(12, 14) as u8,
    )
    .unwrap_or_default();
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(dt);
    for (name, bytes) in entries {
        w.start_file(name.as_str(), opts)
            .map_err(|e| e.to_string())?;
        w.write_all(bytes).map_err(|e| e.to_string())?;
    }
    Ok(w.finish().map_err(|e| e.to_string())?.into_inner())
}
