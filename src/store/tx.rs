//! The transaction: [`Store::write`] runs a closure over every table at once, and the closure
//! reads and writes through one [`Tx`], its view of every table over either backend.

use super::disk::Disk;
use super::error::Aborted;
use super::files;
use super::space::Space;
use super::{codec, memory, Abort, Backend, Store, Stored, Table, WriteError};
use serde::{de::DeserializeOwned, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;
use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::sync::Arc;

impl Store {
    /// Runs `f` as one transaction over every table. When durable, the write is on disk
    /// before the request that made it is answered: inside a handler (see [`super::flush::collect`])
    /// the pipeline waits for the group flush that covers it; elsewhere this call waits.
    ///
    /// A request's write (one inside [`super::flush::collect`]) is refused with
    /// [`StoreError::Full`](super::StoreError::Full), nothing applied, when it would take the
    /// store's disk or memory below the watermark (see [`super::space`]). Writes of the server
    /// itself (start-up seeding, scenario events, reactions) are small and not held back.
    pub fn write<R, E>(
        &self,
        f: impl Fn(&Tx<'_>) -> Result<R, Abort<E>>,
    ) -> Result<R, WriteError<E>> {
        let space = super::flush::in_request().then_some(&*self.inner.space);
        if let Some(space) = space {
            space.check(0).map_err(WriteError::Store)?;
        }
        // Within the watermark once the closure has said how much it adds.
        let fits = |tx: &Tx<'_>| match space {
            Some(space) => space.check(tx.written.get()),
            None => Ok(()),
        };
        let guard = crate::sync::lock(&self.inner.write_lock);
        let disk = match &self.inner.backend {
            Backend::Sled(disk) => disk,
            Backend::Memory(memory) => {
                let pending = memory.begin();
                let tx = Tx {
                    view: View::Memory(&pending),
                    written: Cell::new(0),
                    space,
                };
                // A failure returns here and drops `pending` with every write it buffered.
                let r = f(&tx).map_err(Abort::unapplied)?;
                fits(&tx).map_err(WriteError::Store)?;
                let written = tx.written.get();
                // Applied before the write lock is released: the next writer reads this state.
                pending.apply();
                self.inner.space.wrote(written);
                return Ok(r);
            }
        };
        let written = Cell::new(0);
        // Files of large values this write created (see `files`): removed if it does not commit.
        let created = RefCell::new(Vec::new());
        let result = disk.trees.as_slice().transaction(|trees| {
            let tx = Tx {
                view: View::Sled(trees, disk, &created),
                written: Cell::new(0),
                space,
            };
            let r = f(&tx).and_then(|r| {
                fits(&tx).map_err(Abort::Store)?;
                Ok(r)
            });
            written.set(tx.written.get());
            match r {
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
        if result.is_err() {
            for path in created.take() {
                let _ = std::fs::remove_file(path);
            }
        }
        let r = match result {
            Ok(r) => r,
            Err(TransactionError::Abort(Aborted::Refused(e))) => {
                return Err(WriteError::Refused(e))
            }
            Err(TransactionError::Abort(Aborted::Store(e))) => return Err(WriteError::Store(e)),
            Err(TransactionError::Storage(e)) => return Err(WriteError::Store(e.into())),
        };
        drop(guard);
        self.inner.space.wrote(written.get());
        disk.flusher.committed().map_err(WriteError::Store)?;
        Ok(r)
    }
}

/// One transaction's view of every table.
pub struct Tx<'a> {
    pub(super) view: View<'a>,
    /// Bytes of keys and values the closure has written so far.
    written: Cell<u64>,
    /// The watermark a request's write keeps to (see [`super::space`]); `None` for the server's
    /// own writes.
    space: Option<&'a Space>,
}

pub(super) enum View<'a> {
    /// sled's trees, the generation (for large values' files) and the files this write created.
    Sled(&'a [TransactionalTree], &'a Disk, &'a RefCell<Vec<PathBuf>>),
    /// Writes buffered until [`Store::write`] applies them; reads see them first.
    Memory(&'a memory::Pending<'a>),
}

impl Tx<'_> {
    fn stored<E>(&self, t: Table, key: &[u8]) -> Result<Option<Stored>, Abort<E>> {
        Ok(match &self.view {
            View::Sled(trees, disk, _) => match trees[t.index()].get(key)? {
                Some(v) => Some(disk.resolve(t, key, v).map_err(Abort::Store)?),
                None => None,
            },
            View::Memory(pending) => pending.get(t.index(), key).map(Stored::Memory),
        })
    }

    fn insert<E>(&self, t: Table, key: &[u8], value: &[u8]) -> Result<(), Abort<E>> {
        self.written
            .set(self.written.get() + (key.len() + value.len()) as u64);
        match &self.view {
            View::Sled(trees, disk, created) if value.len() > files::INLINE_MAX => {
                // Room for it first: a file refused afterwards would still take the disk.
                if let Some(space) = self.space {
                    space.check(self.written.get()).map_err(Abort::Store)?;
                }
                let (path, existed) =
                    files::write(&disk.dir(), t, key, value).map_err(Abort::Store)?;
                if !existed {
                    created.borrow_mut().push(path.clone());
                }
                disk.flusher.sync_before_flush(path);
                trees[t.index()].insert(key, files::marker(key))?;
            }
            View::Sled(trees, _, _) => {
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
            View::Sled(trees, _, _) => {
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
