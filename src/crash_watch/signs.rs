//! What an engine's event or list row says about an exit.

use crate::engine::events::RawEvent;

/// The exit code an exit event carries (Docker `exitCode`; Podman also `containerExitCode`).
pub(super) fn exit_code(event: &RawEvent) -> Option<i64> {
    event
        .attribute("exitCode")
        .or_else(|| event.attribute("containerExitCode"))
        .and_then(|c| c.parse().ok())
}

/// The code in a list's status: `Exited (137) 5 seconds ago` (both engines).
pub(super) fn status_exit_code(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    rest[..rest.find(')')?].parse().ok()
}
