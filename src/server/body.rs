//! Reading request bodies under a limit.
//!
//! The limit is enforced while reading (a client that streams forever is cut off at the limit),
//! and a declared `Content-Length` over the limit is refused before a byte is read.

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};

#[derive(Debug)]
pub enum BodyError {
    /// The body is larger than `limit` bytes.
    TooLarge { limit: usize },
    /// The connection failed while the body was read.
    Read(String),
}

/// Reads the whole `body`, refusing more than `limit` bytes (`declared`: its Content-Length).
pub async fn read_limited(
    body: hyper::body::Incoming,
    declared: Option<u64>,
    limit: usize,
) -> Result<Bytes, BodyError> {
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(BodyError::TooLarge { limit })
            } else {
                Err(BodyError::Read(e.to_string()))
            }
        }
    }
}
