//! A telemetry event: a name and low-cardinality properties, nothing that identifies a person,
//! a container, an image, a path or a host.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export_to = "TelemetryEvent.ts")]
pub struct TelemetryEvent {
    pub name: String,
    /// RFC 3339, UTC, milliseconds.
    pub at: String,
    #[ts(type = "Record<string, unknown>")]
    pub properties: serde_json::Map<String, serde_json::Value>,
}

impl TelemetryEvent {
    #[must_use]
    pub fn new(name: &str, properties: serde_json::Value) -> Self {
        Self {
            name: name.to_owned(),
            at: crate::watcher::now_rfc3339(),
            properties: match properties {
                serde_json::Value::Object(map) => map,
                _ => serde_json::Map::new(),
            },
        }
    }
}
