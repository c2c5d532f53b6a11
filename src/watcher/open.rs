//! Opening a session: connect, then open the events stream, each step bounded in time; and how
//! far an event's stamp is believed.

use std::time::Duration;

use super::{EngineSpec, WatcherConfig};
use crate::engine::events::{EventStream, EventsQuery, RawEvent};
use crate::engine::{EngineClient, EngineError};

/// Connects, then opens the events stream, each within the ping timeout. (A socket that just
/// appeared is given its grace by the supervisor, which retries quietly.)
pub(super) async fn open_session(
    spec: &EngineSpec,
    config: &WatcherConfig,
    cursor: Option<i64>,
) -> Result<(EngineClient, EventStream), EngineError> {
    let limit = config.ping_timeout;
    let timed_out = |what: &str, after: Duration| EngineError::Transient {
        endpoint: spec.endpoint.clone(),
        detail: format!(
            "connected, but no answer to {what} within {} s",
            after.as_secs_f64().ceil()
        ),
    };
    let client = tokio::time::timeout(limit, EngineClient::connect(&spec.id, &spec.endpoint))
        .await
        .map_err(|_| timed_out("/_ping", limit))??;
    // Pods are Podman's: Docker is not asked for a type it does not have.
    let mut types = config.event_types.clone();
    if client.kind() == crate::engine::EngineKind::Podman && types.contains(&"image") {
        types.push("pod");
    }
    let query = EventsQuery {
        since_nanos: cursor,
        types,
    };
    let stream = tokio::time::timeout(
        config.ping_timeout,
        EventStream::open(client.endpoint(), &client.api_version(), &query),
    )
    .await
    .map_err(|_| timed_out("/events", config.ping_timeout))??;
    Ok((client, stream))
}

/// How an event's engine time is trusted: one far ahead of the engine's own clock (a bug, a
/// clock fixed while running) is taken as "now" rather than poisoning the replay cursor and every
/// later comparison of that container's events.
pub(super) fn clamp_to_engine_clock(
    event: &mut RawEvent,
    engine_now: Option<i64>,
) -> Option<String> {
    let now = engine_now?;
    if event.time_nano <= now.saturating_add(FUTURE_SLACK_NANOS) {
        return None;
    }
    let ahead_s = (event.time_nano - now) / 1_000_000_000;
    event.time_nano = now;
    Some(format!(
        "{} {} of {} is stamped {ahead_s} s ahead of the engine's clock; taken as now",
        event.typ, event.action, event.id
    ))
}

/// How far ahead of the engine's clock (as read from its `Date` header, whole seconds) an event
/// may be stamped before it is not believed.
const FUTURE_SLACK_NANOS: i64 = 10_000_000_000;

/// Events kept while the list is being read; a busier engine than this fails the session and
/// relists (with `since`, nothing is lost) instead of buffering without bound.
pub const MAX_BUFFERED_DURING_LIST: usize = 10_000;

/// The same buffer's bound in bytes: an event line may be up to 1 MiB.
pub const MAX_BUFFERED_BYTES: usize = 32 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn event(time_nano: i64) -> RawEvent {
        RawEvent {
            typ: "container".into(),
            action: "start".into(),
            id: "abc".into(),
            attributes: std::collections::HashMap::new(),
            time_nano,
        }
    }

    #[test]
    fn a_stamp_far_ahead_of_the_engine_clock_is_taken_as_now_and_others_are_kept() {
        let now = 1_796_159_984_000_000_000;
        let mut e = event(now + 5_000_000_000);
        assert_eq!(clamp_to_engine_clock(&mut e, Some(now)), None);
        assert_eq!(e.time_nano, now + 5_000_000_000);
        let mut e = event(now + 365 * 86_400 * 1_000_000_000);
        let warning = clamp_to_engine_clock(&mut e, Some(now)).unwrap();
        assert!(warning.contains("31536000 s ahead"), "{warning}");
        assert_eq!(e.time_nano, now);
        // Without the engine's clock nothing is judged.
        let mut e = event(i64::MAX);
        assert_eq!(clamp_to_engine_clock(&mut e, None), None);
    }
}
