//! The app started where no display answers (a bare SSH session, a service, a broken `DISPLAY`):
//! one line that says what was tried, exit code 1, and no panic or backtrace.

#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::{Command, Output};

fn start(dir: &Path, display: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_skiff-desktop"));
    command
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        // GTK also looks for Wayland's default socket in the runtime directory: an empty one.
        .env("XDG_RUNTIME_DIR", dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("RUST_BACKTRACE", "1");
    if let Some(display) = display {
        command.env("DISPLAY", display);
    }
    command.output().expect("run skiff-desktop")
}

fn assert_one_clear_line(out: &Output, tried: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "skiff-desktop: cannot open a window: no display answered ({tried})"
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn without_a_display_the_app_says_so_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = start(dir.path(), None);
    assert_one_clear_line(&out, "DISPLAY unset, WAYLAND_DISPLAY unset");
}

#[test]
fn a_display_nothing_answers_on_is_named() {
    // No X server listens on display 9137 (its socket would be /tmp/.X11-unix/X9137).
    if Path::new("/tmp/.X11-unix/X9137").exists() {
        eprintln!("SKIPPED: an X server runs on :9137 here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = start(dir.path(), Some(":9137"));
    assert_one_clear_line(&out, "DISPLAY=:9137, WAYLAND_DISPLAY unset");
}
