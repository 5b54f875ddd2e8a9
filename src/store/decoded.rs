//! Decoded values kept beside the store and checked against the stored bytes on every read.
//!
//! Some records are read on nearly every request of a kind — the tracking record an
//! idempotent RegisterInfo returns, the Podpishi account behind every command — and decoding
//! their JSON again each time was a tenth of such a request. A [`Decoded`] cache keeps an
//! `Arc` of the value with the bytes it was decoded from; [`Store::get_decoded`] fetches the
//! stored bytes as any read does and reuses the value only when they are equal. So a write, a
//! reset or a scenario load can never be answered from a stale value, and nothing has to be
//! invalidated. Bounded: at most [`CAPACITY`] entries a thread (emptied when full), each holding
//! one stored value. Each thread keeps its own ([`PerSlot`]): a hit took a read lock and a value's
//! reference count that both connection lanes wrote, moving those cache lines between the cores
//! on every request.

use super::{codec, Store, StoreError, Stored, Table};
use crate::sync::{FastMap, PerSlot};
use serde::de::DeserializeOwned;
use std::sync::{Arc, RwLock};

/// Entries one cache keeps at most, per thread.
pub const CAPACITY: usize = 256;

/// A key's stored bytes (shared with the backend, not copied) and the value decoded from them.
type Entry<V> = (Stored, Arc<V>);

/// Decoded values of one table, by key.
pub struct Decoded<V> {
    table: Table,
    entries: PerSlot<RwLock<FastMap<Vec<u8>, Entry<V>>>>,
}

impl<V> Decoded<V> {
    pub fn new(table: Table) -> Decoded<V> {
        Decoded {
            table,
            entries: PerSlot::default(),
        }
    }

    /// How many values it holds (every thread's).
    pub fn len(&self) -> usize {
        self.entries.all().map(|e| crate::sync::read(e).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Store {
    /// The value under `key` in the cache's table, as [`Store::get`] reads it, decoded once per
    /// distinct stored bytes.
    pub fn get_decoded<V: DeserializeOwned>(
        &self,
        cache: &Decoded<V>,
        key: &[u8],
    ) -> Result<Option<Arc<V>>, StoreError> {
        let Some(bytes) = self.stored(cache.table, key)? else {
            return Ok(None);
        };
        let entries = cache.entries.mine();
        if let Some((seen, value)) = crate::sync::read(entries).get(key) {
            if *seen == bytes {
                return Ok(Some(value.clone()));
            }
        }
        let value = Arc::new(codec::decode::<V>(&bytes)?);
        let mut entries = crate::sync::write(entries);
        if entries.len() >= CAPACITY && !entries.contains_key(key) {
            entries.clear();
        }
        entries.insert(key.to_vec(), (bytes, value.clone()));
        Ok(Some(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_value_is_decoded_again_and_the_cache_stays_bounded() {
        let store = Store::open(None).unwrap();
        let cache: Decoded<String> = Decoded::new(Table::Meta);
        let put = |v: &str| {
            store
                .write(|tx| tx.put::<_, ()>(Table::Meta, b"k", &v.to_string()))
                .unwrap()
        };
        assert_eq!(store.get_decoded(&cache, b"k").unwrap(), None);
        put("one");
        let first = store.get_decoded(&cache, b"k").unwrap().unwrap();
        let again = store.get_decoded(&cache, b"k").unwrap().unwrap();
        assert_eq!(*first, "one");
        assert!(
            Arc::ptr_eq(&first, &again),
            "unchanged bytes reuse the value"
        );
        put("two");
        assert_eq!(*store.get_decoded(&cache, b"k").unwrap().unwrap(), "two");
        for i in 0..CAPACITY + 10 {
            let key = format!("k{i}");
            store
                .write(|tx| tx.put::<_, ()>(Table::Meta, key.as_bytes(), &i.to_string()))
                .unwrap();
            assert_eq!(
                *store.get_decoded(&cache, key.as_bytes()).unwrap().unwrap(),
                i.to_string()
            );
        }
        assert!(cache.len() <= CAPACITY);
    }
}
