//! Outages as episodes: one `engine_connection_lost` when an outage starts and one
//! `engine_connection_restored` when it ends, with its duration, attempts and the error kinds
//! seen. Podman Desktop sent one event per failed attempt (~3,000 from 30 users in a few days);
//! an outage here is two events, however long it lasts.
//!
//! An outage that never ends is summarised (`engine_connection_outage_ongoing`) when the app
//! quits, or every 24 h while it goes on.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::TelemetryEvent;
use crate::watcher::{EngineState, EngineStatus};

/// How often an outage that goes on is summarised.
pub const ONGOING_EVERY: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug)]
struct Outage {
    started: Instant,
    last_summary: Instant,
    attempts: u32,
    kinds: BTreeMap<&'static str, u64>,
    engine_kind: String,
}

/// Turns a stream of engine statuses into episode events.
#[derive(Debug, Default)]
pub struct OutageTracker {
    open: HashMap<String, Outage>,
    kinds: HashMap<String, String>,
}

impl OutageTracker {
    /// Feeds one status; returns the event it starts or ends, if any.
    pub fn observe(&mut self, s: &EngineStatus) -> Option<TelemetryEvent> {
        if let Some(kind) = s.kind {
            self.kinds.insert(s.engine.clone(), kind.to_string());
        }
        let engine_kind = self.kinds.get(&s.engine).cloned().unwrap_or_else(|| {
            // Never the context's name (it may name a company or a customer): only the kind.
            if crate::kubernetes::is_kube(&s.engine) {
                "kubernetes"
            } else {
                "unknown"
            }
            .to_owned()
        });
        match &s.state {
            EngineState::Reconnecting { attempt, error, .. } => {
                let kind = error.kind.as_str();
                if let Some(o) = self.open.get_mut(&s.engine) {
                    o.attempts = o.attempts.max(*attempt);
                    *o.kinds.entry(kind).or_default() += 1;
                    return None;
                }
                Some(self.start(&s.engine, engine_kind, kind, *attempt))
            }
            EngineState::Unavailable { error } => {
                let kind = error.kind.as_str();
                if let Some(o) = self.open.get_mut(&s.engine) {
                    *o.kinds.entry(kind).or_default() += 1;
                    return None;
                }
                Some(self.start(&s.engine, engine_kind, kind, 1))
            }
            EngineState::Connected => {
                let o = self.open.remove(&s.engine)?;
                Some(TelemetryEvent::new(
                    "engine_connection_restored",
                    json!({
                        "engine_kind": o.engine_kind,
                        "duration_s": o.started.elapsed().as_secs(),
                        "attempts": o.attempts,
                        "error_kinds": o.kinds,
                    }),
                ))
            }
            // A disabled engine is the user's choice, not an outage.
            EngineState::Disabled => {
                self.open.remove(&s.engine);
                None
            }
            EngineState::Connecting => None,
        }
    }

    fn start(
        &mut self,
        engine: &str,
        engine_kind: String,
        kind: &'static str,
        attempts: u32,
    ) -> TelemetryEvent {
        let now = Instant::now();
        self.open.insert(
            engine.to_owned(),
            Outage {
                started: now,
                last_summary: now,
                attempts,
                kinds: BTreeMap::from([(kind, 1)]),
                engine_kind: engine_kind.clone(),
            },
        );
        TelemetryEvent::new(
            "engine_connection_lost",
            json!({"engine_kind": engine_kind, "error_kind": kind}),
        )
    }

    /// Summaries of outages still open: all of them when `quitting`, else those not summarised
    /// for [`ONGOING_EVERY`].
    pub fn ongoing(&mut self, quitting: bool) -> Vec<TelemetryEvent> {
        let now = Instant::now();
        self.open
            .values_mut()
            .filter(|o| quitting || now.duration_since(o.last_summary) >= ONGOING_EVERY)
            .map(|o| {
                o.last_summary = now;
                TelemetryEvent::new(
                    "engine_connection_outage_ongoing",
                    json!({
                        "engine_kind": o.engine_kind,
                        "duration_s": o.started.elapsed().as_secs(),
                        "attempts": o.attempts,
                        "error_kinds": o.kinds,
                        "at_quit": quitting,
                    }),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EngineKind, ErrorInfo, FailureKind};

    fn status(state: EngineState) -> EngineStatus {
        EngineStatus {
            kind: Some(EngineKind::Podman),
            ..EngineStatus::new("podman", "unix:///x", state)
        }
    }

    fn reconnecting(attempt: u32, kind: FailureKind) -> EngineState {
        EngineState::Reconnecting {
            attempt,
            retry_in_ms: Some(1000),
            error: ErrorInfo {
                kind,
                message: "x".into(),
                remedy: None,
            },
        }
    }

    #[test]
    fn a_kubernetes_context_is_reported_by_kind_never_by_name() {
        let mut t = OutageTracker::default();
        let s = EngineStatus::new(
            "k8s:acme-prod",
            "https://10.0.0.1:6443/",
            reconnecting(0, FailureKind::NotRunning),
        );
        let lost = t.observe(&s).unwrap();
        assert_eq!(lost.properties["engine_kind"], "kubernetes");
        assert!(!serde_json::to_string(&lost).unwrap().contains("acme"));
    }

    #[tokio::test(start_paused = true)]
    async fn an_outage_of_many_attempts_is_two_events() {
        let mut t = OutageTracker::default();
        assert!(t.observe(&status(EngineState::Connected)).is_none());
        let lost = t
            .observe(&status(reconnecting(0, FailureKind::Transient)))
            .unwrap();
        assert_eq!(lost.name, "engine_connection_lost");
        assert_eq!(lost.properties["engine_kind"], "podman");
        for attempt in 1..=120 {
            let kind = if attempt % 2 == 0 {
                FailureKind::NotRunning
            } else {
                FailureKind::Transient
            };
            assert!(t.observe(&status(reconnecting(attempt, kind))).is_none());
            tokio::time::advance(Duration::from_secs(30)).await;
        }
        let restored = t.observe(&status(EngineState::Connected)).unwrap();
        assert_eq!(restored.name, "engine_connection_restored");
        assert_eq!(restored.properties["attempts"], 120);
        assert_eq!(restored.properties["duration_s"], 3600);
        assert_eq!(restored.properties["error_kinds"]["not_running"], 60);
        assert_eq!(restored.properties["error_kinds"]["transient"], 61);
    }

    #[tokio::test(start_paused = true)]
    async fn an_endless_outage_is_summarised_daily_and_at_quit() {
        let mut t = OutageTracker::default();
        t.observe(&status(reconnecting(1, FailureKind::NotRunning)));
        assert!(t.ongoing(false).is_empty());
        tokio::time::advance(ONGOING_EVERY).await;
        assert_eq!(t.ongoing(false).len(), 1);
        assert!(t.ongoing(false).is_empty(), "once per day");
        let at_quit = t.ongoing(true);
        assert_eq!(at_quit[0].properties["at_quit"], true);
    }
}
