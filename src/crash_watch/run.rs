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

use super::complete::Completer;
use super::record::{Record, Seen};
use super::rules::{Finding, Rules};
use crate::registry::{
    AlertRule, Delta, Handled, HandlerMetrics, Happening, Registry, RegistryEvent,
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
    let (answers, answered) = mpsc::channel(QUEUE);
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
    tokio::spawn(handler.run(feed, events, answered, shutdown.clone()));
    let completer = Completer {
        registry: registry.clone(),
        switches,
        record,
        path: owned,
        live: data_dir.is_some(),
        answers,
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
        mut answered: mpsc::Receiver<(Finding, bool)>,
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
                Some((finding, restarts)) = answered.recv() => {
                    self.rules.checked(&finding, restarts, Instant::now());
                    continue;
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
