//! `setblockuser` (partner): block the client with BIN `<bin2client>` that this partner
//! registered; a blocked client's uploads are refused. Blocking twice is not an error.

use crate::podpishi::endpoints::addpackage2client::bin2client;
use crate::podpishi::error::PodpishiError;
use crate::podpishi::model::accounts;
use crate::podpishi::wire::Command;
use crate::podpishi::{ok_resp, Ctx, Reply};

/// authorize (a partner, its template) → parse → one model call → render.
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    ctx.require_partner("setblockuser")?;
    ctx.owner_bin(cmd)?;
    let bin = bin2client(ctx, cmd)?;
    let n = accounts::block(ctx.store, &ctx.account.login, &bin)?.count;
    ctx.diag
        .push(format!("{n} account(s) with BIN {bin} blocked"));
    Ok(ok_resp("setblockuser", ""))
}
