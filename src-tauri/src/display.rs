//! The display the window opens on, checked before the app is built.
//!
//! Without one (no `DISPLAY` or `WAYLAND_DISPLAY`, an X server that refused the connection, an
//! SSH session without forwarding), tao's event loop panics with "Failed to initialize gtk
//! backend!" and a backtrace. Opening GTK first turns that into one line that says what was tried
//! and what to do instead, and exit code 1. tao's own `gtk::init` then finds GTK open on this
//! (the main) thread and goes on.

use std::ffi::OsString;

/// No display could be opened.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot open a window: no display answered ({tried}). Start Skiff in a desktop session, \
     or use the `skiff` command in a terminal (`skiff ps`, `skiff watch`)"
)]
pub struct NoDisplay {
    tried: String,
}

/// Opens GTK's display. Must run on the main thread, before the app is built.
#[cfg(target_os = "linux")]
pub fn open() -> Result<(), NoDisplay> {
    gtk::init().map_err(|_| NoDisplay {
        tried: tried(|name| std::env::var_os(name)),
    })
}

/// Other systems always have their one display.
#[cfg(not(target_os = "linux"))]
pub fn open() -> Result<(), NoDisplay> {
    Ok(())
}

/// What GTK was given to find a display: the two variables, set or not.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn tried(var: impl Fn(&str) -> Option<OsString>) -> String {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .map(|name| match var(name) {
            Some(value) => format!("{name}={}", value.to_string_lossy()),
            None => format!("{name} unset"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_names_what_was_tried_and_what_to_do() {
        let err = NoDisplay {
            tried: tried(|name| (name == "DISPLAY").then(|| ":99".into())),
        };
        let text = err.to_string();
        assert!(
            text.contains("(DISPLAY=:99, WAYLAND_DISPLAY unset)"),
            "{text}"
        );
        assert!(text.contains("`skiff ps`"), "{text}");
    }
}
