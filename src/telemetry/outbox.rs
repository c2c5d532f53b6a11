//! The outbox: events waiting to be sent, persisted as JSON lines so that a quit, a crash or a
//! sink that is down loses nothing; and the last events sent, so the user can see exactly what
//! left the machine.
//!
//! Bounded: at most [`CAPACITY`] events wait; beyond that the oldest is dropped and counted.
//! A file that cannot be written (full disk) is logged once; the events stay in memory, still
//! bounded.

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::TelemetryEvent;

pub const CAPACITY: usize = 1000;
pub const SENT_KEPT: usize = 100;

#[derive(Debug)]
pub struct Outbox {
    queue_path: PathBuf,
    sent_path: PathBuf,
    queue: VecDeque<TelemetryEvent>,
    sent: VecDeque<TelemetryEvent>,
    pub dropped: u64,
    /// Lines of the files that could not be parsed at load (skipped, not fatal).
    pub malformed: u64,
    write_failed_logged: bool,
}

/// Longest line read back; a longer one (no event is near this) is skipped as malformed.
const LINE_CAP: usize = 64 * 1024;

/// Reads the newest `keep` events of a file in bounded pieces: one line at a time, each at most
/// [`LINE_CAP`], so a file grown huge by another tool or a bug costs time, never memory.
fn load(
    path: &Path,
    keep: usize,
    malformed: &mut u64,
    dropped: &mut u64,
) -> VecDeque<TelemetryEvent> {
    use std::io::{BufRead, Read};
    let Ok(file) = std::fs::File::open(path) else {
        return VecDeque::new();
    };
    let mut reader = std::io::BufReader::new(file);
    let mut events = VecDeque::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = Read::take(&mut reader, LINE_CAP as u64 + 1).read_until(b'\n', &mut line);
        match read {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.len() > LINE_CAP && !line.ends_with(b"\n") {
            // Skip the rest of an overlong line.
            *malformed += 1;
            let mut rest = Vec::new();
            while let Ok(n) = Read::take(&mut reader, LINE_CAP as u64).read_until(b'\n', &mut rest)
            {
                if n == 0 || rest.ends_with(b"\n") {
                    break;
                }
                rest.clear();
            }
            continue;
        }
        if line.trim_ascii().is_empty() {
            continue;
        }
        match serde_json::from_slice(&line) {
            Ok(event) => {
                if events.len() == keep {
                    events.pop_front();
                    *dropped += 1;
                }
                events.push_back(event);
            }
            Err(_) => *malformed += 1,
        }
    }
    events
}

impl Outbox {
    /// Opens (or creates) the outbox in `dir`.
    #[must_use]
    pub fn open(dir: &Path) -> Self {
        let mut malformed = 0;
        let queue_path = dir.join("telemetry-outbox.jsonl");
        let sent_path = dir.join("telemetry-sent.jsonl");
        let mut dropped = 0;
        let queue = load(&queue_path, CAPACITY, &mut malformed, &mut dropped);
        let sent = load(&sent_path, SENT_KEPT, &mut malformed, &mut 0);
        Self {
            queue_path,
            sent_path,
            queue,
            sent,
            dropped,
            malformed,
            write_failed_logged: false,
        }
    }

    #[must_use]
    pub fn queued(&self) -> &VecDeque<TelemetryEvent> {
        &self.queue
    }

    #[must_use]
    pub fn sent(&self) -> &VecDeque<TelemetryEvent> {
        &self.sent
    }

    pub fn push(&mut self, event: TelemetryEvent) {
        let rewrite = self.queue.len() >= CAPACITY;
        if rewrite {
            self.queue.pop_front();
            self.dropped += 1;
        }
        self.queue.push_back(event);
        let result = if rewrite {
            write_all(&self.queue_path, &self.queue)
        } else {
            append(&self.queue_path, self.queue.back().expect("just pushed"))
        };
        self.note(result);
    }

