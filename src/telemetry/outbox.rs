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

fn load(path: &Path, malformed: &mut u64) -> VecDeque<TelemetryEvent> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return VecDeque::new();
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            serde_json::from_str(l)
                .inspect_err(|_| *malformed += 1)
                .ok()
        })
        .collect()
}

impl Outbox {
    /// Opens (or creates) the outbox in `dir`.
    #[must_use]
    pub fn open(dir: &Path) -> Self {
        let mut malformed = 0;
        let queue_path = dir.join("telemetry-outbox.jsonl");
        let sent_path = dir.join("telemetry-sent.jsonl");
        let mut queue = load(&queue_path, &mut malformed);
        let mut dropped = 0;
        while queue.len() > CAPACITY {
            queue.pop_front();
            dropped += 1;
        }
        let mut sent = load(&sent_path, &mut malformed);
        while sent.len() > SENT_KEPT {
            sent.pop_front();
        }
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
