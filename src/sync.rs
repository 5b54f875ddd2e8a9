//! Lock helpers: a poisoned lock is recovered, not propagated; the hash map the shared state
//! behind them uses; and per-thread slots for state every request touches.
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

/// How many [`slot`]s there are: threads share one beyond this.
pub const SLOTS: usize = 8;

static NEXT_SLOT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

thread_local! {
    static SLOT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// The calling thread's slot, below [`SLOTS`], given out in turn at its first call: each
/// connection lane (`server::lanes`) has its own.
///
/// Rationale: state that both lanes write on every request (a lock, a reference count) moves
/// its cache line from one core to the other each time; state kept per slot stays on the core
/// that uses it.
pub fn slot() -> usize {
    SLOT.with(|s| match s.get() {
        Some(i) => i,
        None => {
            let i = NEXT_SLOT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % SLOTS;
            s.set(Some(i));
            i
        }
    })
}

/// One `T` per [`slot`], each on cache lines of its own.
pub struct PerSlot<T> {
    slots: [Padded<T>; SLOTS],
}

/// Two cache lines' alignment: a neighbour's writes never touch this one's lines (adjacent-line
/// prefetch pairs them).
#[repr(align(128))]
struct Padded<T>(T);

impl<T: Default> Default for PerSlot<T> {
    fn default() -> Self {
        PerSlot {
            slots: std::array::from_fn(|_| Padded(T::default())),
        }
    }
}

impl<T> PerSlot<T> {
    /// The calling thread's.
    pub fn mine(&self) -> &T {
        &self.slots[slot()].0
    }

    /// Slot `i`'s (`None` past [`SLOTS`]).
    pub fn at(&self, i: usize) -> Option<&T> {
        self.slots.get(i).map(|p| &p.0)
    }

    /// Every slot's, for a reader that needs them all.
    pub fn all(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().map(|p| &p.0)
    }
}

/// Each thread's copy of a value read on every request and changed rarely (the clock's mode, the
/// APIs in force): a read is a load of a version no one writes between changes and the thread's
/// own lock; the shared value is read again only after [`Copies::changed`].
pub struct Copies<T> {
    /// Bumped at every change.
    version: std::sync::atomic::AtomicU64,
    slots: PerSlot<Mutex<Option<(u64, T)>>>,
}

impl<T> Default for Copies<T> {
    fn default() -> Self {
        Copies {
            version: std::sync::atomic::AtomicU64::new(0),
            slots: PerSlot::default(),
        }
    }
}

impl<T> Copies<T> {
    /// `pick` of this thread's copy; `read` makes a new one from the shared value when the
    /// copy is older than the last change.
    pub fn with<R>(&self, read: impl FnOnce() -> T, pick: impl FnOnce(&T) -> R) -> R {
        // Read before the value: a change in between leaves the copy a stale version, read
        // again next time.
        let version = self.version.load(std::sync::atomic::Ordering::Acquire);
        let mut slot = lock(self.slots.mine());
        if let Some((_, value)) = slot.as_ref().filter(|(v, _)| *v == version) {
            return pick(value);
        }
        let (_, value) = slot.insert((version, read()));
        pick(value)
    }

    /// The shared value changed (call it after the change, with the value's own lock released):
    /// every thread reads it again, and no copy keeps the old one alive.
    pub fn changed(&self) {
        self.version
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        for slot in self.slots.all() {
            *lock(slot) = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_keeps_its_slot_and_each_slot_is_its_own() {
        let mine = slot();
        assert_eq!(slot(), mine, "a thread keeps its slot");
        let per: PerSlot<Mutex<u32>> = PerSlot::default();
        *lock(per.mine()) += 1;
        *lock(per.mine()) += 1;
        assert_eq!(*lock(per.at(mine).expect("in range")), 2);
        assert_eq!(per.all().map(|m| *lock(m)).sum::<u32>(), 2);
        assert!(per.at(SLOTS).is_none());
        let addresses: Vec<usize> = per.all().map(|m| m as *const _ as usize).collect();
        assert!(
            addresses.windows(2).all(|w| w[1] - w[0] >= 128),
            "each slot on lines of its own"
        );
    }

    #[test]
    fn a_copy_is_read_once_until_a_change_which_drops_every_old_copy() {
        let copies: Copies<std::sync::Arc<u32>> = Copies::default();
        let old = std::sync::Arc::new(1);
        let reads = std::cell::Cell::new(0);
        let read = |v: &std::sync::Arc<u32>| {
            reads.set(reads.get() + 1);
            v.clone()
        };
        for _ in 0..3 {
            assert_eq!(copies.with(|| read(&old), |v| **v), 1);
        }
        assert_eq!(reads.get(), 1, "read once, then this thread's copy");
        assert_eq!(std::sync::Arc::strong_count(&old), 2);
        copies.changed();
        assert_eq!(
            std::sync::Arc::strong_count(&old),
            1,
            "no copy keeps the old value"
        );
        let new = std::sync::Arc::new(2);
        assert_eq!(copies.with(|| read(&new), |v| **v), 2);
        assert_eq!(reads.get(), 2, "read again after the change");
    }
}
