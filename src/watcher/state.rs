//! The connection state of one engine, as the UI, tray, CLI and telemetry see it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::engine::{EngineKind, ErrorInfo};

/// Where an engine's connection is.
///
/// `connecting → connected → reconnecting{attempt, retry_in, error} → unavailable{error}`, plus
/// `disabled` by the user. An engine that is retrying, or waiting for its socket to appear, is
/// `reconnecting` (its `error.kind` says why); `unavailable` is only for failure classes that stop
/// retrying (`permission_denied`, `incompatible`), until something changes or the user retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export_to = "EngineState.ts")]
pub enum EngineState {
    Connecting,
    Connected,
    Reconnecting {
        /// Failed attempts in this outage so far.
        attempt: u32,
        /// When the next attempt happens at the latest (sooner if the socket appears).
        retry_in_ms: Option<u64>,
        error: ErrorInfo,
    },
    Unavailable {
        error: ErrorInfo,
    },
    Disabled,
}

impl EngineState {
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Reconnecting { .. } => "reconnecting",
            Self::Unavailable { .. } => "unavailable",
            Self::Disabled => "disabled",
        }
    }
}

/// What caused a connection attempt; recorded so tests (and the Events page) can tell a
/// socket-triggered return from a timer one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "AttemptTrigger.ts")]
pub enum AttemptTrigger {
    /// The first attempt after start (or after being enabled).
    Start,
    /// The backoff timer ran out.
    Timer,
    /// The socket appeared or changed (file-system watch).
    Socket,
    /// The user asked (Retry now / `retry_now`).
    User,
    /// The periodic safety check while waiting for a watched socket.
    SafetyCheck,
}

/// One engine's status line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "EngineStatus.ts")]
pub struct EngineStatus {
    pub engine: String,
    pub endpoint: String,
    /// Known once the engine answered at least once (Docker/Podman: the headers of `/_ping`).
    pub kind: Option<EngineKind>,
    pub version: Option<String>,
    #[serde(flatten)]
    pub state: EngineState,
    pub trigger: Option<AttemptTrigger>,
    /// RFC 3339 time of the current connection's start.
    pub connected_since: Option<String>,
    /// Completed reconnections since start.
    pub reconnects: u64,
    /// RFC 3339 time of this status.
    pub at: String,
    /// Round trip of the last liveness ping, in milliseconds, when it took longer than the
    /// slow threshold (1 s): an engine that is slow before it fails. `None` while it answers
    /// promptly, and outside `connected`.
    pub slow_ping_ms: Option<u64>,
    /// A limitation worth showing while connected (a Kubernetes context restricted to its own
    /// namespace because listing all is forbidden).
    pub note: Option<String>,
    /// Only the newest containers are listed yet (a window's first session, see
    /// `WatcherConfig::first_page`): the rest are on their way.
    #[serde(default)]
    pub listing: bool,
}

impl EngineStatus {
    /// `engine` at `endpoint` in `state`, stamped now: nothing learnt about the engine yet (kind,
    /// version) and no connection history. The watcher's first status, and the base of every
    /// synthetic one (benchmarks, tests).
    #[must_use]
    pub fn new(engine: &str, endpoint: &str, state: EngineState) -> Self {
        Self {
            engine: engine.to_owned(),
            endpoint: endpoint.to_owned(),
            kind: None,
            version: None,
            state,
            trigger: None,
            connected_since: None,
            reconnects: 0,
            at: now_rfc3339(),
            slow_ping_ms: None,
            note: None,
            listing: false,
        }
    }
}

impl EngineStatus {
    /// Moves to `state`, stamped now, as every watcher publishes a transition: entering
    /// `connected` starts a connection (`connected_since` now), any other state has none, and a
    /// slowness mark belonged to the connection that ended.
    pub fn enter(&mut self, state: EngineState, trigger: Option<AttemptTrigger>) {
        self.state = state;
        self.trigger = trigger;
        self.at = now_rfc3339();
        self.slow_ping_ms = None;
        // A session that ends before its whole list has nothing left to list.
        self.listing = false;
        self.connected_since = (self.state == EngineState::Connected).then(|| self.at.clone());
    }
}

/// RFC 3339 with milliseconds, in UTC, as every timestamp Skiff prints.
#[must_use]
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
