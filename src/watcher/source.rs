//! What the supervisor supervises: a [`Source`] is one kind of stream (a Docker/Podman events
//! stream, a Kubernetes pod watch; next, logs, stats and exec sessions), reduced to the two
//! steps that differ between them: connect, then stream until it ends or fails.
//!
//! Everything around those steps is the supervisor's, once for all sources: the status, the
//! backoff, the outage bookkeeping, Retry now and Enable, the socket (or kubeconfig) watch, the
//! disabled state and the liveness ping. A source never waits to retry; it returns its failure
//! and the supervisor decides (see [`super::policy`]).

use std::future::Future;
use std::path::PathBuf;

use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::{AttemptTrigger, EngineStatus, WatchEvent};
use crate::engine::{EngineKind, ErrorInfo};

/// The receiving end is gone (the registry dropped the engine, or the app is stopping): a
/// source that gets this stops at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the registry stopped listening")]
pub struct Closed;

/// How a source's stream stopped.
#[derive(Debug)]
pub enum Ended {
    /// It broke or the engine misbehaved: the supervisor publishes the error and waits.
    Failed(ErrorInfo),
    /// Nobody listens any more.
    Closed,
}

impl From<Closed> for Ended {
    fn from(Closed: Closed) -> Self {
        Self::Closed
    }
}

/// A liveness check of a connected source: resolves once the engine answered. Cheap to call
/// every 30 s (it holds a clone of the session's client).
pub type Probe = Box<dyn Fn() -> BoxFuture<'static, Result<(), ErrorInfo>> + Send + Sync>;

/// What a successful connection learnt.
pub struct Connected {
    pub kind: Option<EngineKind>,
    pub version: Option<String>,
    /// The endpoint as the status shows it, when connecting resolved it (a context's server).
    pub endpoint: Option<String>,
    /// The liveness check, run by the supervisor while the source streams.
    pub probe: Probe,
}

impl std::fmt::Debug for Connected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connected")
            .field("kind", &self.kind)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// One supervised stream.
///
/// Both steps may be dropped at any await point (Retry now restarts a hung connect, Disable
/// abandons either): they hold no lock across an await and own their connection.
pub trait Source: Send {
    /// The file whose appearance or change is a reason to try again at once: the engine's unix
    /// socket, a context's kubeconfig. `None`: timers and the user only.
    fn watch_path(&self) -> Option<PathBuf>;

    /// Connects, bounded in time: resolves once the engine answered, or with the failure.
    fn connect(
        &mut self,
        trigger: AttemptTrigger,
    ) -> impl Future<Output = Result<Connected, ErrorInfo>> + Send;

    /// Streams into `link` (a relist first, if the source has one) until the stream ends or
    /// fails. Called only after a successful [`Source::connect`].
    fn follow(&mut self, link: &Link) -> impl Future<Output = Ended> + Send;

    /// Drops what the source keeps between sessions (a resumable watch): called when the user
    /// disables it and when its liveness check failed (the connection may be dead).
    fn forget(&mut self) {}
}

/// The supervisor's channel to the registry, shared with the source while it streams: events,
/// and the status they are interleaved with, go out through the one ordered queue.
#[derive(Debug)]
pub struct Link {
    status: Mutex<EngineStatus>,
    out: mpsc::Sender<WatchEvent>,
}

impl Link {
    pub(super) fn new(status: EngineStatus, out: mpsc::Sender<WatchEvent>) -> Self {
        Self {
            status: Mutex::new(status),
            out,
        }
    }

    /// Sends one item; waits while the registry's queue is full (backpressure onto the stream).
    pub async fn send(&self, item: WatchEvent) -> Result<(), Closed> {
        self.out.send(item).await.map_err(|_| Closed)
    }

    /// Changes the status with `change`, stamps it now and publishes it.
    pub async fn update(&self, change: impl FnOnce(&mut EngineStatus)) -> Result<(), Closed> {
        let status = {
            let mut status = self.status.lock();
            change(&mut status);
            status.at = super::now_rfc3339();
            status.clone()
        };
        self.send(WatchEvent::Status(status)).await
    }

    /// The status as last published (or about to be).
    #[must_use]
    pub fn status(&self) -> EngineStatus {
        self.status.lock().clone()
    }

    pub(super) fn with_status<T>(&self, read: impl FnOnce(&mut EngineStatus) -> T) -> T {
        read(&mut self.status.lock())
    }

    pub(super) async fn closed(&self) {
        self.out.closed().await;
    }
}
