//! `reguserbypartner` (partner): register a client account for `<email>` with the partner's
//! `<remoteid>`.
//!
//! - New email: an account is created (login = email, apikey derived from it, balance 0,
//!   `serviceid` from `first_service_id`): `flag_newreg` 1, `partner_owner` 1.
//! - Same email and remoteid registered before by this partner: the earlier registration,
//!   `flag_newreg` 0, `partner_owner` 1 (idempotent). Another remoteid: refused.
//! - An account that exists but was not registered by this partner: `flag_newreg` 0,
//!   `partner_owner` 0 and its serviceid.
//! - Emulator extension: an optional `<client_bin>` gives the new account its BIN template
//!   (the upstream has the client add it in the cabinet).

use crate::ids;
use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::model::accounts;
use crate::podpishi::wire::Command;
use crate::podpishi::{ok_resp, Ctx, Reply};

/// `reguserbypartner`'s elements, each bound once.
struct Request {
    email: String,
    remote_id: u64,
    /// The emulator's `<client_bin>`: the new account's template, if given.
    client_bins: Vec<String>,
}

impl Request {
    fn parse(cmd: &Command) -> Result<Request, PodpishiError> {
        let email = cmd.required("email")?.to_string();
        if email.chars().count() > 30 || !email.contains('@') || email.contains(char::is_whitespace)
        {
            return Err(PodpishiError::new(
                Kind::InvalidField,
                format!("<email> '{email}' is not an email of at most 30 characters"),
            ));
        }
        let remote_id = cmd.required_u64("remoteid")?;
        let client_bins = match cmd.optional("client_bin")? {
            Some(b) => {
                if let Some(p) = ids::iin_bin_problem(b) {
                    return Err(PodpishiError::new(
                        Kind::InvalidField,
                        format!("<client_bin>: {p}"),
                    ));
                }
                vec![b.to_string()]
            }
            None => vec![],
        };
        Ok(Request {
            email,
            remote_id,
            client_bins,
        })
    }
}

/// authorize (a partner, its template) → parse → one model call → render.
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    ctx.require_partner("reguserbypartner")?;
    ctx.owner_bin(cmd)?;
    let req = Request::parse(cmd)?;
    let r = accounts::register_by_partner(
        ctx.store,
        ctx.world.spec.first_service_id,
        &ctx.account.login,
        &req.email,
        req.remote_id,
        &req.client_bins,
    )?;
    Ok(ok_resp(
        "reguserbypartner",
        &format!(
            "<flag_newreg>{}</flag_newreg>\n<partner_owner>{}</partner_owner>\n<serviceid>{}</serviceid>\n",
            r.newreg, r.partner_owner, r.service_id
        ),
    ))
}
