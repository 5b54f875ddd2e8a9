//! `addsignature`: sign permission `<indexnum>` of document `<docnum>` with `<signature_pem>`,
//! through the model's one sign transition ([`model::permissions::sign`]).
//!
//! The permission must be this account's (its `must_signed_by_bin` is one of the account's
//! templates), a signing one (signed_type 1 or 2, not view-only 3), not deleted and not yet
//! signed. The CMS is verified over the document's first file and its signer must be
//! `must_signed_by_bin` ([`signing::judge`]); the signer fields and `signed_date` (the clock)
//! are written in one transaction that re-checks the state, so two concurrent signatures of
//! one permission store exactly one.

use crate::podpishi::error::PodpishiError;
use crate::podpishi::model;
use crate::podpishi::signing;
use crate::podpishi::wire::Command;
use crate::podpishi::{ok_resp, Ctx, Reply};

pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let num = cmd.required_u64("docnum")?;
    let index = cmd.required_u64("indexnum")?;
    let text = cmd.required("signature_pem")?;
    let der = signing::decode("<signature_pem>", text)?;
    if signing::is_armored(text) {
        ctx.portable(
            "signature-pem-armor",
            "<signature_pem> is PEM-armoured; the document sends plain base64 of the CMS".into(),
        )?;
    }
    let doc = ctx.document(num, "docnum")?;
    let p = model::permissions::sign(
        ctx.store,
        ctx.world,
        ctx.now,
        &doc,
        Some(index),
        &der,
        Some(&ctx.account),
        "<signature_pem>",
    )?
    .permission;
    ctx.diag.push(format!(
        "document {num} permission {} signed by {} ({})",
        p.i, p.signed_fio, p.signed_bin
    ));
    ctx.diag.push(match &p.unverified {
        Some(note) => format!("signature_pem: {note}"),
        None => "signature_pem: CMS verified against the document and the permission's BIN".into(),
    });
    Ok(ok_resp("addsignature", ""))
}
