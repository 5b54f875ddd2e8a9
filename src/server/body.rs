//! Reading request bodies under a limit and the read timeout.
//!
//! The limit is enforced while reading (a client that streams forever is cut off at the limit),
//! and a declared `Content-Length` over the limit is refused before a byte is read. A body
//! that pauses longer than the read timeout, or takes longer than the body timeout as a whole,
//! is refused as unreadable (docs/install.md: `--read-timeout`), so a client that
//! half-sends a body does not hold a request open.

use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::BodyExt;
use std::time::Duration;

#[derive(Debug)]
pub enum BodyError {
    /// The body is larger than `limit` bytes.
    TooLarge { limit: usize },
    /// The connection failed, or the body stalled, while it was read.
    Read(String),
}

/// How long a body may pause (`idle`) and take in all (`total`); the server puts them in each
/// request's extensions when they are not the defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub idle: Duration,
    pub total: Duration,
}

impl Default for Timeouts {
    /// The server's default [`super::Limits`].
    fn default() -> Self {
        let limits = super::Limits::default();
        Timeouts {
            idle: limits.read_timeout,
            total: limits.body_timeout,
        }
    }
}

impl Timeouts {
    /// The server's timeouts for this request (the defaults when it set none).
    pub fn of(extensions: &hyper::http::Extensions) -> Timeouts {
        extensions.get::<Timeouts>().copied().unwrap_or_default()
    }
}

/// Makes room for `more` bytes. With a declared length the buffer grows towards it exactly,
/// so a 1 MiB upload ends in a buffer of its size rather than a doubled 2 MiB one; but never
/// to more than twice what has arrived, so a client that declares a large body and sends
/// little gets little memory.
fn grow(buf: &mut Vec<u8>, more: usize, declared: Option<u64>) {
    if buf.capacity() - buf.len() >= more {
        return;
    }
    match declared {
        Some(total) => {
            let rest = usize::try_from(total)
                .unwrap_or(usize::MAX)
                .saturating_sub(buf.len());
            let step = rest.min(buf.len().max(16 * 1024)).max(more);
            buf.reserve_exact(step);
        }
        None => buf.reserve(more),
    }
}

/// Frames a body keeps as they arrive before they are joined into one growing buffer.
const KEPT_FRAMES: usize = 64;

/// The body as it arrives: its frames as hyper hands them over (slices of the connection's read
/// buffer, not copies) while there are few, then one buffer growing as [`grow`] says.
///
/// Rationale: a megabyte upload arrives in some sixteen 64 KiB frames; keeping them and joining
/// them once makes one allocation of the exact size instead of a buffer reallocated and copied
/// at every doubling. A client trickling bytes one frame at a time is bounded by `KEPT_FRAMES`.
#[derive(Default)]
struct Arriving {
    frames: Vec<Bytes>,
    joined: Vec<u8>,
    len: usize,
}

impl Arriving {
    fn push(&mut self, data: Bytes, declared: Option<u64>) {
        self.len += data.len();
        if self.joined.is_empty() && self.frames.len() < KEPT_FRAMES {
            self.frames.push(data);
            return;
        }
        for frame in std::mem::take(&mut self.frames) {
            grow(&mut self.joined, frame.len(), declared);
            self.joined.extend_from_slice(&frame);
        }
        grow(&mut self.joined, data.len(), declared);
        self.joined.extend_from_slice(&data);
    }

    fn finish(mut self) -> Bytes {
        if !self.joined.is_empty() {
            return Bytes::from(self.joined);
        }
        if self.frames.len() <= 1 {
            return self.frames.pop().unwrap_or_default();
        }
        let mut out = Vec::with_capacity(self.len);
        for frame in &self.frames {
            out.extend_from_slice(frame);
        }
        Bytes::from(out)
    }
}

/// Reads the whole `body`, refusing more than `limit` bytes (`declared`: its Content-Length).
pub async fn read_limited(
    body: hyper::body::Incoming,
    declared: Option<u64>,
    limit: usize,
    timeouts: Timeouts,
) -> Result<Bytes, BodyError> {
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = body;
    let mut arriving = Arriving::default();
    // Set at the first wait: a frame already received is taken without a timer (a small body
    // has arrived with its head), so the window counts from when the body was first awaited.
    let mut deadline = None;
    loop {
        let next = match body.frame().now_or_never() {
            Some(next) => next,
            None => {
                let deadline =
                    *deadline.get_or_insert_with(|| tokio::time::Instant::now() + timeouts.total);
                let wait = timeouts
                    .idle
                    .min(deadline.saturating_duration_since(tokio::time::Instant::now()));
                match tokio::time::timeout(wait, body.frame()).await {
                    Ok(next) => next,
                    Err(_) => return Err(timed_out(&timeouts, deadline, arriving.len)),
                }
            }
        };
        let frame = match next {
            None => return Ok(arriving.finish()),
            Some(Err(e)) => return Err(BodyError::Read(e.to_string())),
            Some(Ok(frame)) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if arriving.len + data.len() > limit {
                return Err(BodyError::TooLarge { limit });
            }
            arriving.push(data, declared);
        }
    }
}

/// Why the body's wait ended: the whole body's window or a silence between its bytes.
fn timed_out(timeouts: &Timeouts, deadline: tokio::time::Instant, got: usize) -> BodyError {
    BodyError::Read(if tokio::time::Instant::now() >= deadline {
        format!(
            "the body did not arrive within {} s (after {got} bytes)",
            timeouts.total.as_secs_f64()
        )
    } else {
        format!(
            "no body bytes arrived for {} s (after {got} bytes)",
            timeouts.idle.as_secs_f64()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::{grow, Arriving, Bytes, KEPT_FRAMES};

    #[test]
    fn frames_join_once_and_many_small_ones_fold_into_one_buffer() {
        let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for frame in [64 * 1024, 1000, 1] {
            let mut a = Arriving::default();
            for piece in body.chunks(frame) {
                a.push(Bytes::copy_from_slice(piece), Some(body.len() as u64));
                assert!(a.frames.len() <= KEPT_FRAMES);
            }
            assert_eq!(a.finish(), body, "frames of {frame} bytes");
        }
        let one = Bytes::from_static(b"{}");
        let mut a = Arriving::default();
        a.push(one.clone(), None);
        assert_eq!(
            a.finish().as_ptr(),
            one.as_ptr(),
            "a single frame is not copied"
        );
        assert!(Arriving::default().finish().is_empty());
    }

    /// Feeds `total` bytes in `chunk`-sized frames; the largest capacity seen, and the last.
    fn feed(total: usize, chunk: usize, declared: Option<u64>) -> (usize, usize) {
        let mut buf = Vec::new();
        let mut peak = 0;
        while buf.len() < total {
            let n = chunk.min(total - buf.len());
            grow(&mut buf, n, declared);
            buf.extend(std::iter::repeat_n(0u8, n));
            peak = peak.max(buf.capacity());
        }
        (peak, buf.capacity())
    }

    #[test]
    fn a_declared_body_ends_in_a_buffer_of_its_size() {
        let total = 1024 * 1024 + 1000;
        assert_eq!(feed(total, 16 * 1024, Some(total as u64)), (total, total));
        // A client that declares 50 MiB and sends 100 KiB holds at most twice that.
        let (peak, _) = feed(100 * 1024, 16 * 1024, Some(50 << 20));
        assert!(peak <= 2 * 100 * 1024 + 16 * 1024, "{peak}");
    }
}
