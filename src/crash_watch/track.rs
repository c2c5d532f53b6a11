//! One container as the rules follow it: its held exit and the flags that decide it.

use std::collections::VecDeque;

use tokio::time::Instant;

use super::rules::{Finding, HOLD, LOOP_RESTARTS, LOOP_WINDOW};
use super::signs::exit_code;
use crate::engine::events::RawEvent;
use crate::registry::{AlertRule, Detected};

/// An exit not yet decided.
#[derive(Debug, Clone)]
pub(super) struct Exit {
    pub(super) code: Option<i64>,
    pub(super) at: Option<i64>,
    pub(super) detected: Detected,
    pub(super) due: Instant,
    pub(super) oom: bool,
    /// Podman's `cleanup` events after it: a `podman stop` cleans up itself, then conmon's exit
    /// command does again.
    pub(super) cleanups: u8,
    /// The engine said its restart policy restarts it: held for [`POLICY_WAIT`](super::rules::POLICY_WAIT), as the
    /// policy's, and not asked about again.
    pub(super) policy: bool,
}

// A state machine's flags, each read on its own (not a mode in disguise).
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Default)]
pub(super) struct Track {
    pub(super) name: String,
    pub(super) running: bool,
    /// A `kill`, `stop` or user `restart` since the last start: the next exit was asked for.
    pub(super) stop_asked: bool,
    /// Docker's `oom` since the last start.
    pub(super) oom: bool,
    pub(super) unhealthy: bool,
    pub(super) exit: Option<Exit>,
    /// Engine times of the restart policy's restarts within the window.
    pub(super) restarts: VecDeque<i64>,
    /// The last event was `start` (Docker sends a user restart's `restart` after it).
    pub(super) just_started: bool,
    /// A `restart_loop` was raised and its `recovered` not yet.
    pub(super) looping: bool,
    /// When a looping container has been up long enough to recover.
    pub(super) recover_due: Option<Instant>,
    /// Its exit came due and went to be checked against the restart policy (Docker's restart
    /// delay doubles past [`HOLD`], and a loaded engine restarts late): a start before the
    /// answer is the policy's restart.
    pub(super) checking: bool,
}

/// An exit: held as a crash unless someone asked for it or the container was never seen
/// running.
pub(super) fn exited(track: &mut Track, event: &RawEvent, detected: Detected, now: Instant) {
    let was_running = std::mem::replace(&mut track.running, false);
    let asked = std::mem::replace(&mut track.stop_asked, false);
    // A relist's finding gives way to the event, which says when and how.
    let pending_resync = track
        .exit
        .as_ref()
        .is_some_and(|e| e.detected == Detected::Resync);
    track.exit = (!asked && (was_running || pending_resync)).then(|| Exit {
        code: exit_code(event),
        at: Some(event.time_nano),
        detected,
        due: now + HOLD,
        oom: track.oom,
        cleanups: 0,
        policy: false,
    });
}

/// Whether a health event turns a running, healthy container unhealthy (Docker's action
/// `health_status: unhealthy`; Podman's `health_status` with the status as an attribute).
pub(super) fn health_turned_bad(track: &mut Track, event: &RawEvent) -> bool {
    let status = event
        .action
        .strip_prefix("health_status:")
        .map(str::trim)
        .or_else(|| event.attribute("health_status"))
        .unwrap_or_default();
    let unhealthy = status == "unhealthy";
    let turned = unhealthy && !track.unhealthy && track.running;
    track.unhealthy = unhealthy;
    turned
}

/// A restart by the restart policy: counted, and a loop raised once per episode.
pub(super) fn restarted(
    track: &mut Track,
    at: i64,
    now: Instant,
    found: &mut Vec<Finding>,
    finding: &impl Fn(AlertRule, Option<i64>, Option<i64>) -> Finding,
) {
    let window = i64::try_from(LOOP_WINDOW.as_nanos()).unwrap_or(i64::MAX);
    track.restarts.push_back(at);
    while track
        .restarts
        .front()
        .is_some_and(|&t| at.saturating_sub(t) > window)
    {
        track.restarts.pop_front();
    }
    if track.restarts.len() > LOOP_RESTARTS {
        track.restarts.pop_front();
    }
    if track.restarts.len() >= LOOP_RESTARTS && !track.looping {
        track.looping = true;
        found.push(finding(AlertRule::RestartLoop, None, Some(at)));
    }
    if track.looping {
        track.recover_due = Some(now + LOOP_WINDOW);
    }
}
