//! Alerts: what becomes a desktop notification, decided once per episode.
//!
//! Two things deserve interrupting a developer:
//! - an engine that **becomes** unavailable for a reason waiting cannot fix (`not_running`,
//!   `permission_denied`, `incompatible`, `protocol`). "Becomes": it was connected earlier in this
//!   session, or the failure needs the user whatever happened before (`permission_denied`,
//!   `incompatible`). An engine that is simply not running when Skiff starts is shown by the
//!   window's banner, not announced: Skiff is opened beside engines that are often stopped.
//! - a handler whose queue stays above its threshold for more than `sustain` (a stuck or slow
//!   consumer), sampled every `sample_every` so that a handler that stopped reporting is seen too.
//!   Sampling stops while the registry is quiet and no queue episode is open: queues only fill
//!   when items flow, and every item reaches this consumer too, which arms sampling again.
//!
//! Each raise opens an episode; the episode's "recovered" is sent only if its raise was, and a
//! subject that raised recently (`cooldown`) does not raise again: an engine or a queue that
//! flaps costs one notification pair, not a storm. Transient failures never notify: they are
//! retried with backoff and shown in the window.
//!
//! [`AlertPolicy`] is pure (time is passed in) and tested on its own; [`run`] feeds it from the
//! registry and hands alerts to whoever shows them (the desktop shell's notifications).

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;
use ts_rs::TS;

use crate::engine::{ErrorInfo, FailureKind};
use crate::registry::{metrics::QUEUE_THRESHOLD, Consumer, Feed, Handled, HandlerReport, Registry};
use crate::shutdown::Shutdown;
use crate::watcher::{EngineState, EngineStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "AlertKind.ts")]
pub enum AlertKind {
    EngineDown,
    EngineRecovered,
    QueueBacklog,
    QueueRecovered,
}

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "Alert.ts")]
pub struct Alert {
    pub kind: AlertKind,
    /// The engine id or handler name the alert is about.
    pub subject: String,
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct AlertConfig {
    /// Queue depth above which a handler is backlogged.
    pub queue_threshold: u64,
    /// How long a queue must stay above the threshold before it is announced.
    pub sustain: Duration,
    /// How often handler queues are sampled.
    pub sample_every: Duration,
    /// After a raise, the same subject stays quiet this long.
    pub cooldown: Duration,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self {
            queue_threshold: QUEUE_THRESHOLD,
            // "More than a few seconds": long enough that a burst (a `compose up` of 50
            // services) never notifies, short enough that a stuck handler is noticed at once.
            sustain: Duration::from_secs(5),
            sample_every: Duration::from_secs(1),
            cooldown: Duration::from_secs(10 * 60),
        }
    }
}

#[derive(Debug, Default)]
struct Episode {
    /// When the current condition started (queues: above threshold since).
    since: Option<Instant>,
    /// Whether this episode's raise was shown.
    shown: bool,
    last_raised: Option<Instant>,
    /// Engines: connected at least once in this session.
    was_connected: bool,
}

impl Episode {
    fn may_raise(&self, now: Instant, cooldown: Duration) -> bool {
        !self.shown
            && self
                .last_raised
                .is_none_or(|t| now.duration_since(t) >= cooldown)
    }

    fn raise(&mut self, now: Instant) {
        self.shown = true;
        self.last_raised = Some(now);
    }
}

/// Decides which engine statuses and queue samples become alerts.
#[derive(Debug, Default)]
pub struct AlertPolicy {
    config: AlertConfig,
    engines: HashMap<String, Episode>,
    queues: HashMap<String, Episode>,
}

