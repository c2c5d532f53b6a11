//! Paging back: the lines before the first one a view holds, read on demand with `until`, so a
//! view opens on its last lines and never replays a whole log.
//!
//! Both engines' `until` keeps the messages stamped at that very time, so a page read up to
//! the view's first stamp ends with the lines of that stamp the view already has: [`Start`]
//! counts them while the view's lines arrive, and [`older`] drops them again. Kubernetes has no
//! `until`: a pod's view cannot page back.

use super::follow::{Follow, LogError};
use super::line::Line;
use super::view::Batcher;
use crate::engine::{ActionError, ActionErrorKind, LogQuery, Tail};
use crate::registry::Registry;
use crate::shutdown::Shutdown;

/// Where a view's lines begin: the first line's stamp and how many lines carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Start {
    /// `None` until a line arrived (or when the first one has no stamp: no paging then).
    time: Option<i64>,
    /// Lines of the view stamped `time`, counted from its first.
    same: usize,
    /// Every line seen so far is stamped `time` (a page's next batch may carry on the run).
    all_same: bool,
    /// Nothing is older than the view's first line.
    at_beginning: bool,
    /// A line arrived.
    seen: bool,
}

impl Start {
    /// Notes the view's next lines (call it with every batch the view receives, in order).
    pub fn observe(&mut self, lines: &[Line]) {
        let Some(first) = lines.first() else {
            return;
        };
        if !self.seen {
            self.seen = true;
            self.time = first.time;
            self.all_same = true;
        }
        if !self.all_same || self.time.is_none() {
            return;
        }
        let run = lines.iter().take_while(|l| l.time == self.time).count();
        self.same += run;
        self.all_same = run == lines.len();
    }

    /// Whether [`older`] can find anything before the view's first line.
    #[must_use]
    pub fn can_page(&self) -> bool {
        self.time.is_some() && !self.at_beginning
    }
}

/// Up to `count` lines before the view's first one (oldest first), and moves `start` to the
/// first of them. An empty page: the view holds the log's beginning.
pub async fn older(
    registry: &Registry,
    engine: &str,
    id: &str,
    start: &mut Start,
    count: usize,
    shutdown: Shutdown,
) -> Result<Vec<Line>, LogError> {
    let row = registry.container(engine, id);
    if row.as_ref().is_some_and(|c| c.kube.is_some()) {
        return Err(LogError::Open(ActionError::new(
            ActionErrorKind::Unsupported,
            "Kubernetes serves a pod's last lines only, not the lines before a time",
        )));
    }
    let Some(first_time) = start.time.filter(|_| !start.at_beginning) else {
        return Ok(Vec::new());
    };
    // The log's first possible line: nothing can be older than the container.
    let born = row.map_or(0, |c| c.created.saturating_mul(NANOS));
    let mut span = FIRST_SPAN;
    let mut page = loop {
        let since = first_time.saturating_sub(span);
        let mut page = read(registry, engine, id, since, first_time, shutdown.clone()).await?;
        trim_known(&mut page, first_time, start.same);
        if page.len() >= count || since <= born || span >= MAX_SPAN {
            if page.len() < count && since <= born {
                start.at_beginning = true;
            }
            break page;
        }
        span = span.saturating_mul(8);
    };
    if page.len() > count {
        page.drain(..page.len() - count);
    }
    let at_beginning = start.at_beginning;
    let Some(first) = page.first() else {
        start.at_beginning = true;
        return Ok(page);
    };
    let run = page.iter().take_while(|l| l.time == first.time).count();
    *start = Start {
        time: first.time,
        // A page wholly stamped `until` carries on the view's run of that stamp.
        same: if first.time == Some(first_time) {
            run + start.same
        } else {
            run
        },
        all_same: false,
        at_beginning,
        seen: true,
    };
    Ok(page)
}

/// Drops the end of a page the view already has: newer lines (the second added for Podman),
/// then the view's own `same` lines stamped `first_time`.
fn trim_known(page: &mut Vec<Line>, first_time: i64, same: usize) {
    while page.last().is_some_and(|l| l.time > Some(first_time)) {
        page.pop();
    }
    let mut dropped = 0;
    while dropped < same && page.last().is_some_and(|l| l.time == Some(first_time)) {
        page.pop();
        dropped += 1;
    }
}

const NANOS: i64 = 1_000_000_000;

/// The first window read before the view's first line; each further one is 8 times longer.
const FIRST_SPAN: i64 = 60 * NANOS;

/// Beyond a window this long, a page is what it found (a container older than ten years).
const MAX_SPAN: i64 = 10 * 365 * 86_400 * NANOS;

/// The lines stamped from `since` to `until` (and up to a second later: Podman reads `until`
/// to the second, and would miss the rest of that second).
async fn read(
    registry: &Registry,
    engine: &str,
    id: &str,
    since: i64,
    until: i64,
    shutdown: Shutdown,
) -> Result<Vec<Line>, LogError> {
    let query = LogQuery {
        follow: false,
        tail: Tail::All,
        since: Some(since),
        until: Some(until.saturating_add(NANOS)),
        ..LogQuery::default()
    };
    let mut page = Vec::new();
    let mut batcher = Batcher::new(|batch: Vec<Line>| {
        page.extend(batch);
        Ok(())
    });
    Follow::new(registry.clone(), engine, id, query)
        .run(&mut batcher, shutdown)
        .await?;
    batcher.finish().map_err(LogError::Sink)?;
    drop(batcher);
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container_logs::Stream;

    fn line(time: i64) -> Line {
        Line {
            stream: Stream::Stdout,
            time: Some(time),
            line: String::new(),
        }
    }

    #[test]
    fn the_start_counts_the_first_stamps_run_across_batches() {
        let mut s = Start::default();
        s.observe(&[line(5), line(5)]);
        s.observe(&[line(5), line(6), line(5)]);
        s.observe(&[line(5)]);
        assert_eq!(s.time, Some(5));
        assert_eq!(s.same, 3, "the run ends at the first other stamp");
        assert!(s.can_page());
    }

    #[test]
    fn a_view_whose_first_line_has_no_stamp_cannot_page() {
        let mut s = Start::default();
        s.observe(&[Line {
            time: None,
            ..line(0)
        }]);
        s.observe(&[line(1)]);
        assert!(!s.can_page());
    }
}
