//! Read-only views for the control API and the dashboard: stored records as JSON, in key
//! order, as they are stored.

use super::super::error::PodpishiError;
use super::super::state::keys;
use crate::store::{Store, Table};
use serde_json::{json, Value};

/// Every value of a table as `{key, value}`, in key order.
fn dump(store: &Store, table: Table) -> Result<Vec<Value>, PodpishiError> {
    Ok(store
        .scan_prefix::<Value>(table, b"", usize::MAX)?
        .into_iter()
        .map(|(k, v)| json!({"key": crate::store::codec::split(&k).join("/"), "value": v}))
        .collect())
}

/// A document with its permissions and signatures, as stored.
pub fn document(store: &Store, num: u64) -> Result<Option<Value>, PodpishiError> {
    Ok(store.get::<Value>(Table::PodDocuments, &keys::document(num))?)
}

/// An account (balance, BINs, blocked), as stored.
pub fn account(store: &Store, login: &str) -> Result<Option<Value>, PodpishiError> {
    Ok(store.get::<Value>(Table::PodAccounts, &keys::account(login))?)
}

/// Partner transactions and registrations.
pub fn partner_transactions(store: &Store) -> Result<Vec<Value>, PodpishiError> {
    dump(store, Table::PodPartnerTrn)
}

/// Everything stored (accounts, documents, transactions, outbox) in key order.
pub fn everything(store: &Store) -> Result<Value, PodpishiError> {
    Ok(json!({
        "accounts": dump(store, Table::PodAccounts)?,
        "documents": dump(store, Table::PodDocuments)?,
        "partner_transactions": dump(store, Table::PodPartnerTrn)?,
        "outbox": dump(store, Table::PodOutbox)?,
    }))
}
