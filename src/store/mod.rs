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
//!
//! Files: this one opens a store and switches generations; `read` holds the reads (and the
//! shared bytes [`Decoded`] compares), `tx` the transaction ([`Store::write`] and the [`Tx`]
//! its closure sees), [`flush`] the group commit, `table` the tables, [`codec`] the keys and
//! values, `disk` and `memory` the backends.

pub mod codec;
pub mod decoded;
mod disk;
mod error;
mod files;
pub mod flush;
mod memory;
mod read;
pub mod space;
mod table;
mod tx;

pub use decoded::Decoded;
pub use error::{refuse, Abort, StoreError, WriteError};
pub use space::{MinFree, Room};
pub use table::Table;
pub use tx::Tx;

use table::TABLES;

use disk::Disk;
use read::{Span, Stored};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a store is kept: the watermark, sled's cache, how long a request waits for it.
#[derive(Clone, Debug)]
pub struct Options {
    /// Writes of requests are refused below it (see [`space`]): `--min-free`.
    pub min_free: MinFree,
    /// The most memory sled may use to cache pages of a data directory: `--store-cache`.
    pub cache_bytes: u64,
    /// How long a request waits for the store before it is answered with an error:
    /// `--store-timeout`.
    pub timeout: Duration,
}

/// sled's page cache by default: enough for the working set of a test suite, small beside a
/// CI runner's memory (a data directory of 15 000 documents idles in 64 MiB with it).
pub const CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// What a fresh generation takes before the old one is removed: sled's files and the seeded
/// world (about 600 KiB for the default scenario), rounded up.
pub const FRESH_BYTES: u64 = 1024 * 1024;

impl Default for Options {
    fn default() -> Options {
        Options {
            min_free: MinFree::Auto,
            cache_bytes: CACHE_BYTES,
            timeout: Duration::from_secs(10),
        }
    }
}

/// A cheap-clone handle to the emulator's state.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    write_lock: Mutex<()>,
    /// The room left to write in; shared by every generation of one data directory.
    space: Arc<space::Space>,
    options: Options,
}

/// Where a store's tables live.
enum Backend {
    /// A generation of a data directory.
    Sled(Disk),
    /// No data directory: process memory only.
    Memory(memory::Memory),
}

impl Store {
    /// Opens the store in `dir` (its current generation), or in memory when `dir` is `None`,
    /// with the default [`Options`].
    pub fn open(dir: Option<&Path>) -> Result<Store, StoreError> {
        Store::open_with(dir, &Options::default())
    }

    /// Opens the store in `dir` (its current generation), or in memory when `dir` is `None`.
    pub fn open_with(dir: Option<&Path>, options: &Options) -> Result<Store, StoreError> {
        let space = Arc::new(match dir {
            Some(dir) => space::Space::disk(dir, options.min_free),
            None => space::Space::memory(options.min_free),
        });
        let generation = match dir {
            Some(dir) => Some(disk::current_generation(dir)?),
            None => None,
        };
        Store::open_at(generation, None, space, options.clone())
    }

    /// Opens one generation (`None`: a new store in memory); `retire` is removed when its last
    /// handle drops unless it is committed first.
    fn open_at(
        generation: Option<(PathBuf, String)>,
        retire: Option<PathBuf>,
        space: Arc<space::Space>,
        options: Options,
    ) -> Result<Store, StoreError> {
        let backend = match generation {
            Some(generation) => Backend::Sled(Disk::open(generation, retire, options.cache_bytes)?),
            None => Backend::Memory(memory::Memory::new(TABLES.len())),
        };
        let store = Store {
            inner: Arc::new(Inner {
                backend,
                write_lock: Mutex::new(()),
                space,
                options,
            }),
        };
        store.sweep_files();
        Ok(store)
    }

    /// Removes, beside the requests, the files of large values no committed marker names (see
    /// [`files`]): one at a time under the write lock, stopping when the store is dropped.
    fn sweep_files(&self) {
        let Backend::Sled(disk) = &self.inner.backend else {
            return;
        };
        let listed = files::listed(&disk.dir());
        if listed.is_empty() {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let spawned = std::thread::Builder::new()
            .name("signsim-sweep".into())
            .spawn(move || {
                for file in listed {
                    let Some(inner) = weak.upgrade() else {
                        return;
                    };
                    let _writers = crate::sync::lock(&inner.write_lock);
                    if let Backend::Sled(disk) = &inner.backend {
                        files::sweep_one(&file, &disk.trees);
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("could not start the sweep of unreferenced files: {e}");
        }
    }

    /// An empty store that will replace this one: the next generation of the data directory,
    /// not current until [`Store::commit`] (dropped uncommitted, it is removed), or a new
    /// store in memory.
    /// Refused, with nothing created, unless [`FRESH_BYTES`] fit above the watermark: a reset
    /// on a full disk leaves the old state whole.
    pub fn fresh(&self) -> Result<Store, StoreError> {
        self.inner.space.check(FRESH_BYTES)?;
        let (space, options) = (self.inner.space.clone(), self.inner.options.clone());
        match &self.inner.backend {
            Backend::Sled(disk) => {
                let (generation, path) = disk.next_generation()?;
                Store::open_at(Some(generation), Some(path), space, options)
            }
            Backend::Memory(_) => Store::open_at(None, None, space, options),
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

    /// The room left to write in, measured now.
    pub fn room(&self) -> Room {
        self.inner.space.room()
    }

    /// How long a request waits for the store.
    pub fn timeout(&self) -> Duration {
        self.inner.options.timeout
    }
}

#[cfg(test)]
mod tests;
