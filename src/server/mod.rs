//! HTTP plumbing: the accept loop, one task per connection, limits, graceful stop.
//!
//! This module knows hyper and tokio, nothing about the APIs it serves: it is handed a
//! [`Service`] (turns each request into a response), the [`Limits`] and a shutdown future,
//! so tests can pass a port-0 listener and a oneshot. [`router`] matches paths to handlers,
//! [`body`] reads bodies under a size limit and the read timeout, `connections` tracks and
//! caps the open connections, `socket` is the stream each is served through, `lanes` are the
//! per-core threads connections are served on (each connection whole on one), `heap` sets
//! the allocator up, [`tls`] wraps the listener for `--tls`.
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
//! - under `--tls` a connection counts from its connect, handshake included: one still in its
//!   handshake is the first closed to make room, and the handshake must finish within the read
//!   timeout (see [`tls::handshake`]); once it has, the connection is on the idle clock.
//!
//! Graceful stop: when `shutdown` resolves the loop stops accepting; connections with no
//! request in progress (idle keep-alives, half-sent heads) close at once, the others finish
//! their request within the shutdown grace and are then closed; `run` returns once all are.
//!
//! Each connection holds one file descriptor: a connection-level fault (a TCP RST or a bare
//! close instead of an answer) is applied when the connection's socket is dropped, by the
//! [`Socket`] wrapper the stream is served through — no duplicate descriptor is kept.

pub mod body;
mod connections;
mod heap;
mod lanes;
pub mod router;
mod socket;
pub mod tls;

use connections::{connection_cap, reap, refuse_busy, ConnState, RateLimited, Registry};
use lanes::Lanes;
pub use socket::Socket;
use socket::READ_BUFFER;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub type Request = hyper::Request<Incoming>;
pub type Response = hyper::Response<Full<Bytes>>;

/// A response extension asking the server to drop the connection instead of answering it
/// (fault injection): `Reset` sends a TCP RST, `Close` a plain FIN with no response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionFault {
    Reset,
    Close,
}

/// What the server serves: every request, with the peer address, becomes a response.
///
/// A trait, not a boxed closure, so that each request's future has a type the connection knows:
/// hyper then keeps it in the one slot it allocates per connection. A boxed future was a heap
/// block of several KiB per request — past glibc's per-thread cache, so every request also
/// paid for merging the freed small blocks (`malloc_consolidate`).
pub trait Service: Send + Sync + 'static {
    fn call(
        self: Arc<Self>,
        req: Request,
        peer: SocketAddr,
    ) -> impl Future<Output = Response> + Send + 'static;
}

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
pub async fn run<S: Service>(
    listener: TcpListener,
    service: Arc<S>,
    shutdown: impl Future<Output = ()>,
) {
    run_with(listener, service, Limits::default(), None, shutdown).await
}

/// Accepts on `listener` (over TLS when `tls` is given) until `shutdown` resolves, then stops
/// within the shutdown grace.
pub async fn run_with<S: Service>(
    listener: TcpListener,
    service: Arc<S>,
    limits: Limits,
    tls: Option<tls::TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let max = connection_cap(limits.max_connections);
    let registry = Arc::new(Registry::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let reaper = tokio::spawn(reap(registry.clone(), limits));
    let lanes = match Lanes::start() {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::warn!("no connection lanes ({e}): connections are served on the runtime that accepts them");
            None
        }
    };
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
                let state = registry.add(peer, tls.is_some());
                let service = service.clone();
                let mut stop = stop_rx.clone();
                let registry = registry.clone();
                let tls = tls.clone();
                let connection = move |stream: Option<tokio::net::TcpStream>| async move {
                    if let Some(stream) = stream {
                        let socket = Socket { inner: stream, state: state.clone() };
                        match tls {
                            None => serve_connection(socket, peer, service, state.clone(), stop, limits).await,
                            Some(acceptor) => {
                                let shaken = tls::handshake(&acceptor, socket, &state, &mut stop, limits.read_timeout).await;
                                if let Some(stream) = shaken {
                                    serve_connection(stream, peer, service, state.clone(), stop, limits).await;
                                }
                            }
                        }
                    }
                    registry.remove(state.id);
                };
                match &lanes {
                    Some(lanes) => lanes.serve(stream, connection),
                    None => {
                        tokio::spawn(connection(Some(stream)));
                    }
                }
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
    drop(lanes);
}

/// Serves HTTP/1.1 on one connection until it ends, is closed (idle, evicted, faulted) or the
/// server stops. Generic over the stream so another transport can be served the same way.
pub async fn serve_connection<S, V>(
    io: S,
    peer: SocketAddr,
    service: Arc<V>,
    state: Arc<ConnState>,
    mut stop: watch::Receiver<bool>,
    limits: Limits,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    V: Service,
{
    let svc_state = state.clone();
    let timeouts = body::Timeouts {
        idle: limits.read_timeout,
        total: limits.body_timeout,
    };
    let svc = hyper::service::service_fn(move |mut req: Request| {
        // Only when not the defaults `Timeouts::of` answers without them: an insert allocates
        // the extensions' map and a box for the value on every request.
        if timeouts != body::Timeouts::default() {
            req.extensions_mut().insert(timeouts);
        }
        let state = svc_state.clone();
        state.begin();
        let service = service.clone();
        async move {
            let resp = service.call(req, peer).await;
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
        // A client's half-close (request sent, then FIN) is not a client gone: it gets its
        // answer. Without it hyper probes the socket for an end while each request is in flight,
        // and the probe's read makes a new 8 KiB read buffer per request (the request still
        // holds the old one).
        .half_close(true)
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
