//! The crash watch at work: a handler of the registry's fan-out runs the [`Rules`], and one task
//! completes each finding (its time, the last log lines, the user's exclusions) and raises it
//! through the registry, so every consumer sees it: `skiff watch` prints it, the window lists it,
//! the owner of the notifications shows it.
//!
//! Each rule is a named handler on the Health page and in `ping` (`rule:crashed`, …): processed
//! counts the container events and relists it looked at, errors the findings it could not
//! raise, queue the findings waiting to be completed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use super::record::{Record, Seen};
use super::rules::{Finding, Rules};
use crate::registry::{
    AlertRule, ContainerAlert, Delta, Handled, HandlerMetrics, Happening, Registry, RegistryEvent,
};
use crate::settings::AlertSettings;
use crate::shutdown::Shutdown;

/// Log lines an alert carries, and the bytes of each.
pub const LOG_LINES: usize = 20;
pub const LOG_LINE_BYTES: usize = 512;

/// Findings waiting to be completed; past it a finding is counted as an error.
const QUEUE: usize = 256;

/// How long the record's running set may wait to be written after it changed.
const SAVE_AFTER: Duration = Duration::from_secs(2);

/// The longest a finding waits for the engine's inspect and log (then it goes without).
const COMPLETE_TIMEOUT: Duration = Duration::from_millis(700);

const RULES: [AlertRule; 4] = [
    AlertRule::Crashed,
    AlertRule::OomKilled,
    AlertRule::Unhealthy,
    AlertRule::RestartLoop,
];

/// What the user chose (rules on or off, exclusions).
pub type Switches = AlertSettings;

/// A running crash watch.
#[derive(Debug)]
pub struct CrashWatch {
    /// This process owns the record and the notifications (`crash-watch.lock`).
    pub owner: bool,
    _lock: Option<crate::telemetry::OwnerLock>,
}

/// Starts the crash watch on `registry`. With `data_dir`, the record there seeds it, and the
/// first process to lock it keeps it up to date (and shows the notifications).
pub fn start(
    registry: &Registry,
    switches: Switches,
    data_dir: Option<PathBuf>,
    shutdown: &Shutdown,
) -> CrashWatch {
    let lock = data_dir
        .as_deref()
        .and_then(|dir| crate::telemetry::OwnerLock::try_acquire_named(dir, "crash-watch.lock"));
    let path = data_dir.as_deref().map(Record::path);
    let record = path.as_deref().map(Record::load).unwrap_or_default();
    if registry.alerts().is_empty() {
        registry.restore_alerts(record.alerts.clone());
    }
    let rules = Rules::seeded(
        record
            .running
            .iter()
            .map(|s| (s.engine.clone(), s.id.clone(), s.name.clone())),
    );
    let owned = lock.is_some().then_some(path).flatten();
    let record = Arc::new(Mutex::new(record));
    let (tx, rx) = mpsc::channel(QUEUE);
    let metrics: HashMap<AlertRule, Arc<HandlerMetrics>> = RULES
        .iter()
        .map(|&r| (r, registry.handler(&format!("rule:{}", r.as_str()))))
        .collect();
    let handler = Handler {
        rules,
        registry: registry.clone(),
        tx,
        metrics,
        record: record.clone(),
        path: owned.clone(),
        save_due: None,
    };
    // Subscribed here, before the sources start: the first relist is seen.
    let (feed, events) = (registry.subscribe(), registry.subscribe_happenings());
    tokio::spawn(handler.run(feed, events, shutdown.clone()));
    let completer = Completer {
        registry: registry.clone(),
        switches,
        record,
        path: owned,
        live: data_dir.is_some(),
        shutdown: shutdown.clone(),
    };
    tokio::spawn(completer.run(rx));
    CrashWatch {
        owner: lock.is_some(),
        _lock: lock,
    }
}

struct Handler {
    rules: Rules,
    registry: Registry,
    tx: mpsc::Sender<Finding>,
    metrics: HashMap<AlertRule, Arc<HandlerMetrics>>,
    record: Arc<Mutex<Record>>,
    /// Where the record is written (the owner only).
    path: Option<PathBuf>,
    save_due: Option<Instant>,
}

impl Handler {
    fn looked(&self) {
        let waiting = QUEUE - self.tx.capacity();
        for m in self.metrics.values() {
            m.queued(waiting);
            m.handled(None);
        }
    }

    fn raise(&self, found: Vec<Finding>) -> Handled {
        let mut handled = Handled::Ok;
        for finding in found {
            let rule = finding.rule;
            if self.tx.try_send(finding).is_err() {
                handled = Handled::Failed;
                if let Some(m) = self.metrics.get(&rule) {
                    m.error();
                }
            }
        }
        handled
    }

    fn changed(&mut self) {
        if self.path.is_some() && self.save_due.is_none() {
            self.save_due = Some(Instant::now() + SAVE_AFTER);
        }
    }

    fn save(&mut self) {
        self.save_due = None;
        let Some(path) = &self.path else { return };
        let mut record = self.record.lock();
        record.running = self
            .rules
            .running()
            .map(|(engine, id, name)| Seen {
                engine: engine.to_owned(),
                id: id.to_owned(),
                name: name.to_owned(),
            })
            .collect();
        if let Err(e) = record.save(path) {
            tracing::warn!(path = %path.display(), error = %e, "crash watch record not written");
        }
    }

    fn relisted(&mut self, engine: &str, rows: &[crate::container::Container]) {
        let now = Instant::now();
        self.rules
            .relisted(engine, rows.iter().filter(|c| c.engine == engine), now);
        self.changed();
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        if self.save_due.is_some() {
            self.save();
        }
    }
}

