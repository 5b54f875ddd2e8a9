//! State behind typed verbs.
//!
//! The store owns the backends — sled for a data directory, ordered maps in process memory
//! without one (see [`memory`]) — with their key encodings (see [`codec`]), JSON values and
//! transactions. No `sled::` type leaves this module and it knows nothing of HTTP. Callers name
//! a [`Table`], read with [`Store::get`]/[`Store::scan_prefix`], and change state only inside
//! [`Store::write`], whose closure sees every table through one [`Tx`]: a state transition, a
//! credit debit and an index update either all happen or none do. Both backends give the same
//! answers; only durability differs.
//!
//! Durability: with a data directory, a [`Store::write`] is flushed before the request that
//! made it is answered (group commit: concurrent writers share one flush, see [`flush`]), so
//! a change the caller acknowledges survives `kill -9`. Without one the store lives in process
//! memory only and touches no filesystem. It was a temporary sled once, which sled keeps under
//! `/dev/shm`: in the container image (`FROM scratch`, non-root, no writable filesystem)
//! Docker's 64 MiB `/dev/shm` filled after 33 uploads of 1 MiB, and without `/dev/shm` and
//! `/tmp` the server could not start.
//!
//! Generations: a data directory holds one sled database per generation (`gen-000001/`, …) and
//! a `CURRENT` file naming the one in force. Reset and scenario loading never empty a database
//! in place: [`Store::fresh`] opens the next generation beside it, the app seeds it, and
//! [`Store::commit`] flushes it and switches `CURRENT` by an atomic rename. A crash at any
//! instant leaves either the old state whole or the new one whole — never counters behind the
//! records that survive. Generations that are not current (a crash mid-switch, a retired one)
//! are removed at the next open; a retired one also when its last handle drops. A directory
//! written before generations existed (sled files at its top) is opened in place, and its
//! files are removed once a reset has switched to a generation. In memory, [`Store::fresh`] is
//! a new empty store and [`Store::commit`] has nothing to do: the app swaps the handles.
//!
//! Sequence numbers that clients see (tracking codes, serials, document numbers) come from
//! [`Tx::next_seq`], counters kept in the `meta` table inside the same transaction — never
//! from sled's `generate_id`, which jumps after a restart.
//!
//! Rationale for the write lock: sled's optimistic transactions are serializable, but a
//! conflicting closure is re-run, and our closures do RSA-free yet non-trivial work; one mutex
//! around writers makes retries rare and the order of sequence numbers equal to commit order.
//! The memory backend relies on it outright: a transaction there buffers its writes and applies
//! them at the end, which is serializable only because no other writer runs meanwhile.
//! Readers never take it.

pub mod codec;
pub mod decoded;
pub mod flush;
mod memory;

pub use decoded::Decoded;

use serde::{de::DeserializeOwned, Serialize};
use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};
use sled::Transactional;
use std::path::{Path, PathBuf};
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

impl<E> Abort<E> {
    /// Why a transaction that applied nothing did not commit (the memory backend's path).
    fn unapplied(self) -> WriteError<E> {
        match self {
            Abort::Refuse(e) => WriteError::Refused(e),
            Abort::Store(e) => WriteError::Store(e),
            // Only sled's transactions raise conflicts, and a closure cannot make one.
            Abort::Conflict(c) => WriteError::Store(StoreError::Backend(c.to_string())),
        }
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
    backend: Backend,
    write_lock: Mutex<()>,
}

/// Where a store's tables live.
enum Backend {
    /// A generation of a data directory.
    Sled(Disk),
    /// No data directory: process memory only.
    Memory(memory::Memory),
}

/// One generation of a data directory, open in sled.
struct Disk {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    /// The data directory and this generation's name in it.
    generation: (PathBuf, String),
    /// Group commit (see [`flush`]); joined before `retire` runs.
    flusher: flush::Flusher,
    /// Last, so the database is closed before a retired generation's files are removed.
    retire: Retire,
}

impl Disk {
    fn open(generation: (PathBuf, String), retire: Option<PathBuf>) -> Result<Disk, StoreError> {
        let (dir, name) = &generation;
        let db = sled::Config::new()
            .path(dir.join(name))
            .flush_every_ms(Some(500))
            .cache_capacity(8 * 1024 * 1024)
            .open()?;
        let trees = TABLES
            .iter()
            .map(|(_, name)| db.open_tree(name))
            .collect::<Result<Vec<_>, _>>()?;
        let flusher = flush::Flusher::start(db.clone())?;
        Ok(Disk {
            db,
            trees,
            generation,
            flusher,
            retire: Retire(Mutex::new(retire)),
        })
    }

