//! `setblockuser` (partner): block the client with BIN `<bin2client>` that this partner
//! registered; a blocked client's uploads are refused. Blocking twice is not an error.

use crate::podpishi::endpoints::addpackage2client::bin2client;
use crate::podpishi::error::PodpishiError;
use crate::podpishi::model::accounts;
use crate::podpishi::wire::{Command, Element};
use crate::podpishi::{ok_resp, Ctx, Reply};

/// `setblockuser`'s elements, each bound once; read after the partner check.
struct Request<'c> {
    owner_bin: Element<'c>,
    bin2client: Element<'c>,
}

impl<'c> Request<'c> {
    fn parse(cmd: &'c Command) -> Request<'c> {
        Request {
            owner_bin: cmd.element("owner_bin"),
            bin2client: cmd.element("bin2client"),
        }
    }
}

/// parse → authorize (a partner, its template) → the BIN read → one model call → render.
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let req = Request::parse(cmd);
    ctx.require_partner("setblockuser")?;
    ctx.owner_bin(req.owner_bin)?;
    let bin = bin2client(ctx, req.bin2client)?;
    let n = accounts::block(ctx.store, &ctx.account.login, &bin)?.count;
    ctx.diag
        .push(format!("{n} account(s) with BIN {bin} blocked"));
    Ok(ok_resp("setblockuser", ""))
}
