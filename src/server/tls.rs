//! TLS for `serve --tls`: a rustls acceptor over a certificate chain and key handed in by the
//! app (which issues the server certificate at start; docs/install.md, `--tls`).
//!
//! This module knows rustls and nothing about certificates' contents; the accept loop
//! ([`super::run`]) completes the [`handshake`] and then serves the connection as it serves a
//! plain one. HTTP/1.1 only, as over plain TCP.
//!
//! A connection in its handshake is an open connection like any other: it counts against
//! `--max-connections` (and is the first closed to make room), the reaper's idle and head clocks
//! apply to it, a stop closes it at once, and the whole handshake must finish within the read
//! timeout of the connect.

use super::connections::ConnState;
use super::Socket;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

pub use tokio_rustls::TlsAcceptor;

/// Completes the TLS handshake on `socket`; `None` (the socket dropped, so closed) when it has
/// not finished within `read_timeout`, when the connection is closed meanwhile (over the cap,
/// idle, slow) or when the server stops — a handshake is no request in progress.
pub(super) async fn handshake(
    acceptor: &TlsAcceptor,
    socket: Socket,
    state: &ConnState,
    stop: &mut watch::Receiver<bool>,
    read_timeout: Duration,
) -> Option<TlsStream<Socket>> {
    let peer = state.peer;
    tokio::select! {
        done = acceptor.accept(socket) => match done {
            Ok(stream) => {
                state.handshake_done();
                Some(stream)
            }
            Err(e) => {
                tracing::debug!("TLS handshake with {peer} failed: {e}");
                None
            }
        },
        _ = tokio::time::sleep(read_timeout) => {
            tracing::debug!(
                "TLS handshake with {peer} not finished within the read timeout of {read_timeout:?} (--read-timeout): closed"
            );
            None
        }
        _ = state.closing.notified() => None,
        _ = stop.changed() => None,
    }
}

/// An acceptor for `chain` (leaf first, DER) and the leaf's PKCS#8 DER key.
pub fn acceptor(chain: Vec<Vec<u8>>, key_pkcs8: Vec<u8>) -> Result<TlsAcceptor, String> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS versions: {e}"))?
        .with_no_client_auth()
        .with_single_cert(
            chain.into_iter().map(CertificateDer::from).collect(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8)),
        )
        .map_err(|e| format!("TLS certificate: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
