//! HTTP plumbing: the accept loop, one task per connection, limits, graceful stop.
//!
//! This module knows hyper and tokio, nothing about the APIs it serves: it is handed a
//! [`Service`] (a function from request to response), the [`Limits`] and a shutdown future,
//! so tests can pass a port-0 listener and a oneshot. [`router`] matches paths to handlers,
//! [`body`] reads bodies under a size limit and the read timeout.
//!
//! Limits (docs/install.md: `--max-connections`, `--read-timeout`, `--idle-timeout`,
//! `--shutdown-grace`):
//! - a request head must arrive within the read timeout of its first byte — a half-sent head,
//!   or one trickled a line at a time, is closed — and a body may pause no longer (see [`body`]);
//! - a connection with no request in progress and no head begun for the idle timeout is closed —
//!   a bare connect, a keep-alive connection nobody uses. (hyper's own header timer would start
//!   on an idle keep-alive too, so the reaper keeps both clocks from what the [`Socket`] reads.)
//! - at most `max_connections` are open: a new connection beyond it closes the longest-idle
//!   one, or, when every open connection is busy, gets a `503` and is closed (one warning line
//!   per second says so). The process's open-file limit is raised to its hard limit at start,
//!   and the cap is lowered to fit what is left of it.
//!
//! Graceful stop: when `shutdown` resolves the loop stops accepting; connections with no
//! request in progress (idle keep-alives, half-sent heads) close at once, the others finish
//! their request within the shutdown grace and are then closed; `run` returns once all are.
//!
//! Each connection holds one file descriptor: a connection-level fault (a TCP RST or a bare
//! close instead of an answer) is applied when the connection's socket is dropped, by the
//! [`Socket`] wrapper the stream is served through — no duplicate descriptor is kept.

pub mod body;
pub mod router;
pub mod tls;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

pub type Request = hyper::Request<Incoming>;
pub type Response = hyper::Response<Full<Bytes>>;
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A response extension asking the server to drop the connection instead of answering it
/// (fault injection): `Reset` sends a TCP RST, `Close` a plain FIN with no response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionFault {
    Reset,
    Close,
}

/// What the server serves: every request, with the peer address, becomes a response.
pub type Service = Arc<dyn Fn(Request, SocketAddr) -> BoxFuture<Response> + Send + Sync>;

/// How long and how many: the server's defences against slow, idle and flooding clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Open connections at most (lowered to fit the open-file limit).
    pub max_connections: usize,
    /// A request head must arrive within this; a body may pause no longer.
    pub read_timeout: Duration,
    /// A whole request body must arrive within this.
    pub body_timeout: Duration,
    /// A connection with no request in progress is closed after this.
    pub idle_timeout: Duration,
    /// How long a stop waits for requests in progress before closing their connections.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            read_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Accepts on `listener` with the default [`Limits`] and no TLS until `shutdown` resolves.
pub async fn run(listener: TcpListener, service: Service, shutdown: impl Future<Output = ()>) {
    run_with(listener, service, Limits::default(), None, shutdown).await
}

/// Accepts on `listener` (over TLS when `tls` is given) until `shutdown` resolves, then stops
/// within the shutdown grace.
pub async fn run_with(
    listener: TcpListener,
    service: Service,
    limits: Limits,
    tls: Option<tls::TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let max = connection_cap(limits.max_connections);
    let registry = Arc::new(Registry::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let reaper = tokio::spawn(reap(registry.clone(), limits));
    let mut warned = RateLimited::default();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // EMFILE and friends: free a descriptor and back off instead of spinning.
                        let closed = registry.close_longest_idle();
                        warned.warn(|n| format!(
                            "accept failed: {e} ({n} time(s) in the last second; {} connections open, limit {max}{})",
                            registry.len(),
                            if closed.is_some() { "; closed the longest-idle one" } else { "" }
                        ));
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                if registry.len() >= max {
                    match registry.close_longest_idle() {
                        Some(victim) => warned.warn(|n| format!(
                            "connection limit reached ({max} open, --max-connections): closed the longest-idle connection (from {victim}) to admit {peer} ({n} in the last second)"
                        )),
                        None => {
                            warned.warn(|n| format!(
                                "connection limit reached ({max} open, all busy, --max-connections): refused {peer} with 503 ({n} in the last second)"
                            ));
                            tokio::spawn(refuse_busy(stream, max));
                            continue;
                        }
                    }
                }
                let _ = stream.set_nodelay(true);
                let state = registry.add(peer);
                let socket = Socket { inner: stream, state: state.clone() };
                let service = service.clone();
                let stop = stop_rx.clone();
                let registry = registry.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => serve_connection(socket, peer, service, state.clone(), stop, limits).await,
                        Some(acceptor) => {
                            match tokio::time::timeout(tls::HANDSHAKE_TIMEOUT, acceptor.accept(socket)).await {
                                Ok(Ok(stream)) => serve_connection(stream, peer, service, state.clone(), stop, limits).await,
                                Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
                                Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
                            }
                        }
                    }
                    registry.remove(state.id);
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection task holds a receiver; when all are dropped, they have finished.
    drop(stop_rx);
    if tokio::time::timeout(limits.shutdown_grace, stop_tx.closed())
        .await
        .is_err()
    {
        let n = registry.close_all();
        tracing::warn!(
            "stopping: closed {n} connection(s) still busy after the shutdown grace of {:?}",
            limits.shutdown_grace
        );
        stop_tx.closed().await;
    }
    reaper.abort();
}

