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
mod disk;
mod error;
pub mod flush;
mod memory;
mod table;
mod tx;

pub use decoded::Decoded;
pub use error::{refuse, Abort, StoreError, WriteError};
pub use table::Table;
pub use tx::Tx;

use error::Aborted;
use table::TABLES;

use disk::Disk;
use tx::View;

use serde::de::DeserializeOwned;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
impl Store {
    /// Opens the store in `dir` (its current generation), or in memory when `dir` is `None`.
    pub fn open(dir: Option<&Path>) -> Result<Store, StoreError> {
        match dir {
            Some(dir) => Store::open_at(Some(disk::current_generation(dir)?), None),
            None => Store::open_at(None, None),
        }
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
        match &self.inner.backend {
            Backend::Sled(disk) => {
                let (generation, path) = disk.next_generation()?;
                Store::open_at(Some(generation), Some(path))
            }
            Backend::Memory(_) => Store::open_at(None, None),
        }
    }

    /// Makes this store (from [`Store::fresh`]) the data directory's current generation, all
    /// of it flushed first; `old` is removed once its last handle drops.
    pub fn commit(&self, old: &Store) -> Result<(), StoreError> {
        let Backend::Sled(disk) = &self.inner.backend else {
            return Ok(());
        };
        disk.commit(match &old.inner.backend {
            Backend::Sled(old) => Some(old),
            Backend::Memory(_) => None,
        })
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

#[cfg(test)]
mod tests;
