//! Tauri commands: validate arguments, call the core, return generated IPC types.
//!
//! Every argument from the webview is treated as hostile: engine ids must name a watched
//! engine, container ids must be hex, and errors come back typed (`{kind, message}`).

use skiff::ipc::IpcError;
use skiff::registry::{Action, ActionError, ActionOutcome, EventRecord, Registry, Snapshot};
use tauri::State;

use skiff::settings::Settings;
use skiff::telemetry::TelemetryReport;

use crate::telemetry::TelemetryState;

/// The whole registry, for first paint, reloads and after a gap in deltas.
#[tauri::command]
pub fn snapshot(registry: State<'_, Registry>) -> Snapshot {
    registry.snapshot()
}

/// Recent engine events for the Events page.
#[tauri::command]
pub fn events_history(registry: State<'_, Registry>) -> Vec<EventRecord> {
    registry.history()
}

/// "Retry now": skips the reconnect timer of one engine, or of all with `null`.
#[tauri::command]
pub fn retry_now(registry: State<'_, Registry>, engine: Option<String>) -> Result<usize, IpcError> {
    if let Some(e) = &engine {
        known_engine(&registry, e)?;
    }
    Ok(registry.retry_now(engine.as_deref()))
}

/// Runs an action and resolves once the engine confirmed it.
#[tauri::command]
pub async fn container_action(
    registry: State<'_, Registry>,
    telemetry: State<'_, TelemetryState>,
    engine: String,
    id: String,
    action: Action,
    force: Option<bool>,
) -> Result<ActionOutcome, ActionError> {
    known_engine(&registry, &engine).map_err(|e| ActionError {
        kind: skiff::registry::ActionErrorKind::NotFound,
        message: e.message,
    })?;
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ActionError {
            kind: skiff::registry::ActionErrorKind::NotFound,
            message: "container id must be 1 to 64 hexadecimal characters".to_owned(),
        });
    }
    let result = registry
        .act(&engine, &id, action, force.unwrap_or(false))
        .await;
    if let Err(e) = &result {
        // Low cardinality only: which action, which class of failure. Never the container.
        telemetry.handle().record(
            "action_failed",
            serde_json::json!({"action": action, "kind": e.kind}),
        );
    }
    result
}

fn known_engine(registry: &Registry, engine: &str) -> Result<(), IpcError> {
    if registry.engines().iter().any(|e| e.id == engine) {
        Ok(())
    } else {
        Err(IpcError::invalid_argument(format!(
            "unknown engine {:?}",
            engine.chars().take(64).collect::<String>()
        )))
    }
}

/// The health report (engines, handlers, telemetry counters, this process).
#[tauri::command]
pub fn ping(
    registry: State<'_, Registry>,
    telemetry: State<'_, TelemetryState>,
    probe: State<'_, std::sync::Mutex<skiff::health::ProcessProbe>>,
) -> skiff::health::PingReport {
    skiff::health::ping(
        &registry,
        &telemetry.handle(),
        &mut probe.lock().expect("lock"),
    )
}

/// What telemetry recorded, queued and sent, and the consent.
#[tauri::command]
pub fn telemetry_report(telemetry: State<'_, TelemetryState>) -> Result<TelemetryReport, IpcError> {
    Ok(telemetry.report()?)
}

/// The consent switch (the first-run banner and the Telemetry page).
#[tauri::command]
pub fn set_telemetry_consent(
    telemetry: State<'_, TelemetryState>,
    registry: State<'_, Registry>,
    enabled: bool,
) -> Result<(), IpcError> {
    Ok(telemetry.set_consent(enabled, &registry)?)
}

/// Recent alerts (shown as notifications or not), newest first, for the Health page.
#[tauri::command]
pub fn recent_alerts(
    notifications: State<'_, crate::notifications::Notifications>,
) -> Vec<skiff::health::alerts::AlertRecord> {
    notifications.recent()
}

/// The shared `settings.json` (the CLI reads the same file).
#[tauri::command]
pub fn get_settings() -> Result<Settings, IpcError> {
    Ok(Settings::load()?)
}

/// Validates and saves the Settings page. Notifications switch at once; endpoints and backoff
/// apply at the next start (the page says so).
#[tauri::command]
pub fn save_settings(
    notifications: State<'_, crate::notifications::Notifications>,
    settings: Settings,
) -> Result<Settings, IpcError> {
    settings.validate()?;
    let merged = Settings::load()?.with_edit(settings);
    merged.save()?;
    notifications.set_enabled(merged.notifications);
    Ok(merged)
}
