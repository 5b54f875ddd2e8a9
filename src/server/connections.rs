//! The connections the server holds: the registry (busy or idle, when a head began, a fault to
//! apply at close), the reaper that closes idle and slow ones, the `503` for a connection over
//! the cap, and the cap itself, fitted to the process's open-file limit.

use super::heap::{limit_arenas, trim_heap};
use super::{ConnectionFault, Limits};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// A `503` in the control API's JSON shape for a connection over the limit, then close.
pub(super) async fn refuse_busy(mut stream: TcpStream, max: usize) {
    let body = format!(
        "{{\"error\":\"signsim has {max} connections open and all are busy (--max-connections); retry shortly\"}}"
    );
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\nretry-after: 1\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

/// Closes connections idle for longer than the idle timeout, and those whose request head
/// began longer than the read timeout ago.
pub(super) async fn reap(registry: Arc<Registry>, limits: Limits) {
    let idle = limits.idle_timeout;
    let every = (idle.min(limits.read_timeout) / 4)
        .clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut ticks = 0u32;
    loop {
        tick.tick().await;
        let n = registry.close_stale(idle, limits.read_timeout);
        if n > 0 {
            tracing::debug!("closed {n} idle or slow connection(s)");
        }
        ticks = ticks.wrapping_add(1);
        if ticks % 4 == 0 {
            trim_heap();
        }
    }
}

/// One connection as the server tracks it.
pub struct ConnState {
    pub(super) id: u64,
    pub(super) peer: SocketAddr,
    /// Requests in progress (hyper serves them one at a time; a counter is still honest).
    pub(super) busy: AtomicUsize,
    /// Milliseconds since the registry's start when it last began or finished a request.
    pub(super) last: AtomicU64,
    /// When the first byte of the next request head arrived (0: none yet), in the same clock.
    pub(super) head: AtomicU64,
    pub(super) epoch: Instant,
    /// 0: none; 1: reset; 2: close (see [`ConnectionFault`]).
    pub(super) fault: AtomicU8,
    /// In its TLS handshake: the first to close when the cap is reached.
    pub(super) handshaking: AtomicBool,
    pub(super) closing: Notify,
}

impl ConnState {
    pub(super) fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }
    pub(super) fn begin(&self) {
        self.busy.fetch_add(1, Ordering::AcqRel);
        self.head.store(0, Ordering::Release);
        self.last.store(self.now_ms(), Ordering::Release);
    }
    /// Bytes arrived: between requests, they begin a head.
    pub(super) fn read(&self) {
        if !self.is_busy() && self.head.load(Ordering::Acquire) == 0 {
            self.head.store(self.now_ms().max(1), Ordering::Release);
        }
    }
    /// How long the head in progress has taken (`None`: no head begun).
    pub(super) fn head_ms(&self) -> Option<u64> {
        match self.head.load(Ordering::Acquire) {
            0 => None,
            t => Some(self.now_ms().saturating_sub(t)),
        }
    }
    pub(super) fn end(&self) {
        self.busy.fetch_sub(1, Ordering::AcqRel);
        self.last.store(self.now_ms(), Ordering::Release);
    }
    /// The TLS handshake finished: the connection waits for its first request, on the idle
    /// clock from now (the handshake's bytes began no request head).
    pub(super) fn handshake_done(&self) {
        self.handshaking.store(false, Ordering::Release);
        self.head.store(0, Ordering::Release);
        self.last.store(self.now_ms(), Ordering::Release);
    }
    pub(super) fn in_handshake(&self) -> bool {
        self.handshaking.load(Ordering::Acquire)
    }
    pub(super) fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Acquire) > 0
    }
    pub(super) fn idle_ms(&self) -> u64 {
        self.now_ms()
            .saturating_sub(self.last.load(Ordering::Acquire))
    }
    pub(super) fn fault(&self, fault: ConnectionFault) {
        let code = match fault {
            ConnectionFault::Reset => 1,
            ConnectionFault::Close => 2,
        };
        self.fault.store(code, Ordering::Release);
        self.close();
    }
    /// Ends the connection: its task drops the socket (a stored permit if it is not waiting).
    pub(super) fn close(&self) {
        self.closing.notify_one();
    }
}

/// The open connections.
#[derive(Default)]
pub(super) struct Registry {
    pub(super) next: AtomicU64,
    pub(super) open: Mutex<HashMap<u64, Arc<ConnState>>>,
    pub(super) epoch: std::sync::OnceLock<Instant>,
}

