//! `delpermission`: remove the right to sign permission `<indexnum>` of an unsigned document.
//!
//! Who may (emulator-defined): the document's owner, for any permission but its own
//! (signed_type 1); and the party whose template the permission names, for its own (declining
//! to sign). A signed or already deleted permission is refused. The permission is kept with
//! `sign_deleted='1'`, so getstatus shows what happened.

use crate::podpishi::error::PodpishiError;
use crate::podpishi::model;
use crate::podpishi::wire::Command;
use crate::podpishi::{ok_resp, Ctx, Reply};

/// `delpermission`'s elements, each bound once.
struct Request {
    num: u64,
    index: u64,
}

impl Request {
    fn parse(cmd: &Command) -> Result<Request, PodpishiError> {
        Ok(Request {
            num: cmd.required_u64("docnum")?,
            index: cmd.required_u64("indexnum")?,
        })
    }
}

/// parse → authorize (the document is this account's; the model checks whose permission it
/// is) → the delete transition → render (the empty `resp`).
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let Request { num, index: i } = Request::parse(cmd)?;
    ctx.document(num, "docnum")?;
    model::permissions::delete(ctx.store, num, i, &ctx.account, ctx.changes)?;
    Ok(ok_resp("delpermission", ""))
}
