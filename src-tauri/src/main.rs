//! Skiff desktop shell: a thin Tauri layer over the `skiff` core.
//!
//! It holds no domain logic: commands are one-line adapters onto the core (`commands.rs`), the
//! bridge forwards the registry's fan-out to the webview (`bridge.rs`), and everything they send
//! is a type generated into the UI's TypeScript bindings.

// Hide the console window Windows would open next to the app in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bridge;
mod commands;
mod notifications;
mod tray;

use skiff::engine::discovery;
use skiff::registry::Registry;
use skiff::settings::Settings;
use skiff::telemetry::TelemetrySwitch;
use skiff::watcher::WatcherConfig;
use tauri::Manager;

/// What starting more watchers later needs (the "Start Podman" remedy).
#[derive(Debug)]
pub struct EngineRuntime {
    pub config: WatcherConfig,
    pub shutdown: skiff::shutdown::Shutdown,
    /// "Start Podman" is single-flight: a second click waits for the first and finds its service.
    pub podman_start: tokio::sync::Mutex<()>,
}

impl EngineRuntime {
    fn new(config: WatcherConfig, shutdown: skiff::shutdown::Shutdown) -> Self {
        Self {
            config,
            shutdown,
            podman_start: tokio::sync::Mutex::new(()),
        }
    }
}

/// Kept in Tauri's state so that dropping it (at exit) stops every watcher.
struct Core {
    _shutdown: skiff::shutdown::ShutdownTrigger,
}

fn main() {
    // Settings first: they hold the log level. Their error is logged once the logger is up.
    let loaded = Settings::load();
    let level = loaded.as_ref().map(|s| s.log_level).unwrap_or_default();
    let logging = skiff::logs::Logging::install(level).unwrap_or_else(|e| {
        eprintln!("skiff-desktop: {e}");
        std::process::exit(1);
    });
    let settings = loaded.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "settings unreadable; using defaults (the file is left as it is)");
        Settings::default()
    });
    tracing::info!(version = env!("CARGO_PKG_VERSION"), logs = ?logging.dir(), "skiff-desktop starting");

    let result = tauri::Builder::default()
        // Registered first, as the plugin requires: a second launch focuses this window and
        // exits 0 before it could start a second set of engine watchers.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tray::show_window(app);
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            app.manage(logging);
            let registry = Registry::new();
            let (trigger, shutdown) = skiff::shutdown::channel();
            let engines = discovery::hosts_from_env()
                .and_then(|hosts| discovery::resolve(&hosts))
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "no engines to watch");
                    Vec::new()
                });
            let contexts = skiff::kubernetes::from_settings(&settings.kubernetes, None);
            let backoff = settings.backoff.with_env();
            // On Tauri's runtime, given explicitly: `setup` runs outside any Tokio context.
            let rt = tauri::async_runtime::handle();
            let telemetry = TelemetrySwitch::start(&settings, &registry, &shutdown, rt.inner());
            app.manage(telemetry);
            let config = WatcherConfig {
                backoff,
                ..WatcherConfig::default()
            };
            // A desktop without a tray host still gets the window: the tray is a convenience.
            if let Err(e) = tray::install(app.handle()) {
                tracing::warn!(error = %e, "no tray icon");
            }
            app.manage(notifications::Notifications::start(
                app.handle(),
                &registry,
                settings.notifications,
                &shutdown,
            ));
            tauri::async_runtime::spawn(tray::follow(
                app.handle().clone(),
                registry.clone(),
                shutdown.clone(),
            ));
            app.manage(EngineRuntime::new(config.clone(), shutdown.clone()));
            let handle = app.handle().clone();
            let reg = registry.clone();
            tauri::async_runtime::spawn(async move {
                // Subscribe before starting so the first statuses reach the window.
                let rx = reg.subscribe();
                reg.start(&engines, &config, &shutdown);
                reg.start_kubernetes(&contexts, &config, &shutdown);
                if let Some(n) = skiff::registry::synthetic::requested() {
                    skiff::registry::synthetic::fill(&reg, "synthetic", n).await;
                }
                bridge::forward(handle, reg, rx, shutdown).await;
            });
            app.manage(registry);
            app.manage(parking_lot::Mutex::new(skiff::health::ProcessProbe::new()));
            app.manage(Core { _shutdown: trigger });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::snapshot,
            commands::retry_now,
            commands::container_action,
            commands::events_history,
            commands::telemetry_report,
            commands::ping,
            commands::set_telemetry_consent,
            commands::clear_telemetry_queue,
            commands::recent_alerts,
            commands::get_settings,
            commands::save_settings,
            commands::podman_setup,
            commands::start_podman,
            commands::build_info,
            commands::log_folder,
            commands::choose_kubeconfig,
            commands::reset_kubeconfig,
            commands::open_log_folder,
        ])
        // Closing the window hides it to the tray, where the watchers keep running (Quit is in
        // the tray menu; launching Skiff again shows the window). Without a tray, closing quits.
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                if window.app_handle().tray_by_id("skiff").is_some() {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("skiff-desktop: {e:#}");
        std::process::exit(1);
    }
}
