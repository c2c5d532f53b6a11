//! Telemetry: opt-in, one episode per outage, throttled and aggregated, inspectable, never in
//! the way.
//!
//! - [`episodes`]: engine statuses → `engine_connection_lost` / `_restored` / `_outage_ongoing`.
//! - [`throttle`]: per-name budgets (governor), with refused and repeated events folded into the
//!   next one as counts.
//! - [`outbox`]: the bounded, persisted queue, and the log of what was sent.
//! - [`sink`]: `POST {"events":[…]}` with a timeout, honouring `429` + `Retry-After`.
//!
//! Off means off: with consent absent or refused, [`Telemetry::disabled`] records nothing, not
//! even into the outbox. Recording never blocks: callers `try_send` into a bounded queue, and
//! everything slow (files, the network) happens in the telemetry task.

pub mod episodes;
pub mod event;
pub mod outbox;
pub mod sink;
pub mod status;
pub mod switch;
pub mod throttle;
mod worker;

use worker::worker;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use ts_rs::TS;

pub use event::TelemetryEvent;
pub use switch::TelemetrySwitch;

use crate::registry::{Feed, Handled, Registry};
use crate::shutdown::Shutdown;
use crate::watcher::EngineStatus;

/// Where telemetry lives and goes.
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// Data directory (outbox, sent log, install key).
    pub dir: PathBuf,
    /// Collector; `None` keeps events in the outbox (bounded) until one is set.
    pub url: Option<String>,
    /// Budget per event name and hour.
    pub per_hour: u32,
    /// How often queued events are sent.
    pub send_every: Duration,
    /// Events per request.
    pub batch: usize,
    /// More CAs to trust for the collector (PEM), besides the platform's.
    pub ca_file: Option<PathBuf>,
}

impl TelemetryConfig {
    #[must_use]
    pub fn new(dir: PathBuf, url: Option<String>) -> Self {
        Self {
            dir,
            url,
            per_hour: throttle::PER_HOUR,
            send_every: Duration::from_secs(30),
            batch: 50,
            ca_file: None,
        }
    }
}

/// Counters for the health report.
#[derive(Debug, Default)]
struct Counters {
    recorded: AtomicU64,
    sent: AtomicU64,
    suppressed: AtomicU64,
    dropped: AtomicU64,
    queued: AtomicU64,
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "TelemetryCounters.ts")]
pub struct TelemetryCounters {
    pub enabled: bool,
    /// Events written to the outbox.
    pub recorded: u64,
    /// Events the sink accepted.
    pub sent: u64,
    /// Events refused by a budget (counted into later events).
    pub suppressed: u64,
    /// Events lost to a full outbox or a full queue.
    pub dropped: u64,
    /// Events waiting in the outbox.
    pub queued: u64,
}

enum Command {
    Record(TelemetryEvent),
    Status(Box<EngineStatus>),
    /// The user deleted the queued events (allowed with consent on or off).
    ClearQueued,
}

/// The telemetry handle; cheap to clone.
#[derive(Debug, Clone)]
pub struct Telemetry {
    tx: Option<mpsc::Sender<Command>>,
    counters: Arc<Counters>,
    /// Cleared when the user withdraws consent: from that moment nothing more is recorded.
    on: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

/// Whether the user agreed: the setting, or `SKIFF_TELEMETRY=on` for the CLI.
#[must_use]
pub fn consent(setting: Option<bool>) -> bool {
    match std::env::var("SKIFF_TELEMETRY").as_deref() {
        Ok("on" | "1" | "true") => true,
        Ok("off" | "0" | "false") => false,
        _ => setting == Some(true),
    }
}

impl Telemetry {
    /// Telemetry that records nothing (no consent, or another process owns it).
    #[must_use]
    pub fn disabled() -> Self {
        Self {
            tx: None,
            counters: Arc::new(Counters::default()),
            on: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        }
    }

