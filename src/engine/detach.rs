//! The detach keys of an attach session (Ctrl-P Ctrl-Q, Docker's default), seen on Skiff's side
//! of the connection: Podman 4.3's compat attach ignores `detachKeys`, so the engine cannot be
//! relied on to see them. The keys never reach the process (as with `docker attach`); a Ctrl-P
//! followed by anything else reaches it unchanged.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::AsyncWrite;
use tokio::sync::watch;

const CTRL_P: u8 = 0x10;
const CTRL_Q: u8 = 0x11;

/// A writer to the process that ends the session (sets `detach`) on Ctrl-P Ctrl-Q.
#[derive(Debug)]
pub struct DetachKeys<W> {
    inner: W,
    /// A Ctrl-P ended the last write: held back until the next byte says what it was.
    held: bool,
    detach: watch::Sender<bool>,
}

impl<W> DetachKeys<W> {
    pub fn new(inner: W, detach: watch::Sender<bool>) -> Self {
        Self {
            inner,
            held: false,
            detach,
        }
    }

    fn detached(&self) -> bool {
        *self.detach.borrow()
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for DetachKeys<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if this.detached() || buf.is_empty() {
            // After the keys, input goes nowhere: the session is ending.
            return Poll::Ready(Ok(buf.len()));
        }
        if this.held {
            if buf[0] == CTRL_Q {
                this.detach.send_replace(true);
                return Poll::Ready(Ok(buf.len()));
            }
            if ready!(Pin::new(&mut this.inner).poll_write(cx, &[CTRL_P]))? == 0 {
                return Poll::Ready(Ok(0));
            }
            this.held = false;
        }
        match buf.iter().position(|&b| b == CTRL_P) {
            None => Pin::new(&mut this.inner).poll_write(cx, buf),
            // Up to the Ctrl-P; the next call starts with it.
            Some(at) if at > 0 => Pin::new(&mut this.inner).poll_write(cx, &buf[..at]),
            Some(_) => match buf.get(1) {
                Some(&CTRL_Q) => {
                    this.detach.send_replace(true);
                    Poll::Ready(Ok(buf.len()))
                }
                None => {
                    this.held = true;
                    Poll::Ready(Ok(1))
                }
                Some(_) => Pin::new(&mut this.inner).poll_write(cx, &buf[..1]),
            },
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt as _;

    use super::*;

    async fn typed(writes: &[&[u8]]) -> (Vec<u8>, bool) {
        let (tx, rx) = watch::channel(false);
        let mut keys = DetachKeys::new(Vec::new(), tx);
        for w in writes {
            keys.write_all(w).await.unwrap();
        }
        let detached = *rx.borrow();
        (keys.inner, detached)
    }

    #[tokio::test]
    async fn the_keys_detach_whether_they_come_together_or_apart() {
        assert_eq!(
            typed(&[b"ls\n\x10\x11rest"]).await,
            (b"ls\n".to_vec(), true)
        );
        assert_eq!(
            typed(&[b"ls\x10", b"\x11", b"x"]).await,
            (b"ls".to_vec(), true)
        );
    }

    #[tokio::test]
    async fn a_ctrl_p_followed_by_anything_else_reaches_the_process() {
        assert_eq!(typed(&[b"a\x10b"]).await, (b"a\x10b".to_vec(), false));
        assert_eq!(typed(&[b"a\x10", b"b"]).await, (b"a\x10b".to_vec(), false));
        assert_eq!(typed(&[b"\x10\x10\x11"]).await, (b"\x10".to_vec(), true));
        assert_eq!(typed(&[b"\x11\x10"]).await, (b"\x11".to_vec(), false));
    }
}
