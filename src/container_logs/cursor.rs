//! Where a follow resumes, and which messages of the resumed log were already delivered.
//!
//! A log is reopened `since` the stamp of the last message delivered. Both engines include
//! messages stamped exactly at `since` (Podman even all of that second: its stamps and its
//! `since` are whole seconds), so those come again; the cursor counts how many messages it
//! delivered with that very stamp and drops as many of them. Messages are stored in the order
//! they were written and served in that order, so the first N with the stamp are the N already
//! seen: nothing is dropped that was not delivered, nothing delivered twice.
//!
//! Pure (no I/O, no clock), so it is tested on its own.

use super::frame::Message;
use crate::engine::{LogQuery, Tail};

/// The position of a follow in its log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The stamp of the last message delivered.
    last: Option<i64>,
    /// Messages delivered with exactly that stamp.
    at_last: u64,
    /// While reading a resumed log: messages with the stamp `last` still to drop.
    skip: u64,
    /// Engine time at which the log was first opened, for a resume before any message.
    opened: Option<i64>,
}

/// What to do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Deliver,
    /// Already delivered before the log was reopened.
    Seen,
}

impl Cursor {
    /// Records the engine time of the first open: a log that delivered nothing resumes there,
    /// not at its beginning (which `tail` had left out).
    pub fn opened_at(&mut self, engine_now: i64) {
        self.opened.get_or_insert(engine_now);
    }

    /// The query that resumes `asked` after a break: everything since the last message, no tail.
    #[must_use]
    pub fn resume(&mut self, asked: &LogQuery) -> LogQuery {
        self.skip = self.at_last;
        LogQuery {
            tail: Tail::All,
            since: self.last.or(self.opened).or(asked.since),
            ..asked.clone()
        }
    }

    /// Decides about the next message read, and moves the cursor past it when delivered.
    /// A stampless message (a continuation) goes with the message before it.
    pub fn admit(&mut self, message: &Message) -> Verdict {
        let Some(time) = message.stamp.as_ref().map(|s| s.nanos) else {
            return Verdict::Deliver;
        };
        match self.last {
            // Defensive: a resumed log holds nothing older than `since`.
            Some(last) if time < last && self.skip > 0 => Verdict::Seen,
            Some(last) if time == last && self.skip > 0 => {
                self.skip -= 1;
                Verdict::Seen
            }
            Some(last) if time == last => {
                self.at_last += 1;
                Verdict::Deliver
            }
            // stdout and stderr are stamped by two copiers: the log may hold a message stamped
            // a little before the one written ahead of it. It is new; the cursor stays.
            Some(last) if time < last => Verdict::Deliver,
            _ => {
                self.last = Some(time);
                self.at_last = 1;
                self.skip = 0;
                Verdict::Deliver
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container_logs::frame::{Stamp, Stream};

    fn msg(nanos: i64, body: &str) -> Message {
        Message {
            stream: Stream::Stdout,
            stamp: Some(Stamp {
                text: bytes::Bytes::new(),
                nanos,
            }),
            body: bytes::Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    /// Feeds `log` through the cursor, returning the bodies delivered.
    fn read(cursor: &mut Cursor, log: &[Message]) -> Vec<String> {
        log.iter()
            .filter(|m| cursor.admit(m) == Verdict::Deliver)
            .map(|m| String::from_utf8_lossy(&m.body).into_owned())
            .collect()
    }

    #[test]
    fn a_resumed_log_drops_what_was_delivered_at_the_last_stamp_only() {
        // Podman: whole-second stamps, several messages a second.
        let log = [
            msg(1, "a"),
            msg(2, "b"),
            msg(2, "c"),
            msg(2, "d"),
            msg(3, "e"),
        ];
        let mut c = Cursor::default();
        assert_eq!(read(&mut c, &log[..3]), ["a", "b", "c"]);
        let q = c.resume(&LogQuery::default());
        assert_eq!(q.since, Some(2));
        assert_eq!(q.tail, Tail::All);
        // The engine serves everything from second 2 on, the two seen ones included.
        assert_eq!(read(&mut c, &log[1..]), ["d", "e"]);
    }

    #[test]
    fn resuming_twice_without_news_delivers_nothing_twice() {
        let log = [msg(5, "a"), msg(5, "b")];
        let mut c = Cursor::default();
        assert_eq!(read(&mut c, &log), ["a", "b"]);
        let _ = c.resume(&LogQuery::default());
        assert!(read(&mut c, &log).is_empty());
        let _ = c.resume(&LogQuery::default());
        assert!(read(&mut c, &log).is_empty());
        let mut more = log.to_vec();
        more.push(msg(5, "c"));
        let _ = c.resume(&LogQuery::default());
        assert_eq!(read(&mut c, &more), ["c"]);
    }

    #[test]
    fn a_message_stamped_before_the_one_ahead_of_it_is_delivered() {
        let mut c = Cursor::default();
        assert_eq!(
            read(&mut c, &[msg(10, "out"), msg(9, "err"), msg(11, "n")]),
            ["out", "err", "n"]
        );
    }

    #[test]
    fn an_engine_that_serves_older_messages_again_is_not_believed() {
        let mut c = Cursor::default();
        read(&mut c, &[msg(10, "x")]);
        let _ = c.resume(&LogQuery::default());
        assert!(read(&mut c, &[msg(9, "old"), msg(10, "x")]).is_empty());
    }

    #[test]
    fn a_log_that_delivered_nothing_resumes_at_its_opening_not_its_start() {
        let mut c = Cursor::default();
        c.opened_at(42);
        c.opened_at(99);
        let asked = LogQuery {
            follow: true,
            tail: Tail::Last(0),
            ..LogQuery::default()
        };
        let q = c.resume(&asked);
        assert_eq!(q.since, Some(42));
        assert!(q.follow);
    }
}
