//! Watching a source: one supervisor ([`supervise`]) runs any [`Source`] (a Docker/Podman
//! engine's events stream, [`DockerSource`]; a Kubernetes context's pod watch, in
//! `crate::kubernetes`; the log, stats and exec streams next) and owns the reconnect policy once
//! for all of them.
//!
//! This is kube-runtime's split: a source yields `Init`, `InitApply`, `InitDone` around every
//! (re)list and `Event` for each change, and leaves keeping the list to the registry store; the
//! decision after a failure is [`policy`]'s, the waiting and the status the [`supervisor`]'s,
//! the backoff sequence [`crate::reconnect`]'s.
//!
//! - [`source`]: the trait, and the [`Link`] a source sends on.
//! - [`supervisor`]: status, outage, controls, socket watch, disabled state, liveness.
//! - [`policy`]: what to do after a failure (pure; unit-tested on a paused clock).
//! - [`docker`]: the Docker/Podman source; `open`: its bounded session opening.
//! - [`state`]: the status every consumer reads.
//!
//! A session ends, and the engine is `reconnecting`, when the stream ends or breaks, or when the
//! engine stops answering the liveness ping sent every 30 s.

pub mod docker;
mod open;
pub mod policy;
pub mod source;
pub mod state;
pub mod supervisor;

use std::time::Duration;

use crate::container::Container;
use crate::engine::events::RawEvent;
use crate::engine::Endpoint;
use crate::reconnect::BackoffPolicy;
pub use docker::DockerSource;
pub use open::MAX_BUFFERED_DURING_LIST;
pub use source::{Closed, Connected, Ended, Link, Probe, Source};
pub use state::{now_rfc3339, AttemptTrigger, EngineState, EngineStatus};
pub use supervisor::supervise;

/// What a source tells the registry (through its supervisor).
#[derive(Debug, Clone)]
pub enum WatchEvent {
    Status(EngineStatus),
    /// A relist begins; the store starts a fresh set.
    Init,
    InitApply(Container),
    /// The relist is complete; the store swaps the fresh set in.
    InitDone,
    /// The engine's newest containers, listed before the whole list of a first session (see
    /// [`WatcherConfig::first_page`]): rows to show while the rest is listed. Not a relist:
    /// the store takes them only while it has never held anything, and the relist that
    /// follows replaces them (removing any that went meanwhile).
    FirstRows(Vec<Container>),
    /// An engine event to apply.
    Event(RawEvent),
    /// An event older than the last relist, replayed to fill the gap: for history only.
    History(RawEvent),
    /// One line of the stream was unusable (malformed, oversized); the stream goes on.
    StreamError(String),
    /// Images, volumes, networks, pods: their relist and refreshes (see `registry::objects`).
    Objects(crate::objects::ObjectItem),
    /// A whole object from a list-watch source (Kubernetes): its row as it is now, or `None`
    /// once deleted. `event` says what happened (`pod` `added`/`modified`/`terminating`/
    /// `deleted`), for the events page and for action confirmations.
    Object {
        row: Option<Box<Container>>,
        event: RawEvent,
    },
}

/// Commands from the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Skip the timer and try now (the UI's "Retry now").
    RetryNow,
    /// Enable or disable the engine.
    Enable(bool),
}

/// Which engine to watch.
#[derive(Debug, Clone)]
pub struct EngineSpec {
    pub id: String,
    pub endpoint: Endpoint,
}

/// Timings of the watcher. Defaults are the product's; tests shorten them.
#[derive(Debug, Clone)]
pub struct WatcherConfig {
    pub backoff: BackoffPolicy,
    /// Ping interval while connected; a failed ping is a disconnect.
    pub liveness_interval: Duration,
    /// Longest wait for a ping answer.
    pub ping_timeout: Duration,
    /// A ping slower than this marks the engine slow (shown on its badge before it fails).
    pub slow_ping: Duration,
    /// While a watched socket is absent, the only timed attempt (in case the watch missed it).
    pub safety_check: Duration,
    /// After the socket appears, how long to keep re-trying quickly while the engine finishes
    /// starting (dockerd creates its socket before its API answers).
    pub socket_grace: Duration,
    /// Event types to stream (Podman engines also get `pod` when `image` is asked for).
    pub event_types: Vec<&'static str>,
    /// A window's first session with a Docker or Podman engine lists this many of the newest
    /// containers beside the whole list, and shows them as soon as they arrive: Podman takes
    /// ~0.7 s for 1,000 containers here, most of it per container (it cuts a `limit` list
    /// before that work). `None` (the CLI): a first list is only ever the whole one.
    pub first_page: Option<usize>,
}

impl Default for WatcherConfig {
    fn default() -> Self {
        Self {
            backoff: BackoffPolicy::default(),
            liveness_interval: Duration::from_secs(30),
            ping_timeout: Duration::from_secs(10),
            slow_ping: Duration::from_secs(1),
            safety_check: Duration::from_secs(300),
            socket_grace: Duration::from_secs(5),
            event_types: vec!["container", "image", "volume", "network"],
            first_page: None,
        }
    }
}
