//! `authuserbypartner` (partner): open a cabinet session for a client this partner registered
//! (`<serviceid>` and `<remoteid>` must match the registration). Answers `sessid` (a number)
//! and `sesspass` (32 random hex characters); `GET /cabinet?sessid=…&sesspass=…` opens the
//! client's document list until `podpishi.session_seconds` have passed.

use crate::podpishi::error::PodpishiError;
use crate::podpishi::model::sessions;
use crate::podpishi::wire::Command;
use crate::podpishi::{ok_resp, Ctx, Reply};

/// authorize (a partner, its template) → parse → one model call (which checks the client is
/// this partner's) → render.
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    ctx.require_partner("authuserbypartner")?;
    ctx.owner_bin(cmd)?;
    let sid = cmd.required_u64("serviceid")?;
    let remote_id = cmd.required_u64("remoteid")?;
    let userip = cmd.optional("userip")?.unwrap_or("");
    let opened = sessions::open_by_partner(
        ctx.store,
        ctx.now + time::Duration::seconds(ctx.world.spec.session_seconds as i64),
        &ctx.account.login,
        sid,
        remote_id,
        userip,
    )?;
    let (sessid, sesspass) = (opened.sessid, opened.sesspass);
    Ok(ok_resp(
        "authuserbypartner",
        &format!("<sessid>{sessid}</sessid>\n<sesspass>{sesspass}</sesspass>\n<serviceid>{sid}</serviceid>\n"),
    ))
}
