//! Durable state behind typed verbs.
//!
//! The store owns sled: its trees, key encodings (see [`codec`]), JSON values and transactions.
//! No `sled::` type leaves this module and it knows nothing of HTTP. Callers name a [`Table`],
//! read with [`Store::get`]/[`Store::scan_prefix`], and change state only inside
//! [`Store::write`], whose closure sees every table through one [`Tx`]: a state transition, a
//! credit debit and an index update either all happen or none do.
//!
//! Durability: with a data directory, [`Store::write`] flushes before it returns, so a change
//! the caller acknowledges survives `kill -9`. Without one the store lives in memory
//! (a temporary sled in shared memory) and nothing is flushed.
//!
//! Sequence numbers that clients see (tracking codes, serials, document numbers) come from
//! [`Tx::next_seq`], counters kept in the `meta` table inside the same transaction — never
//! from sled's `generate_id`, which jumps after a restart.
//!
//! Rationale for the write lock: sled's optimistic transactions are serializable, but a
//! conflicting closure is re-run, and our closures do RSA-free yet non-trivial work; one mutex
//! around writers makes retries rare and the order of sequence numbers equal to commit order.
//! Readers never take it.

pub mod codec;

use serde::{de::DeserializeOwned, Serialize};
use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};
use sled::Transactional;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Every tree the emulator keeps. The names are the on-disk layout: renaming one loses data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// Counters and markers.
    Meta,
    /// PKI customer balances and settings that change at run time.
    PkiCustomers,
    /// PKI tracking codes (the applicant's lifecycle record).
    PkiTracking,
    /// `customer / ca / subject DN` → tracking code, for idempotent registration.
    PkiSubjects,
    /// PKI certificates by `ca / serial`.
    PkiCerts,
    /// `ca / serial` → (): revoked certificates, for CRLs.
    PkiRevoked,
    /// `national code / tracking code` → (): a person's lifecycles across CAs and customers.
    PkiByPerson,
    /// `customer / time / tracking code` → (): report index.
    PkiByCustomerTime,
    /// Podpishi.Online tables.
    PodAccounts,
    PodDocuments,
    PodFiles,
    PodByOwner,
    PodByReference,
    PodPartnerTrn,
    PodOutbox,
    /// Podpishi cabinet sessions opened by `authuserbypartner`.
    PodSessions,
    /// The provider's face-authentication orders (`orderId` → order).
    PkiFaceAuth,
}

const TABLES: [(Table, &str); 17] = [
    (Table::Meta, "meta"),
    (Table::PkiCustomers, "pki.customers"),
    (Table::PkiTracking, "pki.tracking"),
    (Table::PkiSubjects, "pki.subjects"),
    (Table::PkiCerts, "pki.certs"),
    (Table::PkiRevoked, "pki.revoked"),
    (Table::PkiByPerson, "pki.by_person"),
    (Table::PkiByCustomerTime, "pki.by_customer_time"),
    (Table::PodAccounts, "pod.accounts"),
    (Table::PodDocuments, "pod.documents"),
    (Table::PodFiles, "pod.files"),
    (Table::PodByOwner, "pod.by_owner"),
    (Table::PodByReference, "pod.by_reference"),
    (Table::PodPartnerTrn, "pod.partner_trn"),
    (Table::PodOutbox, "pod.outbox"),
    (Table::PodSessions, "pod.sessions"),
    (Table::PkiFaceAuth, "pki.face_auth"),
];

impl Table {
    fn index(self) -> usize {
        TABLES
            .iter()
            .position(|(t, _)| *t == self)
            .expect("every Table is listed in TABLES")
    }
}