    /// Starts the telemetry task on `runtime`; it ends (after a last flush of at most 2 s) on
    /// `shutdown`.
    ///
    /// The runtime is passed in rather than found with a bare `tokio::spawn`: the desktop app
    /// starts telemetry from Tauri's `setup` hook and from commands that run outside any Tokio
    /// context, where `tokio::spawn` panics (it once crashed every start after the user agreed).
    #[must_use]
    pub fn start(
        config: TelemetryConfig,
        shutdown: Shutdown,
        runtime: &tokio::runtime::Handle,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(1024);
        let counters = Arc::new(Counters::default());
        let on = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let task = runtime.spawn(worker(config, rx, counters.clone(), on.clone(), shutdown));
        (
            Self {
                tx: Some(tx),
                counters,
                on,
            },
            task,
        )
    }

    #[must_use]
    pub fn is_enabled(&self) -> bool {
        self.tx.is_some() && self.on.load(Ordering::Relaxed)
    }

    /// Withdraws consent: from this moment nothing more is recorded and nothing is sent, not
    /// even what is already queued (the outbox stays inspectable and can be deleted by the user).
    pub fn stop_recording(&self) {
        self.on.store(false, Ordering::Relaxed);
    }

    /// Gives consent again to a running telemetry task; `false` when this handle has none (it
    /// was never started: start one instead).
    #[must_use = "false: no task to resume; start one"]
    pub fn resume_recording(&self) -> bool {
        if self.tx.is_none() {
            return false;
        }
        self.on.store(true, Ordering::Relaxed);
        true
    }

    /// Records an event (name + low-cardinality properties). Never blocks.
    pub fn record(&self, name: &str, properties: serde_json::Value) {
        self.send(Command::Record(TelemetryEvent::new(name, properties)));
    }

    /// Deletes the events waiting in the outbox of `dir`: through the running task when there is
    /// one (it holds the queue), else in the files directly.
    pub fn clear_queued(&self, dir: &std::path::Path) {
        if let Some(tx) = &self.tx {
            // A queue of 1024 commands that is full is a task far behind: it empties soon, and
            // the user can press again.
            if tx.try_send(Command::ClearQueued).is_err() {
                tracing::warn!("telemetry task busy; queued events not deleted");
            }
        } else {
            outbox::Outbox::open(dir).clear();
        }
    }

    /// Feeds an engine status to the outage episodes. Never blocks.
    pub fn observe(&self, status: &EngineStatus) {
        self.send(Command::Status(Box::new(status.clone())));
    }

