//! From the body's chunks to messages: the demultiplexer, and the timestamp of each message.
//!
//! The engines write one frame per log message (Docker's `stdcopy`; Podman's compat handler),
//! each starting with the stamp asked for by `timestamps=1` and a space. Chunks of the HTTP
//! body cut frames anywhere: a header, a stamp, a UTF-8 character may be split between two
//! chunks, so the demultiplexer keeps what it has of an unfinished frame and nothing else.
//!
//! A TTY container's body has no frames: messages are found by their newlines. A message longer
//! than [`MAX_RAW_MESSAGE`] without one is handed on in pieces, the later pieces without a
//! stamp (they belong to the message before them).

use bytes::{Buf, Bytes, BytesMut};

use crate::engine::Framing;

/// Largest frame accepted. Engines cut messages at 16 KiB (Docker) or less (Podman's conmon);
/// a frame announcing more than this is not from an engine, and reading it would mean holding
/// it whole.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// Longest raw (TTY) message held while waiting for its newline.
pub const MAX_RAW_MESSAGE: usize = 1024 * 1024;

/// Which of the container's streams a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "LogStream.ts")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One message of the log, as the engine sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub stream: Stream,
    /// The stamp as the engine wrote it (Docker: RFC 3339 with 9 fixed digits; Podman: whole
    /// seconds), and in nanoseconds. `None` for the continuation of a raw message.
    pub stamp: Option<Stamp>,
    /// The message's bytes after the stamp and its space, exactly as the engine sent them.
    pub body: Bytes,
}

/// A message's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub text: Bytes,
    pub nanos: i64,
}

impl Stamp {
    /// Parses `2026-12-02T04:43:46.123456789Z` (any RFC 3339 form).
    #[must_use]
    pub fn parse(text: &[u8]) -> Option<Self> {
        let s = std::str::from_utf8(text).ok()?;
        let nanos = chrono::DateTime::parse_from_rfc3339(s)
            .ok()?
            .timestamp_nanos_opt()?;
        Some(Self {
            text: Bytes::copy_from_slice(text),
            nanos,
        })
    }
}

/// What the stream carried that is not a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Docker's stream 3: the engine failed while reading the log and said why.
    #[error("the engine could not read the log: {0}")]
    Engine(String),
    #[error("a log frame of {0} bytes announced; not an engine's")]
    TooLarge(usize),
    #[error("a log frame on stream {0}, which does not exist")]
    UnknownStream(u8),
}

/// Splits a body into messages. Feed it chunks with [`Demux::push`], take messages with
/// [`Demux::next_message`] until `None`.
#[derive(Debug)]
pub struct Demux {
    framing: Framing,
    buf: BytesMut,
    /// Raw framing: the next byte starts a message (with its stamp).
    at_start: bool,
}