#[derive(Debug)]
pub enum StoreError {
    /// sled failed (I/O, corruption).
    Backend(String),
    /// A stored value did not decode: the data directory was written by an incompatible version.
    Corrupt(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Backend(e) => write!(f, "storage error: {e}"),
            StoreError::Corrupt(e) => write!(f, "stored data does not decode: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

/// Why a [`Store::write`] did not commit.
#[derive(Debug)]
pub enum WriteError<E> {
    /// The closure refused (an API rule): nothing was written.
    Refused(E),
    /// The store failed: nothing was written.
    Store(StoreError),
}

/// What a write closure returns on failure; `?` converts store errors into it.
pub enum Abort<E> {
    Refuse(E),
    Store(StoreError),
    Conflict(UnabortableTransactionError),
}

impl<E> From<UnabortableTransactionError> for Abort<E> {
    fn from(e: UnabortableTransactionError) -> Self {
        Abort::Conflict(e)
    }
}

enum Aborted<E> {
    Refused(E),
    Store(StoreError),
}

/// Refuses the write with an API error: `return refuse(MyError::X)`.
pub fn refuse<T, E>(e: E) -> Result<T, Abort<E>> {
    Err(Abort::Refuse(e))
}

/// A cheap-clone handle to the emulator's state.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    durable: bool,
    write_lock: Mutex<()>,
}

impl Store {
    /// Opens the store in `dir`, or in memory when `dir` is `None`.
    pub fn open(dir: Option<&Path>) -> Result<Store, StoreError> {
        let config = match dir {
            Some(dir) => sled::Config::new().path(dir).flush_every_ms(Some(500)),
            None => sled::Config::new().temporary(true).flush_every_ms(None),
        };
        let db = config.cache_capacity(8 * 1024 * 1024).open()?;
        let trees = TABLES
            .iter()
            .map(|(_, name)| db.open_tree(name))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                trees,
                durable: dir.is_some(),
                write_lock: Mutex::new(()),
            }),
        })
    }

    pub fn is_durable(&self) -> bool {
        self.inner.durable
    }

    fn tree(&self, t: Table) -> &sled::Tree {
        &self.inner.trees[t.index()]
    }

    pub fn get<V: DeserializeOwned>(&self, t: Table, key: &[u8]) -> Result<Option<V>, StoreError> {
        match self.tree(t).get(key)? {
            Some(bytes) => codec::decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The bytes stored under `key` by [`Tx::put_raw`].
    pub fn get_raw(&self, t: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tree(t).get(key)?.map(|v| v.to_vec()))
    }

    pub fn contains(&self, t: Table, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.tree(t).contains_key(key)?)
    }

    /// Values under `prefix` in key order, at most `limit` of them.
    pub fn scan_prefix<V: DeserializeOwned>(
        &self,
        t: Table,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, V)>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree(t).scan_prefix(prefix).take(limit) {
            let (k, v) = item?;
            out.push((k.to_vec(), codec::decode(&v)?));
        }
        Ok(out)
    }

    /// Keys under `prefix` in order, at most `limit`; values are not decoded.
    pub fn keys_with_prefix(
        &self,
        t: Table,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree(t).scan_prefix(prefix).take(limit) {
            out.push(item?.0.to_vec());
        }
        Ok(out)
    }

    /// Keys in `[start, end)`, in order, at most `limit`; values are not decoded.
    pub fn keys_in_range(
        &self,
        t: Table,
        start: &[u8],
        end: &[u8],
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree(t).range(start.to_vec()..end.to_vec()).take(limit) {
            let (k, _) = item?;
            out.push(k.to_vec());
        }
        Ok(out)
    }

    /// Number of entries in a table (admin and tests; O(n)).
    pub fn len(&self, t: Table) -> usize {
        self.tree(t).len()
    }

    /// Runs `f` as one transaction over every table; flushes before returning when durable.
    pub fn write<R, E>(
        &self,
        f: impl Fn(&Tx<'_>) -> Result<R, Abort<E>>,
    ) -> Result<R, WriteError<E>> {
        let _guard = crate::sync::lock(&self.inner.write_lock);
        let result = self.inner.trees.as_slice().transaction(|trees| {
            let tx = Tx { trees };
            match f(&tx) {
                Ok(r) => Ok(r),
                // Aborting (not returning Ok) makes sled discard every write the closure made,
                // so a refusal after a partial change leaves nothing behind.
                Err(Abort::Refuse(e)) => {
                    Err(ConflictableTransactionError::Abort(Aborted::Refused(e)))
                }
                Err(Abort::Store(e)) => Err(ConflictableTransactionError::Abort(Aborted::Store(e))),
                Err(Abort::Conflict(c)) => Err(c.into()),
            }
        });
        let r = match result {
            Ok(r) => r,
            Err(TransactionError::Abort(Aborted::Refused(e))) => {
                return Err(WriteError::Refused(e))
            }
            Err(TransactionError::Abort(Aborted::Store(e))) => return Err(WriteError::Store(e)),
            Err(TransactionError::Storage(e)) => return Err(WriteError::Store(e.into())),
        };
        if self.inner.durable {
            self.inner
                .db
                .flush()
                .map_err(|e| WriteError::Store(e.into()))?;
        }
        Ok(r)
    }

    /// Empties every table (reset to a scenario's initial state re-seeds afterwards).
    pub fn clear_all(&self) -> Result<(), StoreError> {
        let _guard = crate::sync::lock(&self.inner.write_lock);
        for tree in &self.inner.trees {
            tree.clear()?;
        }
        if self.inner.durable {
            self.inner.db.flush()?;
        }
        Ok(())
    }
}

