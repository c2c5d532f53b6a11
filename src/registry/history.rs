//! The Events page's history: the last engine events, live and replayed, each field capped.
//!
//! The page follows it instead of asking for it on a timer: every record is numbered, a watch
//! says when the count moved, and a follower reads what came after the last record it holds
//! ([`History::since`]). An idle engine costs a follower nothing; a busy one, one read per wake
//! with every record since, so a burst is never read one record at a time and none is skipped.

use std::collections::VecDeque;

use serde::Serialize;
use tokio::sync::watch;
use ts_rs::TS;

use super::hub::EventRecord;
use crate::engine::events::RawEvent;

/// Records kept.
pub const HISTORY: usize = 1000;

/// The records after a point of the history, for a page that follows it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "HistoryPage.ts")]
pub struct HistoryPage {
    /// How many records the history has kept since it began: the `since` of the next read.
    pub seq: u64,
    /// True when `records` do not follow the reader's last one (its first read, or records it
    /// never saw have left the ring meanwhile): it replaces what it holds with them.
    pub reset: bool,
    /// Oldest first; at most [`HISTORY`].
    pub records: Vec<EventRecord>,
}

/// The ring of records and its count.
#[derive(Debug)]
pub(super) struct History {
    records: VecDeque<EventRecord>,
    /// Every record ever kept, the one just dropped included; the newest is number `seq`.
    seq: watch::Sender<u64>,
}

impl Default for History {
    fn default() -> Self {
        Self {
            records: VecDeque::with_capacity(HISTORY),
            seq: watch::Sender::new(0),
        }
    }
}

impl History {
    /// Adds `event` (dropping the oldest past [`HISTORY`]) and tells the followers.
    pub fn record(&mut self, engine: &str, event: &RawEvent, replayed: bool) {
        if self.records.len() == HISTORY {
            self.records.pop_front();
        }
        let capped = |s: &str| {
            let mut s = s.to_owned();
            crate::container::cap_field(&mut s);
            s
        };
        self.records.push_back(EventRecord {
            engine: engine.to_owned(),
            typ: capped(&event.typ),
            action: capped(&event.action),
            id: capped(&event.id),
            name: event.attribute("name").map(capped),
            time_ms: event.time_nano / 1_000_000,
            replayed,
        });
        self.seq.send_modify(|seq| *seq += 1);
    }

    /// Every record kept, oldest first.
    pub fn all(&self) -> Vec<EventRecord> {
        self.records.iter().cloned().collect()
    }

    /// The records after the `since`-th (all of them with `None`, or when some after it have
    /// left the ring, or when `since` is ahead of the history: another history's count).
    pub fn since(&self, since: Option<u64>) -> HistoryPage {
        let seq = *self.seq.borrow();
        let kept = self.records.len() as u64;
        let first = seq - kept;
        match since {
            Some(since) if since >= first && since <= seq => HistoryPage {
                seq,
                reset: false,
                // `since - first` <= `kept` <= HISTORY: it fits a usize.
                records: self
                    .records
                    .iter()
                    .skip(usize::try_from(since - first).unwrap_or(HISTORY))
                    .cloned()
                    .collect(),
            },
            _ => HistoryPage {
                seq,
                reset: true,
                records: self.all(),
            },
        }
    }

    /// The count's watch: it changes when a record is kept.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.seq.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: usize) -> RawEvent {
        RawEvent {
            typ: "container".into(),
            action: "start".into(),
            id: format!("{n:064x}"),
            attributes: [("name".to_owned(), format!("c{n}"))].into(),
            time_nano: i64::try_from(n).expect("small") * 1_000_000,
        }
    }

    fn names(page: &HistoryPage) -> Vec<String> {
        page.records
            .iter()
            .map(|r| r.name.clone().unwrap_or_default())
            .collect()
    }

    #[test]
    fn a_follower_reads_what_came_after_its_last_record_once() {
        let mut h = History::default();
        let first = h.since(None);
        assert_eq!((first.seq, first.reset, first.records.len()), (0, true, 0));
        h.record("podman", &event(1), false);
        h.record("podman", &event(2), true);
        let page = h.since(Some(first.seq));
        assert_eq!((page.seq, page.reset), (2, false));
        assert_eq!(names(&page), ["c1", "c2"]);
        assert!(page.records[1].replayed);
        let again = h.since(Some(page.seq));
        assert_eq!((again.seq, again.reset, again.records.len()), (2, false, 0));
        h.record("docker", &event(3), false);
        assert_eq!(names(&h.since(Some(2))), ["c3"]);
        assert_eq!(h.since(Some(2)).records[0].engine, "docker");
    }

    #[test]
    fn a_follower_behind_the_ring_or_ahead_of_it_starts_over() {
        let mut h = History::default();
        for n in 0..HISTORY + 5 {
            h.record("podman", &event(n), false);
        }
        let seq = (HISTORY + 5) as u64;
        // Records 1..=5 have left: a reader that holds only the 3rd missed some.
        let behind = h.since(Some(3));
        assert_eq!((behind.seq, behind.reset), (seq, true));
        assert_eq!(behind.records.len(), HISTORY);
        assert_eq!(behind.records[0].name.as_deref(), Some("c5"));
        // The 5th is the last one dropped: what follows it is all kept.
        let edge = h.since(Some(5));
        assert_eq!((edge.reset, edge.records.len()), (false, HISTORY));
        // A count ahead of this history's (a page that followed another run of the app).
        let ahead = h.since(Some(seq + 1));
        assert_eq!((ahead.reset, ahead.records.len()), (true, HISTORY));
    }

    #[tokio::test]
    async fn the_watch_moves_with_each_record() {
        let mut h = History::default();
        let mut w = h.watch();
        assert_eq!(*w.borrow_and_update(), 0);
        h.record("podman", &event(1), false);
        h.record("podman", &event(2), false);
        w.changed().await.expect("the history is alive");
        assert_eq!(*w.borrow_and_update(), 2, "one wake for both records");
        assert!(!w.has_changed().expect("alive"));
        drop(h);
        assert!(w.changed().await.is_err(), "the history is gone");
    }
}
