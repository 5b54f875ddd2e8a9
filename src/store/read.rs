//! Reading the store: single values, scans in key order, counts. Both backends answer the same;
//! a value's bytes are shared with the backend ([`Stored`]) so [`super::Decoded`] can tell an
//! unchanged value from a written one without copying it.

use super::{codec, Backend, Store, StoreError, Table};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The keys a scan visits.
#[derive(Clone, Copy)]
pub(super) enum Span<'a> {
    /// Keys starting with these bytes.
    Prefix(&'a [u8]),
    /// Keys in `[start, end)`.
    Range(&'a [u8], &'a [u8]),
}

/// A value's bytes as its backend keeps them, shared rather than copied: what
/// [`Decoded`] compares to know whether its decoded value is still current.
#[derive(Clone)]
pub(super) enum Stored {
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
    /// The bytes stored under `key`, shared with the backend.
    pub(super) fn stored(&self, t: Table, key: &[u8]) -> Result<Option<Stored>, StoreError> {
        Ok(match &self.inner.backend {
            Backend::Sled(disk) => match disk.tree(t).get(key)? {
                Some(v) => Some(disk.resolve(t, key, v)?),
                None => None,
            },
            Backend::Memory(memory) => memory.get(t.index(), key).map(Stored::Memory),
        })
    }

    pub fn get<V: DeserializeOwned>(&self, t: Table, key: &[u8]) -> Result<Option<V>, StoreError> {
        match self.stored(t, key)? {
            Some(bytes) => codec::decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The bytes stored under `key` by [`super::Tx::put_raw`].
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
                    let v = disk.resolve(t, &k, v)?;
                    Ok((k.to_vec(), v))
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
}
