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

use super::{Answer, Api, RouteInfo};
use crate::journal::Meta;
use crate::store::{flush, StoreError};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs the handler on the blocking pool and waits for it and its flush at most `wait`.
pub(super) async fn handle<A: Api>(
    api: &A,
    stalls: &Stalls,
    route: &A::Route,
    bound: Result<A::Input, A::Error>,
    meta: &mut Meta,
    wait: Duration,
) -> Result<Answer, A::Error> {
    let deadline = tokio::time::Instant::now() + wait;
    // As many handlers at once as there are cores (at least two): more only wait on the
    // store's write lock.
    let permit =
        match tokio::time::timeout_at(deadline, stalls.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(StoreError::Backend("the server is stopping".into()).into()),
            Err(_) => {
                return Err(stalls
                    .gave_up(route.name(), wait, meta, "take the request")
                    .into())
            }
        };
    let operation = meta.operation.clone();
    let mut moved = std::mem::replace(meta, Meta::new(A::NAME, ""));
    let (api, handler_route) = (api.clone(), route.clone());
    let running = stalls.enter();
    let state = running.state.clone();
    let task = tokio::task::spawn_blocking(move || {
        let (handled, pending) = flush::collect(|| {
            bound.and_then(|input| api.handle(&handler_route, input, &mut moved))
        });
        drop((running, permit));
        (handled, pending, moved)
    });
    let (handled, pending) = match tokio::time::timeout_at(deadline, task).await {
        Ok(Ok((handled, pending, moved))) => {
            *meta = moved;
            (handled, pending)
        }
        // The handler panicked: as when it ran on the worker, the panic goes on.
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // The runtime is shutting down.
        Ok(Err(_)) => {
            meta.operation = operation;
            return Err(StoreError::Backend("the server is stopping".into()).into());
        }
        Err(_) => {
            meta.operation = operation;
            stalls.abandon(&state);
            return Err(stalls.gave_up(route.name(), wait, meta, "answer").into());
        }
    };
    match pending {
        None => handled,
        Some(p) => match tokio::time::timeout_at(deadline, p.wait()).await {
            Ok(Ok(())) => handled,
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(stalls
                .gave_up(route.name(), wait, meta, "write its changes to disk")
                .into()),
        },
    }
}

/// Requests that gave up waiting for the store, for `/__admin/health`, and the handlers that
/// may run on the store at once.
pub struct Stalls {
    counters: Arc<Counters>,
    last: Mutex<Option<Stall>>,
    /// One per core, at least two: handlers beyond them wait (asynchronously) for a turn.
    permits: Arc<tokio::sync::Semaphore>,
}

impl Default for Stalls {
    fn default() -> Stalls {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Stalls {
            counters: Arc::default(),
            last: Mutex::default(),
            permits: Arc::new(tokio::sync::Semaphore::new(cores.max(2))),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Call;
    use crate::server::body::BodyError;
    use hyper::http::request::Parts;
    use hyper::Method;

    /// An API whose one handler takes as long as it is told, as a stalled store would.
    #[derive(Clone)]
    struct Slow(Duration);
    #[derive(Clone, Copy)]
    struct Route;
    #[derive(Debug)]
    struct Refused(String);

    impl RouteInfo for Route {
        fn name(&self) -> &'static str {
            "slow"
        }
    }

    impl From<StoreError> for Refused {
        fn from(e: StoreError) -> Refused {
            Refused(e.to_string())
        }
    }

    impl Api for Slow {
        const NAME: &'static str = "test";
        const CONTENT_TYPE: &'static str = "text/plain";
        type Route = Route;
        type Input = ();
        type Error = Refused;

        fn no_route(&self, _: &Parts, _: &[Method], _: &mut Meta) -> Answer {
            Answer::new(404, "text/plain", "")
        }
        fn body_limit(&self, _: &Route, _: &Parts) -> Result<Option<usize>, Refused> {
            Ok(None)
        }
        fn body_error(&self, _: &Route, e: BodyError) -> Refused {
            Refused(format!("{e:?}"))
        }
        async fn bind(&self, _: &Route, _: Call, _: &mut Meta) -> Result<(), Refused> {
            Ok(())
        }
        fn handle(&self, _: &Route, _: (), meta: &mut Meta) -> Result<Answer, Refused> {
            std::thread::sleep(self.0);
            meta.record = Some("handled".into());
            Ok(Answer::new(200, "text/plain", "ok"))
        }
        fn refuse(&self, _: &Route, e: Refused, _: &mut Meta) -> Answer {
            Answer::new(503, "text/plain", e.0)
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_handler_within_the_wait_answers_with_what_it_recorded() {
        let stalls = Stalls::default();
        let mut meta = Meta::new("test", "slow");
        let api = Slow(Duration::from_millis(5));
        let answer = runtime().block_on(handle(
            &api,
            &stalls,
            &Route,
            Ok(()),
            &mut meta,
            Duration::from_secs(5),
        ));
        assert_eq!(answer.unwrap().status, 200);
        assert_eq!(meta.record.as_deref(), Some("handled"));
        let r = stalls.report();
        assert_eq!((r.count, r.running, r.stuck), (0, 0, 0));
    }

    #[test]
    fn a_stalled_handler_is_given_up_on_in_time_and_counted_until_it_returns() {
        let stalls = Stalls::default();
        let mut meta = Meta::new("test", "slow");
        let api = Slow(Duration::from_millis(600));
        let rt = runtime();
        let started = std::time::Instant::now();
        let answer = rt.block_on(handle(
            &api,
            &stalls,
            &Route,
            Ok(()),
            &mut meta,
            Duration::from_millis(50),
        ));
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
        let e = answer.unwrap_err().0;
        assert!(e.contains("the store did not answer within 50 ms"), "{e}");
        assert!(e.contains("may still be applied"), "{e}");
        assert_eq!(meta.operation, "slow");
        assert!(
            meta.diagnostics[0].contains("within 50 ms"),
            "{:?}",
            meta.diagnostics
        );
        let r = stalls.report();
        assert_eq!((r.count, r.running, r.stuck), (1, 1, 1));
        assert_eq!(r.last.unwrap().operation, "slow");
        // Once the stuck handler returns, nothing is stuck any more.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while stalls.report().running > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let r = stalls.report();
        assert_eq!((r.count, r.running, r.stuck), (1, 0, 0));
    }
}
