//! One transaction's view of every table: what a [`super::Store::write`] closure reads and
//! writes through, over either backend.

use super::{codec, memory, Abort, Stored, Table};
use serde::{de::DeserializeOwned, Serialize};
use sled::transaction::TransactionalTree;
use std::sync::Arc;

/// One transaction's view of every table.
pub struct Tx<'a> {
    pub(super) view: View<'a>,
}

pub(super) enum View<'a> {
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
