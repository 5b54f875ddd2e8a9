//! The connection lanes: one thread per core, each running a single-threaded tokio runtime,
//! and every accepted connection served whole on one of them (the one with the fewest open
//! connections).
//!
//! Rationale: on a work-stealing runtime a request that reads a body wakes its own task
//! (hyper hands the body over a channel inside the connection's task), and every such wake
//! rouses the other worker to steal it: a futex wake, a park and often the connection moved
//! to the other core, per request. On a lane the wake is a push onto the lane's own queue, the
//! connection's buffers stay in one core's cache, and its timers and socket live in the lane's
//! own driver. In `benches/run.sh` this took the server CPU of a cached GET from ~13 to ~10 µs
//! (CONTRIBUTING.md, benchmarks). What a lane gives up is stealing: a connection whose
//! request computes (a P12, a large upload) holds up the connections on its lane, not the
//! others; writes to a data directory still leave the lane for the blocking pool
//! (`pipeline::offload`).

use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// One lane: its runtime's handle and how many connections it serves now.
struct Lane {
    handle: Handle,
    open: Arc<AtomicUsize>,
    /// Dropped with the lanes: the lane's thread then ends its runtime and exits.
    _stop: oneshot::Sender<()>,
    #[cfg_attr(not(test), allow(dead_code))]
    thread: std::thread::JoinHandle<()>,
}

/// The lanes of one server; dropping them ends their threads (after the server has waited
/// for its connections: a task still on a lane is dropped with its runtime).
pub(super) struct Lanes {
    lanes: Vec<Lane>,
}

impl Lanes {
    /// One lane per core the process may use (`available_parallelism`, which honours a
    /// cgroup's CPU quota); `Err` if a thread or runtime cannot be made.
    pub(super) fn start() -> std::io::Result<Lanes> {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut lanes = Vec::with_capacity(n);
        for i in 0..n {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let handle = runtime.handle().clone();
            let (stop, stopped) = oneshot::channel::<()>();
            let thread = std::thread::Builder::new()
                .name(format!("signsim-lane-{i}"))
                .spawn(move || {
                    runtime.block_on(async {
                        let _ = stopped.await;
                    });
                })?;
            lanes.push(Lane {
                handle,
                open: Arc::new(AtomicUsize::new(0)),
                _stop: stop,
                thread,
            });
        }
        Ok(Lanes { lanes })
    }

    /// Serves `stream` on the lane with the fewest open connections: `serve` is given the
    /// stream registered with that lane's driver (`None` if it could not be: the connection
    /// is then dropped) and runs there to its end.
    pub(super) fn serve<F, Fut>(&self, stream: tokio::net::TcpStream, serve: F)
    where
        F: FnOnce(Option<tokio::net::TcpStream>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let lane = self
            .lanes
            .iter()
            .min_by_key(|l| l.open.load(Ordering::Relaxed))
            .expect("at least one lane");
        let std_stream: Option<TcpStream> = stream.into_std().ok();
        let open = lane.open.clone();
        open.fetch_add(1, Ordering::Relaxed);
        lane.handle.spawn(async move {
            // Within the lane: the socket joins this runtime's driver.
            let stream = std_stream.and_then(|s| tokio::net::TcpStream::from_std(s).ok());
            let _open = Open(open);
            serve(stream).await;
        });
    }
}

/// Counts a connection on its lane while it is served (also if its task is dropped).
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A served stream over loopback, registered with the calling runtime as the accept loop's is.
    async fn accepted(listener: &tokio::net::TcpListener) -> (tokio::net::TcpStream, TcpStream) {
        let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        (server, client)
    }

    #[test]
    fn each_connection_is_served_whole_on_the_lane_with_the_fewest_open_and_lanes_end_when_dropped()
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let lanes = Lanes::start().expect("lanes");
            let n = lanes.lanes.len();
            assert_eq!(
                n,
                std::thread::available_parallelism().map_or(1, |n| n.get())
            );
            let (seen_tx, seen_rx) = mpsc::channel::<(String, bool)>();
            let mut held = Vec::new();
            for _ in 0..n + 1 {
                let (server, client) = accepted(&listener).await;
                let (release, released) = oneshot::channel::<()>();
                let seen = seen_tx.clone();
                lanes.serve(server, move |stream| async move {
                    let name = std::thread::current().name().unwrap_or("").to_string();
                    let _ = seen.send((name, stream.is_some()));
                    let _ = released.await;
                });
                let (name, registered) = seen_rx
                    .recv_timeout(std::time::Duration::from_secs(5))
                    .expect("the connection is served");
                assert!(registered, "the stream joins the lane's driver");
                assert!(name.starts_with("signsim-lane-"), "served on {name}");
                held.push((name, release, client));
            }
            // Every lane took one of the first n connections; the n+1th shares one.
            let mut names: Vec<&str> = held[..n].iter().map(|(l, _, _)| l.as_str()).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), n, "each lane took one connection: {names:?}");
            for (_, release, _) in held.drain(..) {
                let _ = release.send(());
            }
            let open = || {
                lanes
                    .lanes
                    .iter()
                    .map(|l| l.open.load(Ordering::Relaxed))
                    .sum::<usize>()
            };
            let t0 = std::time::Instant::now();
            while open() > 0 && t0.elapsed() < std::time::Duration::from_secs(5) {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            assert_eq!(open(), 0, "a finished connection leaves its lane's count");
            // Dropping the lanes (their stop senders with them) ends their threads.
            let threads: Vec<_> = lanes.lanes.into_iter().map(|l| l.thread).collect();
            let t0 = std::time::Instant::now();
            while threads.iter().any(|t| !t.is_finished())
                && t0.elapsed() < std::time::Duration::from_secs(5)
            {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            assert!(
                threads.iter().all(|t| t.is_finished()),
                "dropped lanes end their threads"
            );
        });
    }
}
