//! The last log lines an alert carries, read once when it is raised.

use super::run::{LOG_LINES, LOG_LINE_BYTES};
use crate::container_logs::{Collected, Follow, Joiner};
use crate::engine::{LogQuery, Tail};
use crate::registry::Registry;
use crate::shutdown::Shutdown;

/// The longest the log may take (then the alert goes without it).
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(700);

/// The container's last [`LOG_LINES`] lines (empty when they cannot be read in time).
pub(super) async fn last_lines(
    registry: &Registry,
    engine: &str,
    id: &str,
    shutdown: &Shutdown,
) -> Vec<String> {
    let query = LogQuery {
        tail: Tail::Last(LOG_LINES as u64),
        ..LogQuery::default()
    };
    let mut kept = Collected::default();
    let mut follow = Follow::new(registry.clone(), engine, id, query);
    let read = follow.run(&mut kept, shutdown.clone());
    if tokio::time::timeout(READ_TIMEOUT, read).await.is_err() {
        return Vec::new();
    }
    let mut joiner = Joiner::default();
    let mut lines = Vec::new();
    for message in &kept.0 {
        joiner.push(message, |l| lines.push(l.line));
    }
    joiner.finish(|l| lines.push(l.line));
    if lines.len() > LOG_LINES {
        lines.drain(..lines.len() - LOG_LINES);
    }
    for line in &mut lines {
        crate::container::cap_text(line, LOG_LINE_BYTES);
    }
    lines
}
