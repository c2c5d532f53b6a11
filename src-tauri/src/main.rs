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
mod display;
mod history;
mod notifications;
mod objects;
mod opened;
mod prepared;
mod quit;
mod relaunch;
mod stats;
mod terminal;
mod tray;
mod trim;
mod webkit_env;
mod webkit_features;
mod window;

use skiff::app::{Core, Plan, Selection};
use skiff::engine::discovery;
use skiff::registry::Registry;
use skiff::settings::Settings;
use skiff::watcher::WatcherConfig;
use tauri::Manager;

/// How many of an engine's newest containers a first session lists before the rest: more than a
/// tall window shows (~30 rows), a small part of a big engine's list (Podman gathers each row).
const FIRST_PAGE: usize = 50;

/// What starting more watchers later needs (the "Start Podman" remedy).
#[derive(Debug)]
pub struct EngineRuntime {
    pub core: Core,
    /// "Start Podman" is single-flight: a second click waits for the first and finds its service.
    pub podman_start: tokio::sync::Mutex<()>,
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

/// The app's state, the core's sources and consumers, then the window and the tray.
///
/// The engines are asked for their lists before the window is built (it is `create: false` in
/// `tauri.conf.json`): building it takes the main thread a while, and a cold start's first rows
/// wait for the slowest of the page and the lists. The tray comes last: nothing waits for it.
fn setup(
    app: &mut tauri::App,
    logging: skiff::logs::Logging,
    settings: Settings,
) -> tauri::Result<()> {
    app.manage(logging);
    // `setup` runs outside any Tokio context: the core's tasks go on Tauri's runtime.
    let rt = tauri::async_runtime::handle();
    let _in_runtime = rt.inner().enter();
    let plan = plan(settings);
    let (trigger, shutdown) = skiff::shutdown::channel();
    // A window shows an engine's newest rows while its whole list is still coming.
    let config = WatcherConfig {
        first_page: Some(FIRST_PAGE),
        ..plan.config.clone()
    };
    let core = Core::new(Registry::new(), config, shutdown.clone());
    app.manage(core.telemetry(&plan.settings, rt.inner()));
    app.manage(notifications::Notifications::start(
        app.handle(),
        &core.registry,
        plan.settings.notifications,
        &shutdown,
    ));
    // Crash alerts: the record is this process's when no `skiff watch` holds it, and so are
    // their notifications.
    let crash_watch = core.crash_watch(&plan.settings, true);
    notifications::container_alerts(
        app.handle(),
        &core.registry,
        crash_watch.owner && plan.settings.notifications,
        &shutdown,
    );
    app.manage(crash_watch);
    // Every consumer subscribes before the sources start, so the first statuses reach
    // the window and the tray.
    tauri::async_runtime::spawn(tray::follow(
        app.handle().clone(),
        &core.registry,
        &shutdown,
    ));
    // Free heap memory goes back to the system once the window has been sent nothing for a while.
    let trimmer = trim::Trimmer::start(&shutdown);
    app.manage(trimmer.clone());
    app.manage(prepared::Prepared::default());
    tauri::async_runtime::spawn(bridge::forward(
        app.handle().clone(),
        &core.registry,
        trimmer,
        &shutdown,
    ));
    core.start(&plan.targets);
    if let Some(n) = skiff::registry::synthetic::requested() {
        let registry = core.registry.clone();
        tauri::async_runtime::spawn(async move {
            skiff::registry::synthetic::fill(&registry, "synthetic", n).await;
        });
    }
    app.manage(core.registry.clone());
    app.manage(details::LogViews::default());
    app.manage(stats::StatsViews::default());
    app.manage(history::EventsViews::default());
    app.manage(terminal::Terminals::default());
    app.manage(EngineRuntime {
        core,
        podman_start: tokio::sync::Mutex::new(()),
    });
    app.manage(parking_lot::Mutex::new(skiff::health::ProcessProbe::new()));
    app.manage(quit::Running { shutdown: trigger });
    quit::on_signals(app.handle());
    window::build_deferred(app.handle())?;
    // A desktop without a tray host still gets the window: the tray is a convenience. Statuses
    // that arrived before it are shown at once.
    match tray::install(app.handle()) {
        Ok(_) => tray::refresh(app.handle(), &app.state::<Registry>()),
        Err(e) => tracing::warn!(error = %e, "no tray icon"),
    }
    Ok(())
}

fn main() {
    webkit_env::set_up();
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
    if let Err(e) = display::open() {
        tracing::error!(error = %e, "no display");
        eprintln!("skiff-desktop: {e}");
        std::process::exit(1);
    }

    let result = tauri::Builder::default()
        // Registered first, as the plugin requires: a second launch focuses this window and
        // exits 0 before it could start a second set of engine watchers.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            window::show(app);
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| Ok(setup(app, logging, settings)?))
        // The page's first request, its snapshot, is written while the page loads.
        .on_page_load(|webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Started {
                if let (Some(prepared), Some(registry)) = (
                    webview.try_state::<prepared::Prepared>(),
                    webview.try_state::<Registry>(),
                ) {
                    prepared.on_navigation(&registry);
                }
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::snapshot,
            commands::retry_now,
            commands::container_action,
            history::open_events,
            history::close_events,
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
        if relaunch::should_relaunch(&e) {
            // stderr, not only the log: the logger's writer may not flush before the exec.
            eprintln!("skiff-desktop: {e:#}; the running instance left: starting again");
            tracing::info!(error = %e, "the running instance left before it answered: starting again");
            let failed = relaunch::relaunch();
            eprintln!("skiff-desktop: could not start again: {failed}");
        }
        eprintln!("skiff-desktop: {e:#}");
        std::process::exit(1);
    }
}