    fn tree(&self, t: Table) -> &sled::Tree {
        &self.trees[t.index()]
    }

    fn iter(&self, t: Table, span: Span<'_>) -> sled::Iter {
        match span {
            Span::Prefix(prefix) => self.tree(t).scan_prefix(prefix),
            Span::Range(start, end) => self.tree(t).range(start..end),
        }
    }
}

/// The keys a scan visits.
#[derive(Clone, Copy)]
enum Span<'a> {
    /// Keys starting with these bytes.
    Prefix(&'a [u8]),
    /// Keys in `[start, end)`.
    Range(&'a [u8], &'a [u8]),
}

/// A value's bytes as its backend keeps them, shared rather than copied: what
/// [`Decoded`] compares to know whether its decoded value is still current.
#[derive(Clone)]
enum Stored {
    Sled(sled::IVec),
    Memory(Arc<[u8]>),
}

impl std::ops::Deref for Stored {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Stored::Sled(v) => v,
            Stored::Memory(v) => v,
        }
    }
}

impl PartialEq for Stored {
    fn eq(&self, other: &Stored) -> bool {
        match (self, other) {
            // Values are never changed in place and both handles keep the allocation alive,
            // so one allocation means equal bytes: a cache hit compares no bytes.
            (Stored::Memory(a), Stored::Memory(b)) if Arc::ptr_eq(a, b) => true,
            _ => **self == **other,
        }
    }
}

/// What to delete when the last handle of a generation drops.
#[derive(Default)]
struct Retire(Mutex<Option<PathBuf>>);

impl Drop for Retire {
    fn drop(&mut self) {
        if let Some(dir) = crate::sync::lock(&self.0).take() {
            remove_generation(&dir);
        }
    }
}

/// The name of the file naming the current generation.
const CURRENT: &str = "CURRENT";
/// Files sled keeps at the top of its directory (a data directory from before generations).
const SLED_FILES: [&str; 3] = ["conf", "db", "blobs"];

fn remove_generation(dir: &Path) {
    if dir.join(CURRENT).exists() {
        // A data directory of the old layout: only sled's own files go.
        for name in SLED_FILES {
            let p = dir.join(name);
            let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
        }
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with("snap.") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    } else if let Err(e) = std::fs::remove_dir_all(dir) {
        tracing::warn!(
            "could not remove the retired store generation {}: {e}",
            dir.display()
        );
    }
}

fn generation_number(name: &str) -> Option<u64> {
    name.strip_prefix("gen-")?.parse().ok()
}