/// Serves HTTP/1.1 on one connection until it ends, is closed (idle, evicted, faulted) or the
/// server stops. Generic over the stream so another transport can be served the same way.
pub async fn serve_connection<S>(
    io: S,
    peer: SocketAddr,
    service: Service,
    state: Arc<ConnState>,
    mut stop: watch::Receiver<bool>,
    limits: Limits,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc_state = state.clone();
    let timeouts = body::Timeouts {
        idle: limits.read_timeout,
        total: limits.body_timeout,
    };
    let svc = hyper::service::service_fn(move |mut req: Request| {
        req.extensions_mut().insert(timeouts);
        let state = svc_state.clone();
        state.begin();
        let fut = service(req, peer);
        async move {
            let resp = fut.await;
            state.end();
            if let Some(fault) = resp.extensions().get::<ConnectionFault>().copied() {
                state.fault(fault);
                std::future::pending::<()>().await;
            }
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The reaper times heads (from their first byte, not from the end of the last request).
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .max_buf_size(READ_BUFFER)
        .max_header_size(READ_BUFFER)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!("connection from {peer} ended: {e}");
                }
                return;
            }
            _ = state.closing.notified() => return,
            _ = stop.changed(), if !stopping => {
                stopping = true;
                if !state.is_busy() {
                    return;
                }
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// A `503` in the control API's JSON shape for a connection over the limit, then close.
async fn refuse_busy(mut stream: TcpStream, max: usize) {
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
async fn reap(registry: Arc<Registry>, limits: Limits) {
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

/// Gives the memory freed after large requests back to the system. glibc keeps freed heap
/// pages (a parsed 1 MB JSON body is tens of thousands of small allocations) in its arenas;
/// without this the resident set stays at the high-water mark of the largest requests seen,
/// far above what the journal and the state hold (docs/control-api.md: the journal budget).
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Fewer malloc arenas: each tokio thread would otherwise get its own, and a large request
/// on one leaves free pages that the others never reuse. Blocks of 512 KiB and more (the
/// bodies of large uploads and their copies) are mapped on their own and returned to the
/// system when freed: glibc's moving threshold would otherwise climb to 32 MiB after the
/// first large free and keep every later megabyte body in the arenas.
///
/// Rationale: in the benchmark's throughput cases (sixteen 1 MiB uploads in flight among them)
/// the peak resident set is 57 MiB with it and 64 MiB without; the page faults of the fresh
/// mappings cost a 1 MiB upload ~1.8 ms more CPU (5.4 ms instead of 3.6; CONTRIBUTING.md).
fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 512 * 1024);
    }
}

/// One connection as the server tracks it.
pub struct ConnState {
    id: u64,
    peer: SocketAddr,
    /// Requests in progress (hyper serves them one at a time; a counter is still honest).
    busy: AtomicUsize,
    /// Milliseconds since the registry's start when it last began or finished a request.
    last: AtomicU64,
    /// When the first byte of the next request head arrived (0: none yet), in the same clock.
    head: AtomicU64,
    epoch: Instant,
    /// 0: none; 1: reset; 2: close (see [`ConnectionFault`]).
    fault: AtomicU8,
    closing: Notify,
}

impl ConnState {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }
    fn begin(&self) {
        self.busy.fetch_add(1, Ordering::AcqRel);
        self.head.store(0, Ordering::Release);
        self.last.store(self.now_ms(), Ordering::Release);
    }
    /// Bytes arrived: between requests, they begin a head.
    fn read(&self) {
        if !self.is_busy() && self.head.load(Ordering::Acquire) == 0 {
            self.head.store(self.now_ms().max(1), Ordering::Release);
        }
    }
    /// How long the head in progress has taken (`None`: no head begun).
    fn head_ms(&self) -> Option<u64> {
        match self.head.load(Ordering::Acquire) {
            0 => None,
            t => Some(self.now_ms().saturating_sub(t)),
        }
    }
    fn end(&self) {
        self.busy.fetch_sub(1, Ordering::AcqRel);
        self.last.store(self.now_ms(), Ordering::Release);
    }
    fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Acquire) > 0
    }
    fn idle_ms(&self) -> u64 {
        self.now_ms()
            .saturating_sub(self.last.load(Ordering::Acquire))
    }
    fn fault(&self, fault: ConnectionFault) {
        let code = match fault {
            ConnectionFault::Reset => 1,
            ConnectionFault::Close => 2,
        };
        self.fault.store(code, Ordering::Release);
        self.close();
    }
    /// Ends the connection: its task drops the socket (a stored permit if it is not waiting).
    fn close(&self) {
        self.closing.notify_one();
    }
}

