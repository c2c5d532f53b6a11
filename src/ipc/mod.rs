//! Payload types shared with the UI, and their TypeScript bindings.
//!
//! The bindings are generated with ts-rs into `ui/src/lib/ipc/bindings/` and committed, so the UI
//! builds without Rust. `tests/bindings.rs` regenerates them and fails when they differ from the
//! committed files (run `make bindings` to update them).

pub mod contract;
pub mod order;
pub mod wire;

use std::path::Path;

use serde::Serialize;
use ts_rs::{Config, ExportError, TS};

pub use crate::container::Container;
pub use crate::engine::client::EngineKind;
pub use crate::engine::error::{ErrorInfo, FailureKind};
pub use crate::engine::listing::{ContainerList, EngineFailure};
pub use crate::health::{EnginePing, PingReport, ProcessReport};
pub use crate::logs::LogLevel;
pub use crate::reconnect::BackoffPolicy;
pub use crate::registry::{
    Action, ActionError, ActionErrorKind, ActionOutcome, Change, Confirmation, Delta, EventRecord,
    RegistryEvent, Snapshot,
};
pub use crate::settings::{EndpointSetting, Settings};
pub use crate::telemetry::{TelemetryCounters, TelemetryEvent, TelemetryReport};
pub use crate::watcher::{AttemptTrigger, EngineState, EngineStatus};

/// Writes every IPC type (and what it depends on) into `dir`.
///
/// 64-bit integers are emitted as `number`: every value Skiff sends (epoch seconds, counters,
/// revisions) stays far below 2^53, and `bigint` cannot be JSON-decoded by the webview.
pub fn export_bindings(dir: &Path) -> Result<(), ExportError> {
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    Container::export_all(&cfg)?;
    ErrorInfo::export_all(&cfg)?;
    EngineKind::export_all(&cfg)?;
    Settings::export_all(&cfg)?;
    ContainerList::export_all(&cfg)?;
    IpcError::export_all(&cfg)?;
    Snapshot::export_all(&cfg)?;
    wire::WireSnapshot::<'static>::export_all(&cfg)?;
    RegistryEvent::export_all(&cfg)?;
    EventRecord::export_all(&cfg)?;
    crate::registry::HistoryPage::export_all(&cfg)?;
    BackoffPolicy::export_all(&cfg)?;
    Action::export_all(&cfg)?;
    ActionOutcome::export_all(&cfg)?;
    ActionError::export_all(&cfg)?;
    TelemetryCounters::export_all(&cfg)?;
    TelemetryEvent::export_all(&cfg)?;
    TelemetryReport::export_all(&cfg)?;
    PingReport::export_all(&cfg)?;
    crate::health::alerts::AlertRecord::export_all(&cfg)?;
    crate::engine::podman_service::PodmanSetup::export_all(&cfg)?;
    crate::build_info::BuildInfo::export_all(&cfg)?;
    crate::settings::Theme::export_all(&cfg)?;
    crate::container_logs::Line::export_all(&cfg)?;
    crate::container_stats::Sample::export_all(&cfg)?;
    crate::container_stats::ContainerRef::export_all(&cfg)?;
    crate::terminal::TerminalOptions::export_all(&cfg)?;
    crate::terminal::TerminalOpened::export_all(&cfg)?;
    crate::engine::Ending::export_all(&cfg)?;
    crate::objects::actions::PullProgress::export_all(&cfg)?;
    crate::objects::actions::PruneTarget::export_all(&cfg)?;
    crate::objects::actions::PruneReport::export_all(&cfg)?;
    crate::objects::actions::DiskUse::export_all(&cfg)?;
    crate::objects::pods::PodAction::export_all(&cfg)?;
    crate::registry::objects::ObjectDelta::export_all(&cfg)?;
    crate::engine::configured::ToolEngine::export_all(&cfg)?;
    std::fs::write(dir.join("contract.ts"), contract::typescript(&cfg))?;
    Ok(())
}

/// What a failed command returns to the UI: a kind it can switch on, and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export_to = "IpcError.ts")]
pub struct IpcError {
    pub kind: IpcErrorKind,
    pub message: String,
}

/// The classes of command failure. Engine failures keep their engine class so the UI can tell
/// `permission_denied` from `not_running`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "IpcErrorKind.ts")]
pub enum IpcErrorKind {
    /// An argument failed validation (bad id, name, URL or path).
    InvalidArgument,
    /// `settings.json` could not be read or written.
    Settings,
    /// No engine could be found or reached.
    Engine,
    /// The desktop could not do it: no log folder, no file manager to open one.
    Unavailable,
}

impl IpcError {
    #[must_use]
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self {
            kind: IpcErrorKind::InvalidArgument,
            message: message.into(),
        }
    }
}

impl IpcError {
    #[must_use]
    pub fn engine(message: impl Into<String>) -> Self {
        Self {
            kind: IpcErrorKind::Engine,
            message: message.into(),
        }
    }

    #[must_use]
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            kind: IpcErrorKind::Unavailable,
            message: message.into(),
        }
    }
}

impl From<crate::objects::actions::ObjectError> for IpcError {
    fn from(e: crate::objects::actions::ObjectError) -> Self {
        Self::engine(e.to_string())
    }
}

impl From<crate::engine::ActionError> for IpcError {
    fn from(e: crate::engine::ActionError) -> Self {
        match e.kind {
            crate::engine::ActionErrorKind::Invalid => Self::invalid_argument(e.message),
            _ => Self::engine(e.message),
        }
    }
}

impl From<crate::logs::LogError> for IpcError {
    fn from(e: crate::logs::LogError) -> Self {
        Self::unavailable(e.to_string())
    }
}

impl From<crate::engine::podman_service::ServiceError> for IpcError {
    fn from(e: crate::engine::podman_service::ServiceError) -> Self {
        Self {
            kind: IpcErrorKind::Engine,
            message: e.to_string(),
        }
    }
}

impl From<crate::settings::InvalidSetting> for IpcError {
    fn from(e: crate::settings::InvalidSetting) -> Self {
        Self::invalid_argument(e.to_string())
    }
}

impl From<crate::settings::SettingsError> for IpcError {
    fn from(e: crate::settings::SettingsError) -> Self {
        Self {
            kind: IpcErrorKind::Settings,
            message: e.to_string(),
        }
    }
}