impl Demux {
    #[must_use]
    pub fn new(framing: Framing) -> Self {
        Self {
            framing,
            buf: BytesMut::new(),
            at_start: true,
        }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// Bytes held of an unfinished message.
    #[must_use]
    pub fn held(&self) -> usize {
        self.buf.len()
    }

    /// The next whole message, if one has arrived.
    pub fn next_message(&mut self) -> Option<Result<Message, FrameError>> {
        match self.framing {
            Framing::Multiplexed => self.next_frame(),
            Framing::Raw => self.next_raw(false),
        }
    }

    /// At the end of the body: what is left of a raw message without its newline (a TTY
    /// container's last line). An unfinished frame is dropped: the engine cut it.
    pub fn finish(&mut self) -> Option<Message> {
        match self.framing {
            Framing::Raw => self.next_raw(true).and_then(Result::ok),
            Framing::Multiplexed => None,
        }
    }

    fn next_frame(&mut self) -> Option<Result<Message, FrameError>> {
        if self.buf.len() < 8 {
            return None;
        }
        let len = u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]]) as usize;
        if len > MAX_FRAME {
            self.buf.clear();
            return Some(Err(FrameError::TooLarge(len)));
        }
        if self.buf.len() < 8 + len {
            self.buf.reserve(8 + len - self.buf.len());
            return None;
        }
        let kind = self.buf[0];
        self.buf.advance(8);
        let frame = self.buf.split_to(len).freeze();
        Some(match kind {
            // stdin is never logged; an engine that says 0 means stdout (Docker's stdcopy does).
            0 | 1 => Ok(split_stamp(Stream::Stdout, frame)),
            2 => Ok(split_stamp(Stream::Stderr, frame)),
            3 => Err(FrameError::Engine(
                String::from_utf8_lossy(&frame).trim_end().to_owned(),
            )),
            other => Err(FrameError::UnknownStream(other)),
        })
    }

    fn next_raw(&mut self, last: bool) -> Option<Result<Message, FrameError>> {
        if self.buf.is_empty() {
            return None;
        }
        let end = match memchr(b'\n', &self.buf) {
            Some(i) if i < MAX_RAW_MESSAGE => i + 1,
            _ if self.buf.len() >= MAX_RAW_MESSAGE => MAX_RAW_MESSAGE,
            _ if last => self.buf.len(),
            _ => return None,
        };
        let piece = self.buf.split_to(end).freeze();
        let starts = self.at_start;
        self.at_start = piece.ends_with(b"\n");
        Some(Ok(if starts {
            split_stamp(Stream::Stdout, piece)
        } else {
            Message {
                stream: Stream::Stdout,
                stamp: None,
                body: piece,
            }
        }))
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// `STAMP SP body` → the message. A frame without a readable stamp is kept whole, stampless:
/// the bytes are the user's, and losing them would be worse than not knowing their time.
fn split_stamp(stream: Stream, mut frame: Bytes) -> Message {
    let stamp = memchr(b' ', &frame[..frame.len().min(64)])
        .and_then(|sp| Stamp::parse(&frame[..sp]).map(|s| (sp, s)));
    match stamp {
        Some((sp, stamp)) => {
            frame.advance(sp + 1);
            Message {
                stream,
                stamp: Some(stamp),
                body: frame,
            }
        }
        None => Message {
            stream,
            stamp: None,
            body: frame,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![stream, 0, 0, 0];
        f.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn all(demux: &mut Demux) -> Vec<Message> {
        std::iter::from_fn(|| demux.next_message())
            .map(Result::unwrap)
            .collect()
    }

    const T1: &str = "2026-12-02T04:43:46.000000001Z";

    #[test]
    fn a_frame_is_a_message_with_its_stamp_and_stream() {
        let mut d = Demux::new(Framing::Multiplexed);
        d.push(&frame(2, format!("{T1} oops\n").as_bytes()));
        d.push(&frame(1, format!("{T1} no newline").as_bytes()));
        let got = all(&mut d);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].stream, Stream::Stderr);
        assert_eq!(&got[0].body[..], b"oops\n");
        assert_eq!(
            got[0].stamp.as_ref().unwrap().nanos,
            1_796_186_626_000_000_001
        );
        assert_eq!(&got[0].stamp.as_ref().unwrap().text[..], T1.as_bytes());
        assert_eq!(&got[1].body[..], b"no newline");
    }

    #[test]
    fn the_engines_own_error_stream_is_an_error() {
        let mut d = Demux::new(Framing::Multiplexed);
        d.push(&frame(3, b"open /x: no such file\n"));
        assert_eq!(
            d.next_message(),
            Some(Err(FrameError::Engine("open /x: no such file".into())))
        );
    }

    #[test]
    fn a_huge_announced_frame_is_refused_without_waiting_for_it() {
        let mut d = Demux::new(Framing::Multiplexed);
        d.push(&[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(
            d.next_message(),
            Some(Err(FrameError::TooLarge(_)))
        ));
        assert_eq!(d.held(), 0);
    }

    #[test]
    fn a_frame_without_a_stamp_keeps_its_bytes() {
        let mut d = Demux::new(Framing::Multiplexed);
        d.push(&frame(1, b"garbage without stamp"));
        let m = all(&mut d).pop().unwrap();
        assert_eq!(m.stamp, None);
        assert_eq!(&m.body[..], b"garbage without stamp");
    }

    #[test]
    fn raw_messages_end_at_newlines_and_the_last_one_at_the_end() {
        let mut d = Demux::new(Framing::Raw);
        d.push(format!("{T1} a\r\n{T1} b\r\n{T1} tail").as_bytes());
        let got = all(&mut d);
        assert_eq!(got.len(), 2);
        assert_eq!(&got[1].body[..], b"b\r\n");
        let last = d.finish().unwrap();
        assert_eq!(&last.body[..], b"tail");
        assert!(last.stamp.is_some());
    }

    #[test]
    fn a_raw_message_longer_than_the_cap_goes_on_in_stampless_pieces() {
        let mut d = Demux::new(Framing::Raw);
        let long = vec![b'x'; MAX_RAW_MESSAGE + 10];
        d.push(format!("{T1} ").as_bytes());
        d.push(&long);
        d.push(b"\n");
        let got = all(&mut d);
        assert_eq!(got.len(), 2);
        assert!(got[0].stamp.is_some());
        assert_eq!(got[1].stamp, None);
        assert_eq!(got[0].body.len() + got[1].body.len(), long.len() + 1);
    }

    proptest! {
        /// However the body is cut into chunks, the same messages come out.
        #[test]
        fn chunking_never_changes_the_messages(
            payloads in proptest::collection::vec((1u8..=2, proptest::collection::vec(any::<u8>(), 0..300)), 1..20),
            cuts in proptest::collection::vec(1usize..50, 1..200),
        ) {
            let mut body = Vec::new();
            for (stream, p) in &payloads {
                let mut msg = format!("{T1} ").into_bytes();
                msg.extend_from_slice(p);
                body.extend(frame(*stream, &msg));
            }
            let mut d = Demux::new(Framing::Multiplexed);
            let mut got = Vec::new();
            let mut rest = &body[..];
            let mut i = 0;
            while !rest.is_empty() {
                let n = cuts[i % cuts.len()].min(rest.len());
                d.push(&rest[..n]);
                rest = &rest[n..];
                got.extend(all(&mut d));
                i += 1;
            }
            prop_assert_eq!(got.len(), payloads.len());
            for (m, (stream, p)) in got.iter().zip(&payloads) {
                prop_assert_eq!(m.stream, if *stream == 1 { Stream::Stdout } else { Stream::Stderr });
                prop_assert_eq!(&m.body[..], &p[..]);
            }
        }
    }
}
