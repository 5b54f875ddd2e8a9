//! Handlers that touch a data directory run off the async workers, and a request waits for
//! them no longer than `--store-timeout`.
//!
//! Why: sled's calls are synchronous. When its flush hung on a full disk, the handlers blocked
//! inside sled held both tokio workers, and nothing answered any more — not even
//! `/__admin/health`. A handler of a route that touches a durable store ([`Api::offload`]) now
//! runs on tokio's blocking pool; the worker only awaits it, so a stuck store costs blocking
//! threads, never the runtime. A request that waits longer than the timeout (for the handler or
//! for the flush that makes its writes durable) is answered with the API's own error for a
//! stalled store, and [`Stalls`] tells `/__admin/health` why.
//!
//! A handler that gives up waiting is not stopped: if the store comes back, its write may
//! still apply. The answer says so ("may still be applied").
//!
//! Without a data directory the store is process memory and cannot stall on a disk: handlers
//! run in place, which spares the memory mode the hand-off (a few microseconds a request).

use super::{Answer, Api, RouteInfo, Shared};
use crate::journal::Meta;
use crate::store::{flush, StoreError};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs the handler on the blocking pool and waits for it and its flush at most `wait`.
pub(super) async fn handle<A: Api>(
    api: &A,
    shared: &Shared,
    route: &A::Route,
    bound: Result<A::Input, A::Error>,
    meta: &mut Meta,
    wait: Duration,
) -> Result<Answer, A::Error> {
    let deadline = tokio::time::Instant::now() + wait;
    let operation = meta.operation.clone();
    let mut moved = std::mem::replace(meta, Meta::new(A::NAME, ""));
    let (api, handler_route) = (api.clone(), route.clone());
    let running = shared.stalls.enter();
    let state = running.state.clone();
    let task = tokio::task::spawn_blocking(move || {
        let (handled, pending) = flush::collect(|| {
            bound.and_then(|input| api.handle(&handler_route, input, &mut moved))
        });
        drop(running);
        (handled, pending, moved)
    });
    let (handled, pending) = match tokio::time::timeout_at(deadline, task).await {
        Ok(Ok((handled, pending, moved))) => {
            *meta = moved;
            (handled, pending)
        }
        // The handler panicked: as when it ran on the worker, the panic goes on.
        Ok(Err(e)) => std::panic::resume_unwind(e.into_panic()),
        Err(_) => {
            meta.operation = operation;
            shared.stalls.abandon(&state);
            return Err(shared
                .stalls
                .gave_up(route.name(), wait, meta, "answer")
                .into());
        }
    };
    match pending {
        None => handled,
        Some(p) => match tokio::time::timeout_at(deadline, p.wait()).await {
            Ok(Ok(())) => handled,
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(shared
                .stalls
                .gave_up(route.name(), wait, meta, "write its changes to disk")
                .into()),
        },
    }
}

/// Requests that gave up waiting for the store, for `/__admin/health`.
#[derive(Default)]
pub struct Stalls {
    counters: Arc<Counters>,
    last: Mutex<Option<Stall>>,
}

#[derive(Default)]
struct Counters {
    /// Handlers on the blocking pool now.
    running: AtomicU64,
    /// Of those, the ones whose request gave up waiting for them: the store is stuck.
    stuck: AtomicU64,
    /// Requests that gave up, since start.
    gave_up: AtomicU64,
}

/// The last request that gave up.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stall {
    /// Wall-clock time (RFC 3339).
    pub at: String,
    pub operation: String,
    pub waited_ms: u64,
}

/// What health shows of the stalls.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StallReport {
    /// Requests that gave up waiting for the store since start.
    pub count: u64,
    /// Handlers running on the store now (the blocking pool).
    pub running: u64,
    /// Of those, the ones still running after their request gave up on them.
    pub stuck: u64,
    pub last: Option<Stall>,
}

const RUNNING: u8 = 0;
const ABANDONED: u8 = 1;
const DONE: u8 = 2;

impl Stalls {
    pub fn report(&self) -> StallReport {
        let c = &self.counters;
        StallReport {
            count: c.gave_up.load(Ordering::Relaxed),
            running: c.running.load(Ordering::Relaxed),
            stuck: c.stuck.load(Ordering::Relaxed),
            last: crate::sync::lock(&self.last).clone(),
        }
    }

    fn enter(&self) -> Running {
        self.counters.running.fetch_add(1, Ordering::Relaxed);
        Running {
            counters: self.counters.clone(),
            state: Arc::new(AtomicU8::new(RUNNING)),
        }
    }

    /// The request stops waiting for a handler that has not returned.
    fn abandon(&self, state: &AtomicU8) {
        if state
            .compare_exchange(RUNNING, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.counters.stuck.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn gave_up(&self, operation: &str, wait: Duration, meta: &mut Meta, what: &str) -> StoreError {
        self.counters.gave_up.fetch_add(1, Ordering::Relaxed);
        let waited_ms = wait.as_millis() as u64;
        *crate::sync::lock(&self.last) = Some(Stall {
            at: crate::clock::wire_time(crate::clock::wall_now()),
            operation: operation.to_string(),
            waited_ms,
        });
        tracing::error!("{operation}: the store did not {what} within {waited_ms} ms (--store-timeout); the request was answered with an error");
        meta.diagnostics
            .push(format!("the store did not {what} within {waited_ms} ms"));
        StoreError::Stalled(format!(
            "the store did not {what} within {waited_ms} ms (--store-timeout): the request may still be applied if the store recovers; GET /__admin/health says how many calls are stuck on it"
        ))
    }
}

/// A handler on the blocking pool, counted until it returns (or unwinds).
struct Running {
    counters: Arc<Counters>,
    state: Arc<AtomicU8>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.counters.running.fetch_sub(1, Ordering::Relaxed);
        if self.state.swap(DONE, Ordering::AcqRel) == ABANDONED {
            self.counters.stuck.fetch_sub(1, Ordering::Relaxed);
        }
    }
}
