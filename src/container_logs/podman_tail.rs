//! Podman's `tail`, read so that a line the engine split stays whole.
//!
//! Through 4.6, Podman's k8s-file reader got `tail` wrong for split lines
//! (containers/podman#19545, fixed in 4.7): reading the file backwards, it glued the pieces of
//! a split line (`P` entries) to the end of the line *before* it, so `echo line 921; echo line
//! 922` came back as `line 921line` and ` 922`. conmon splits a line whenever one of its reads
//! ends inside it, which happens under load, so any tail could hold such a line (it broke
//! `paging_back_reads_a_podman_log_once` once in CI). The stamps of that tail are right, and a
//! read *forward* from a time is right too. So on Podman Skiff asks for the tail only to learn
//! where it begins, reads forward `since` that stamp, and keeps the last lines itself; a follow
//! then resumes at the [`Cursor`](super::Cursor) as after any break. This costs one more request
//! and the lines of one more second (Podman's `since` is whole seconds), once per view.

use super::follow::{Follow, LogError, Sink};
use super::frame::Message;
use crate::engine::{LogQuery, Tail};
use crate::registry::Step;

/// The first read of a Podman log whose query asks for the last `n` messages.
pub(super) async fn first_read(
    follow: &mut Follow,
    n: u64,
    sink: &mut impl Sink,
) -> Step<LogError> {
    let asked = follow.asked().clone();
    let probe = LogQuery {
        follow: false,
        tail: Tail::Last(n),
        ..asked.clone()
    };
    let tail = match follow.collect(&probe).await {
        Ok(messages) => messages,
        Err(step) => return step,
    };
    let Some(begins) = tail.iter().find_map(|m| m.stamp.as_ref().map(|s| s.nanos)) else {
        // Nothing (or nothing stamped) to begin at: the plain query, as on Docker.
        return follow.read(&asked, sink, true).await;
    };
    // The first line's earlier pieces may be stamped before `begins` (a line written over a
    // pause): the read starts a second earlier, and further back while no line ends before the
    // lines kept, down to the container's creation.
    // A log shorter than the tail is read whole (`since` the container's creation).
    let born = if lines(&tail) < n {
        i64::MIN
    } else {
        follow.born()
    };
    let mut span = NANOS;
    let (messages, keep) = loop {
        let since = begins.saturating_sub(span).max(born);
        let forward = LogQuery {
            follow: false,
            tail: Tail::All,
            since: (since > i64::MIN).then_some(since),
            ..asked.clone()
        };
        let messages = match follow.collect(&forward).await {
            Ok(messages) => messages,
            Err(step) => return step,
        };
        let keep = last_lines(&messages, n);
        if keep > 0 || since <= born || span >= MAX_SPAN {
            break (messages, keep);
        }
        span = span.saturating_mul(8);
    };
    if messages.is_empty() {
        // The log was cut (rotated, or the container removed and made again) in between.
        return follow.read(&asked, sink, true).await;
    }
    if let Err(e) = follow.deliver_all(messages, keep, sink) {
        return Step::Fatal(e);
    }
    if !asked.follow {
        return Step::Break;
    }
    let resume = follow.resume_query();
    follow.read(&resume, sink, false).await
}

/// The lines `messages` hold (a last piece without its newline is one).
fn lines(messages: &[Message]) -> u64 {
    let ended = messages.iter().filter(|m| m.body.ends_with(b"\n")).count();
    let unfinished = messages.last().is_some_and(|m| !m.body.ends_with(b"\n"));
    (ended + usize::from(unfinished)) as u64
}

const NANOS: i64 = 1_000_000_000;

/// How far back a line's first piece is looked for (then the tail begins with what was found).
const MAX_SPAN: i64 = 86_400 * NANOS;

/// Where the last `n` lines of `messages` begin: a line ends with a message that ends with a
/// newline (or with the log), and the pieces before its last message belong to it.
fn last_lines(messages: &[Message], n: u64) -> usize {
    if n == 0 {
        return messages.len();
    }
    let mut lines = 0;
    for (i, m) in messages.iter().enumerate().rev() {
        let ends_a_line = m.body.ends_with(b"\n") || i + 1 == messages.len();
        if ends_a_line {
            if lines == n {
                return i + 1;
            }
            lines += 1;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container_logs::Stream;

    fn messages(bodies: &[&str]) -> Vec<Message> {
        bodies
            .iter()
            .map(|b| Message {
                stream: Stream::Stdout,
                stamp: None,
                body: bytes::Bytes::copy_from_slice(b.as_bytes()),
            })
            .collect()
    }

    #[test]
    fn the_pieces_of_a_split_line_go_with_it() {
        let m = messages(&["line 920\n", "line 921\n", "line", " 922\n", "late\n"]);
        assert_eq!(last_lines(&m, 2), 2, "`line`, ` 922`, `late`");
        assert_eq!(last_lines(&m, 3), 1);
        assert_eq!(last_lines(&m, 1), 4);
    }

    #[test]
    fn a_last_line_without_newline_counts_and_few_lines_keep_all() {
        let m = messages(&["a\n", "b\n", "unfinished"]);
        assert_eq!(last_lines(&m, 1), 2);
        assert_eq!(last_lines(&m, 2), 1);
        assert_eq!(last_lines(&m, 10), 0);
        assert_eq!(last_lines(&m, 0), 3);
        assert_eq!(last_lines(&[], 5), 0);
    }
}
