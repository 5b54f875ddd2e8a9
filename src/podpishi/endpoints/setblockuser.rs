//! `setblockuser` (partner): block the client with BIN `<bin2client>` that this partner
//! registered; a blocked client's uploads are refused. Blocking twice is not an error.

use crate::podpishi::endpoints::addpackage2client::bin2client;
use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::model::accounts;
use crate::podpishi::wire::Command;
use crate::podpishi::{ok_resp, Ctx, Reply};

pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    ctx.require_partner("setblockuser")?;
    ctx.owner_bin(cmd)?;
    let bin = bin2client(ctx, cmd)?;
    let logins = accounts::with_bin(ctx.store, &bin)?;
    if logins.is_empty() {
        return Err(PodpishiError::new(
            Kind::ClientUnknown,
            format!("<bin2client> {bin}: no client account has this BIN"),
        ));
    }
    let n = accounts::block(ctx.store, &ctx.account.login, &bin, &logins)?;
    ctx.diag
        .push(format!("{n} account(s) with BIN {bin} blocked"));
    Ok(ok_resp("setblockuser", ""))
}