impl Handler {
    /// Runs until `shutdown`: container events (their own channel), relists (the fan-out), and
    /// the decisions held, in one task; the record's last changes are written at the end.
    async fn run(
        mut self,
        mut feed: broadcast::Receiver<RegistryEvent>,
        mut events: broadcast::Receiver<Happening>,
        shutdown: Shutdown,
    ) {
        let metrics = self.registry.handler("crash-watch");
        let ended = shutdown.wait();
        tokio::pin!(ended);
        loop {
            let wake_at = [self.rules.next_due(), self.save_due]
                .into_iter()
                .flatten()
                .min();
            let handled = tokio::select! {
                () = &mut ended => break,
                () = tokio::time::sleep_until(wake_at.unwrap_or_else(Instant::now)), if wake_at.is_some() => {
                    self.wake()
                }
                event = events.recv() => match event {
                    Ok(h) => {
                        let found = self.rules.event(&h.engine, &h.event, h.replayed, Instant::now());
                        self.changed();
                        self.looked();
                        self.raise(found)
                    }
                    // Events were missed: the rules go by the rows until the next relist.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        metrics.resynced();
                        self.relisted_all(&self.registry.snapshot());
                        Handled::Failed
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                item = feed.recv() => match item {
                    Ok(RegistryEvent::Delta(Delta {
                        engine,
                        change: crate::registry::Change::ResyncDone { .. },
                        ..
                    })) => {
                        let rows = self.registry.snapshot().containers;
                        self.relisted(&engine, &rows);
                        self.looked();
                        Handled::Ok
                    }
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        self.relisted_all(&self.registry.snapshot());
                        Handled::Ok
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            };
            if handled == Handled::Failed {
                metrics.error();
            }
            metrics.queued(events.len());
            metrics.handled(None);
        }
    }

    fn relisted_all(&mut self, snapshot: &crate::registry::Snapshot) {
        for engine in snapshot.revs.keys() {
            self.relisted(engine, &snapshot.containers);
        }
        self.looked();
    }

    fn wake(&mut self) -> Handled {
        let now = Instant::now();
        let found = self.rules.due(now);
        let handled = self.raise(found);
        if self.save_due.is_some_and(|t| t <= now) {
            self.save();
        }
        handled
    }
}

/// Completes findings into alerts and raises them, one at a time in their order.
struct Completer {
    registry: Registry,
    switches: Switches,
    record: Arc<Mutex<Record>>,
    path: Option<PathBuf>,
    /// The settings file is read again for each finding (not in `ping`).
    live: bool,
    shutdown: Shutdown,
}

impl Completer {
    async fn run(self, mut rx: mpsc::Receiver<Finding>) {
        let ended = self.shutdown.clone().wait();
        tokio::pin!(ended);
        loop {
            let finding = tokio::select! {
                () = &mut ended => return,
                f = rx.recv() => match f {
                    Some(f) => f,
                    None => return,
                },
            };
            // Read per finding (alerts are rare): a change on the Settings page or in
            // settings.json applies to the next alert, in every process.
            let switches = if self.live {
                crate::settings::Settings::load()
                    .map_or_else(|_| self.switches.clone(), |s| s.alerts)
            } else {
                self.switches.clone()
            };
            if !switches.allows(finding.rule) || switches.excludes(&finding.container.name) {
                continue;
            }
            let Some(alert) = self.complete(finding, &switches).await else {
                continue;
            };
            self.registry.publish_alert(alert.clone());
            if let Some(path) = &self.path {
                let mut record = self.record.lock();
                record.push_alert(alert);
                if let Err(e) = record.save(path) {
                    tracing::warn!(path = %path.display(), error = %e, "crash watch record not written");
                }
            }
        }
    }

    /// The alert for `finding`: its time (the engine's `FinishedAt` for a relist's), Docker's
    /// `OOMKilled`, and the last log lines; `None` when the container is labelled
    /// `skiff.alerts=off`.
    async fn complete(&self, finding: Finding, switches: &Switches) -> Option<ContainerAlert> {
        let Finding {
            engine,
            mut rule,
            container,
            exit_code,
            detected,
            at,
        } = finding;
        let inspected = tokio::time::timeout(
            COMPLETE_TIMEOUT,
            self.registry.inspect(&engine, &container.id),
        )
        .await
        .ok()
        .and_then(Result::ok);
        if let Some(inspect) = &inspected {
            if inspect
                .pointer("/Config/Labels/skiff.alerts")
                .and_then(|v| v.as_str())
                == Some("off")
            {
                return None;
            }
            if rule == AlertRule::Crashed
                && inspect
                    .pointer("/State/OOMKilled")
                    .and_then(serde_json::Value::as_bool)
                    == Some(true)
            {
                rule = AlertRule::OomKilled;
                if !switches.allows(rule) {
                    return None;
                }
            }
        } else {
            // Gone already (a `--rm` container), or the engine did not answer: raised anyway.
            tracing::debug!(%engine, id = %container.id, "crash watch could not inspect");
        }
        let finished = inspected
            .as_ref()
            .and_then(|i| i.pointer("/State/FinishedAt"))
            .and_then(|v| v.as_str())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .and_then(|t| t.timestamp_nanos_opt());
        let at = at
            .or(finished)
            .unwrap_or_else(|| chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default());
        let log = match rule {
            AlertRule::Recovered => Vec::new(),
            _ => {
                super::log_tail::last_lines(&self.registry, &engine, &container.id, &self.shutdown)
                    .await
            }
        };
        Some(ContainerAlert {
            engine,
            rule,
            container,
            exit_code,
            detected,
            at,
            log,
        })
    }
}
