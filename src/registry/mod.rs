//! The registry: every engine's containers, kept from the watchers' streams and fanned out to
//! subscribers as deltas.
//!
//! - [`store`]: one engine's container set (Init … InitDone swap, per-event apply).
//! - [`objects`]: one engine's images, volumes, networks and pods, kept the same way; their
//!   actions (`object_actions`) and compose projects as one (`project`).
//! - [`delta`]: what subscribers receive.
//! - [`Registry`] (`hub`): the live part: sources attached, appliers, fan-out, snapshots. It
//!   starts no source itself (`crate::app` does); data flows one way, engine → source →
//!   supervisor → store → hub → consumers.
//! - [`alert`]: the container events the crash watch reads, and the alerts it raises, carried
//!   and kept (the last 50) for every consumer.
//! - `consume`: the one loop every consumer runs (metrics, lag, resync); [`batch`]: runs of
//!   deltas handed on as one message, for the UI bridge.
//! - actions (`Registry::act`): single-flight container actions, confirmed by the engine's event.
//! - `query`: finding a container by id, name or prefix.
//! - [`revival`]: when a container's stream (log, stats) may be read again after it ended.
//! - supervision (`Registry::spawn_supervised`): an engine task that panics is shown, not hidden.
//!
//! # Bounds
//!
//! Everything kept is bounded by count and by bytes, whatever an engine or a webview sends. Per
//! item, every text field of a row, an event record or a delta is cut at
//! [`crate::container::FIELD_CAP`] (1 KiB), so a bound in count is a bound in bytes.
//!
//! | collection | bound |
//! |---|---|
//! | an engine's rows (`store`) | O(containers): a `create` adds a real row; a state change of an id neither listed nor created invents one (its `create` was lost), at most 1024 until the next relist, which drops what the engine does not have |
//! | an engine's images, volumes, networks, pods (`objects`) | O(objects), each with its text fields within `FIELD_CAP` and at most 256 tags or users; one refresh per event of their kinds (no row is invented from an event) |
//! | per-container event times (`store`) | only for rows held, dropped with them (a flood of `kill`s for random ids adds nothing) |
//! | de-duplication window (`store`) | 4096 keys |
//! | history (Events page) | 1000 records |
//! | alerts kept (Alerts page) | 50 |
//! | fan-out (broadcast) | 8192 items per subscriber; one further behind is resynced from a snapshot |
//! | watcher → applier queue | 1024 items (backpressure onto the stream) |
//! | events buffered during a list (`watcher`) | 10,000 events and 32 MiB, then the session relists |
//! | an event line (`engine::events`) | 1 MiB, longer ones skipped |
//! | a list body (`engine::client`) | 64 MiB, then a `protocol` error |
//! | handlers (Health) | live consumers only: one whose metrics are dropped is pruned |
//! | waiters and flights (actions) | one per container acted on, removed on every way out |
//! | telemetry outbox / sent log | 1000 / 100 events, read back line by line (64 KiB a line) |
//! | telemetry commands | 1024 queued, then counted as dropped |
//! | a collector's answer | 64 KiB read |
//! | log files | 7 daily files of at most 64 MiB each (`logs::capped`) |

mod actions;
pub mod alert;
pub mod batch;
mod consume;
pub mod delta;
mod history;
mod hub;
mod lost;
pub mod metrics;
pub mod object_actions;
pub mod objects;
mod project;
mod query;
pub mod revival;
mod snapshot;
pub mod store;
mod supervise;
pub mod synthetic;

pub use actions::{
    Action, ActionError, ActionErrorKind, ActionOutcome, CallError, Confirmation, EngineActions,
    CONFIRM_TIMEOUT,
};
pub use alert::{AlertRule, AlertedContainer, ContainerAlert, Detected, Happening};
pub use consume::{Consumer, Feed, Handled};
pub use delta::{Change, Delta};
pub use history::{HistoryPage, HISTORY};
pub use hub::{EventRecord, Ports, Registry, RegistryEvent, Snapshot};
pub use metrics::{HandlerMetrics, HandlerReport};
pub use revival::{reread, Ended, Reread, Revival, Step, Wake};
pub use snapshot::{SnapshotRef, SnapshotStamp};
pub use store::EngineStore;
