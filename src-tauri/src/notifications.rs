//! Desktop notifications: shows the core's alerts (`skiff::health::alerts`) with
//! tauri-plugin-notification. Which alerts exist, and when, is decided in the core; this only
//! shows them, honours the Settings switch, and logs them for the Health page.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use skiff::health::alerts::{self, Alert, AlertConfig, AlertLog, AlertRecord};
use skiff::registry::Registry;
use skiff::shutdown::Shutdown;
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;
use tokio::sync::mpsc;

/// Kept in Tauri's state: the switch and the log.
pub struct Notifications {
    enabled: Arc<AtomicBool>,
    log: Arc<AlertLog>,
}

impl Notifications {
    /// Starts the alert policy on `registry` and the task that shows its alerts.
    pub fn start(app: &AppHandle, registry: &Registry, enabled: bool, shutdown: &Shutdown) -> Self {
        let (tx, mut rx) = mpsc::channel::<Alert>(64);
        tauri::async_runtime::spawn(alerts::run(
            registry.clone(),
            AlertConfig::default(),
            tx,
            shutdown.clone(),
        ));
        let this = Self {
            enabled: Arc::new(AtomicBool::new(enabled)),
            log: Arc::new(AlertLog::default()),
        };
        let (app, on, log) = (app.clone(), this.enabled.clone(), this.log.clone());
        tauri::async_runtime::spawn(async move {
            while let Some(alert) = rx.recv().await {
                let mut shown = false;
                if on.load(Ordering::Relaxed) {
                    let (app, title, body) = (app.clone(), alert.title.clone(), alert.body.clone());
                    // The desktop's notification service is a blocking D-Bus call on Linux.
                    let result = tauri::async_runtime::spawn_blocking(move || {
                        app.notification().builder().title(title).body(body).show()
                    })
                    .await;
                    shown = matches!(result, Ok(Ok(())));
                    if !shown {
                        tracing::debug!(?result, "the desktop did not show a notification");
                    }
                }
                log.push(alert, shown);
            }
        });
        this
    }

    /// Without a desktop to show them on: the switch and the log only (command tests).
    #[cfg(test)]
    pub fn detached(enabled: bool) -> Self {
        Self {
            enabled: Arc::new(AtomicBool::new(enabled)),
            log: Arc::new(AlertLog::default()),
        }
    }

    #[cfg(test)]
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::Relaxed);
    }

    pub fn recent(&self) -> Vec<AlertRecord> {
        self.log.recent()
    }
}

/// Container alerts as notifications, when this process owns them: the first alert waits
/// [`GROUP_WINDOW`] for others, and all of them are one notification.
pub fn container_alerts(app: &AppHandle, registry: &Registry, show: bool, shutdown: &Shutdown) {
    if !show {
        return;
    }
    let (tx, mut rx) = mpsc::channel::<skiff::registry::ContainerAlert>(256);
    let consuming = registry.consume("notify-alerts", shutdown.clone(), move |feed| {
        if let skiff::registry::Feed::Alert(alert) = feed {
            if tx.try_send(*alert).is_err() {
                return Ok::<_, std::convert::Infallible>(skiff::registry::Handled::Failed);
            }
        }
        Ok(skiff::registry::Handled::Ok)
    });
    tauri::async_runtime::spawn(async move {
        let _ = consuming.await;
    });
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut group = vec![first];
            let until = tokio::time::Instant::now() + GROUP_WINDOW;
            while let Ok(Some(more)) = tokio::time::timeout_at(until, rx.recv()).await {
                group.push(more);
            }
            let (title, body) = skiff::crash_watch::words::notification(&group);
            let app = app.clone();
            let result = tauri::async_runtime::spawn_blocking(move || {
                app.notification().builder().title(title).body(body).show()
            })
            .await;
            if !matches!(result, Ok(Ok(()))) {
                tracing::debug!(?result, "the desktop did not show a container alert");
            }
        }
    });
}

/// How long the first of several container alerts waits for the others.
const GROUP_WINDOW: std::time::Duration = std::time::Duration::from_secs(3);
