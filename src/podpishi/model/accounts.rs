//! Accounts: the scenario's (seeded once), the ones partners register, and their lookups —
//! by login (every request's authentication), by `serviceid`, by BIN template.

use super::super::error::{Kind, PodpishiError};
use super::super::state::{keys, Account, Registration};
use crate::scenario::model::PodAccountSpec;
use crate::store::{codec, refuse, Abort, Decoded, Store, Table, Tx};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The cache of decoded accounts the API keeps: every request reads its account.
pub fn cache() -> Decoded<Account> {
    Decoded::new(Table::PodAccounts)
}

/// Puts the scenario's accounts in the store unless a data directory already has them.
pub fn seed(store: &Store, accounts: &[PodAccountSpec]) -> Result<(), PodpishiError> {
    store.write::<_, PodpishiError>(|tx| {
        for (i, a) in accounts.iter().enumerate() {
            if tx
                .get::<Account, _>(Table::PodAccounts, &keys::account(&a.login))?
                .is_some()
            {
                continue;
            }
            put_new(
                tx,
                &Account {
                    login: a.login.clone(),
                    apikey: a.apikey.clone(),
                    bins: a.bins.clone(),
                    balance: a.balance,
                    partner: a.partner,
                    blocked: a.blocked,
                    service_id: a.service_id.unwrap_or(1000 + i as u64 + 1),
                    registered_by: None,
                    remote_id: None,
                },
            )?;
        }
        Ok(())
    })?;
    Ok(())
}

/// A new account with its `serviceid` and BIN indexes.
fn put_new<E>(tx: &Tx<'_>, acc: &Account) -> Result<(), Abort<E>> {
    tx.put(Table::PodAccounts, &keys::account(&acc.login), acc)?;
    tx.put(
        Table::PodAccounts,
        &keys::service_id(acc.service_id),
        &acc.login.to_lowercase(),
    )?;
    for b in &acc.bins {
        tx.put(Table::PodAccounts, &keys::bin(b, &acc.login), &())?;
    }
    Ok(())
}

/// The account of `login` (case-insensitive), decoded once per stored version.
pub fn cached(
    store: &Store,
    cache: &Decoded<Account>,
    login: &str,
) -> Result<Option<Arc<Account>>, PodpishiError> {
    Ok(store.get_decoded(cache, &keys::account(login))?)
}

/// The account of `login` (case-insensitive).
pub fn get(store: &Store, login: &str) -> Result<Option<Account>, PodpishiError> {
    Ok(store.get(Table::PodAccounts, &keys::account(login))?)
}

/// The account with `serviceid` `sid`.
pub fn by_service_id(store: &Store, sid: u64) -> Result<Option<Account>, PodpishiError> {
    let login: Option<String> = store.get(Table::PodAccounts, &keys::service_id(sid))?;
    match login {
        Some(l) => get(store, &l),
        None => Ok(None),
    }
}

/// The logins of accounts holding `bin` as a template (at most 100).
pub fn with_bin(store: &Store, bin: &str) -> Result<Vec<String>, PodpishiError> {
    Ok(store
        .keys_with_prefix(Table::PodAccounts, &keys::bin_prefix(bin), 100)?
        .iter()
        .filter_map(|k| codec::part(k, 2).map(str::to_string))
        .collect())
}

/// What `setblockuser` changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocked {
    /// Accounts blocked (blocking a blocked one again counts: it is not an error).
    pub count: usize,
}

/// `setblockuser`: blocks the accounts holding `bin` that `partner` registered. Refused when
/// no account holds `bin`, or none of them is this partner's.
pub fn block(store: &Store, partner: &str, bin: &str) -> Result<Blocked, PodpishiError> {
    let logins = with_bin(store, bin)?;
    if logins.is_empty() {
        return Err(PodpishiError::new(
            Kind::ClientUnknown,
            format!("<bin2client> {bin}: no client account has this BIN"),
        ));
    }
    Ok(store.write(|tx| {
        let mut n = 0;
        for l in &logins {
            if let Some(mut a) = tx.get::<Account, _>(Table::PodAccounts, &keys::account(l))? {
                if a.registered_by.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(partner)) {
                    a.blocked = true;
                    tx.put(Table::PodAccounts, &keys::account(l), &a)?;
                    n += 1;
                }
            }
        }
        if n == 0 {
            return refuse(PodpishiError::new(Kind::ClientUnknown, format!("<bin2client> {bin}: the client was not registered by partner {partner} (reguserbypartner), so it can not block it")));
        }
        Ok(Blocked { count: n })
    })?)
}

/// What `reguserbypartner` did: its answer's three fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// 1: a new account was created.
    pub newreg: u8,
    /// 1: the account is this partner's.
    pub partner_owner: u8,
    pub service_id: u64,
}

/// `reguserbypartner`: the account of `email` for `partner`'s `remote_id` — created (with
/// `client_bins` as its templates), found again (same partner and remoteid), or another's.
pub fn register_by_partner(
    store: &Store,
    first_service_id: u64,
    partner: &str,
    email: &str,
    remote_id: u64,
    client_bins: &[String],
) -> Result<Registered, PodpishiError> {
    let reg = |newreg, partner_owner, service_id| Registered {
        newreg,
        partner_owner,
        service_id,
    };
    Ok(store.write(|tx| {
        if let Some(r) = tx.get::<Registration, _>(Table::PodPartnerTrn, &keys::registration(partner, email))? {
            if r.remote_id == remote_id {
                return Ok(reg(0, 1, r.service_id));
            }
            return refuse(PodpishiError::new(
                Kind::RegistrationConflict,
                format!("<email> {email} was registered by partner {partner} with remoteid {} (serviceid {}), not {remote_id}", r.remote_id, r.service_id),
            ));
        }
        if let Some(a) = tx.get::<Account, _>(Table::PodAccounts, &keys::account(email))? {
            return Ok(reg(0, 0, a.service_id));
        }
        let sid = tx.next_seq("pod.service_id", first_service_id)?;
        let apikey = crate::crypto::hex(&Sha256::digest(format!("signsim:{}:{sid}", email.to_lowercase()).as_bytes()))[..32].to_string();
        put_new(
            tx,
            &Account {
                login: email.to_string(),
                apikey,
                bins: client_bins.to_vec(),
                balance: 0,
                partner: false,
                blocked: false,
                service_id: sid,
                registered_by: Some(partner.to_string()),
                remote_id: Some(remote_id),
            },
        )?;
        tx.put(Table::PodPartnerTrn, &keys::registration(partner, email), &Registration { email: email.to_string(), remote_id, service_id: sid })?;
        Ok(reg(1, 1, sid))
    })?)
}
