//! A session's output as it comes off the connection ([`output_stream`]): as it is with a TTY;
//! without one, in Docker's `stdcopy` framing, which Podman's compat API writes too. Each frame is an 8-byte header (stream: 0 stdin, 1 stdout, 2 stderr; three zero
//! bytes; the payload's length, big-endian u32) and the payload.
//!
//! A frame's payload is handed on as it arrives, in as many pieces as the connection cut it
//! into: a process printing one 100 MB line costs no more memory than one printing short ones.

use std::collections::VecDeque;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use tokio::io::{AsyncRead, AsyncReadExt as _};

use super::session::Output;

/// Bytes asked of the connection per read at most (the consumer's pace is the session's pace,
/// which is what holds back a process printing megabytes). A keystroke's echo is one small read;
/// a burst is read in pieces this large, each one message to the window.
const READ_SIZE: usize = 128 * 1024;

/// The connection's bytes as [`Output`]: as they are with a TTY, else unframed. The stream ends
/// when `detached` turns true (the user typed the detach keys).
pub(super) fn output_stream<R>(
    read: R,
    tty: bool,
    detached: Option<tokio::sync::watch::Receiver<bool>>,
) -> BoxStream<'static, std::io::Result<Output>>
where
    R: AsyncRead + Send + Unpin + 'static,
{
    let frames = (!tty).then(Frames::default);
    let state = (
        read,
        frames,
        std::collections::VecDeque::<Output>::new(),
        detached,
        bytes::BytesMut::new(),
    );
    Box::pin(futures_util::stream::unfold(
        Some(state),
        |state| async move {
            let (mut conn, mut frames, mut ready, mut detached, mut buf) = state?;
            loop {
                if let Some(out) = ready.pop_front() {
                    return Some((Ok(out), Some((conn, frames, ready, detached, buf))));
                }
                // One buffer, its read part split off each time: the allocation is reused once
                // the pieces handed on are dropped (they are, as soon as the window has them).
                buf.reserve(READ_SIZE);
                let detach = async {
                    match &mut detached {
                        Some(rx) => {
                            let _ = rx.wait_for(|d| *d).await;
                        }
                        None => std::future::pending().await,
                    }
                };
                let read = tokio::select! {
                    read = conn.read_buf(&mut buf) => read,
                    () = detach => return None,
                };
                match read {
                    Ok(0) => return None,
                    Ok(_) => match &mut frames {
                        None => ready.push_back(Output::Stdout(buf.split().freeze())),
                        Some(frames) => {
                            if let Err(e) = frames.push(buf.split().freeze(), &mut ready) {
                                return Some((Err(std::io::Error::other(e)), None));
                            }
                        }
                    },
                    Err(e) => return Some((Err(e), None)),
                }
            }
        },
    ))
}

/// A header that no engine writes: the stream is not what the session was opened as.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the engine sent a malformed frame header {0:02x?}")]
pub struct FrameError(pub [u8; 8]);

/// The demultiplexer's state between chunks.
#[derive(Debug, Default)]
pub struct Frames {
    header: [u8; 8],
    /// Bytes of `header` held (0 while inside a payload).
    held: usize,
    /// The stream and the bytes left of the current payload.
    stream: u8,
    left: u32,
}

impl Frames {
    /// Reads `chunk`, appending the payload pieces it completes to `out`.
    pub fn push(&mut self, mut chunk: Bytes, out: &mut VecDeque<Output>) -> Result<(), FrameError> {
        while !chunk.is_empty() {
            if self.left == 0 {
                let take = (8 - self.held).min(chunk.len());
                self.header[self.held..self.held + take].copy_from_slice(&chunk[..take]);
                self.held += take;
                chunk = chunk.slice(take..);
                if self.held < 8 {
                    return Ok(());
                }
                self.held = 0;
                let h = self.header;
                if h[0] > 2 || h[1..4] != [0, 0, 0] {
                    return Err(FrameError(h));
                }
                self.stream = h[0];
                self.left = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
                continue;
            }
            let take = chunk.len().min(self.left as usize);
            let piece = chunk.split_to(take);
            // `take` fits: it is at most `self.left`, a u32.
            self.left -= u32::try_from(take).unwrap_or(self.left);
            out.push_back(if self.stream == 2 {
                Output::Stderr(piece)
            } else {
                Output::Stdout(piece)
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![stream, 0, 0, 0];
        f.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn joined(out: &VecDeque<Output>) -> (Vec<u8>, Vec<u8>) {
        let (mut o, mut e) = (Vec::new(), Vec::new());
        for item in out {
            match item {
                Output::Stdout(b) => o.extend_from_slice(b),
                Output::Stderr(b) => e.extend_from_slice(b),
            }
        }
        (o, e)
    }

    #[test]
    fn frames_cut_anywhere_come_out_whole_and_on_their_streams() {
        let mut wire = frame(1, b"out\n");
        wire.extend(frame(2, b"err\n"));
        wire.extend(frame(1, b"\x01binary\x00"));
        wire.extend(frame(1, b""));
        for cut in 1..wire.len() {
            let mut frames = Frames::default();
            let mut out = VecDeque::new();
            for piece in wire.chunks(cut) {
                frames
                    .push(Bytes::copy_from_slice(piece), &mut out)
                    .unwrap();
            }
            assert_eq!(
                joined(&out),
                (b"out\n\x01binary\x00".to_vec(), b"err\n".to_vec()),
                "chunks of {cut}"
            );
        }
    }

    #[test]
    fn a_header_no_engine_writes_is_an_error() {
        let mut frames = Frames::default();
        let mut out = VecDeque::new();
        let err = frames
            .push(Bytes::from_static(b"/ # ls\r\n"), &mut out)
            .unwrap_err();
        assert_eq!(err.0[0], b'/');
        assert!(out.is_empty());
    }
}