impl AlertPolicy {
    #[must_use]
    pub fn new(config: AlertConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// Feeds one engine status; returns the alert it causes, if any.
    pub fn engine(&mut self, status: &EngineStatus, now: Instant) -> Option<Alert> {
        let cooldown = self.config.cooldown;
        let episode = self.engines.entry(status.engine.clone()).or_default();
        match &status.state {
            EngineState::Connected => {
                episode.was_connected = true;
                let shown = std::mem::take(&mut episode.shown);
                shown.then(|| Alert {
                    kind: AlertKind::EngineRecovered,
                    subject: status.engine.clone(),
                    title: format!("{} is back", status.engine),
                    body: "Connected again; the container list is up to date.".to_owned(),
                })
            }
            EngineState::Disabled => {
                // Turned off by the user: the episode ends without a "recovered".
                episode.shown = false;
                None
            }
            EngineState::Connecting => None,
            EngineState::Reconnecting { error, .. } | EngineState::Unavailable { error } => {
                let needs_user = matches!(
                    error.kind,
                    FailureKind::PermissionDenied | FailureKind::Incompatible
                );
                let announce = error.kind != FailureKind::Transient
                    && (episode.was_connected || needs_user)
                    && episode.may_raise(now, cooldown);
                if !announce {
                    return None;
                }
                episode.raise(now);
                Some(Alert {
                    kind: AlertKind::EngineDown,
                    subject: status.engine.clone(),
                    title: format!("{} is unavailable", status.engine),
                    body: down_body(error),
                })
            }
        }
    }

    /// Feeds one sample of every handler's queue; returns the alerts it causes.
    pub fn queues(&mut self, reports: &[HandlerReport], now: Instant) -> Vec<Alert> {
        let config = &self.config;
        let mut alerts = Vec::new();
        for report in reports {
            let episode = self.queues.entry(report.name.clone()).or_default();
            if report.queue_depth > config.queue_threshold {
                let since = *episode.since.get_or_insert(now);
                if now.duration_since(since) >= config.sustain
                    && episode.may_raise(now, config.cooldown)
                {
                    episode.raise(now);
                    alerts.push(Alert {
                        kind: AlertKind::QueueBacklog,
                        subject: report.name.clone(),
                        title: "Skiff is falling behind".to_owned(),
                        body: format!(
                            "{} has {} events waiting (threshold {}).",
                            report.name, report.queue_depth, config.queue_threshold
                        ),
                    });
                }
            } else if report.queue_depth <= config.queue_threshold / 2 {
                // Hysteresis: a queue hovering at the threshold neither clears nor re-raises.
                episode.since = None;
                if std::mem::take(&mut episode.shown) {
                    alerts.push(Alert {
                        kind: AlertKind::QueueRecovered,
                        subject: report.name.clone(),
                        title: "Skiff has caught up".to_owned(),
                        body: format!("{} has processed its backlog.", report.name),
                    });
                }
            }
        }
        alerts
    }

    /// A queue is above its threshold, or its backlog was announced and not yet recovered.
    fn queue_episode_open(&self) -> bool {
        self.queues.values().any(|e| e.since.is_some() || e.shown)
    }
}

/// Alerts kept for the Health page.
const LOG: usize = 50;

/// An alert as the Health page lists it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "AlertRecord.ts")]
pub struct AlertRecord {
    #[serde(flatten)]
    pub alert: Alert,
    /// RFC 3339.
    pub at: String,
    /// False when notifications are off in Settings or the desktop could not show it.
    pub shown: bool,
}

/// The most recent alerts (a ring: old ones fall off), so that a notification the user missed
/// or turned off can still be read in the app.
#[derive(Debug, Default)]
pub struct AlertLog(parking_lot::Mutex<std::collections::VecDeque<AlertRecord>>);

impl AlertLog {
    pub fn push(&self, alert: Alert, shown: bool) {
        let mut log = self.0.lock();
        if log.len() == LOG {
            log.pop_front();
        }
        log.push_back(AlertRecord {
            alert,
            at: crate::watcher::now_rfc3339(),
            shown,
        });
    }

