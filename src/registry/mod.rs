//! The registry: every engine's containers, kept from the watchers' streams and fanned out to
//! subscribers as deltas.
//!
//! - [`store`]: one engine's container set (Init … InitDone swap, per-event apply).
//! - [`delta`]: what subscribers receive.
//! - [`Registry`]: the live part: watchers, appliers, fan-out, snapshots.
//! - actions (`Registry::act`): single-flight container actions, confirmed by the engine's event.
//! - supervision (`Registry::spawn_supervised`): an engine task that panics is shown, not hidden.

mod actions;
pub mod delta;
pub mod metrics;
mod shared;
pub mod store;
mod supervise;
pub mod synthetic;

pub use actions::{
    Action, ActionError, ActionErrorKind, ActionOutcome, Confirmation, ObjectActions,
    CONFIRM_TIMEOUT,
};
pub use delta::{Change, Delta};
pub use metrics::{HandlerMetrics, HandlerReport};
pub use shared::{EventRecord, Registry, RegistryEvent, Snapshot};
pub use store::EngineStore;
