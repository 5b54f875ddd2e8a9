//! Cabinet sessions (`authuserbypartner` opens one, `GET /cabinet` reads it).

use super::super::error::PodpishiError;
use super::super::state::{keys, Session};
use crate::store::{Store, StoreError, Table};

/// Stores `session`; its `sessid`.
pub fn open(store: &Store, session: &Session) -> Result<u64, PodpishiError> {
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
