//! Quitting: the tray's Quit, the session ending (SIGTERM), Ctrl-C in a terminal, or the last
//! window closing without a tray.
//!
//! Tauri ends the process with `std::process::exit` once the event loop is done, so nothing the
//! runtime holds is ever dropped: an SSH engine's `ssh -N` (killed when its tunnel is dropped)
//! would outlive the app, connected to the remote host, and its socket directory would stay in
//! the temp directory. So the exit does what the CLI's runtime does on its own: it ends the
//! watchers and what the page followed, and waits a moment for them to drop their sessions.

use std::time::Duration;

use skiff::registry::Registry;
use tauri::{AppHandle, Manager};

/// How long the exit waits for the watchers. Dropping a session is quick (a local kill and a
/// directory removed); a task that does not end in this time is not worth keeping a user's
/// Quit waiting for.
const WIND_DOWN: Duration = Duration::from_secs(2);

/// Kept in Tauri's state: firing it ends every watcher and consumer of the core.
pub struct Running {
    pub shutdown: skiff::shutdown::ShutdownTrigger,
}

/// A termination or an interrupt quits as the tray's Quit does (the exit below runs).
#[cfg(unix)]
pub fn on_signals(app: &AppHandle) {
    use tokio::signal::unix::{signal, SignalKind};
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!("cannot listen for SIGTERM: a session ending will not quit cleanly");
            return;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("terminated: quitting"),
            _ = int.recv() => tracing::info!("interrupted: quitting"),
        }
        app.exit(0);
    });
}

#[cfg(not(unix))]
pub fn on_signals(_app: &AppHandle) {}

/// At `RunEvent::Exit`, on the main thread: ends the watchers and the page's follows, then
/// waits (at most [`WIND_DOWN`]) for the engines' tasks to end.
pub fn wind_down(app: &AppHandle) {
    if let Some(running) = app.try_state::<Running>() {
        running.shutdown.fire();
    }
    crate::window::end_follows(app);
    let Some(registry) = app.try_state::<Registry>() else {
        return;
    };
    let registry = registry.inner().clone();
    let ended = tauri::async_runtime::block_on(async move {
        tokio::time::timeout(WIND_DOWN, registry.tasks_ended()).await
    });
    if ended.is_err() {
        tracing::warn!(
            "some engine tasks were still running {} s after Quit",
            WIND_DOWN.as_secs()
        );
    }
}
