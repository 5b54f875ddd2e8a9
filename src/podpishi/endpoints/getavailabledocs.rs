//! `getavailabledocs`: how many documents the account may still upload (below zero only when a
//! scenario seeds it so: an upload needs one left).
//! The balance belongs to the account, whatever `owner_bin` names (emulator-defined);
//! `owner_bin` is still checked to be one of its templates.

use crate::podpishi::error::PodpishiError;
use crate::podpishi::wire::Command;
use crate::podpishi::{error::XML_DECL, Ctx, Reply};

/// parse (`owner_bin`, its only element) → authorize (a template of the account) → render the
/// account's balance.
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let owner_bin = cmd.element("owner_bin");
    ctx.owner_bin(owner_bin)?;
    Ok(Reply::Xml(format!(
        "{XML_DECL}<resp err=\"no\" command=\"getavailabledocs\" counts=\"{}\"></resp>",
        ctx.account.balance
    )))
}
