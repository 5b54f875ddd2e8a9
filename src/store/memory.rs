//! The store without a data directory: one ordered map per table in process memory.
//!
//! Rationale: this mode used to be a temporary sled database, which sled puts under `/dev/shm`
//! (or the temp dir). signsim's container image is `FROM scratch`, runs as a non-root user and
//! has no writable filesystem: Docker gives `/dev/shm` 64 MiB, so the 34th upload of 1 MiB was
//! refused with "No space left on device", and where there is neither `/dev/shm` nor `/tmp` the
//! server could not start at all. State that is not meant to outlive the process has no
//! business on a filesystem, so this module holds only maps: it imports nothing that names a
//! path or a file, and opening it cannot fail.
//!
//! Consistency: every table sits behind one [`RwLock`]. A transaction ([`Pending`]) buffers its
//! puts and removes and reads through them; [`Pending::apply`] takes the write lock once and
//! applies them all, so a reader sees a transaction whole or not at all, and a refused one
//! (dropped unapplied) leaves nothing behind. Writers are serialized by the store's write lock,
//! so the committed maps cannot change under a transaction: there are no conflicts to retry.
//!
//! Values are `Arc<[u8]>`: stored once, and a read takes a reference (an atomic increment)
//! under the lock and decodes or copies after releasing it, so a large value never holds
//! writers back.

use super::Span;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, RwLock};

/// One table: key → value, in key order as sled keeps them (bytewise).
type Map = BTreeMap<Vec<u8>, Arc<[u8]>>;

/// One table's writes in a transaction: `None` removes the key.
type Writes = BTreeMap<Vec<u8>, Option<Arc<[u8]>>>;

/// Every table of one store.
pub struct Memory {
    tables: RwLock<Vec<Map>>,
}

/// `each` of the entries of `map` in `span`, in key order, at most `limit`.
fn collect<R>(
    map: &Map,
    span: Span<'_>,
    limit: usize,
    each: impl FnMut((&Vec<u8>, &Arc<[u8]>)) -> R,
) -> Vec<R> {
    match span {
        Span::Prefix(prefix) => map
            .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(each)
            .collect(),
        // `BTreeMap::range` panics on a start above the end; sled answers nothing.
        Span::Range(start, end) if start >= end => Vec::new(),
        Span::Range(start, end) => map
            .range::<[u8], _>((Bound::Included(start), Bound::Excluded(end)))
            .take(limit)
            .map(each)
            .collect(),
    }
}

impl Memory {
    pub fn new(tables: usize) -> Memory {
        Memory {
            tables: RwLock::new(vec![Map::new(); tables]),
        }
    }

    pub fn get(&self, table: usize, key: &[u8]) -> Option<Arc<[u8]>> {
        crate::sync::read(&self.tables)[table].get(key).cloned()
    }

    pub fn contains(&self, table: usize, key: &[u8]) -> bool {
        crate::sync::read(&self.tables)[table].contains_key(key)
    }

    pub fn len(&self, table: usize) -> usize {
        crate::sync::read(&self.tables)[table].len()
    }

    /// `each` of the keys and values in `span`, in key order, at most `limit`, under the read
    /// lock: it should copy or share, and leave decoding to after.
    pub fn scan<R>(
        &self,
        table: usize,
        span: Span<'_>,
        limit: usize,
        mut each: impl FnMut(&[u8], &Arc<[u8]>) -> R,
    ) -> Vec<R> {
        let tables = crate::sync::read(&self.tables);
        collect(&tables[table], span, limit, |(k, v)| each(k, v))
    }

    /// A transaction over every table; nothing is visible to others until it is applied.
    /// The caller holds the store's write lock until then.
    pub fn begin(&self) -> Pending<'_> {
        Pending {
            memory: self,
            writes: RefCell::new(BTreeMap::new()),
        }
    }
}

/// One transaction's writes, not yet applied.
pub struct Pending<'a> {
    memory: &'a Memory,
    /// By table, then key. A `RefCell` because [`super::Tx`] hands out `&self` to closures
    /// that read and write in turn; it is never shared between threads.
    writes: RefCell<BTreeMap<usize, Writes>>,
}

impl Pending<'_> {
    /// The value under `key` as this transaction sees it: its own writes first.
    pub fn get(&self, table: usize, key: &[u8]) -> Option<Arc<[u8]>> {
        if let Some(written) = self.writes.borrow().get(&table).and_then(|t| t.get(key)) {
            return written.clone();
        }
        self.memory.get(table, key)
    }

    pub fn put(&self, table: usize, key: &[u8], value: Arc<[u8]>) {
        self.write(table, key, Some(value));
    }

    pub fn remove(&self, table: usize, key: &[u8]) {
        self.write(table, key, None);
    }

    fn write(&self, table: usize, key: &[u8], value: Option<Arc<[u8]>>) {
        self.writes
            .borrow_mut()
            .entry(table)
            .or_default()
            .insert(key.to_vec(), value);
    }

    /// Applies every write at once, under one write lock.
    pub fn apply(self) {
        let writes = self.writes.into_inner();
        if writes.is_empty() {
            return;
        }
        let mut tables = crate::sync::write(&self.memory.tables);
        for (table, writes) in writes {
            let map = &mut tables[table];
            for (key, value) in writes {
                match value {
                    Some(v) => {
                        map.insert(key, v);
                    }
                    None => {
                        map.remove(&key);
                    }
                }
            }
        }
    }
}
