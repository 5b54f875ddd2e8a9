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
use crate::podpishi::state::{keys, Account, Registration};
use crate::podpishi::wire::Command;
use crate::podpishi::{ok_resp, Ctx, Reply};
use crate::store::{refuse, Table};
use sha2::{Digest, Sha256};

pub fn handle(ctx: &mut Ctx<'_>, cmd: &Command) -> Result<Reply, PodpishiError> {
    ctx.require_partner("reguserbypartner")?;
    ctx.owner_bin(cmd)?;
    let email = cmd.required("email")?.to_string();
    if email.chars().count() > 30 || !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(PodpishiError::new(
            Kind::InvalidField,
            format!("<email> '{email}' is not an email of at most 30 characters"),
        ));
    }
    let remote_id = cmd.required_u64("remoteid")?;
    let client_bin = match cmd.optional("client_bin")? {
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
    let partner = ctx.account.login.clone();
    let first = ctx.world.spec.first_service_id;
    let (newreg, owner, sid) = ctx.store.write(|tx| {
        if let Some(r) = tx.get::<Registration, _>(Table::PodPartnerTrn, &keys::registration(&partner, &email))? {
            if r.remote_id == remote_id {
                return Ok((0, 1, r.service_id));
            }
            return refuse(PodpishiError::new(
                Kind::RegistrationConflict,
                format!("<email> {email} was registered by partner {partner} with remoteid {} (serviceid {}), not {remote_id}", r.remote_id, r.service_id),
            ));
        }
        if let Some(a) = tx.get::<Account, _>(Table::PodAccounts, &keys::account(&email))? {
            return Ok((0, 0, a.service_id));
        }
        let sid = tx.next_seq("pod.service_id", first)?;
        let apikey = crate::crypto::hex(&Sha256::digest(format!("signsim:{}:{sid}", email.to_lowercase()).as_bytes()))[..32].to_string();
        let acc = Account {
            login: email.clone(),
            apikey,
            bins: client_bin.clone(),
            balance: 0,
            partner: false,
            blocked: false,
            service_id: sid,
            registered_by: Some(partner.clone()),
            remote_id: Some(remote_id),
        };
        tx.put(Table::PodAccounts, &keys::account(&email), &acc)?;
        tx.put(Table::PodAccounts, &keys::service_id(sid), &acc.login.to_lowercase())?;
        for b in &acc.bins {
            tx.put(Table::PodAccounts, &keys::bin(b, &acc.login), &())?;
        }
        tx.put(Table::PodPartnerTrn, &keys::registration(&partner, &email), &Registration { email: email.clone(), remote_id, service_id: sid })?;
        Ok((1, 1, sid))
    })?;
    Ok(ok_resp(
        "reguserbypartner",
        &format!("<flag_newreg>{newreg}</flag_newreg>\n<partner_owner>{owner}</partner_owner>\n<serviceid>{sid}</serviceid>\n"),
    ))
}
