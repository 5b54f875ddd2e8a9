//! HTTP plumbing: the accept loop, one task per connection, graceful stop.
//!
//! This module knows hyper and tokio, nothing about the APIs it serves: it is handed a
//! [`Service`] (a function from request to response) and a shutdown future, so tests can pass a
//! port-0 listener and a oneshot. [`router`] matches paths to handlers, [`body`] reads bodies
//! under a size limit.
//!
//! Graceful stop: when `shutdown` resolves the loop stops accepting, every open connection is
//! told to finish its in-flight request and close, and `run` returns once all have.

pub mod body;
pub mod router;
pub mod tls;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

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

/// Accepts on `listener` (over TLS when `tls` is given) until `shutdown` resolves, then
/// drains open connections.
pub async fn run(
    listener: TcpListener,
    service: Service,
    tls: Option<tls::TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // EMFILE and friends: back off a little instead of spinning.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = service.clone();
                let stop = stop_rx.clone();
                let tls = tls.clone();
                let kill = Arc::new(tokio::sync::Notify::new());
                let socket = Arc::new(std::sync::Mutex::new(None::<socket2::Socket>));
                #[cfg(unix)]
                {
                    // A duplicate of the socket lets a fault set SO_LINGER=0 (so closing sends
                    // RST) without taking the stream away from hyper.
                    use std::os::fd::AsFd;
                    if let Ok(fd) = stream.as_fd().try_clone_to_owned() {
                        *crate::sync::lock(&socket) = Some(socket2::Socket::from(fd));
                    }
                }
                tokio::spawn(async move {
                    match tls {
                        None => connection(stream, peer, service, stop, kill, socket).await,
                        Some(acceptor) => {
                            match tokio::time::timeout(tls::HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                                Ok(Ok(stream)) => connection(stream, peer, service, stop, kill, socket).await,
                                Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
                                Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
                            }
                        }
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    let _ = stop_tx.send(true);
    // Every connection task holds a receiver; when all are dropped, they have finished.
    drop(stop_rx);
    stop_tx.closed().await;
}

/// Serves one connection, plain or TLS, until it closes, a fault drops it, or the server stops.
async fn connection<IO>(
    io: IO,
    peer: SocketAddr,
    service: Service,
    mut stop: watch::Receiver<bool>,
    kill: Arc<tokio::sync::Notify>,
    socket: Arc<std::sync::Mutex<Option<socket2::Socket>>>,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let kill_svc = kill.clone();
    let socket_svc = socket.clone();
    let svc = hyper::service::service_fn(move |req| {
        let fut = service(req, peer);
        let kill = kill_svc.clone();
        let socket = socket_svc.clone();
        async move {
            let resp = fut.await;
            if let Some(fault) = resp.extensions().get::<ConnectionFault>().copied() {
                let sock = crate::sync::lock(&socket).take();
                if let Some(sock) = sock {
                    if fault == ConnectionFault::Reset {
                        // The last close of a socket with a zero linger sends RST.
                        let _ = sock.set_linger(Some(std::time::Duration::ZERO));
                    } else {
                        let _ = sock.shutdown(std::net::Shutdown::Both);
                    }
                }
                kill.notify_one();
                std::future::pending::<()>().await;
            }
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(e) = res {
                tracing::debug!("connection from {peer} ended: {e}");
            }
        }
        _ = kill.notified() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