    /// Newest first.
    #[must_use]
    pub fn recent(&self) -> Vec<AlertRecord> {
        self.0.lock().iter().rev().cloned().collect()
    }
}

fn down_body(error: &ErrorInfo) -> String {
    match &error.remedy {
        Some(remedy) => format!("{} {remedy}", error.message),
        None => error.message.clone(),
    }
}

/// Follows the registry (as the `notifications` handler) and sends alerts to `tx` until
/// `shutdown`. Never blocks the registry: alerts that the shower cannot take are counted as
/// handler errors and dropped.
///
/// Subscribes at once, before the returned future is first polled, so that nothing the
/// registry broadcasts after this call is missed, whenever the caller gets to spawn it.
pub fn run(
    registry: Registry,
    config: AlertConfig,
    tx: mpsc::Sender<Alert>,
    shutdown: Shutdown,
) -> impl std::future::Future<Output = ()> + Send {
    let consuming = registry.consume(
        "notifications",
        shutdown,
        Alerts {
            policy: AlertPolicy::new(config),
            registry: registry.clone(),
            tx,
            quiet: false,
        },
    );
    async move {
        let Ok(()) = consuming.await;
    }
}

/// The `notifications` consumer: engine statuses and sampled queue depths in, alerts out.
struct Alerts {
    policy: AlertPolicy,
    registry: Registry,
    tx: mpsc::Sender<Alert>,
    /// No item since the last sample, and that sample left no queue episode open: the next
    /// sample could only repeat it, so none is taken until an item arrives.
    quiet: bool,
}

impl Alerts {
    fn send(&self, alerts: impl IntoIterator<Item = Alert>) -> Handled {
        let mut handled = Handled::Ok;
        for alert in alerts {
            tracing::info!(subject = %alert.subject, title = %alert.title, "notification");
            if self.tx.try_send(alert).is_err() {
                handled = Handled::Failed;
            }
        }
        handled
    }
}

impl Consumer for Alerts {
    type Error = std::convert::Infallible;

    fn handle(&mut self, feed: Feed) -> Result<Handled, Self::Error> {
        self.quiet = false;
        let now = Instant::now();
        let alerts: Vec<Alert> = match feed {
            Feed::Engine(status) => self.policy.engine(&status, now).into_iter().collect(),
            Feed::Delta(_) | Feed::Object(_) | Feed::Alert(_) => Vec::new(),
            // Statuses may have been missed; the registry's current ones replace them.
            Feed::Resync { snapshot, .. } => snapshot
                .engines
                .iter()
                .filter_map(|s| self.policy.engine(s, now))
                .collect(),
        };
        Ok(self.send(alerts))
    }

    fn tick_every(&self) -> Option<std::time::Duration> {
        (!self.quiet).then_some(self.policy.config.sample_every)
    }

