//! The consent switch of a long-running process (the desktop app): telemetry follows the user's
//! answer at any moment of a run, with one owner.
//!
//! - On at start, or turned on later (the first-run banner, the Telemetry page, or
//!   `skiff telemetry enable` in a terminal): the telemetry task starts once, on the runtime the
//!   switch was given, and takes the owner lock. Turned off and on again, the same task resumes:
//!   the lock is this process's already, and a second task would contend for it with itself.
//! - Off: nothing more is recorded and nothing is sent, including what is queued; the task and
//!   the lock stay (the outbox stays inspectable, `skiff telemetry show` reads it).
//! - The settings file is the one source of the answer, shared with the CLI: it is watched
//!   (inotify on Linux, through [`SocketWatch`], which follows the file being replaced and its
//!   directory being recreated), so `skiff telemetry disable` reaches a running app at once. It
//!   was polled every 2 s: one `stat` and two wake-ups a second, half of what woke an idle
//!   `skiff watch`. Where no watch can be set up (no inotify left) it is polled every
//!   [`SETTINGS_POLL`].

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;

use super::{start_if_allowed, Telemetry, TelemetryReport, TelemetryRun};
use crate::reconnect::SocketWatch;
use crate::registry::Registry;
use crate::settings::{Settings, SettingsError};
use crate::shutdown::Shutdown;

/// How often the settings file is looked at for a consent change made elsewhere, where it cannot
/// be watched.
pub const SETTINGS_POLL: Duration = Duration::from_secs(2);

/// The telemetry of this process, switchable; cheap to clone.
#[derive(Debug, Clone)]
pub struct TelemetrySwitch {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    current: Mutex<Current>,
    registry: Registry,
    shutdown: Shutdown,
    runtime: tokio::runtime::Handle,
}

#[derive(Debug)]
struct Current {
    telemetry: Telemetry,
    /// Held for its owner lock and task, for as long as the process runs (the task flushes on
    /// shutdown by itself; [`TelemetrySwitch::finish`] waits for that).
    run: Option<TelemetryRun>,
}

impl TelemetrySwitch {
    /// Starts telemetry if `settings` (or `SKIFF_TELEMETRY`) say so, and the settings poll.
    /// Safe to call from any thread: everything runs on `runtime`.
    #[must_use]
    pub fn start(
        settings: &Settings,
        registry: &Registry,
        shutdown: &Shutdown,
        runtime: &tokio::runtime::Handle,
    ) -> Self {
        let this = Self {
            inner: Arc::new(Inner {
                current: Mutex::new(Current {
                    telemetry: Telemetry::disabled(),
                    run: None,
                }),
                registry: registry.clone(),
                shutdown: shutdown.clone(),
                runtime: runtime.clone(),
            }),
        };
        this.apply(settings);
        runtime.spawn(follow_settings(
            Arc::downgrade(&this.inner),
            shutdown.clone(),
        ));
        this
    }

    /// The current handle, to record events with.
    #[must_use]
    pub fn handle(&self) -> Telemetry {
        self.inner.current.lock().telemetry.clone()
    }

    /// Turns telemetry on or off as `settings` say (the environment still wins).
    pub fn apply(&self, settings: &Settings) {
        let on = super::consent(settings.telemetry);
        let mut current = self.inner.current.lock();
        if !on {
            if current.telemetry.is_enabled() {
                tracing::info!("telemetry consent withdrawn: nothing more is recorded or sent");
            }
            current.telemetry.stop_recording();
            return;
        }
        if current.telemetry.is_enabled() || current.telemetry.resume_recording() {
            return;
        }
        let (telemetry, run) =
            start_if_allowed(settings, &self.inner.shutdown, &self.inner.runtime);
        if run.is_some() {
            telemetry.follow(&self.inner.registry, &self.inner.runtime);
            tracing::info!("telemetry consent given: recording");
            *current = Current { telemetry, run };
        }
    }

    /// Saves the user's answer to the settings file and applies it at once.
    pub fn set_consent(&self, enabled: bool) -> Result<(), SettingsError> {
        let settings = Settings::update(|s| s.telemetry = Some(enabled))?;
        self.apply(&settings);
        Ok(())
    }

    /// After shutdown: waits for the task's last flush (bounded), so a process that exits next
    /// (`skiff watch` interrupted) loses nothing it recorded.
    pub async fn finish(&self) {
        let run = self.inner.current.lock().run.take();
        if let Some(run) = run {
            run.finish().await;
        }
    }

    /// What the Telemetry page shows.
    pub fn report(&self) -> Result<TelemetryReport, SettingsError> {
        self.handle().report()
    }

    /// Deletes the queued events (with consent on or off); the sent log stays.
    pub fn clear_queued(&self) -> Result<(), SettingsError> {
        let dir = crate::settings::data_dir()?;
        self.handle().clear_queued(&dir);
        Ok(())
    }
}

/// Re-applies the settings whenever the file changes, until shutdown or the switch is dropped.
async fn follow_settings(inner: Weak<Inner>, shutdown: Shutdown) {
    let path = crate::settings::config_dir().map(|d| d.join("settings.json"));
    let stamp = || {
        let meta = std::fs::metadata(path.as_ref().ok()?).ok()?;
        Some((
            meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            meta.len(),
        ))
    };
    let mut watch = match path.as_ref().map(|p| SocketWatch::new(p)) {
        Ok(Ok(watch)) => Some(watch),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "settings polled every {SETTINGS_POLL:?}");
            None
        }
        Err(_) => None,
    };
    let mut seen = stamp();
    let ended = shutdown.wait();
    tokio::pin!(ended);
    loop {
        let changed = async {
            match watch.as_mut() {
                Some(watch) => watch.changed().await,
                None => tokio::time::sleep(SETTINGS_POLL).await,
            }
        };
        tokio::select! {
            () = &mut ended => return,
            () = changed => {}
        }
        // Events of one save come in a burst (create, write, rename): the stamp tells whether
        // this one is news.
        let now = stamp();
        if now == seen {
            continue;
        }
        seen = now;
        let Some(inner) = inner.upgrade() else { return };
        // A file being written by another process, or broken by hand: keep the last answer.
        let settings = Settings::load();
        if let Err(e) = &settings {
            tracing::debug!(error = %e, "settings changed but unreadable; telemetry unchanged");
        }
        if let Ok(settings) = settings {
            TelemetrySwitch { inner }.apply(&settings);
        }
    }
}
