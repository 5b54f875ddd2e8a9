//! Reading request bodies under a limit.
//!
//! The limit is enforced while reading (a client that streams forever is cut off at the limit),
//! and a declared `Content-Length` over the limit is refused before a byte is read.

use super::Request;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};

#[derive(Debug)]
pub enum BodyError {
    /// The body is larger than `limit` bytes.
    TooLarge { limit: usize },
    /// The connection failed while the body was read.
    Read(String),
}

/// Reads the whole body of `req`, refusing more than `limit` bytes.
pub async fn read_limited(
    req: Request,
    limit: usize,
) -> Result<(hyper::http::request::Parts, Bytes), BodyError> {
    let (parts, body) = req.into_parts();
    if let Some(len) = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limit as u64 {
            return Err(BodyError::TooLarge { limit });
        }
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok((parts, collected.to_bytes())),
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