    fn tick(&mut self) -> Result<Handled, Self::Error> {
        let alerts = self
            .policy
            .queues(&self.registry.handler_reports(), Instant::now());
        self.quiet = !self.policy.queue_episode_open();
        Ok(self.send(alerts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: EngineState) -> EngineStatus {
        EngineStatus::new("podman", "", state)
    }

    fn failing(kind: FailureKind, attempt: u32) -> EngineStatus {
        status(EngineState::Reconnecting {
            attempt,
            retry_in_ms: Some(500),
            error: ErrorInfo {
                kind,
                message: "the socket is gone.".into(),
                remedy: Some("Start Podman.".into()),
            },
        })
    }

    fn kinds(alerts: &[Option<Alert>]) -> Vec<AlertKind> {
        alerts.iter().flatten().map(|a| a.kind).collect()
    }

    #[test]
    fn an_outage_after_connecting_is_one_raise_and_one_recovery() {
        let mut p = AlertPolicy::default();
        let t = Instant::now();
        let mut out = vec![p.engine(&status(EngineState::Connected), t)];
        for attempt in 1..50 {
            out.push(p.engine(&failing(FailureKind::NotRunning, attempt), t));
        }
        out.push(p.engine(&status(EngineState::Connected), t));
        assert_eq!(
            kinds(&out),
            [AlertKind::EngineDown, AlertKind::EngineRecovered]
        );
        let down = out.iter().flatten().next().unwrap();
        assert_eq!(down.body, "the socket is gone. Start Podman.");
    }

    #[test]
    fn transient_failures_and_a_stopped_engine_at_start_stay_quiet() {
        let mut p = AlertPolicy::default();
        let t = Instant::now();
        let out = [
            p.engine(&failing(FailureKind::NotRunning, 1), t),
            p.engine(&status(EngineState::Connected), t),
            p.engine(&failing(FailureKind::Transient, 1), t),
            p.engine(&status(EngineState::Connected), t),
        ];
        assert_eq!(kinds(&out), []);
    }

    #[test]
    fn failures_that_need_the_user_notify_even_before_a_first_connection() {
        let mut p = AlertPolicy::default();
        let t = Instant::now();
        let denied = status(EngineState::Unavailable {
            error: ErrorInfo {
                kind: FailureKind::PermissionDenied,
                message: "denied".into(),
                remedy: None,
            },
        });
        let out = [p.engine(&denied, t), p.engine(&denied, t)];
        assert_eq!(kinds(&out), [AlertKind::EngineDown]);
    }

    #[test]
    fn a_flapping_engine_raises_once_per_cooldown() {
        let mut p = AlertPolicy::default();
        let mut t = Instant::now();
        let mut out = vec![p.engine(&status(EngineState::Connected), t)];
        for _ in 0..20 {
            // An outage every 30 s for 10 minutes.
            out.push(p.engine(&failing(FailureKind::NotRunning, 1), t));
            out.push(p.engine(&status(EngineState::Connected), t));
            t += Duration::from_secs(30);
        }
        assert_eq!(
            kinds(&out),
            [AlertKind::EngineDown, AlertKind::EngineRecovered]
        );
        // After the cooldown a new outage is announced again.
        out.clear();
        out.push(p.engine(&failing(FailureKind::NotRunning, 1), t));
        assert_eq!(kinds(&out), [AlertKind::EngineDown]);
    }

    #[test]
    fn disabling_ends_the_episode_without_a_recovery() {
        let mut p = AlertPolicy::default();
        let t = Instant::now();
        let out = [
            p.engine(&status(EngineState::Connected), t),
            p.engine(&failing(FailureKind::NotRunning, 1), t),
            p.engine(&status(EngineState::Disabled), t),
            p.engine(&status(EngineState::Connected), t),
        ];
        assert_eq!(kinds(&out), [AlertKind::EngineDown]);
    }

    fn queue(depth: u64) -> Vec<HandlerReport> {
        vec![HandlerReport {
            name: "ui-bridge".into(),
            processed: 0,
            errors: 0,
            queue_depth: depth,
            max_queue_depth: depth,
            resyncs: 0,
            lag_p50_ms: None,
            lag_p99_ms: None,
        }]
    }

    #[test]
    fn a_queue_must_stay_high_for_the_sustain_time() {
        let mut p = AlertPolicy::default();
        let t = Instant::now();
        // A burst: above the threshold for 4 s, then drained.
        for s in 0..4 {
            assert!(p
                .queues(&queue(5000), t + Duration::from_secs(s))
                .is_empty());
        }
        assert!(p.queues(&queue(0), t + Duration::from_secs(4)).is_empty());
        // A stuck handler: above for 5 s → one alert, then silence while it stays high.
        let t = t + Duration::from_secs(10);
        let mut alerts = Vec::new();
        for s in 0..60 {
            alerts.extend(p.queues(&queue(5000), t + Duration::from_secs(s)));
        }
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::QueueBacklog);
        assert_eq!(
            alerts[0].body,
            "ui-bridge has 5000 events waiting (threshold 1000)."
        );
        // Hovering just under the threshold does not clear it; draining does, once.
        let t = t + Duration::from_secs(60);
        assert!(p.queues(&queue(900), t).is_empty());
        let recovered = p.queues(&queue(0), t);
        assert_eq!(recovered.len(), 1);
        assert_eq!(recovered[0].kind, AlertKind::QueueRecovered);
        assert!(p.queues(&queue(0), t).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn queues_are_sampled_while_items_flow_and_not_while_the_registry_is_quiet() {
        let registry = Registry::new();
        let (trigger, shutdown) = crate::shutdown::channel();
        let (tx, mut rx) = mpsc::channel(8);
        let task = tokio::spawn(run(registry.clone(), AlertConfig::default(), tx, shutdown));
        let slow = registry.handler("slow");
        // The first sample finds nothing; then the registry is quiet and sampling stops, so a
        // depth that changes without any item (which real queues never do) is not seen.
        tokio::time::sleep(Duration::from_secs(2)).await;
        slow.queued(5000);
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(rx.try_recv().is_err(), "sampled while quiet");
        // An item arrives: sampling resumes, and the backlog is announced after `sustain`.
        let _feed = registry.attach("e");
        registry.apply(
            "e",
            crate::watcher::WatchEvent::Status(EngineStatus::new("e", "x", EngineState::Connected)),
        );
        tokio::time::sleep(Duration::from_secs(7)).await;
        let alert = rx.try_recv().expect("backlog announced");
        assert_eq!(alert.kind, AlertKind::QueueBacklog);
        // The open episode keeps sampling without items: the drained queue is seen.
        slow.queued(0);
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(rx.try_recv().unwrap().kind, AlertKind::QueueRecovered);
        drop(trigger);
        task.await.unwrap();
    }
}
