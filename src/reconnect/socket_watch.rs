//! Waiting for a unix socket to appear (or change), without polling.
//!
//! An engine that is not running usually has no socket file. Instead of retrying on a timer,
//! Skiff watches the socket's directory with `notify` (inotify on Linux, FSEvents on macOS) and
//! tries again the moment the socket is created. The directory itself may be missing too
//! (`/run/user/1000/podman/` before the first `podman` run), so the watch is put on the nearest
//! existing ancestor and moved down as directories appear.
//!
//! The same watch reports attribute changes of the socket (`chmod`, `chown`), which is what can
//! fix a `permission_denied` engine without the user clicking Retry.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;

/// A watch on one socket path.
#[derive(Debug)]
pub struct SocketWatch {
    path: PathBuf,
    watched: PathBuf,
    watcher: RecommendedWatcher,
    wake: Arc<Notify>,
}

/// Why a watch could not be set up; callers fall back to timed retries.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {path} for the engine socket: {source}")]
pub struct WatchError {
    path: PathBuf,
    source: notify::Error,
}

impl SocketWatch {
    pub fn new(path: &Path) -> Result<Self, WatchError> {
        let wake = Arc::new(Notify::new());
        let target = path.to_path_buf();
        let waker = Arc::clone(&wake);
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            // Runs on notify's thread. Any event under the watched directory may matter (the
            // socket, or a directory on the way to it); `Notify` stores one permit, so a burst of
            // events costs one wake-up, never a queue.
            // Reads are not changes: the kubeconfig watch would otherwise wake on Skiff's own
            // read of the file (inotify reports opens and closes), retrying in a loop.
            if let Ok(event) = res.as_ref().map_or(Err(()), |e| {
                if matches!(e.kind, notify::EventKind::Access(_)) {
                    Err(())
                } else {
                    Ok(e)
                }
            }) {
                // Only the socket itself, or a directory on the way to it (`target` starts with
                // it), matters: other files next to the socket (logs, pid files) must not wake
                // an engine that stopped retrying.
                if event.paths.is_empty() || event.paths.iter().any(|p| target.starts_with(p)) {
                    waker.notify_one();
                }
            }
        })
        .map_err(|source| WatchError {
            path: path.to_path_buf(),
            source,
        })?;
        let mut watch = Self {
            path: path.to_path_buf(),
            watched: PathBuf::new(),
            watcher,
            wake,
        };
        watch.arm()?;
        Ok(watch)
    }

    /// Watches the nearest existing ancestor of the socket (its parent when it exists).
    fn arm(&mut self) -> Result<(), WatchError> {
        let nearest = self
            .path
            .ancestors()
            .skip(1)
            .find(|p| p.is_dir())
            .unwrap_or_else(|| Path::new("/"))
            .to_path_buf();
        if nearest == self.watched {
            return Ok(());
        }
        if !self.watched.as_os_str().is_empty() {
            let _ = self.watcher.unwatch(&self.watched);
        }
        self.watcher
            .watch(&nearest, RecursiveMode::NonRecursive)
            .map_err(|source| WatchError {
                path: nearest.clone(),
                source,
            })?;
        self.watched = nearest;
        Ok(())
    }

    /// Resolves once the socket exists (at once if it already does).
    pub async fn appeared(&mut self) {
        loop {
            if self.path.exists() {
                return;
            }
            self.wake.notified().await;
            // A directory on the way may have appeared: move the watch down. If that fails the
            // old watch stays, and the caller's safety timer still retries.
            let _ = self.arm();
        }
    }

    /// Resolves at the next change of the socket or its directory (creation, removal, `chmod`).
    pub async fn changed(&mut self) {
        self.wake.notified().await;
        let _ = self.arm();
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn resolves_when_the_socket_is_created_in_a_directory_that_did_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("a/b/engine.sock");
        let mut watch = SocketWatch::new(&sock).unwrap();
        let creator = {
            let sock = sock.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                std::fs::create_dir_all(sock.parent().unwrap()).unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
                tokio::time::sleep(Duration::from_millis(500)).await;
            })
        };
        tokio::time::timeout(Duration::from_secs(10), watch.appeared())
            .await
            .expect("socket appearance noticed");
        assert!(sock.exists());
        creator.abort();
    }

    #[tokio::test]
    async fn an_existing_socket_resolves_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("engine.sock");
        let _l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let mut watch = SocketWatch::new(&sock).unwrap();
        tokio::time::timeout(Duration::from_secs(1), watch.appeared())
            .await
            .unwrap();
    }
}