    /// Deletes every queued event (the user's "Delete queued events"); the sent log stays.
    pub fn clear(&mut self) {
        self.queue.clear();
        let result = write_all(&self.queue_path, &self.queue);
        self.note(result);
    }

    /// The oldest `n` events, for one batch.
    #[must_use]
    pub fn batch(&self, n: usize) -> Vec<TelemetryEvent> {
        self.queue.iter().take(n).cloned().collect()
    }

    /// Marks the oldest `n` events as sent.
    pub fn ack(&mut self, n: usize) {
        for _ in 0..n.min(self.queue.len()) {
            let e = self.queue.pop_front().expect("checked length");
            if self.sent.len() == SENT_KEPT {
                self.sent.pop_front();
            }
            self.sent.push_back(e);
        }
        let r1 = write_all(&self.queue_path, &self.queue);
        let r2 = write_all(&self.sent_path, &self.sent);
        self.note(r1.and(r2));
    }

    fn note(&mut self, result: std::io::Result<()>) {
        if let Err(e) = result {
            if !std::mem::replace(&mut self.write_failed_logged, true) {
                tracing::warn!(path = %self.queue_path.display(), error = %e, "telemetry outbox cannot be written; keeping events in memory");
            }
        }
    }
}

fn append(path: &Path, event: &TelemetryEvent) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut line = serde_json::to_vec(event).expect("event serializes");
    line.push(b'\n');
    f.write_all(&line)
}

fn write_all(path: &Path, events: &VecDeque<TelemetryEvent>) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("jsonl.tmp");
    let mut body = Vec::new();
    for e in events {
        serde_json::to_writer(&mut body, e).expect("event serializes");
        body.push(b'\n');
    }
    std::fs::write(&tmp, body)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_outbox_survives_a_restart_and_drops_the_oldest_beyond_its_cap() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = Outbox::open(dir.path());
        for i in 0..(CAPACITY + 5) {
            o.push(TelemetryEvent::new("e", json!({"i": i})));
        }
        assert_eq!(o.dropped, 5);
        let o2 = Outbox::open(dir.path());
        assert_eq!(o2.queued().len(), CAPACITY);
        assert_eq!(o2.queued()[0].properties["i"], 5);
    }

    #[test]
    fn a_huge_outbox_file_is_read_in_bounded_pieces_and_can_be_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("telemetry-outbox.jsonl");
        let mut body = Vec::new();
        // One 1 MiB line with no newline inside, then 3000 good events.
        body.extend(std::iter::repeat_n(b'x', 1 << 20));
        body.push(b'\n');
        for i in 0..3000 {
            serde_json::to_writer(&mut body, &TelemetryEvent::new("e", json!({"i": i}))).unwrap();
            body.push(b'\n');
        }
        std::fs::write(&path, body).unwrap();
        let mut o = Outbox::open(dir.path());
        assert_eq!(o.malformed, 1);
        assert_eq!(o.queued().len(), CAPACITY);
        assert_eq!(o.queued().back().unwrap().properties["i"], 2999);
        o.clear();
        assert!(Outbox::open(dir.path()).queued().is_empty());
    }

    #[test]
    fn acked_events_move_to_the_sent_log() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = Outbox::open(dir.path());
        o.push(TelemetryEvent::new("a", json!({})));
        o.push(TelemetryEvent::new("b", json!({})));
        o.ack(1);
        let o2 = Outbox::open(dir.path());
        assert_eq!(o2.queued().len(), 1);
        assert_eq!(o2.sent()[0].name, "a");
    }

    #[test]
    fn malformed_lines_are_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("telemetry-outbox.jsonl"),
            "garbage\n{\"name\":\"x\",\"at\":\"t\",\"properties\":{}}\n",
        )
        .unwrap();
        let o = Outbox::open(dir.path());
        assert_eq!(o.queued().len(), 1);
        assert_eq!(o.malformed, 1);
    }
}