/// One transaction's view of every table.
pub struct Tx<'a> {
    trees: &'a [TransactionalTree],
}

impl Tx<'_> {
    fn tree(&self, t: Table) -> &TransactionalTree {
        &self.trees[t.index()]
    }

    pub fn get<V: DeserializeOwned, E>(&self, t: Table, key: &[u8]) -> Result<Option<V>, Abort<E>> {
        match self.tree(t).get(key)? {
            Some(bytes) => codec::decode(&bytes).map(Some).map_err(Abort::Store),
            None => Ok(None),
        }
    }

    pub fn put<V: Serialize, E>(&self, t: Table, key: &[u8], value: &V) -> Result<(), Abort<E>> {
        let bytes = codec::encode(value).map_err(Abort::Store)?;
        self.tree(t).insert(key, bytes)?;
        Ok(())
    }

    pub fn put_raw<E>(&self, t: Table, key: &[u8], value: &[u8]) -> Result<(), Abort<E>> {
        self.tree(t).insert(key, value)?;
        Ok(())
    }

    pub fn remove<E>(&self, t: Table, key: &[u8]) -> Result<(), Abort<E>> {
        self.tree(t).remove(key)?;
        Ok(())
    }

    /// The next value of the named counter, starting at `first`.
    pub fn next_seq<E>(&self, name: &str, first: u64) -> Result<u64, Abort<E>> {
        let key = codec::key(&["seq", name]);
        let next = match self.tree(Table::Meta).get(&key)? {
            Some(bytes) => codec::decode_u64(&bytes).map_err(Abort::Store)? + 1,
            None => first,
        };
        self.tree(Table::Meta)
            .insert(key, next.to_be_bytes().to_vec())?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_writes_nothing_and_counters_are_dense() {
        let store = Store::open(None).unwrap();
        let r: Result<(), WriteError<&str>> = store.write(|tx| {
            tx.put(Table::PkiTracking, b"partial", &1u8)?;
            refuse("no")
        });
        assert!(matches!(r, Err(WriteError::Refused("no"))));
        assert!(!store.contains(Table::PkiTracking, b"partial").unwrap());
        let a = store.write::<_, ()>(|tx| tx.next_seq("t", 100)).unwrap();
        let b = store.write::<_, ()>(|tx| tx.next_seq("t", 100)).unwrap();
        assert_eq!((a, b), (100, 101));
        store
            .write::<_, ()>(|tx| tx.put(Table::PkiTracking, b"k", &"v".to_string()))
            .unwrap();
        assert_eq!(
            store
                .get::<String>(Table::PkiTracking, b"k")
                .unwrap()
                .as_deref(),
            Some("v")
        );
    }

    #[test]
    fn durable_store_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(Some(dir.path())).unwrap();
            store
                .write::<_, ()>(|tx| tx.put(Table::PkiCerts, b"a", &7u32))
                .unwrap();
        }
        let store = Store::open(Some(dir.path())).unwrap();
        assert_eq!(store.get::<u32>(Table::PkiCerts, b"a").unwrap(), Some(7));
    }
}
