//! Skiff desktop shell: a thin Tauri layer over the `skiff` core.
//!
//! It holds no domain logic: commands are one-line adapters onto the core (`commands.rs`), the
//! bridge forwards the registry's fan-out to the webview (`bridge.rs`), and everything they send
//! is a type generated into the UI's TypeScript bindings.

// Hide the console window Windows would open next to the app in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bridge;
mod commands;
mod details;
mod notifications;
mod objects;
mod opened;
mod start;
mod stats;
mod terminal;
mod tray;
mod window;

use skiff::app::{Core, Plan, Selection};
use skiff::engine::discovery;
use skiff::registry::Registry;
use skiff::settings::Settings;
use start::Start;
use tauri::Manager;

/// What starting more watchers later needs (the "Start Podman" remedy).
#[derive(Debug)]
pub struct EngineRuntime {
    pub core: Core,
    /// "Start Podman" is single-flight: a second click waits for the first and finds its service.
    pub podman_start: tokio::sync::Mutex<()>,
}

/// Kept in Tauri's state so that dropping it (at exit) stops every watcher and lets another
/// instance start early (`start.rs`).
struct Running {
    _shutdown: skiff::shutdown::ShutdownTrigger,
    _instance: Option<skiff::telemetry::OwnerLock>,
}

/// What the app watches: `SKIFF_HOST`, else discovery with the settings' endpoints, and the
/// settings' Kubernetes contexts. Nothing found is no error: the window offers the remedies.
fn plan(settings: Settings) -> Plan {
    let hosts = match discovery::hosts_from_env() {
        Ok(hosts) => hosts,
        Err(e) => {
            tracing::warn!(error = %e, "no engines to watch");
            return Plan::nothing(settings);
        }
    };
    let selection = Selection {
        hosts,
        ..Selection::default()
    };
    Plan::with_settings(settings.clone(), &selection).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "no engines to watch");
        Plan::nothing(settings)
    })
}

/// The core (started before the builder when it could be, `start.rs`), the app's state, then
/// the window and the tray.
///
/// The window is `create: false` in `tauri.conf.json`: the engines are asked for their lists
/// before it is built, since building it takes the main thread a while, and a cold start's first
/// rows wait for the slowest of the page and the lists. The tray comes last: nothing waits for
/// it.
fn setup(app: &mut tauri::App, logging: skiff::logs::Logging, start: Start) -> tauri::Result<()> {
    app.manage(logging);
    start.started().attach(app);
    app.manage(details::LogViews::default());
    app.manage(stats::StatsViews::default());
    app.manage(terminal::Terminals::default());
    app.manage(parking_lot::Mutex::new(skiff::health::ProcessProbe::new()));
    window::build_deferred(app.handle())?;
    // A desktop without a tray host still gets the window: the tray is a convenience. Statuses
    // and alerts that arrived before it are shown at once.
    match tray::install(app.handle()) {
        Ok(_) => tray::refresh(app.handle(), &app.state::<Registry>()),
        Err(e) => tracing::warn!(error = %e, "no tray icon"),
    }
    Ok(())
}

fn main() {
    window::quiet_webkit();
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
    let start = Start::now_if_alone(settings);

    let result = tauri::Builder::default()
        // Registered first, as the plugin requires: a second launch focuses this window and
        // exits 0 before it could start a second set of engine watchers.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            window::show(app);
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| Ok(setup(app, logging, start)?))
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
            details::open_logs,
            details::close_logs,
            details::inspect_container,
            details::save_log,
            details::older_logs,
            stats::open_stats,
            stats::show_stats,
            stats::close_stats,
            terminal::open_terminal,
            terminal::terminal_input,
            terminal::terminal_resize,
            terminal::terminal_ack,
            terminal::close_terminal,
            objects::pull_image,
            objects::remove_object,
            objects::prune_objects,
            objects::pod_action,
            objects::disk_use,
            commands::container_alerts,
            commands::clear_container_alerts,
            commands::tool_engines,
            objects::create_volume,
            objects::tag_image,
            commands::open_port,
            objects::project_action,
        ])
        // Closing the window closes it to the tray, where the watchers keep running (Quit is in
        // the tray menu; launching Skiff again shows the window). Without a tray, closing quits.
        .on_window_event(window::on_event)
        .build(tauri::generate_context!())
        .map(|app| app.run(window::on_run_event));
    if let Err(e) = result {
        eprintln!("skiff-desktop: {e:#}");
        std::process::exit(1);
    }
}