/// The open connections.
#[derive(Default)]
struct Registry {
    next: AtomicU64,
    open: Mutex<HashMap<u64, Arc<ConnState>>>,
    epoch: std::sync::OnceLock<Instant>,
}

impl Registry {
    fn add(&self, peer: SocketAddr) -> Arc<ConnState> {
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
            closing: Notify::new(),
        });
        crate::sync::lock(&self.open).insert(id, state.clone());
        state
    }
    fn remove(&self, id: u64) {
        crate::sync::lock(&self.open).remove(&id);
    }
    fn len(&self) -> usize {
        crate::sync::lock(&self.open).len()
    }
    /// Closes the connection idle the longest (none when all are busy); its peer.
    fn close_longest_idle(&self) -> Option<SocketAddr> {
        let mut open = crate::sync::lock(&self.open);
        let victim = open
            .values()
            .filter(|c| !c.is_busy())
            .max_by_key(|c| c.idle_ms())
            .cloned()?;
        // Out of the count at once, so a flood does not pick the same victim twice.
        open.remove(&victim.id);
        victim.close();
        Some(victim.peer)
    }
    fn close_stale(&self, idle: Duration, read: Duration) -> usize {
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
    fn close_all(&self) -> usize {
        let open = crate::sync::lock(&self.open);
        for c in open.values() {
            c.close();
        }
        open.len()
    }
}

/// What hyper buffers per connection as it reads (hyper's default is ~400 KiB): a request head
/// larger than this is refused with 431 — production's IIS takes 16 KiB — and a large body
/// streams through it in pieces this size, so 16 concurrent megabyte uploads hold 1 MiB of
/// read buffers, not 6.
const READ_BUFFER: usize = 64 * 1024;

/// The accepted TCP stream as hyper reads and writes it; applies a connection fault when the
/// connection drops it.
pub struct Socket {
    inner: TcpStream,
    state: Arc<ConnState>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        let sock = socket2::SockRef::from(&self.inner);
        match self.state.fault.load(Ordering::Acquire) {
            // The last close of a socket with a zero linger sends RST.
            1 => {
                let _ = sock.set_linger(Some(Duration::ZERO));
            }
            // A FIN now, whatever is still unread (a close with unread data would be an RST).
            2 => {
                let _ = sock.shutdown(std::net::Shutdown::Both);
            }
            _ => {}
        }
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.state.read();
        }
        polled
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A warning at most once a second, with how many times it happened.
#[derive(Default)]
struct RateLimited {
    since: Option<Instant>,
    count: u64,
}

impl RateLimited {
    fn warn(&mut self, line: impl FnOnce(u64) -> String) {
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
fn connection_cap(wanted: usize) -> usize {
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
fn raise_fd_limit() -> Option<u64> {
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
