//! Lock helpers: a poisoned lock is recovered, not propagated; and the hash map the shared
//! state behind them uses.
//!
//! Rationale: a panic while a lock is held can only come from a bug in signsim (no request
//! input reaches a panic by design). The data behind every lock here stays consistent
//! between statements (a counter, a map insert, a ring push), so the right answer to poison
//! is to keep serving rather than to fail every later request.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

pub fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

/// The hash map of shared state read on every request (caches, tallies): foldhash, seeded per
/// process, instead of SipHash, which was a third of the hashing instructions of a cached GET.
/// Keys may come from clients (queries, logins, tenants); a per-process seed keeps them from
/// choosing collisions in advance.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