impl Registry {
    /// A new connection; `handshaking` when it begins with a TLS handshake.
    pub(super) fn add(&self, peer: SocketAddr, handshaking: bool) -> Arc<ConnState> {
        let epoch = *self.epoch.get_or_init(Instant::now);
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnState {
            id,
            peer,
            busy: AtomicUsize::new(0),
            last: AtomicU64::new(epoch.elapsed().as_millis() as u64),
            head: AtomicU64::new(0),
            epoch,
            fault: AtomicU8::new(0),
            handshaking: AtomicBool::new(handshaking),
            closing: Notify::new(),
        });
        crate::sync::lock(&self.open).insert(id, state.clone());
        state
    }
    pub(super) fn remove(&self, id: u64) {
        crate::sync::lock(&self.open).remove(&id);
    }
    pub(super) fn len(&self) -> usize {
        crate::sync::lock(&self.open).len()
    }
    /// Closes the connection idle the longest (none when all are busy) — one still in its TLS
    /// handshake before any other, the oldest first; its peer.
    pub(super) fn close_longest_idle(&self) -> Option<SocketAddr> {
        let mut open = crate::sync::lock(&self.open);
        let victim = open
            .values()
            .filter(|c| !c.is_busy())
            .max_by_key(|c| (c.in_handshake(), c.idle_ms()))
            .cloned()?;
        // Out of the count at once, so a flood does not pick the same victim twice.
        open.remove(&victim.id);
        victim.close();
        Some(victim.peer)
    }
    pub(super) fn close_stale(&self, idle: Duration, read: Duration) -> usize {
        let (idle, read) = (idle.as_millis() as u64, read.as_millis() as u64);
        let open = crate::sync::lock(&self.open);
        let mut n = 0;
        for c in open.values().filter(|c| !c.is_busy()) {
            let stale = match c.head_ms() {
                Some(t) => t > read,
                None => c.idle_ms() > idle,
            };
            if stale {
                c.close();
                n += 1;
            }
        }
        n
    }
    pub(super) fn close_all(&self) -> usize {
        let open = crate::sync::lock(&self.open);
        for c in open.values() {
            c.close();
        }
        open.len()
    }
}

/// A warning at most once a second, with how many times it happened.
#[derive(Default)]
pub(super) struct RateLimited {
    pub(super) since: Option<Instant>,
    pub(super) count: u64,
}

impl RateLimited {
    pub(super) fn warn(&mut self, line: impl FnOnce(u64) -> String) {
        self.count += 1;
        let due = self
            .since
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if due {
            tracing::warn!("{}", line(self.count));
            self.since = Some(Instant::now());
            self.count = 0;
        }
    }
}

/// The connection cap that fits the open-file limit (raised to its hard limit first), keeping
/// 64 descriptors for the store, the log and the listener.
pub(super) fn connection_cap(wanted: usize) -> usize {
    let wanted = wanted.max(1);
    #[cfg(unix)]
    {
        static RAISED: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
        let soft = *RAISED.get_or_init(|| {
            limit_arenas();
            raise_fd_limit()
        });
        if let Some(soft) = soft {
            let fits = (soft.saturating_sub(64) as usize).max(1);
            if fits < wanted {
                tracing::warn!(
                    "the open-file limit is {soft}: serving at most {fits} connections instead of --max-connections {wanted}"
                );
                return fits;
            }
        }
    }
    wanted
}

/// Raises the soft open-file limit to the hard one; the soft limit now in force.
#[cfg(unix)]
pub(super) fn raise_fd_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed by pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every unix
    Some(lim.rlim_cur as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshake_in_progress_is_closed_before_a_longer_idle_connection() {
        let registry = Registry::default();
        let idle = registry.add("127.0.0.1:1001".parse().unwrap(), false);
        std::thread::sleep(Duration::from_millis(20));
        let old_shake = registry.add("127.0.0.1:1002".parse().unwrap(), true);
        std::thread::sleep(Duration::from_millis(20));
        let new_shake = registry.add("127.0.0.1:1003".parse().unwrap(), true);
        assert_eq!(registry.close_longest_idle(), Some(old_shake.peer));
        assert_eq!(registry.close_longest_idle(), Some(new_shake.peer));
        assert_eq!(registry.close_longest_idle(), Some(idle.peer));
        assert_eq!(registry.close_longest_idle(), None);
    }

    #[test]
    fn a_finished_handshake_puts_the_connection_on_the_idle_clock() {
        let registry = Registry::default();
        let c = registry.add("127.0.0.1:1001".parse().unwrap(), true);
        std::thread::sleep(Duration::from_millis(20));
        c.read(); // the ClientHello
        std::thread::sleep(Duration::from_millis(20));
        assert!(c.head_ms().is_some());
        c.handshake_done();
        assert!(!c.in_handshake());
        assert_eq!(c.head_ms(), None, "the handshake began no request head");
        assert!(
            c.idle_ms() < 20,
            "idle since the handshake, not the connect"
        );
    }
}
