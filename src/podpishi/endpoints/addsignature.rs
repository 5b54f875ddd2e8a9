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

/// `addsignature`'s elements, each bound once.
struct Request {
    num: u64,
    index: u64,
    /// The CMS, DER.
    der: Vec<u8>,
    /// It came PEM-armoured (the document sends plain base64).
    armored: bool,
}

impl Request {
    fn parse(cmd: &Command) -> Result<Request, PodpishiError> {
        let num = cmd.required_u64("docnum")?;
        let index = cmd.required_u64("indexnum")?;
        let text = cmd.required("signature_pem")?;
        Ok(Request {
            num,
            index,
            der: signing::decode("<signature_pem>", text)?,
            armored: signing::is_armored(text),
        })
    }
}

/// parse → judge the armour, the document is this account's → the one sign transition →
/// render (the answer is the empty `resp`; the journal gets who signed).
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let req = Request::parse(cmd)?;
    if req.armored {
        ctx.portable(
            "signature-pem-armor",
            "<signature_pem> is PEM-armoured; the document sends plain base64 of the CMS".into(),
        )?;
    }
    let doc = ctx.document(req.num, "docnum")?;
    let p = model::permissions::sign(
        ctx.store,
        ctx.world,
        ctx.now,
        &doc,
        Some(req.index),
        &req.der,
        Some(&ctx.account),
        "<signature_pem>",
        ctx.changes,
    )?
    .permission;
    ctx.diag.push(format!(
        "document {} permission {} signed by {} ({})",
        req.num, p.i, p.signed_fio, p.signed_bin
    ));
    ctx.diag.push(match &p.unverified {
        Some(note) => format!("signature_pem: {note}"),
        None => "signature_pem: CMS verified against the document and the permission's BIN".into(),
    });
    Ok(ok_resp("addsignature", ""))
}
