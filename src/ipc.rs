//! Payload types shared with the UI, and their TypeScript bindings.
//!
//! The bindings are generated with ts-rs into `ui/src/lib/ipc/bindings/` and committed, so the UI
//! builds without Rust. `tests/bindings.rs` regenerates them and fails when they differ from the
//! committed files (run `make bindings` to update them).

use std::path::Path;

use ts_rs::{Config, ExportError, TS};

pub use crate::container::Container;
pub use crate::engine::client::EngineKind;
pub use crate::engine::error::{ErrorInfo, FailureKind};
pub use crate::settings::{EndpointSetting, Settings};

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
    Ok(())
}
