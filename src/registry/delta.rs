//! What subscribers of the registry receive.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::container::Container;

/// One change of one engine's container set.
///
/// `rev` increases by one with every delta of an engine, so a subscriber that sees a gap (or was
/// told it lagged) knows it missed something and asks for a snapshot instead of guessing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "Delta.ts")]
pub struct Delta {
    pub engine: String,
    pub rev: u64,
    #[serde(flatten)]
    pub change: Change,
}

/// The kinds of change.
///
/// A resync is `ResyncStart`, one `Upsert` per listed container, a `Remove` per container that
/// vanished while Skiff was not looking, and `ResyncDone`: the stream alone rebuilds the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "op", rename_all = "snake_case")]
#[ts(export_to = "Change.ts")]
pub enum Change {
    /// Boxed: deltas sit in the fan-out ring, and most are small.
    Upsert {
        container: Box<Container>,
    },
    Remove {
        id: String,
    },
    ResyncStart {
        containers: u64,
    },
    ResyncDone {
        containers: u64,
    },
}
