//! From messages to lines of text, for the window and `skiff logs --json`.
//!
//! Each stream is joined on its own: a line the engine cut into several messages (Docker at 16
//! KiB) is one line again, and a UTF-8 character cut between two messages is one character
//! again, because a line is decoded only once it is whole. Invalid bytes become U+FFFD; nothing
//! is dropped. The line ending (`\n`, or `\r\n`) is not part of the text.
//!
//! A line is held until its newline, up to [`MAX_LINE`] bytes: past that, what is held goes out
//! as a line of its own (cut at a character boundary), so a container that never writes a
//! newline cannot grow Skiff's memory.

use bytes::BytesMut;
use serde::Serialize;
use ts_rs::TS;

use super::frame::{Message, Stream};

/// Longest line held while waiting for its newline.
pub const MAX_LINE: usize = 8 * 1024 * 1024;

/// One line of a container's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "LogLine.ts", rename = "LogLine")]
pub struct Line {
    pub stream: Stream,
    /// Engine time of the line's first message, nanoseconds since the epoch (`None` when the
    /// engine sent no readable stamp).
    #[ts(type = "number | null")]
    pub time: Option<i64>,
    pub line: String,
}

impl Line {
    /// The time as RFC 3339 with nanoseconds, UTC (`2026-12-02T04:43:46.000000000Z`).
    #[must_use]
    pub fn time_rfc3339(&self) -> Option<String> {
        self.time.map(|t| {
            chrono::DateTime::from_timestamp_nanos(t)
                .format("%Y-%m-%dT%H:%M:%S%.9fZ")
                .to_string()
        })
    }

    /// Bytes this line holds, for byte-bounded rings.
    #[must_use]
    pub fn approx_bytes(&self) -> usize {
        self.line.len() + 32
    }
}

#[derive(Debug, Default)]
struct Pending {
    bytes: BytesMut,
    time: Option<i64>,
}

/// Joins messages into lines, per stream.
#[derive(Debug, Default)]
pub struct Joiner {
    stdout: Pending,
    stderr: Pending,
}

impl Joiner {
    /// Adds a message; calls `emit` for every line it completes.
    pub fn push(&mut self, message: &Message, mut emit: impl FnMut(Line)) {
        let stream = message.stream;
        let pending = match stream {
            Stream::Stdout => &mut self.stdout,
            Stream::Stderr => &mut self.stderr,
        };
        if pending.bytes.is_empty() {
            pending.time = message.stamp.as_ref().map(|s| s.nanos);
        }
        let mut body = &message.body[..];
        loop {
            let newline = body.iter().position(|&b| b == b'\n');
            let segment = &body[..newline.unwrap_or(body.len())];
            pending.bytes.extend_from_slice(segment);
            while pending.bytes.len() > MAX_LINE {
                let cut = char_boundary(&pending.bytes[..MAX_LINE]);
                emit(take(stream, pending, cut));
            }
            let Some(i) = newline else { break };
            let whole = pending.bytes.len();
            emit(take(stream, pending, whole));
            body = &body[i + 1..];
            pending.time = message.stamp.as_ref().map(|s| s.nanos);
        }
    }

    /// The lines still held without their newline (a last line that has none), stdout first.
    pub fn finish(&mut self, mut emit: impl FnMut(Line)) {
        for (stream, pending) in [
            (Stream::Stdout, &mut self.stdout),
            (Stream::Stderr, &mut self.stderr),
        ] {
            if !pending.bytes.is_empty() {
                let whole = pending.bytes.len();
                emit(take(stream, pending, whole));
            }
        }
    }
}

/// The first `n` held bytes as a line (without a `\r` that ended it).
fn take(stream: Stream, pending: &mut Pending, n: usize) -> Line {
    let mut bytes = pending.bytes.split_to(n);
    if bytes.ends_with(b"\r") && pending.bytes.is_empty() {
        bytes.truncate(bytes.len() - 1);
    }
    Line {
        stream,
        time: pending.time,
        line: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// The longest prefix of `bytes` that does not end inside a UTF-8 character (all of it when
/// the tail is not the start of a valid character anyway).
fn char_boundary(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=3.min(n) {
        let b = bytes[n - back];
        if b & 0xC0 != 0x80 {
            // The lead byte of the last character: is the character complete?
            let width = match b {
                0x00..=0x7F => 1,
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => return n,
            };
            return if width > back { n - back } else { n };
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container_logs::frame::Stamp;

    fn msg(stream: Stream, nanos: i64, body: &[u8]) -> Message {
        Message {
            stream,
            stamp: Some(Stamp {
                text: bytes::Bytes::new(),
                nanos,
            }),
            body: bytes::Bytes::copy_from_slice(body),
        }
    }

    fn lines(messages: &[Message]) -> Vec<Line> {
        let mut j = Joiner::default();
        let mut out = Vec::new();
        for m in messages {
            j.push(m, |l| out.push(l));
        }
        j.finish(|l| out.push(l));
        out
    }

    #[test]
    fn a_line_cut_into_messages_is_one_line_with_its_first_time() {
        let got = lines(&[
            msg(Stream::Stdout, 1, b"hel"),
            msg(Stream::Stderr, 2, b"err\n"),
            msg(Stream::Stdout, 3, b"lo\r\nnext"),
        ]);
        let texts: Vec<(&str, Stream, Option<i64>)> = got
            .iter()
            .map(|l| (l.line.as_str(), l.stream, l.time))
            .collect();
        assert_eq!(
            texts,
            [
                ("err", Stream::Stderr, Some(2)),
                ("hello", Stream::Stdout, Some(1)),
                ("next", Stream::Stdout, Some(3)),
            ]
        );
    }

    #[test]
    fn a_character_cut_between_messages_is_joined_and_invalid_bytes_are_replaced() {
        let e_acute = "é".as_bytes();
        let got = lines(&[
            msg(Stream::Stdout, 1, &e_acute[..1]),
            msg(Stream::Stdout, 2, &[e_acute[1], b'\n', 0xff, b'x', b'\n']),
        ]);
        assert_eq!(got[0].line, "é");
        assert_eq!(got[1].line, "\u{fffd}x");
    }

    #[test]
    fn a_line_without_end_is_cut_at_the_cap_on_a_character_boundary() {
        let mut body = vec![b'a'; MAX_LINE - 1];
        body.extend_from_slice("€".as_bytes());
        body.extend_from_slice(b"z\n");
        let got = lines(&[msg(Stream::Stdout, 1, &body)]);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].line.len(), MAX_LINE - 1);
        assert_eq!(got[1].line, "€z");
    }

    #[test]
    fn times_print_with_nanoseconds() {
        let l = Line {
            stream: Stream::Stdout,
            time: Some(1_796_186_626_000_000_001),
            line: String::new(),
        };
        assert_eq!(
            l.time_rfc3339().as_deref(),
            Some("2026-12-02T04:43:46.000000001Z")
        );
    }
}
