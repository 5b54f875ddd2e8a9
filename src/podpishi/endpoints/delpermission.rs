//! `delpermission`: remove the right to sign permission `<indexnum>` of an unsigned document.
//!
//! Who may (emulator-defined): the document's owner, for any permission but its own
//! (signed_type 1); and the party whose template the permission names, for its own (declining
//! to sign). A signed or already deleted permission is refused. The permission is kept with
//! `sign_deleted='1'`, so getstatus shows what happened.

use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::state::{keys, Document};
use crate::podpishi::wire::Command;
use crate::podpishi::{ok_resp, Ctx, Reply};
use crate::store::{refuse, Abort, Table};

pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let num = cmd.required_u64("docnum")?;
    let i = cmd.required_u64("indexnum")?;
    ctx.document(num, "docnum")?;
    let account = ctx.account.clone();
    ctx.store.write(|tx| {
        let mut doc: Document = tx
            .get(Table::PodDocuments, &keys::document(num))?
            .ok_or_else(|| Abort::Refuse(PodpishiError::new(Kind::DocumentUnknown, format!("<docnum> {num}: there is no document {num}"))))?;
        let own = doc.is_own(&account);
        let Some(p) = doc.permissions.iter_mut().find(|p| p.i == i) else {
            return refuse(PodpishiError::new(Kind::PermissionUnknown, format!("<indexnum> {i}: document {num} has no permission {i}")));
        };
        if p.signed_type == 1 {
            return refuse(PodpishiError::new(Kind::WrongState, format!("permission {i} is the owner's own (signed_type 1); it can not be deleted")));
        }
        if !own && !account.bins.contains(&p.must_signed_by_bin) {
            return refuse(PodpishiError::new(Kind::WrongState, format!("permission {i} of document {num} belongs to BIN {}; account {} neither owns the document nor holds that BIN", p.must_signed_by_bin, account.login)));
        }
        if p.signed {
            return refuse(PodpishiError::new(Kind::WrongState, format!("permission {i} of document {num} is already signed by {} ({}); a signed permission can not be deleted", p.signed_fio, p.signed_bin)));
        }
        if p.sign_deleted {
            return refuse(PodpishiError::new(Kind::WrongState, format!("permission {i} of document {num} is already deleted")));
        }
        p.sign_deleted = true;
        tx.put(Table::PodDocuments, &keys::document(num), &doc)?;
        Ok(())
    })?;
    Ok(ok_resp("delpermission", ""))
}
