//! Starting a user Podman service, for the app's "Start Podman" button: the remedy when Podman
//! is installed but no engine runs.
//!
//! The service is `podman system service --time=0` on the socket where discovery looks for it
//! (`$XDG_RUNTIME_DIR/podman/podman.sock` for a user; `/run/podman/podman.sock` for root), in its
//! own process group so that it outlives Skiff like a service would, with its output in Skiff's
//! data dir. `systemctl --user start podman.socket` is the persistent way; this is the one-click
//! way for sessions without the socket unit.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::engine::Endpoint;

/// Why the service could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("podman is not installed (no `podman` on PATH)")]
    NotInstalled,
    #[error("no runtime directory for the socket: XDG_RUNTIME_DIR is not set")]
    NoRuntimeDir,
    #[error("cannot start podman: {0}")]
    Spawn(std::io::Error),
    #[error("podman exited before answering ({status}); its output: {log}")]
    Exited { status: String, log: String },
    #[error("podman did not answer on {socket} within {seconds} s; its output: {log}")]
    NoAnswer {
        socket: PathBuf,
        seconds: u64,
        log: String,
    },
}

/// What the window needs to offer the "Start Podman" remedy.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(export_to = "PodmanSetup.ts")]
pub struct PodmanSetup {
    /// `podman` is on PATH.
    pub installed: bool,
    /// Where a started service would listen (`None` without a runtime directory).
    pub socket: Option<String>,
}

#[must_use]
pub fn setup() -> PodmanSetup {
    PodmanSetup {
        installed: installed(),
        socket: socket_path().ok().map(|p| p.display().to_string()),
    }
}

/// Whether a `podman` executable is on `PATH`.
#[must_use]
pub fn installed() -> bool {
    find_on_path("podman").is_some()
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// The socket a started service listens on: where discovery looks for Podman.
pub fn socket_path() -> Result<PathBuf, ServiceError> {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("podman/podman.sock"));
    }
    if is_root() {
        return Ok(PathBuf::from("/run/podman/podman.sock"));
    }
    Err(ServiceError::NoRuntimeDir)
}

fn is_root() -> bool {
    // Without libc: the owner of /proc/self is the process's user.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Starts `podman system service --time=0` on `socket`, output to `log`, and waits until it
/// answers `/_ping` (at most `limit`; past it the child is killed). Returns the service's pid, or 0
/// when a service already answered on `socket`.
pub async fn start(socket: &Path, log: &Path, limit: Duration) -> Result<u32, ServiceError> {
    if !installed() {
        return Err(ServiceError::NotInstalled);
    }
    if let Some(dir) = socket.parent() {
        std::fs::create_dir_all(dir).map_err(ServiceError::Spawn)?;
    }
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).map_err(ServiceError::Spawn)?;
    }
    // A service already answering on the socket (a second click, a second window) is used as it
    // is: a second `podman system service` on the same socket would steal it from the first.
    if crate::engine::http::ping(&Endpoint::Unix(socket.to_path_buf()))
        .await
        .is_ok()
    {
        return Ok(0);
    }
    let out = std::fs::File::create(log).map_err(ServiceError::Spawn)?;
    let err = out.try_clone().map_err(ServiceError::Spawn)?;
    let mut command = tokio::process::Command::new("podman");
    command
        .args(["system", "service", "--time=0"])
        .arg(format!("unix://{}", socket.display()))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .kill_on_drop(false);
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command.spawn().map_err(ServiceError::Spawn)?;
    let pid = child.id().unwrap_or(0);
    let endpoint = Endpoint::Unix(socket.to_path_buf());
    let deadline = tokio::time::Instant::now() + limit;
    let tail = || {
        // The last 64 KiB at most: the service's log can be large after a long life.
        let text = read_tail(log, 64 * 1024);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" / ")
    };
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(ServiceError::Exited {
                status: status.to_string(),
                log: tail(),
            });
        }
        if crate::engine::http::ping(&endpoint).await.is_ok() {
            return Ok(pid);
        }
        if tokio::time::Instant::now() >= deadline {
            // Not left behind half-started: it would hold the socket and answer later, or never.
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
            return Err(ServiceError::NoAnswer {
                socket: socket.to_path_buf(),
                seconds: limit.as_secs(),
                log: tail(),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The last `cap` bytes of a file, as text (a cut character is replaced).
fn read_tail(path: &Path, cap: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(cap)));
    let mut bytes = Vec::new();
    let _ = file.take(cap).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_end_of_a_large_log_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("podman-service.log");
        let mut body = "old line\n".repeat(100_000);
        body.push_str("Error: last words\n");
        std::fs::write(&path, body).unwrap();
        let tail = read_tail(&path, 4096);
        assert!(tail.len() <= 4096 && tail.ends_with("Error: last words\n"));
    }

    #[test]
    fn the_socket_is_where_discovery_looks() {
        // XDG_RUNTIME_DIR is set in desktop sessions; the path matches discovery's well-known one.
        if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
            assert_eq!(
                socket_path().unwrap(),
                PathBuf::from(dir).join("podman/podman.sock")
            );
        } else if is_root() {
            assert_eq!(
                socket_path().unwrap(),
                PathBuf::from("/run/podman/podman.sock")
            );
        }
    }
}
