//! The private directories of SSH tunnels (`skiff-ssh-*` in the temp dir), and the removal of
//! those a process left behind.
//!
//! A [`super::ssh::Tunnel`] removes its directory when it is dropped. A process that ends
//! without dropping it leaves the directory and its dead socket: the desktop app when it quits
//! (the process exits with its watchers still running), a `skiff watch` that was killed. Found
//! after CI runs: one directory per run, every run. Each process that opens a tunnel first
//! removes the directories nobody serves any more, so they do not pile up over weeks of use.
//!
//! Nobody serves a directory when none of its sockets accepts a connection: a live tunnel's
//! `ssh` listens on its `engine.sock` (Podman's form) or its `control` master (Docker's form).
//! A directory younger than a minute is left alone, whatever it holds: its tunnel may be
//! starting, with no socket yet.

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// The prefix of a tunnel's directory in the temp dir.
pub const PREFIX: &str = "skiff-ssh-";

/// The sockets a tunnel's `ssh` serves in its directory.
const SOCKETS: [&str; 2] = ["engine.sock", "control"];

/// How old a directory must be before it may be removed.
pub const GRACE: Duration = Duration::from_secs(60);

/// [`sweep`] of the temp dir, where tunnels make their directories, off the async threads.
pub async fn sweep_temp() {
    let temp = std::env::temp_dir();
    if let Ok(removed @ 1..) = tokio::task::spawn_blocking(move || sweep(&temp, GRACE)).await {
        tracing::info!(
            removed,
            "removed SSH tunnel directories that ended processes left"
        );
    }
}

/// Removes the tunnel directories in `base` older than `grace` that no socket is served in.
/// Returns how many it removed. Errors (a directory of another user, one removed meanwhile) are
/// skipped: this is housekeeping, never a reason to fail a connection.
#[must_use]
pub fn sweep(base: &Path, grace: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(base) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        if !meta.is_dir() || age < grace || served(&path) {
            continue;
        }
        if std::fs::remove_dir_all(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

fn served(dir: &Path) -> bool {
    SOCKETS
        .iter()
        .map(|name| dir.join(name))
        .any(|socket| UnixStream::connect(socket).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    #[test]
    fn only_old_directories_that_no_socket_is_served_in_are_removed() {
        let base = tempfile::tempdir().unwrap();
        let dir = |name: &str| {
            let d = base.path().join(name);
            std::fs::create_dir(&d).unwrap();
            d
        };
        // A tunnel whose process ended: its socket file is there, nobody listens on it.
        let dead = dir("skiff-ssh-dead");
        drop(UnixListener::bind(dead.join("engine.sock")).unwrap());
        // Docker's form, still served by its master.
        let live = dir("skiff-ssh-live");
        let _master = UnixListener::bind(live.join("control")).unwrap();
        // Nothing in it yet (a tunnel starting, or one that never got a socket).
        let empty = dir("skiff-ssh-empty");
        // Not a tunnel's.
        let other = dir("something-else");

        // Too young: nothing is removed.
        assert_eq!(sweep(base.path(), Duration::from_secs(3600)), 0);
        assert!(dead.exists() && empty.exists());

        assert_eq!(sweep(base.path(), Duration::ZERO), 2);
        assert!(!dead.exists() && !empty.exists());
        assert!(live.join("control").exists(), "a served tunnel is kept");
        assert!(other.exists());
    }

    #[test]
    fn a_base_that_cannot_be_read_removes_nothing() {
        assert_eq!(sweep(Path::new("/nonexistent/skiff"), Duration::ZERO), 0);
    }
}
