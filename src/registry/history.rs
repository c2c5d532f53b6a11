//! The Events page's history: the last engine events, live and replayed, each field capped.

use std::collections::VecDeque;

use super::hub::EventRecord;
use crate::engine::events::RawEvent;

/// Records kept.
const HISTORY: usize = 1000;

/// Adds `event` (dropping the oldest past [`HISTORY`]).
pub(super) fn record(
    history: &mut VecDeque<EventRecord>,
    engine: &str,
    event: &RawEvent,
    replayed: bool,
) {
    if history.len() == HISTORY {
        history.pop_front();
    }
    let capped = |s: &str| {
        let mut s = s.to_owned();
        crate::container::cap_field(&mut s);
        s
    };
    history.push_back(EventRecord {
        engine: engine.to_owned(),
        typ: capped(&event.typ),
        action: capped(&event.action),
        id: capped(&event.id),
        name: event.attribute("name").map(capped),
        time_ms: event.time_nano / 1_000_000,
        replayed,
    });
}
