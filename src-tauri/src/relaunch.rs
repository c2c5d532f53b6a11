//! A launch that finds the running instance on its way out starts again, once.
//!
//! The single-instance plugin hands a second launch over to the running instance: it takes the
//! D-Bus name, finds it owned, and calls the owner. If the owner quits at that moment (Quit, then
//! launching Skiff again at once), the call fails with "recipient disconnected without
//! replying", the plugin fails the app's start, and the user's launch shows nothing. Found in
//! CI: the tray test's launch came right after the previous test's app was closed, on a loaded
//! machine.
//!
//! The app cannot build itself twice in one process (GTK's event loop is made once), so the
//! launch runs itself again, with a marker in its environment: the name is free by then and
//! the new process takes it. With the marker, a second failure is reported as it is: an owner
//! that is there but does not answer is not helped by launching a third time.

/// Set in the environment of the process that runs again.
const MARKER: &str = "SKIFF_RELAUNCHED";

/// Whether `error` is the single-instance hand-over failing and this process may run again.
pub fn should_relaunch(error: &tauri::Error) -> bool {
    matches!(error, tauri::Error::PluginInitialization(plugin, _) if plugin == "single-instance")
        && std::env::var_os(MARKER).is_none()
}

/// Replaces this process with a new run of the same program and arguments; returns only if
/// that could not be done.
#[cfg(unix)]
pub fn relaunch() -> std::io::Error {
    use std::os::unix::process::CommandExt;
    let program = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return e,
    };
    std::process::Command::new(program)
        .args(std::env::args_os().skip(1))
        .env(MARKER, "1")
        .exec()
}

#[cfg(not(unix))]
pub fn relaunch() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "running again is implemented on Unix only",
    )
}
