//! What subscribers of the registry receive.

use std::sync::Arc;

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
    // Shared with the store that made it: every subscriber's clone of a delta (see
    // `Change::Upsert`) counts a reference instead of copying the name.
    #[ts(type = "string")]
    pub engine: Arc<str>,
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
    /// Shared, not copied: the fan-out hands every subscriber its own clone of a delta (a
    /// dozen handlers in the app), and the store keeps the same row. A clone is a count, not
    /// the row's ten strings again; the store copies a row only when it changes one a
    /// subscriber still holds (`Arc::make_mut`).
    Upsert {
        container: Arc<Container>,
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
