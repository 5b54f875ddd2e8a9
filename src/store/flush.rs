//! Group commit: with a data directory, concurrent writers share one flush.
//!
//! A durable [`Store::write`](super::Store::write) commits its transaction in memory and takes
//! a *ticket* (its place in commit order). One flush thread per store generation flushes sled
//! whenever tickets are waiting; a flush that starts after a ticket was taken covers it, so
//! every writer that committed while the previous flush ran is covered by the next one.
//!
//! Who waits: a request's handler runs inside [`collect`], which gathers the tickets its
//! writes take; the pipeline then awaits [`Pending::wait`] before it answers, so the request
//! is acknowledged only after the flush that covers it and no tokio worker blocks on the
//! disk. A write outside [`collect`] (a background reaction, a start-up seed) waits for its
//! flush on the spot, as every write did before group commit.
//!
//! Rationale: a flush per request puts every writer in line behind the disk, one fsync each;
//! with one flush per batch the acknowledged rate follows the clients, and a slow disk lengthens
//! each batch instead of the queue (CONTRIBUTING.md, durable uploads).
//!
//! A failed flush breaks the flusher for good: the data directory can no longer promise
//! anything, so every waiting and later write is answered with a store error.

use super::StoreError;
use std::cell::Cell;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

tokio::task_local! {
    /// The highest ticket the current handler's writes took, and their flusher.
    static PENDING: Cell<Option<Pending>>;
}

/// Runs a handler, returning its result and the flush its writes must wait for.
pub fn collect<R>(f: impl FnOnce() -> R) -> (R, Option<Pending>) {
    PENDING.sync_scope(Cell::new(None), || {
        let r = f();
        (r, PENDING.with(|p| p.take()))
    })
}

/// Whether the caller runs inside [`collect`]: a request's handler.
pub fn in_request() -> bool {
    PENDING.try_with(|_| ()).is_ok()
}

/// A committed write that is not on disk yet.
pub struct Pending {
    flusher: Arc<Shared>,
    ticket: u64,
}

impl Pending {
    /// Resolves once a flush covers the write.
    pub async fn wait(self) -> Result<(), StoreError> {
        let mut rx = self.flusher.flushed.subscribe();
        let seen = rx
            .wait_for(|f| f.upto >= self.ticket || f.broken.is_some())
            .await
            .map(|f| f.clone());
        match seen {
            Ok(Flushed { broken: None, .. }) => Ok(()),
            Ok(Flushed {
                broken: Some(e), ..
            }) => Err(StoreError::Backend(e)),
            // The sender lives in `flusher`, which `self` holds: it cannot be gone.
            Err(_) => Err(StoreError::Backend("the flush thread is gone".into())),
        }
    }
}

#[derive(Clone, Default)]
struct Flushed {
    /// Every ticket up to this one is on disk.
    upto: u64,
    /// Why the last flush failed.
    broken: Option<String>,
}

#[derive(Default)]
struct State {
    /// The last ticket taken.
    committed: u64,
    stop: bool,
    /// Files of large values written since the last flush, and their directory (see
    /// [`super::files`]): synced before sled is flushed, so a marker on disk names a whole file.
    files: Vec<std::path::PathBuf>,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the flush thread.
    work: Condvar,
    /// What is on disk; async waiters subscribe, blocking ones poll it under `done`.
    flushed: tokio::sync::watch::Sender<Flushed>,
    done: Mutex<()>,
    done_cv: Condvar,
}

/// The flush thread of one store generation; stopped and joined on drop, after a last flush.
pub struct Flusher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    pub fn start(db: sled::Db) -> Result<Flusher, StoreError> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            flushed: tokio::sync::watch::Sender::new(Flushed::default()),
            done: Mutex::new(()),
            done_cv: Condvar::new(),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("signsim-flush".into())
            .spawn(move || flush_loop(&s, &db))
            .map_err(|e| StoreError::Backend(format!("starting the flush thread: {e}")))?;
        Ok(Flusher {
            shared,
            thread: Some(thread),
        })
    }

    /// A file of a large value that the next flush syncs (with its directory) before sled's.
    pub fn sync_before_flush(&self, file: std::path::PathBuf) {
        crate::sync::lock(&self.shared.state).files.push(file);
    }

    /// Takes the next ticket for a write that has just committed (called in commit order)
    /// and hands it to the running handler, or waits for its flush when there is none.
    pub fn committed(&self) -> Result<(), StoreError> {
        let ticket = {
            let mut s = crate::sync::lock(&self.shared.state);
            s.committed += 1;
            s.committed
        };
        self.shared.work.notify_one();
        let pending = Pending {
            flusher: self.shared.clone(),
            ticket,
        };
        let unclaimed = PENDING
            .try_with(|p| p.replace(Some(pending)))
            .err()
            .map(|_| ticket);
        match unclaimed {
            None => Ok(()),
            Some(ticket) => self.wait_blocking(ticket),
        }
    }

    /// Blocks until a flush covers `ticket`.
    fn wait_blocking(&self, ticket: u64) -> Result<(), StoreError> {
        let mut guard = crate::sync::lock(&self.shared.done);
        loop {
            let f = self.shared.flushed.borrow().clone();
            if let Some(e) = f.broken {
                return Err(StoreError::Backend(e));
            }
            if f.upto >= ticket {
                return Ok(());
            }
            guard = self
                .shared
                .done_cv
                .wait(guard)
                .unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        crate::sync::lock(&self.shared.state).stop = true;
        self.shared.work.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn flush_loop(shared: &Shared, db: &sled::Db) {
    loop {
        let (target, files) = {
            let mut s = crate::sync::lock(&shared.state);
            loop {
                let upto = shared.flushed.borrow().upto;
                if s.committed > upto {
                    break (s.committed, std::mem::take(&mut s.files));
                }
                if s.stop {
                    return;
                }
                s = shared.work.wait(s).unwrap_or_else(|p| p.into_inner());
            }
        };
        let result = super::files::sync(&files)
            .map_err(sled::Error::Io)
            .and_then(|()| db.flush());
        {
            let _done = crate::sync::lock(&shared.done);
            shared.flushed.send_modify(|f| match &result {
                Ok(_) => f.upto = target,
                Err(e) => f.broken = Some(format!("flushing the data directory: {e}")),
            });
        }
        shared.done_cv.notify_all();
        if let Err(e) = result {
            tracing::error!(
                "flushing the data directory failed; writes are refused from now on: {e}"
            );
            return;
        }
    }
}
