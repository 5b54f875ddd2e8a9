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

/// What the server serves: every request, with the peer address, becomes a response.
pub type Service = Arc<dyn Fn(Request, SocketAddr) -> BoxFuture<Response> + Send + Sync>;

/// Accepts on `listener` until `shutdown` resolves, then drains open connections.
pub async fn run(listener: TcpListener, service: Service, shutdown: impl Future<Output = ()>) {
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
                let mut stop = stop_rx.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let fut = service(req, peer);
                        async move { Ok::<_, std::convert::Infallible>(fut.await) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        res = conn.as_mut() => {
                            if let Err(e) = res {
                                tracing::debug!("connection from {peer} ended: {e}");
                            }
                        }
                        _ = stop.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
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
