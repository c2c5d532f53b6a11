//! Container alerts in the hub: what the crash watch (`crate::crash_watch`) found, fanned out to
//! every consumer (`skiff watch`, the window, the tray, notifications) and kept as a short list
//! for the window's Alerts page. The hub only carries and keeps them; deciding is the crash
//! watch's work.
//!
//! The engine events the crash watch decides from reach it as [`Happening`]s, on a broadcast
//! of their own ([`Registry::subscribe_happenings`]): every container event the store applied
//! (a duplicate the store dropped is not one) and every event replayed to fill a gap, marked as
//! such. Not in the main fan-out: every other consumer would receive, count and drop them.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use tokio::sync::broadcast;

use super::hub::{Registry, RegistryEvent};
use crate::engine::events::RawEvent;

/// Alerts the hub keeps for the window (the newest; older ones are in the crash watch's record).
pub const KEPT_ALERTS: usize = 50;

/// Which rule raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "AlertRule.ts")]
pub enum AlertRule {
    Crashed,
    OomKilled,
    Unhealthy,
    RestartLoop,
    /// A restart loop's container stayed up: the loop's episode is over.
    Recovered,
}

impl AlertRule {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Crashed => "crashed",
            Self::OomKilled => "oom_killed",
            Self::Unhealthy => "unhealthy",
            Self::RestartLoop => "restart_loop",
            Self::Recovered => "recovered",
        }
    }
}

/// How the change was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "AlertDetected.ts")]
pub enum Detected {
    /// From the live event stream.
    Live,
    /// From the events an engine replayed after a reconnect (it happened during the gap).
    Replay,
    /// From a relist: the container, last seen running, had exited (the events were not
    /// there to say when: its time is the engine's `FinishedAt`).
    Resync,
}

/// The container an alert is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "AlertedContainer.ts")]
pub struct AlertedContainer {
    pub id: String,
    pub name: String,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "ContainerAlert.ts")]
pub struct ContainerAlert {
    pub engine: String,
    pub rule: AlertRule,
    pub container: AlertedContainer,
    /// The main process's exit code (`None` for `unhealthy` and `recovered`).
    pub exit_code: Option<i64>,
    pub detected: Detected,
    /// Engine time of the change, nanoseconds since the epoch.
    #[ts(type = "number")]
    pub at: i64,
    /// The container's last log lines when the alert was raised (at most 20, each cut at 512
    /// bytes), oldest first; empty when the log could not be read.
    pub log: Vec<String>,
}

/// A container event for the crash watch.
#[derive(Debug, Clone)]
pub struct Happening {
    pub engine: String,
    /// Boxed for the same reason as `RegistryEvent::Engine`'s status: its channel is a ring of
    /// `FANOUT_CAPACITY` slots of this struct's size, made whole with the registry.
    pub event: Box<RawEvent>,
    /// Replayed after a reconnect: it happened while Skiff was not connected.
    pub replayed: bool,
}
const _: () = assert!(std::mem::size_of::<Happening>() <= 64);

impl Registry {
    /// Fans `alert` out and keeps it for [`Registry::alerts`].
    pub fn publish_alert(&self, alert: ContainerAlert) {
        {
            let mut state = self.lock();
            keep(&mut state.alerts, alert.clone());
        }
        let _ = self.inner.tx.send(RegistryEvent::Alert(Box::new(alert)));
    }

    /// Puts back the alerts of an earlier run (oldest first), without fanning them out.
    pub fn restore_alerts(&self, alerts: impl IntoIterator<Item = ContainerAlert>) {
        let mut state = self.lock();
        for alert in alerts {
            keep(&mut state.alerts, alert);
        }
    }

    /// The alerts kept, oldest first.
    #[must_use]
    pub fn alerts(&self) -> Vec<ContainerAlert> {
        self.lock().alerts.iter().cloned().collect()
    }

    /// The container events, from now on (subscribe before the sources start).
    #[must_use]
    pub fn subscribe_happenings(&self) -> broadcast::Receiver<Happening> {
        self.inner.happenings.subscribe()
    }

    /// Empties the list (the window's "Clear").
    pub fn clear_alerts(&self) {
        self.lock().alerts.clear();
    }
}

fn keep(alerts: &mut VecDeque<ContainerAlert>, alert: ContainerAlert) {
    if alerts.len() == KEPT_ALERTS {
        alerts.pop_front();
    }
    alerts.push_back(alert);
}

/// Sends a container event to the crash watch's channel (nobody listening is fine).
pub(super) fn happened(
    tx: &broadcast::Sender<Happening>,
    engine: &str,
    event: RawEvent,
    replayed: bool,
) {
    let _ = tx.send(Happening {
        engine: engine.to_owned(),
        event: Box::new(event),
        replayed,
    });
}
