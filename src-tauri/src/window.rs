//! The main window's life: built from its config, closed to the tray, built again to be shown.
//!
//! Closing the window while the tray is there does not hide it: the window and its webview are
//! destroyed, and the app runs on in the tray (the watchers, the tray icon, the notifications).
//! A hidden webview kept WebKit's web process alive (~230 MiB PSS with 1,000 containers) and
//! its timers woke it ~30 ms of CPU a minute for a page nobody saw; that was most of what Skiff
//! cost hidden to the tray. Showing it again builds a fresh page, which takes one snapshot of
//! the registry, as a reload does (~0.5 s, `make bench`'s cold start).
//!
//! What the page followed (log views, stats, terminals) is ended with it: nothing else would
//! ever close them. Without a tray, closing the window quits, as before.

use tauri::{AppHandle, Manager, RunEvent, WindowEvent};

/// The main window's label in `tauri.conf.json`.
pub const MAIN: &str = "main";

/// Builds the windows of the config that Tauri left to the app (`create: false`): one with
/// `create: true` was built before `setup`, and building it again would fail on its label.
pub fn build_deferred(app: &AppHandle) -> tauri::Result<()> {
    let deferred: Vec<_> = app
        .config()
        .app
        .windows
        .iter()
        .filter(|w| !w.create)
        .cloned()
        .collect();
    for window in deferred {
        build(app, &window)?;
    }
    Ok(())
}

/// Builds a window of the config, with the WebKit features its page does without turned off
/// (`webkit_features.rs`): every window the app builds goes through here.
///
/// Built hidden, then shown when the config says visible, because a window built visible can
/// lose its first close. On Linux tao maps a visible window while building it, then wires its
/// events (the delete handler among them) in a request its event loop handles later: a close in
/// between was lost (with both cores busy, 3 starts in 10 in one measurement, 1 in 10 in another:
/// `tests/e2e/tray.test.mjs`). `show()` sends its request after that one, so the window is never
/// mapped before it can be closed.
fn build(
    app: &AppHandle,
    config: &tauri::utils::config::WindowConfig,
) -> tauri::Result<tauri::WebviewWindow> {
    let window = tauri::WebviewWindowBuilder::from_config(app, config)?
        .visible(false)
        .build()?;
    crate::webkit_features::turn_off_unneeded(&window);
    if config.visible {
        window.show()?;
    }
    Ok(window)
}

/// Shows, restores and focuses the main window, building it if it was closed to the tray (tray,
/// second launch).
pub fn show(app: &AppHandle) {
    let window = if let Some(window) = app.get_webview_window(MAIN) {
        window
    } else {
        let Some(config) = app.config().app.windows.iter().find(|w| w.label == MAIN) else {
            return;
        };
        match build(app, config) {
            Ok(window) => window,
            Err(e) => {
                tracing::warn!(error = %e, "could not open the window again");
                return;
            }
        }
    };
    let _ = window.show();
    let _ = window.unminimize();
    let _ = window.set_focus();
}

/// The window's events: its destruction ends what its page followed, and what they and the
/// webview held is given back once things are quiet.
pub fn on_event(window: &tauri::Window, event: &WindowEvent) {
    if let WindowEvent::Destroyed = event {
        end_follows(window.app_handle());
        if let Some(trimmer) = window.app_handle().try_state::<crate::trim::Trimmer>() {
            trimmer.poke();
        }
    }
}

/// Ends what the page followed: its log views, stats, events feed and terminals.
pub fn end_follows(app: &AppHandle) {
    if let Some(views) = app.try_state::<crate::details::LogViews>() {
        views.0.close_all();
    }
    if let Some(views) = app.try_state::<crate::stats::StatsViews>() {
        views.0.close_all();
    }
    if let Some(views) = app.try_state::<crate::history::EventsViews>() {
        views.0.close_all();
    }
    if let Some(terminals) = app.try_state::<crate::terminal::Terminals>() {
        terminals.0.close_all();
    }
}

/// The app's events: the last window closing does not end the app while the tray is there
/// (its Quit, or the session ending, does).
pub fn on_run_event(app: &AppHandle, event: RunEvent) {
    match event {
        RunEvent::ExitRequested { api, code, .. }
            if code.is_none() && app.tray_by_id(crate::tray::ID).is_some() =>
        {
            api.prevent_exit();
        }
        RunEvent::Exit => crate::quit::wind_down(app),
        _ => {}
    }
}
