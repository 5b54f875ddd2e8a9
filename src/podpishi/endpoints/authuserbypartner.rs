//! `authuserbypartner` (partner): open a cabinet session for a client this partner registered
//! (`<serviceid>` and `<remoteid>` must match the registration). Answers `sessid` (a number)
//! and `sesspass` (32 random hex characters); `GET /cabinet?sessid=…&sesspass=…` opens the
//! client's document list until `podpishi.session_seconds` have passed.

use crate::podpishi::error::PodpishiError;
use crate::podpishi::model::sessions;
use crate::podpishi::wire::{Command, Element};
use crate::podpishi::{ok_resp, Ctx, Reply};

/// `authuserbypartner`'s elements, each bound once; read after the partner check, in this
/// order.
struct Request<'c> {
    owner_bin: Element<'c>,
    serviceid: Element<'c>,
    remoteid: Element<'c>,
    userip: Element<'c>,
}

impl<'c> Request<'c> {
    fn parse(cmd: &'c Command) -> Request<'c> {
        Request {
            owner_bin: cmd.element("owner_bin"),
            serviceid: cmd.element("serviceid"),
            remoteid: cmd.element("remoteid"),
            userip: cmd.element("userip"),
        }
    }
}

/// `<userip>`, the IP of the client to authorize (the Podpishi document, line 516): absent or
/// empty warns `field-missing`, text that is not an IPv4/IPv6 address warns `userip-not-ip`.
fn check_userip(ctx: &mut Ctx<'_>, userip: &str) -> Result<(), PodpishiError> {
    if userip.is_empty() {
        return ctx.portable(
            "field-missing",
            "<userip> of authuserbypartner is missing or empty; expected the IP address of the client to authorize, e.g. 192.0.2.10 (the Podpishi document, line 516)".into(),
        );
    }
    if userip.parse::<std::net::IpAddr>().is_err() {
        return ctx.portable(
            "userip-not-ip",
            format!("<userip> is '{userip}', not an IPv4 or IPv6 address; expected the IP of the client to authorize, e.g. 192.0.2.10 (the Podpishi document, line 516)"),
        );
    }
    Ok(())
}

/// parse → authorize (a partner, its template) → the elements read → one model call (which
/// checks the client is this partner's) → render.
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let req = Request::parse(cmd);
    ctx.require_partner("authuserbypartner")?;
    ctx.owner_bin(req.owner_bin)?;
    let sid = req.serviceid.required_u64()?;
    let remote_id = req.remoteid.required_u64()?;
    let userip = req.userip.optional()?.unwrap_or("");
    check_userip(ctx, userip)?;
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