/// Writes `CURRENT` = `name` by an atomic rename, both synced to disk.
fn switch_current(dir: &Path, name: &str) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = dir.join(format!("{CURRENT}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(format!("{name}\n").as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, dir.join(CURRENT))?;
    std::fs::File::open(dir)?.sync_all()
}

impl Store {
    /// Opens the store in `dir` (its current generation), or in memory when `dir` is `None`.
    pub fn open(dir: Option<&Path>) -> Result<Store, StoreError> {
        let Some(dir) = dir else {
            return Store::open_at(None, None);
        };
        let io = |e: std::io::Error| StoreError::Backend(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let name = match std::fs::read_to_string(dir.join(CURRENT)) {
            Ok(text) => text.trim().to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if dir.join("conf").exists() || dir.join("db").exists() {
                    // Sled files at the top: a data directory from before generations.
                    ".".to_string()
                } else {
                    let first = "gen-000001".to_string();
                    std::fs::create_dir_all(dir.join(&first)).map_err(io)?;
                    switch_current(dir, &first).map_err(io)?;
                    first
                }
            }
            Err(e) => return Err(io(e)),
        };
        if name != "." && generation_number(&name).is_none() {
            return Err(StoreError::Corrupt(format!(
                "{} names '{name}', not a store generation",
                dir.join(CURRENT).display()
            )));
        }
        // Leftovers of a crash between opening a generation and switching to it, or of a
        // retired generation still open when the process died.
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let other = e.file_name().to_string_lossy().to_string();
                if generation_number(&other).is_some() && other != name {
                    remove_generation(&e.path());
                }
            }
        }
        Store::open_at(Some((dir.to_path_buf(), name)), None)
    }

    /// Opens one generation (`None`: a new store in memory); `retire` is removed when its last
    /// handle drops unless it is committed first.
    fn open_at(
        generation: Option<(PathBuf, String)>,
        retire: Option<PathBuf>,
    ) -> Result<Store, StoreError> {
        let backend = match generation {
            Some(generation) => Backend::Sled(Disk::open(generation, retire)?),
            None => Backend::Memory(memory::Memory::new(TABLES.len())),
        };
        Ok(Store {
            inner: Arc::new(Inner {
                backend,
                write_lock: Mutex::new(()),
            }),
        })
    }

    /// An empty store that will replace this one: the next generation of the data directory,
    /// not current until [`Store::commit`] (dropped uncommitted, it is removed), or a new
    /// store in memory.
    pub fn fresh(&self) -> Result<Store, StoreError> {
        let Backend::Sled(disk) = &self.inner.backend else {
            return Store::open_at(None, None);
        };
        let (dir, current) = &disk.generation;
        let io = |e: std::io::Error| StoreError::Backend(format!("{}: {e}", dir.display()));
        let mut highest = generation_number(current).unwrap_or(0);
        for e in std::fs::read_dir(dir).map_err(io)?.flatten() {
            if let Some(n) = generation_number(&e.file_name().to_string_lossy()) {
                highest = highest.max(n);
            }
        }
        let name = format!("gen-{:06}", highest + 1);
        let path = dir.join(&name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(io)?;
        Store::open_at(Some((dir.clone(), name)), Some(path))
    }

    /// Makes this store (from [`Store::fresh`]) the data directory's current generation, all
    /// of it flushed first; `old` is removed once its last handle drops.
    pub fn commit(&self, old: &Store) -> Result<(), StoreError> {
        let Backend::Sled(disk) = &self.inner.backend else {
            return Ok(());
        };
        let (dir, name) = &disk.generation;
        disk.db.flush()?;
        // The generation's own directory entries first, so the switch never names files a
        // power cut could lose.
        std::fs::File::open(dir.join(name))
            .and_then(|d| d.sync_all())
            .map_err(|e| StoreError::Backend(format!("syncing {}: {e}", dir.display())))?;
        switch_current(dir, name)
            .map_err(|e| StoreError::Backend(format!("switching {}: {e}", dir.display())))?;
        *crate::sync::lock(&disk.retire.0) = None;
        if let Backend::Sled(old) = &old.inner.backend {
            let (old_dir, old_name) = &old.generation;
            *crate::sync::lock(&old.retire.0) = Some(old_dir.join(old_name));
        }
        Ok(())
    }

    pub fn is_durable(&self) -> bool {
        matches!(self.inner.backend, Backend::Sled(_))
    }

    /// The bytes stored under `key`, shared with the backend.
    fn stored(&self, t: Table, key: &[u8]) -> Result<Option<Stored>, StoreError> {
        Ok(match &self.inner.backend {
            Backend::Sled(disk) => disk.tree(t).get(key)?.map(Stored::Sled),
            Backend::Memory(memory) => memory.get(t.index(), key).map(Stored::Memory),
        })
    }

    pub fn get<V: DeserializeOwned>(&self, t: Table, key: &[u8]) -> Result<Option<V>, StoreError> {
        match self.stored(t, key)? {
            Some(bytes) => codec::decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The bytes stored under `key` by [`Tx::put_raw`].
    pub fn get_raw(&self, t: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.stored(t, key)?.map(|v| v.to_vec()))
    }

    pub fn contains(&self, t: Table, key: &[u8]) -> Result<bool, StoreError> {
        Ok(match &self.inner.backend {
            Backend::Sled(disk) => disk.tree(t).contains_key(key)?,
            Backend::Memory(memory) => memory.contains(t.index(), key),
        })
    }

    /// Keys and stored bytes in `span`, in key order, at most `limit`. In memory the entries
    /// are gathered under the read lock and decoded by the caller after it is released.
    fn entries(
        &self,
        t: Table,
        span: Span<'_>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Stored)>, StoreError> {
        match &self.inner.backend {
            Backend::Sled(disk) => disk
                .iter(t, span)
                .take(limit)
                .map(|item| {
                    let (k, v) = item?;
                    Ok((k.to_vec(), Stored::Sled(v)))
                })
                .collect(),
            Backend::Memory(memory) => Ok(memory.scan(t.index(), span, limit, |k, v| {
                (k.to_vec(), Stored::Memory(v.clone()))
            })),
        }
    }

    /// Keys in `span`, in key order, at most `limit`.
    fn keys(&self, t: Table, span: Span<'_>, limit: usize) -> Result<Vec<Vec<u8>>, StoreError> {
        match &self.inner.backend {
            Backend::Sled(disk) => disk
                .iter(t, span)
                .take(limit)
                .map(|item| Ok(item?.0.to_vec()))
                .collect(),
            Backend::Memory(memory) => Ok(memory.scan(t.index(), span, limit, |k, _| k.to_vec())),
        }
    }

    /// Values under `prefix` in key order, at most `limit` of them.
    pub fn scan_prefix<V: DeserializeOwned>(
        &self,
        t: Table,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, V)>, StoreError> {
        self.entries(t, Span::Prefix(prefix), limit)?
            .into_iter()
            .map(|(k, v)| Ok((k, codec::decode(&v)?)))
            .collect()
    }

    /// Keys under `prefix` in order, at most `limit`; values are not decoded.
    pub fn keys_with_prefix(
        &self,
        t: Table,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        self.keys(t, Span::Prefix(prefix), limit)
    }

    /// Keys in `[start, end)`, in order, at most `limit`; values are not decoded.
    pub fn keys_in_range(
        &self,
        t: Table,
        start: &[u8],
        end: &[u8],
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        self.keys(t, Span::Range(start, end), limit)
    }

    /// Number of entries in a table (admin and tests; O(n) on disk).
    pub fn len(&self, t: Table) -> usize {
        match &self.inner.backend {
            Backend::Sled(disk) => disk.tree(t).len(),
            Backend::Memory(memory) => memory.len(t.index()),
        }
    }

    /// Runs `f` as one transaction over every table. When durable, the write is on disk
    /// before the request that made it is answered: inside a handler (see [`flush::collect`])
    /// the pipeline waits for the group flush that covers it; elsewhere this call waits.
    pub fn write<R, E>(
        &self,
        f: impl Fn(&Tx<'_>) -> Result<R, Abort<E>>,
    ) -> Result<R, WriteError<E>> {
        let guard = crate::sync::lock(&self.inner.write_lock);
        let disk = match &self.inner.backend {
            Backend::Sled(disk) => disk,
            Backend::Memory(memory) => {
                let pending = memory.begin();
                let tx = Tx {
                    view: View::Memory(&pending),
                };
                // A failure returns here and drops `pending` with every write it buffered.
                let r = f(&tx).map_err(Abort::unapplied)?;
                // Applied before the write lock is released: the next writer reads this state.
                pending.apply();
                return Ok(r);
            }
        };
        let result = disk.trees.as_slice().transaction(|trees| {
            let tx = Tx {
                view: View::Sled(trees),
            };
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
        drop(guard);
        disk.flusher.committed().map_err(WriteError::Store)?;
        Ok(r)
    }
}

/// One transaction's view of every table.
pub struct Tx<'a> {
    view: View<'a>,
}

enum View<'a> {
    Sled(&'a [TransactionalTree]),
    /// Writes buffered until [`Store::write`] applies them; reads see them first.
    Memory(&'a memory::Pending<'a>),
}

impl Tx<'_> {
    fn stored<E>(&self, t: Table, key: &[u8]) -> Result<Option<Stored>, Abort<E>> {
        Ok(match &self.view {
            View::Sled(trees) => trees[t.index()].get(key)?.map(Stored::Sled),
            View::Memory(pending) => pending.get(t.index(), key).map(Stored::Memory),
        })
    }

    fn insert<E>(&self, t: Table, key: &[u8], value: &[u8]) -> Result<(), Abort<E>> {
        match &self.view {
            View::Sled(trees) => {
                trees[t.index()].insert(key, value)?;
            }
            View::Memory(pending) => pending.put(t.index(), key, Arc::from(value)),
        }
        Ok(())
    }

    pub fn get<V: DeserializeOwned, E>(&self, t: Table, key: &[u8]) -> Result<Option<V>, Abort<E>> {
        match self.stored(t, key)? {
            Some(bytes) => codec::decode(&bytes).map(Some).map_err(Abort::Store),
            None => Ok(None),
        }
    }

    pub fn put<V: Serialize, E>(&self, t: Table, key: &[u8], value: &V) -> Result<(), Abort<E>> {
        let bytes = codec::encode(value).map_err(Abort::Store)?;
        self.insert(t, key, &bytes)
    }

    pub fn put_raw<E>(&self, t: Table, key: &[u8], value: &[u8]) -> Result<(), Abort<E>> {
        self.insert(t, key, value)
    }

    pub fn remove<E>(&self, t: Table, key: &[u8]) -> Result<(), Abort<E>> {
        match &self.view {
            View::Sled(trees) => {
                trees[t.index()].remove(key)?;
            }
            View::Memory(pending) => pending.remove(t.index(), key),
        }
        Ok(())
    }

    /// The next value of the named counter, starting at `first`.
    pub fn next_seq<E>(&self, name: &str, first: u64) -> Result<u64, Abort<E>> {
        let key = codec::key(&["seq", name]);
        let next = match self.stored(Table::Meta, &key)? {
            Some(bytes) => codec::decode_u64(&bytes).map_err(Abort::Store)? + 1,
            None => first,
        };
        self.insert(Table::Meta, &key, &next.to_be_bytes())?;
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
    fn writes_inside_a_handler_hand_their_flush_to_the_caller() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(Some(dir.path())).unwrap();
        // Outside a handler the write waits on the spot: nothing is handed over.
        let ((), none) = flush::collect(|| ());
        assert!(none.is_none());
        // Inside, concurrent handlers each get a pending flush that resolves.
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let pendings: Vec<_> = (0..8u32)
            .map(|i| {
                let (r, p) = flush::collect(|| {
                    store.write::<_, ()>(|tx| tx.put(Table::PkiCerts, &i.to_be_bytes(), &i))
                });
                r.unwrap();
                p.expect("a durable write inside a handler leaves a pending flush")
            })
            .collect();
        rt.block_on(async {
            for p in pendings {
                p.wait().await.unwrap();
            }
        });
        // An in-memory store has nothing to wait for.
        let memory = Store::open(None).unwrap();
        let (r, p) =
            flush::collect(|| memory.write::<_, ()>(|tx| tx.put(Table::PkiCerts, b"m", &1u8)));
        r.unwrap();
        assert!(p.is_none());
        drop(store);
        let store = Store::open(Some(dir.path())).unwrap();
        assert_eq!(
            store
                .get::<u32>(Table::PkiCerts, &7u32.to_be_bytes())
                .unwrap(),
            Some(7)
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

    #[test]
    fn a_fresh_generation_replaces_the_old_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let put = |s: &Store, v: u32| {
            s.write::<_, ()>(|tx| tx.put(Table::PkiCerts, b"a", &v))
                .unwrap()
        };
        {
            let old = Store::open(Some(dir.path())).unwrap();
            put(&old, 1);
            let abandoned = old.fresh().unwrap();
            put(&abandoned, 2);
            // Dropped uncommitted: as if the process died before the switch.
        }
        let old = Store::open(Some(dir.path())).unwrap();
        assert_eq!(old.get::<u32>(Table::PkiCerts, b"a").unwrap(), Some(1));
        let new = old.fresh().unwrap();
        put(&new, 3);
        new.commit(&old).unwrap();
        drop(old);
        drop(new);
        let reopened = Store::open(Some(dir.path())).unwrap();
        assert_eq!(reopened.get::<u32>(Table::PkiCerts, b"a").unwrap(), Some(3));
        let gens: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with("gen-"))
            .collect();
        assert_eq!(gens.len(), 1, "{gens:?}");
    }
}
