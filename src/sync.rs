//! Lock helpers: a poisoned lock is recovered, not propagated.
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
