//! `addsignature`: sign permission `<indexnum>` of document `<docnum>` with `<signature_pem>`.
//!
//! The permission must be this account's (its `must_signed_by_bin` is one of the account's
//! templates), a signing one (signed_type 1 or 2, not view-only 3), not deleted and not yet
//! signed. The CMS is verified over the document's first file and its signer must be
//! `must_signed_by_bin` ([`signing::judge`]); the signer fields and `signed_date` (the clock)
//! are written in one transaction that re-checks the state, so two concurrent signatures of
//! one permission store exactly one.

use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::signing;
use crate::podpishi::state::{keys, Account, Document, Permission};
use crate::podpishi::wire::Command;
use crate::podpishi::{ok_resp, Ctx, Reply, World};
use crate::store::{refuse, Abort, Store, Table};
use time::OffsetDateTime;

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
    let p = sign_permission(
        ctx.store,
        ctx.world,
        ctx.now,
        &doc,
        Some(index),
        &der,
        Some(&ctx.account),
        "<signature_pem>",
    )?;
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

/// Whether `p` can still be signed; the refusal names why.
pub fn check_signable(doc: &Document, p: &Permission) -> Result<(), PodpishiError> {
    let state = |m: String| PodpishiError::new(Kind::WrongState, m);
    if p.sign_deleted {
        return Err(state(format!(
            "permission {} of document {} was deleted (sign_deleted=1); it can not be signed",
            p.i, doc.num
        )));
    }
    if p.signed {
        return Err(state(format!(
            "permission {} of document {} is already signed by {} ({}) at {}; a signed permission can not be signed again",
            p.i,
            doc.num,
            p.signed_fio,
            p.signed_bin,
            p.signed_date.map(|d| d.to_string()).unwrap_or_default()
        )));
    }
    if p.signed_type == 3 {
        return Err(state(format!("permission {} of document {} is view-only (signed_type 3, type_delegate 2); it can not be signed", p.i, doc.num)));
    }
    Ok(())
}

/// Finds the permission (by index, or the first signable one of `for_bin`), judges the CMS and
/// records it. `acting` is the account that sends the signature (None: the control API acting
/// as the counterparty).
#[allow(clippy::too_many_arguments)]
pub fn sign_permission(
    store: &Store,
    world: &World,
    now: OffsetDateTime,
    doc: &Document,
    index: Option<u64>,
    der: &[u8],
    acting: Option<&Account>,
    field: &str,
) -> Result<Permission, PodpishiError> {
    let p = match index {
        Some(i) => doc.permissions.iter().find(|p| p.i == i).ok_or_else(|| {
            PodpishiError::new(
                Kind::PermissionUnknown,
                format!(
                    "<indexnum> {i}: document {} has no permission {i}; its permissions are: {}",
                    doc.num,
                    doc.permissions
                        .iter()
                        .map(|p| format!("{} (BIN {})", p.i, p.must_signed_by_bin))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?,
        None => doc
            .permissions
            .iter()
            .find(|p| p.must_signed_by_bin == doc.receiver_bin && p.signed_type != 1)
            .ok_or_else(|| {
                PodpishiError::new(
                    Kind::PermissionUnknown,
                    format!("document {} has no receiver permission", doc.num),
                )
            })?,
    };
    if let Some(acc) = acting {
        if !acc.bins.contains(&p.must_signed_by_bin) {
            return Err(PodpishiError::new(
                Kind::WrongState,
                format!(
                    "permission {} of document {} must be signed by BIN {}, which is not a template of account {} (BINs {})",
                    p.i, doc.num, p.must_signed_by_bin, acc.login, acc.bins.join(", ")
                ),
            ));
        }
    }
    check_signable(doc, p)?;
    let content = doc
        .files
        .first()
        .map(|f| store.get_raw(Table::PodFiles, f.sha256.as_bytes()))
        .transpose()?
        .flatten()
        .ok_or_else(|| PodpishiError::internal("reading the document", "its file is missing"))?;
    let verdict = signing::judge(world, now, field, der, &content, &p.must_signed_by_bin)?;
    let (num, i) = (doc.num, p.i);
    let signed = store.write(|tx| {
        let mut doc: Document = tx
            .get(Table::PodDocuments, &keys::document(num))?
            .ok_or_else(|| {
                Abort::Refuse(PodpishiError::internal("signing", "the document vanished"))
            })?;
        let snapshot = doc.clone();
        let Some(p) = doc.permissions.iter_mut().find(|p| p.i == i) else {
            return refuse(PodpishiError::internal(
                "signing",
                "the permission vanished",
            ));
        };
        if let Err(e) = check_signable(&snapshot, p) {
            return refuse(e);
        }
        verdict.apply(p, now);
        let out = p.clone();
        tx.put(Table::PodDocuments, &keys::document(num), &doc)?;
        Ok(out)
    })?;
    if let Some(note) = &signed.unverified {
        tracing::warn!("podpishi: document {num} permission {i}: {note}");
    }
    Ok(signed)
}
