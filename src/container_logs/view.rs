//! A log as a window shows it: lines (joined and decoded per stream), handed over in batches at
//! most once per animation frame (16 ms) or when the stream pauses, so a log of 50k lines a
//! second costs the webview 60 messages a second, not 50k.

use std::time::{Duration, Instant};

use super::follow::Sink;
use super::frame::Message;
use super::line::{Joiner, Line};

/// The shortest time between two batches while lines keep coming.
pub const FRAME: Duration = Duration::from_millis(16);

/// Lines in one batch at most: a burst is cut into several batches, so the webview never parses
/// one huge message.
pub const MAX_BATCH: usize = 5000;

/// A [`Sink`] that hands lines to `send` in batches.
#[derive(Debug)]
pub struct Batcher<F> {
    joiner: Joiner,
    pending: Vec<Line>,
    last_sent: Instant,
    send: F,
}

impl<F: FnMut(Vec<Line>) -> std::io::Result<()>> Batcher<F> {
    pub fn new(send: F) -> Self {
        Self {
            joiner: Joiner::default(),
            pending: Vec::new(),
            last_sent: Instant::now(),
            send,
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.last_sent = Instant::now();
        (self.send)(std::mem::take(&mut self.pending))
    }

    /// Hands over what is held, the line still without its newline included (at the end).
    pub fn finish(&mut self) -> std::io::Result<()> {
        let pending = &mut self.pending;
        self.joiner.finish(|line| pending.push(line));
        self.send()
    }
}

impl<F: FnMut(Vec<Line>) -> std::io::Result<()>> Sink for Batcher<F> {
    fn message(&mut self, message: Message) -> std::io::Result<()> {
        let pending = &mut self.pending;
        self.joiner.push(&message, |line| pending.push(line));
        if self.pending.len() >= MAX_BATCH || self.last_sent.elapsed() >= FRAME {
            self.send()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container_logs::frame::Stream;

    fn msg(body: &str) -> Message {
        Message {
            stream: Stream::Stdout,
            stamp: None,
            body: bytes::Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    #[test]
    fn lines_go_out_in_batches_when_the_stream_pauses_and_at_the_cap() {
        let mut batches: Vec<Vec<String>> = Vec::new();
        let mut b = Batcher::new(|lines: Vec<Line>| {
            batches.push(lines.into_iter().map(|l| l.line).collect());
            Ok(())
        });
        b.message(msg("a\nb\n")).unwrap();
        b.message(msg("c")).unwrap();
        b.flush().unwrap();
        for _ in 0..MAX_BATCH {
            b.message(msg("x\n")).unwrap();
        }
        b.finish().unwrap();
        drop(b);
        assert_eq!(batches[0], ["a", "b"], "c is not a whole line yet");
        assert_eq!(batches[1].len(), MAX_BATCH, "cut at the cap");
        assert_eq!(batches[1][0], "cx");
        assert_eq!(batches.len(), 2, "nothing left for the end");
    }
}
