//! A log as a window shows it: lines (joined and decoded per stream), handed over in batches,
//! so a log of 50k lines a second costs the webview 60 messages a second, not 50k.
//!
//! Two stages: the [`Batcher`] (a [`Sink`], synchronous) hands on what it holds when the stream
//! pauses or a frame's time passed; [`pace`] (a task) lets at most one batch a frame through to
//! the webview, the lines that came meanwhile joined into it. A container writing in bursts (20
//! lines, a 1 ms sleep) pauses a thousand times a second: without the pacer, each pause was a
//! message, and the webview fell behind at 10k lines/s (`benches/ui/logs.mjs`). The first
//! batch after a quiet frame goes at once: pacing never delays a line by more than a frame.

use std::time::Duration;

use tokio::sync::mpsc;
// Tokio's clock, which a test can pause: the cap is tested apart from the frame's time.
use tokio::time::Instant;

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

/// Passes the batches of `batches` to `send`, at most one per [`FRAME`] (at most [`MAX_BATCH`]
/// lines each; more go in further messages of the same frame), until `batches` closes or `send`
/// fails.
pub async fn pace<F>(mut batches: mpsc::UnboundedReceiver<Vec<Line>>, mut send: F)
where
    F: FnMut(Vec<Line>) -> std::io::Result<()>,
{
    let mut last_sent: Option<Instant> = None;
    while let Some(mut batch) = batches.recv().await {
        if let Some(last) = last_sent {
            let due = last + FRAME;
            if Instant::now() < due {
                tokio::time::sleep_until(due).await;
            }
        }
        // What came while this frame waited goes with it.
        let mut closed = false;
        loop {
            match batches.try_recv() {
                Ok(more) => batch.extend(more),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        while !batch.is_empty() {
            let rest = batch.split_off(batch.len().min(MAX_BATCH));
            if send(batch).is_err() {
                return;
            }
            batch = rest;
        }
        last_sent = Some(Instant::now());
        if closed {
            return;
        }
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

    // Paused: a frame's time never passes, so only the pauses and the cap cut (on the real
    // clock, a loaded machine took more than a frame for the 5,000 lines, and cut them early).
    #[tokio::test(start_paused = true)]
    async fn lines_go_out_in_batches_when_the_stream_pauses_and_at_the_cap() {
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

    fn line(n: usize) -> Line {
        Line {
            stream: Stream::Stdout,
            time: None,
            line: n.to_string(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_pacer_lets_one_batch_a_frame_through_and_loses_nothing() {
        let (tx, rx) = mpsc::unbounded_channel();
        let sent = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
        let log = sent.clone();
        let pacer = tokio::spawn(pace(rx, move |b: Vec<Line>| {
            log.lock().push((tokio::time::Instant::now(), b.len()));
            Ok(())
        }));
        let start = tokio::time::Instant::now();
        // A burst of 20 lines every millisecond for 100 ms: 2000 lines.
        for ms in 0..100 {
            tx.send((0..20).map(|i| line(ms * 20 + i)).collect())
                .unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(tx);
        pacer.await.unwrap();
        let sent = sent.lock();
        assert_eq!(
            sent.iter().map(|(_, n)| n).sum::<usize>(),
            2000,
            "every line"
        );
        assert_eq!(sent[0].0, start, "the first batch at once");
        for pair in sent.windows(2) {
            assert!(pair[1].0 - pair[0].0 >= FRAME, "at most one a frame");
        }
        assert!(sent.len() <= 8, "{} messages for 100 ms", sent.len());
    }

    #[tokio::test(start_paused = true)]
    async fn a_huge_batch_is_cut_into_messages_of_max_batch_lines() {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut sizes = Vec::new();
        tx.send((0..=MAX_BATCH * 2).map(line).collect()).unwrap();
        drop(tx);
        pace(rx, |b: Vec<Line>| {
            sizes.push(b.len());
            Ok(())
        })
        .await;
        assert_eq!(sizes, [MAX_BATCH, MAX_BATCH, 1]);
    }
}
