//! Starting the core: its consumers, then its sources, before Tauri builds the app when this
//! process is sure to be the only Skiff window.
//!
//! A cold start's first rows wait for the engine's list (Podman lists 1,000 containers in
//! 0.4–1 s here), and `tauri::Builder` takes the main thread ~150–250 ms (GTK, the plugins, the
//! D-Bus names) before `setup` runs. Asking the engines first overlaps the two. The catch is the
//! single-instance plugin: it decides, inside the builder, that a second launch only shows the
//! first one's window and exits; a second launch must not open engine connections and take the
//! crash watch's record first. So the early start needs `desktop.lock` in the data directory,
//! which the running instance holds for its life: a process that gets it is the only one, and
//! one that does not (a second launch, or a data directory it cannot write) starts the core in
//! `setup` as before, after the plugin let it through.
//!
//! Consumers subscribe before the sources start in both cases, so they see every first status
//! and every alert. Those that need the app (to emit, to repaint the tray, to notify) hold a
//! [`Later`] and get it when `setup` runs: until then there is no window nor tray to update,
//! and what they must not lose (notifications) waits in their queues.

use std::sync::{Arc, OnceLock};

use skiff::app::Core;
use skiff::registry::Registry;
use skiff::settings::Settings;
use skiff::telemetry::{OwnerLock, TelemetrySwitch};
use tauri::{AppHandle, Manager};
use tokio::sync::Notify;

use crate::{bridge, notifications, tray, EngineRuntime};

/// The app's handle, for what starts before the app exists.
#[derive(Clone, Default)]
pub struct Later(Arc<Slot>);

#[derive(Default)]
struct Slot {
    handle: OnceLock<AppHandle>,
    set: Notify,
}

impl Later {
    /// The handle, once `setup` gave it.
    pub fn get(&self) -> Option<&AppHandle> {
        self.0.handle.get()
    }

    /// Waits for the handle.
    pub async fn wait(&self) -> AppHandle {
        loop {
            // Created before the check: `notify_waiters` wakes it even if it was not polled yet.
            let set = self.0.set.notified();
            if let Some(handle) = self.get() {
                return handle.clone();
            }
            set.await;
        }
    }

    fn set(&self, handle: AppHandle) {
        let _ = self.0.handle.set(handle);
        self.0.set.notify_waiters();
    }
}

/// The running core and what the app keeps of it.
pub struct Started {
    app: Later,
    core: Core,
    telemetry: TelemetrySwitch,
    notifications: notifications::Notifications,
    crash_watch: skiff::crash_watch::CrashWatch,
    trigger: skiff::shutdown::ShutdownTrigger,
    instance: Option<OwnerLock>,
}

/// How this process starts its core.
pub enum Start {
    /// Already started (this process holds `desktop.lock`).
    Early(Box<Started>),
    /// In `setup`, once the single-instance plugin let this process through.
    InSetup(Box<Settings>),
}

impl Start {
    /// Starts the core now if this process is sure to be the only Skiff window.
    pub fn now_if_alone(settings: Settings) -> Self {
        let instance = skiff::settings::data_dir()
            .ok()
            .and_then(|dir| OwnerLock::try_acquire_named(&dir, "desktop.lock"));
        if let Some(lock) = instance {
            return Self::Early(Box::new(Started::start(settings, Some(lock))));
        }
        // A second launch (the single-instance plugin then hands over to the first and exits),
        // or a data directory this process cannot lock.
        tracing::info!("desktop.lock is held or cannot be taken: the core waits for setup");
        Self::InSetup(Box::new(settings))
    }

    /// The started core, starting it now if it was not.
    pub fn started(self) -> Started {
        match self {
            Self::Early(started) => *started,
            Self::InSetup(settings) => Started::start(*settings, None),
        }
    }
}

impl Started {
    fn start(settings: Settings, instance: Option<OwnerLock>) -> Self {
        // Outside any Tokio context (before the builder, or in `setup`): the core's tasks go on
        // Tauri's runtime.
        let rt = tauri::async_runtime::handle();
        let _in_runtime = rt.inner().enter();
        let plan = crate::plan(settings);
        let (trigger, shutdown) = skiff::shutdown::channel();
        let core = Core::new(Registry::new(), plan.config.clone(), shutdown.clone());
        let app = Later::default();
        let telemetry = core.telemetry(&plan.settings, rt.inner());
        let notifications = notifications::Notifications::start(
            &app,
            &core.registry,
            plan.settings.notifications,
            &shutdown,
        );
        // Crash alerts: the record is this process's when no `skiff watch` holds it, and so are
        // their notifications.
        let crash_watch = core.crash_watch(&plan.settings, true);
        notifications::container_alerts(
            &app,
            &core.registry,
            crash_watch.owner && plan.settings.notifications,
            &shutdown,
        );
        // Every consumer subscribes before the sources start, so the first statuses reach
        // the window and the tray.
        tauri::async_runtime::spawn(tray::follow(app.clone(), &core.registry, &shutdown));
        tauri::async_runtime::spawn(bridge::forward(app.clone(), &core.registry, &shutdown));
        core.start(&plan.targets);
        if let Some(n) = skiff::registry::synthetic::requested() {
            let registry = core.registry.clone();
            tauri::async_runtime::spawn(async move {
                skiff::registry::synthetic::fill(&registry, "synthetic", n).await;
            });
        }
        Self {
            app,
            core,
            telemetry,
            notifications,
            crash_watch,
            trigger,
            instance,
        }
    }

    /// Hands the core to the app: its state, and the handle its consumers wait for.
    pub fn attach(self, app: &tauri::App) {
        app.manage(self.telemetry);
        app.manage(self.notifications);
        app.manage(self.crash_watch);
        app.manage(self.core.registry.clone());
        app.manage(EngineRuntime {
            core: self.core,
            podman_start: tokio::sync::Mutex::new(()),
        });
        app.manage(crate::Running {
            _shutdown: self.trigger,
            _instance: self.instance,
        });
        self.app.set(app.handle().clone());
    }
}
