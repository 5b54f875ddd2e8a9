//! `authuserbypartner` (partner): open a cabinet session for a client this partner registered
//! (`<serviceid>` and `<remoteid>` must match the registration). Answers `sessid` (a number)
//! and `sesspass` (32 random hex characters); `GET /cabinet?sessid=…&sesspass=…` opens the
//! client's document list until `podpishi.session_seconds` have passed.

use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::model::{accounts, sessions};
use crate::podpishi::state::Session;
use crate::podpishi::wire::Command;
use crate::podpishi::{ok_resp, Ctx, Reply};

pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    ctx.require_partner("authuserbypartner")?;
    ctx.owner_bin(cmd)?;
    let sid = cmd.required_u64("serviceid")?;
    let remote_id = cmd.required_u64("remoteid")?;
    let userip = cmd.optional("userip")?.unwrap_or("").to_string();
    let unknown = || {
        PodpishiError::new(
            Kind::ClientUnknown,
            format!(
                "<serviceid> {sid}: no client with this serviceid was registered by partner {}",
                ctx.account.login
            ),
        )
    };
    let acc = accounts::by_service_id(ctx.store, sid)?.ok_or_else(unknown)?;
    if !acc
        .registered_by
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case(&ctx.account.login))
    {
        return Err(unknown());
    }
    if acc.remote_id != Some(remote_id) {
        return Err(PodpishiError::new(
            Kind::InvalidField,
            format!("<remoteid> {remote_id} is not the remoteid serviceid {sid} was registered with ({})", acc.remote_id.unwrap_or(0)),
        ));
    }
    let mut raw = [0u8; 16];
    aws_lc_rs::rand::fill(&mut raw)
        .map_err(|_| PodpishiError::internal("opening a session", "no randomness"))?;
    let sesspass = crate::crypto::hex(&raw);
    let expires = ctx.now + time::Duration::seconds(ctx.world.spec.session_seconds as i64);
    let sessid = sessions::open(
        ctx.store,
        &Session {
            // As the serviceid index holds it (lower case); the cabinet looks it up so.
            login: acc.login.to_lowercase(),
            sesspass: sesspass.clone(),
            userip,
            expires,
        },
    )?;
    Ok(ok_resp(
        "authuserbypartner",
        &format!("<sessid>{sessid}</sessid>\n<sesspass>{sesspass}</sesspass>\n<serviceid>{sid}</serviceid>\n"),
    ))
}