    fn send(&self, command: Command) {
        if !self.on.load(Ordering::Relaxed) {
            return;
        }
        if let Some(tx) = &self.tx {
            if tx.try_send(command).is_err() {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Follows a registry's fan-out (as the `telemetry` handler), feeding every engine status to
    /// the episodes. Falling behind resyncs from the registry's current statuses.
    pub fn follow(&self, registry: &Registry, runtime: &tokio::runtime::Handle) {
        if self.tx.is_none() {
            return;
        }
        let this = self.clone();
        // No shutdown of its own: it ends with the registry (or the runtime).
        let consuming = registry.consume("telemetry", Shutdown::never(), move |feed| {
            match feed {
                Feed::Engine(status) => this.observe(&status),
                Feed::Delta(_) | Feed::Object(_) | Feed::Alert(_) => {}
                // Statuses may have been missed: the current ones replace them.
                Feed::Resync { snapshot, .. } => {
                    for status in &snapshot.engines {
                        this.observe(status);
                    }
                }
            }
            Ok::<_, std::convert::Infallible>(Handled::Ok)
        });
        runtime.spawn(consuming);
    }

    #[must_use]
    pub fn counters(&self) -> TelemetryCounters {
        let c = &self.counters;
        TelemetryCounters {
            enabled: self.is_enabled(),
            recorded: c.recorded.load(Ordering::Relaxed),
            sent: c.sent.load(Ordering::Relaxed),
            suppressed: c.suppressed.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            queued: c.queued.load(Ordering::Relaxed),
        }
    }
}

/// The advisory lock that makes one process the telemetry owner: the desktop app, or the first
/// `skiff watch` when the app is not running. Others run read-only for telemetry. The OS
/// releases the lock when the holder exits or crashes.
#[derive(Debug)]
pub struct OwnerLock {
    _file: std::fs::File,
}

impl OwnerLock {
    /// Takes the lock in `dir`, or `None` when another process holds it.
    #[must_use]
    pub fn try_acquire(dir: &std::path::Path) -> Option<Self> {
        Self::try_acquire_named(dir, "telemetry.lock")
    }

    /// Takes the lock file `name` in `dir` (the crash watch's, beside telemetry's).
    #[must_use]
    pub fn try_acquire_named(dir: &std::path::Path, name: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).ok()?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(name))
            .ok()?;
        file.try_lock().ok()?;
        Some(Self { _file: file })
    }
}

/// A running telemetry task and the ownership lock it holds.
#[derive(Debug)]
pub struct TelemetryRun {
    _lock: OwnerLock,
    task: tokio::task::JoinHandle<()>,
}

impl TelemetryRun {
    /// Waits for the task's last flush after shutdown (it bounds itself to 2 s).
    pub async fn finish(self) {
        let _ = tokio::time::timeout(Duration::from_secs(3), self.task).await;
    }
}

/// Starts telemetry for this process if the user agreed and no other process owns it.
/// Returns the handle (disabled otherwise) and the run to finish at exit.
pub fn start_if_allowed(
    settings: &crate::settings::Settings,
    shutdown: &Shutdown,
    runtime: &tokio::runtime::Handle,
) -> (Telemetry, Option<TelemetryRun>) {
    if !consent(settings.telemetry) {
        return (Telemetry::disabled(), None);
    }
    let Ok(dir) = crate::settings::data_dir() else {
        return (Telemetry::disabled(), None);
    };
    let Some(lock) = OwnerLock::try_acquire(&dir) else {
        tracing::info!("another Skiff process owns telemetry; this one records none");
        return (Telemetry::disabled(), None);
    };
    let url = std::env::var("SKIFF_TELEMETRY_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| settings.telemetry_url.clone());
    let mut config = TelemetryConfig {
        ca_file: std::env::var_os("SKIFF_TELEMETRY_CA")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from),
        ..TelemetryConfig::new(dir, url)
    };
    // For tests and collectors' own staging: how often batches go out (at least 100 ms).
    if let Some(ms) = std::env::var("SKIFF_TELEMETRY_SEND_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        config.send_every = Duration::from_millis(ms.max(100));
    }
    let (telemetry, task) = Telemetry::start(config, shutdown.clone(), runtime);
    telemetry.record(
        "app_started",
        serde_json::json!({"version": env!("CARGO_PKG_VERSION"), "os": std::env::consts::OS}),
    );
    (telemetry, Some(TelemetryRun { _lock: lock, task }))
}

/// What the Telemetry page and `skiff telemetry show` present: the consent, the counters, what
/// waits in the outbox and what was sent.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "TelemetryReport.ts")]
pub struct TelemetryReport {
    /// `null` until the user answered.
    pub consent: Option<bool>,
    pub counters: TelemetryCounters,
    /// The collector and how the last attempt to reach it went.
    pub sink: status::SinkStatus,
    pub queued: Vec<TelemetryEvent>,
    pub sent: Vec<TelemetryEvent>,
}

impl Telemetry {
    /// The report for this process's telemetry, reading the outbox files.
    pub fn report(&self) -> Result<TelemetryReport, crate::settings::SettingsError> {
        let settings = crate::settings::Settings::load()?;
        let dir = crate::settings::data_dir()?;
        let outbox = outbox::Outbox::open(&dir);
        Ok(TelemetryReport {
            consent: settings.telemetry,
            counters: self.counters(),
            sink: status::SinkStatus::load(&dir),
            queued: outbox.queued().iter().cloned().collect(),
            sent: outbox.sent().iter().cloned().collect(),
        })
    }
}
