//! Cabinet sessions (`authuserbypartner` opens one, `GET /cabinet` reads it).

use super::super::error::{Kind, PodpishiError};
use super::super::state::{keys, Session};
use super::accounts;
use crate::store::{Store, StoreError, Table};
use time::OffsetDateTime;

/// A session `authuserbypartner` opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub sessid: u64,
    /// 32 random hex characters.
    pub sesspass: String,
}

/// `authuserbypartner`: a cabinet session until `expires` for the client with `serviceid`
/// `sid`, which `partner` must have registered with `remote_id`.
pub fn open_by_partner(
    store: &Store,
    expires: OffsetDateTime,
    partner: &str,
    sid: u64,
    remote_id: u64,
    userip: &str,
) -> Result<Opened, PodpishiError> {
    let unknown = || {
        PodpishiError::new(
            Kind::ClientUnknown,
            format!(
                "<serviceid> {sid}: no client with this serviceid was registered by partner {partner}"
            ),
        )
    };
    let acc = accounts::by_service_id(store, sid)?.ok_or_else(unknown)?;
    if !acc
        .registered_by
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case(partner))
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
    let sessid = open(
        store,
        &Session {
            // As the serviceid index holds it (lower case); the cabinet looks it up so.
            login: acc.login.to_lowercase(),
            sesspass: sesspass.clone(),
            userip: userip.to_string(),
            expires,
        },
    )?;
    Ok(Opened { sessid, sesspass })
}

/// Stores `session`; its `sessid`.
fn open(store: &Store, session: &Session) -> Result<u64, PodpishiError> {
    Ok(store.write::<_, PodpishiError>(|tx| {
        let id = tx.next_seq("pod.session", 1)?;
        tx.put(Table::PodSessions, &keys::session(id), session)?;
        Ok(id)
    })?)
}

/// Session `id`, if there is one. The store's own error: the cabinet logs it and answers a
/// page, not a Podpishi error.
pub fn get(store: &Store, id: u64) -> Result<Option<Session>, StoreError> {
    store.get(Table::PodSessions, &keys::session(id))
}
