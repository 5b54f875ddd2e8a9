//! `getavailabledocs`: how many documents the account may still upload (may be negative).
//! The balance belongs to the account, whatever `owner_bin` names (emulator-defined);
//! `owner_bin` is still checked to be one of its templates.

use crate::podpishi::error::PodpishiError;
use crate::podpishi::wire::Command;
use crate::podpishi::{error::XML_DECL, Ctx, Reply};

pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    ctx.owner_bin(cmd)?;
    Ok(Reply::Xml(format!(
        "{XML_DECL}<resp err=\"no\" command=\"getavailabledocs\" counts=\"{}\"></resp>",
        ctx.account.balance
    )))
}
