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

use crate::podpishi::ctx::bin_check_digit;
use crate::podpishi::error::{Kind, PodpishiError};
use crate::podpishi::model::accounts;
use crate::podpishi::wire::{Command, Element};
use crate::podpishi::{ok_resp, Ctx, Reply};

/// `reguserbypartner`'s elements, each bound once. They are read after the partner check
/// ([`Client::read`]): a non-partner is refused before a malformed element.
struct Request<'c> {
    owner_bin: Element<'c>,
    email: Element<'c>,
    remoteid: Element<'c>,
    client_bin: Element<'c>,
}

impl<'c> Request<'c> {
    fn parse(cmd: &'c Command) -> Request<'c> {
        Request {
            owner_bin: cmd.element("owner_bin"),
            email: cmd.element("email"),
            remoteid: cmd.element("remoteid"),
            client_bin: cmd.element("client_bin"),
        }
    }
}

/// The client to register, its elements read and checked in this order.
struct Client {
    email: String,
    remote_id: u64,
    /// The emulator's `<client_bin>`: the new account's template, if given.
    client_bins: Vec<String>,
}

impl Client {
    fn read(req: &Request) -> Result<Client, PodpishiError> {
        let email = req.email.required()?.to_string();
        if email.chars().count() > 30 || !email.contains('@') || email.contains(char::is_whitespace)
        {
            return Err(PodpishiError::new(
                Kind::InvalidField,
                format!("<email> '{email}' is not an email of at most 30 characters"),
            ));
        }
        let remote_id = req.remoteid.required_u64()?;
        let client_bins = match req.client_bin.optional()? {
            Some(b) => {
                if b.len() != 12 || !b.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(PodpishiError::new(
                        Kind::InvalidField,
                        format!("<client_bin> is '{b}'; expected exactly 12 digits"),
                    ));
                }
                vec![b.to_string()]
            }
            None => vec![],
        };
        Ok(Client {
            email,
            remote_id,
            client_bins,
        })
    }
}

/// parse → authorize (a partner, its template) → the client read → one model call → render.
pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    let req = Request::parse(cmd);
    ctx.require_partner("reguserbypartner")?;
    ctx.owner_bin(req.owner_bin)?;
    let client = Client::read(&req)?;
    if let Some(b) = client.client_bins.first() {
        bin_check_digit(ctx.world, &mut ctx.warnings, "client_bin", b)?;
    }
    let r = accounts::register_by_partner(
        ctx.store,
        ctx.world.spec.first_service_id,
        &ctx.account.login,
        &client.email,
        client.remote_id,
        &client.client_bins,
    )?;
    Ok(ok_resp(
        "reguserbypartner",
        &format!(
            "<flag_newreg>{}</flag_newreg>\n<partner_owner>{}</partner_owner>\n<serviceid>{}</serviceid>\n",
            r.newreg, r.partner_owner, r.service_id
        ),
    ))
}
