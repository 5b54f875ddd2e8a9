//! Where the journal's evicted entries are freed: on the thread that made them.
//!
//! Rationale: connections are served on per-core lanes (`server::lanes`), and the push that
//! evicts the oldest entry is as often on another lane as on the one whose request made it. With
//! glibc's malloc a block freed by another thread goes back to its maker's arena under that
//! arena's lock, which the maker is using for its own request at the time: a futex wait about
//! every second signed call, and most of what the journal cost in the benchmark. So an entry
//! another thread evicts waits in its maker's grave, and the maker frees it at its next push.
//! A grave holds at most [`GRAVE_CAP`] entries (a thread that stopped pushing, a blocking-pool
//! thread that ended): beyond that the evicting thread frees them itself.

use super::Packed;
use crate::sync::PerSlot;
use std::cell::RefCell;
use std::sync::Mutex;

/// Entries a grave holds before the evicting thread frees one itself.
const GRAVE_CAP: usize = 32;

thread_local! {
    /// An empty buffer this thread swaps into its grave, so no grave's buffer is freed.
    static SPARE: RefCell<Vec<Packed>> = const { RefCell::new(Vec::new()) };
}

/// The grave of the calling thread: its [`crate::sync::slot`] (threads share one beyond
/// [`crate::sync::SLOTS`]; a thread may then free a neighbour's).
pub(super) fn maker() -> u8 {
    crate::sync::slot() as u8
}

/// The journal's graves, one per slot.
pub(super) struct Graves {
    graves: PerSlot<Mutex<Vec<Packed>>>,
}

impl Graves {
    pub(super) fn new() -> Graves {
        Graves {
            graves: PerSlot::default(),
        }
    }

    /// Frees, here, what other threads evicted of this thread's (`me`) entries.
    pub(super) fn free_mine(&self, me: u8) {
        let Some(grave) = self.graves.at(usize::from(me)) else {
            return;
        };
        SPARE.with(|spare| {
            let Ok(mut spare) = spare.try_borrow_mut() else {
                return;
            };
            {
                let mut g = crate::sync::lock(grave);
                if g.is_empty() {
                    return;
                }
                std::mem::swap(&mut *g, &mut *spare);
            }
            spare.clear();
        });
    }

    /// An entry `me` evicted that `maker` made: freed now if `me` made it (or its maker's
    /// grave is full), else left in its maker's grave.
    pub(super) fn bury(&self, me: u8, maker: u8, entry: Packed) {
        if maker == me {
            return;
        }
        if let Some(grave) = self.graves.at(usize::from(maker)) {
            let mut g = crate::sync::lock(grave);
            if g.len() < GRAVE_CAP {
                g.push(entry);
            }
        }
    }

    /// Frees every grave's entries (a cleared journal keeps nothing).
    pub(super) fn clear(&self) {
        for grave in self.graves.all() {
            let taken = std::mem::take(&mut *crate::sync::lock(grave));
            drop(taken);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_another_thread_evicts_waits_in_its_makers_grave_until_the_maker_frees_it() {
        let graves = Graves::new();
        let me = maker();
        assert_eq!(maker(), me, "a thread keeps its grave");
        let other = std::thread::spawn(maker).join().expect("a thread");
        assert_ne!(other, me, "another thread gets another grave");
        // Evicted by the other thread: kept for this one.
        graves.bury(
            other,
            me,
            Packed::pack(&mut crate::journal::tests::entry(1, "RegisterInfo", 200)),
        );
        assert_eq!(
            crate::sync::lock(graves.graves.at(usize::from(me)).expect("a slot")).len(),
            1
        );
        // Its own: freed at once, never kept.
        graves.bury(
            other,
            other,
            Packed::pack(&mut crate::journal::tests::entry(1, "RegisterInfo", 200)),
        );
        assert!(
            crate::sync::lock(graves.graves.at(usize::from(other)).expect("a slot")).is_empty()
        );
        // A full grave: the evicting thread frees the rest.
        for _ in 0..GRAVE_CAP + 5 {
            graves.bury(
                other,
                me,
                Packed::pack(&mut crate::journal::tests::entry(1, "RegisterInfo", 200)),
            );
        }
        assert_eq!(
            crate::sync::lock(graves.graves.at(usize::from(me)).expect("a slot")).len(),
            GRAVE_CAP
        );
        graves.free_mine(me);
        assert!(crate::sync::lock(graves.graves.at(usize::from(me)).expect("a slot")).is_empty());
        graves.bury(
            other,
            me,
            Packed::pack(&mut crate::journal::tests::entry(1, "RegisterInfo", 200)),
        );
        graves.clear();
        assert!(crate::sync::lock(graves.graves.at(usize::from(me)).expect("a slot")).is_empty());
    }
}
