//! TLS for `serve --tls`: a rustls acceptor over a certificate chain and key handed in by the
//! app (which issues the server certificate at start; docs/install.md, `--tls`).
//!
//! This module knows rustls and nothing about certificates' contents; the accept loop
//! ([`super::run`]) completes the handshake and then serves the connection as it serves a
//! plain one. HTTP/1.1 only, as over plain TCP.

use std::sync::Arc;
use tokio_rustls::rustls;

pub use tokio_rustls::TlsAcceptor;

/// How long a client may take to finish the handshake before the connection is dropped.
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

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
