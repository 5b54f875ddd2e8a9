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
    // Joined, not formatted: the call is among the most frequent.
    let counts = ctx.account.balance.to_string();
    Ok(Reply::Xml(
        [
            XML_DECL,
            "<resp err=\"no\" command=\"getavailabledocs\" counts=\"",
            &counts,
            "\"></resp>",
        ]
        .concat(),
    ))
}
