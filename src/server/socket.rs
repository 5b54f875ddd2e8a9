//! The stream a connection is served through: it records reads for the idle and head clocks,
//! and applies a connection-level fault (RST or a bare close) when the connection is dropped.

use super::connections::ConnState;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// What hyper buffers per connection as it reads (hyper's default is ~400 KiB): a request head
/// larger than this is refused with 431 — production's IIS takes 16 KiB — and a large body
/// streams through it in pieces this size, so 16 concurrent megabyte uploads hold 1 MiB of
/// read buffers, not 6.
pub(super) const READ_BUFFER: usize = 64 * 1024;

/// The accepted TCP stream as hyper reads and writes it; applies a connection fault when the
/// connection drops it.
pub struct Socket {
    pub(super) inner: TcpStream,
    pub(super) state: Arc<ConnState>,
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
