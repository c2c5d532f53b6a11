//! Health: the at-a-glance state of all engines (tray colour and tooltip), the `ping` report,
//! Skiff's own process figures, and the alerts that become desktop notifications.
//!
//! Kept in the core (not the shell) because these are rules of the product: green when every
//! enabled engine is connected, amber while some are reconnecting, red when none is connected;
//! one notification per episode, never one per event.

use std::fmt::Write as _;

use serde::Serialize;
use ts_rs::TS;

pub mod alerts;
mod process;

pub use alerts::{Alert, AlertConfig, AlertKind, AlertPolicy};
pub use process::{ProcessProbe, ProcessReport};

use crate::container::Container;
use crate::registry::{metrics::QUEUE_THRESHOLD, HandlerReport, Registry};
use crate::telemetry::{Telemetry, TelemetryCounters};
use crate::watcher::{EngineState, EngineStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "Overall.ts")]
pub enum Overall {
    /// Every enabled engine is connected.
    AllConnected,
    /// Some are connected, some are not.
    Degraded,
    /// No engine is connected (or there is none).
    NoneConnected,
}

/// The overall state of `statuses` (disabled engines do not count).
#[must_use]
pub fn overall(statuses: &[EngineStatus]) -> Overall {
    let enabled: Vec<&EngineStatus> = statuses
        .iter()
        .filter(|s| s.state != EngineState::Disabled)
        .collect();
    let connected = enabled
        .iter()
        .filter(|s| s.state == EngineState::Connected)
        .count();
    match (connected, enabled.len()) {
        (0, _) => Overall::NoneConnected,
        (c, n) if c == n => Overall::AllConnected,
        _ => Overall::Degraded,
    }
}

/// The tray tooltip: one line per engine with its state and container counts.
#[must_use]
pub fn tooltip(statuses: &[EngineStatus], containers: &[Container]) -> String {
    if statuses.is_empty() {
        return "Skiff: no container engine found".to_owned();
    }
    let mut text = String::from("Skiff");
    for s in statuses {
        let rows = containers.iter().filter(|c| c.engine == s.engine);
        let (running, total) = rows.fold((0, 0), |(r, t), c| {
            (r + usize::from(c.state == "running"), t + 1)
        });
        let _ = write!(text, "\n{}: {}", s.engine, s.state.name());
        if s.state == EngineState::Connected {
            let _ = write!(text, ", {running}/{total} running");
        }
    }
    text
}

/// The tray menu's first line (a disabled item): the overall state in a few words. On Linux the
/// tray is an AppIndicator, which shows no tooltip, so this line is where the tray says what its
/// colour means; macOS and Windows show it too, above the actions.
#[must_use]
pub fn summary(statuses: &[EngineStatus]) -> String {
    let enabled = statuses
        .iter()
        .filter(|s| s.state != EngineState::Disabled)
        .count();
    let connected = statuses
        .iter()
        .filter(|s| s.state == EngineState::Connected)
        .count();
    match overall(statuses) {
        Overall::AllConnected if enabled == 1 => "Engine connected".to_owned(),
        Overall::AllConnected => format!("All {enabled} engines connected"),
        Overall::Degraded => format!("{connected} of {enabled} engines connected"),
        Overall::NoneConnected if enabled == 0 => "No container engine found".to_owned(),
        Overall::NoneConnected => "No engine reachable".to_owned(),
    }
}

/// One engine in the ping report.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "EnginePing.ts")]
pub struct EnginePing {
    pub id: String,
    pub kind: Option<crate::engine::EngineKind>,
    pub endpoint: String,
    pub state: String,
    pub version: Option<String>,
    pub connected_since: Option<String>,
    pub reconnects: u64,
    pub error: Option<crate::engine::ErrorInfo>,
}

/// The health report: `skiff ping`, the `ping` command, the Health page.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "PingReport.ts")]
pub struct PingReport {
    pub engines: Vec<EnginePing>,
    pub handlers: Vec<HandlerReport>,
    pub telemetry: TelemetryCounters,
    pub process: ProcessReport,
    /// Every enabled engine connected and no handler over its queue threshold.
    pub healthy: bool,
}

#[must_use]
pub fn ping(registry: &Registry, telemetry: &Telemetry, probe: &mut ProcessProbe) -> PingReport {
    let snapshot = registry.snapshot();
    let engines: Vec<EnginePing> = snapshot
        .engines
        .iter()
        .map(|s| EnginePing {
            id: s.engine.clone(),
            kind: s.kind,
            endpoint: s.endpoint.clone(),
            state: s.state.name().to_owned(),
            version: s.version.clone(),
            connected_since: s.connected_since.clone(),
            reconnects: s.reconnects,
            error: match &s.state {
                EngineState::Reconnecting { error, .. } | EngineState::Unavailable { error } => {
                    Some(error.clone())
                }
                _ => None,
            },
        })
        .collect();
    let handlers = registry.handler_reports();
    let all_engines = registry.engine_ids().len();
    let healthy = engines.len() == all_engines
        && snapshot
            .engines
            .iter()
            .all(|s| matches!(s.state, EngineState::Connected | EngineState::Disabled))
        && handlers.iter().all(|h| h.queue_depth <= QUEUE_THRESHOLD);
    PingReport {
        engines,
        handlers,
        telemetry: telemetry.counters(),
        process: probe.sample(),
        healthy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{ErrorInfo, FailureKind};

    fn status(engine: &str, state: EngineState) -> EngineStatus {
        EngineStatus::new(engine, "", state)
    }

    fn down() -> EngineState {
        EngineState::Reconnecting {
            attempt: 1,
            retry_in_ms: Some(500),
            error: ErrorInfo {
                kind: FailureKind::NotRunning,
                message: String::new(),
                remedy: None,
            },
        }
    }

    #[test]
    fn summary_says_what_the_colour_means() {
        let up = status("a", EngineState::Connected);
        assert_eq!(summary(std::slice::from_ref(&up)), "Engine connected");
        assert_eq!(
            summary(&[up.clone(), up.clone()]),
            "All 2 engines connected"
        );
        assert_eq!(
            summary(&[
                up.clone(),
                status("b", down()),
                status("c", EngineState::Disabled)
            ]),
            "1 of 2 engines connected"
        );
        assert_eq!(summary(&[status("b", down())]), "No engine reachable");
        assert_eq!(summary(&[]), "No container engine found");
    }

    #[test]
    fn green_amber_red() {
        let up = status("a", EngineState::Connected);
        assert_eq!(overall(std::slice::from_ref(&up)), Overall::AllConnected);
        assert_eq!(
            overall(&[up.clone(), status("b", down())]),
            Overall::Degraded
        );
        assert_eq!(overall(&[status("b", down())]), Overall::NoneConnected);
        assert_eq!(overall(&[]), Overall::NoneConnected);
        assert_eq!(
            overall(&[up, status("c", EngineState::Disabled)]),
            Overall::AllConnected
        );
    }

    #[test]
    fn the_tooltip_lists_engines_with_counts() {
        let c = |engine: &str, state: &str| Container::new(engine, "", "", state);
        let text = tooltip(
            &[
                status("podman", EngineState::Connected),
                status("docker", down()),
            ],
            &[c("podman", "running"), c("podman", "exited")],
        );
        assert_eq!(
            text,
            "Skiff\npodman: connected, 1/2 running\ndocker: reconnecting"
        );
    }
}
