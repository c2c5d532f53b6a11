//! When a container's stream (its log, its stats) may be read again after it ended: the one
//! answer every per-container stream uses, so none of them retries on its own.
//!
//! A [`Revival`] is a subscription to the hub, narrowed to one container. It says `Reopen`
//! when the engine is `connected` again (its watcher, under the one supervisor, found it
//! back), when the container is `running` again, and when the subscription fell behind (read
//! once more rather than guess); `Gone` when the container was removed or the registry
//! stopped. While the engine is down it says nothing, so a stream waiting on it costs the
//! engine nothing.

use std::future::Future;

use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

use super::delta::Change;
use super::hub::{Registry, RegistryEvent};
use crate::engine::{ActionError, ActionErrorKind};
use crate::shutdown::Shutdown;
use crate::watcher::EngineState;

/// What a waiting stream should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Read again.
    Reopen,
    /// The container is gone (or the registry stopped): end.
    Gone,
}

/// The reasons to read a stream of one container (or of a few of one engine) again.
#[derive(Debug)]
pub struct Revival {
    events: broadcast::Receiver<RegistryEvent>,
    engine: String,
    /// The containers still there; the stream is gone with the last of them.
    ids: Vec<String>,
}

impl Registry {
    /// Subscribes now: every change from this moment on counts.
    #[must_use]
    pub fn revival(&self, engine: &str, id: &str) -> Revival {
        self.revival_of(engine, &[id.to_owned()])
    }

    /// [`Registry::revival`] for a stream of several containers of `engine` (Podman's stats
    /// of many in one request): any of them running again is a reason to read again; the
    /// removal of one is one too (the next read leaves it out), and of the last, the end.
    #[must_use]
    pub fn revival_of(&self, engine: &str, ids: &[String]) -> Revival {
        Revival {
            events: self.subscribe(),
            engine: engine.to_owned(),
            ids: ids.to_vec(),
        }
    }

    /// The kind of `engine` (known once it connected).
    #[must_use]
    pub fn engine_kind(&self, engine: &str) -> Option<crate::engine::EngineKind> {
        self.lock().statuses.get(engine).and_then(|s| s.kind)
    }

    /// Whether `engine` is connected now.
    #[must_use]
    pub fn is_connected(&self, engine: &str) -> bool {
        self.lock()
            .statuses
            .get(engine)
            .is_some_and(|s| s.state == EngineState::Connected)
    }
}

impl Revival {
    #[must_use]
    pub fn engine(&self) -> &str {
        &self.engine
    }

    /// Takes every change already queued (a read about to start covers them); `Some(Gone)` if
    /// one of them says the container is gone.
    pub fn drain(&mut self) -> Option<Wake> {
        loop {
            match self.events.try_recv() {
                Ok(event) => {
                    if self.wake(&Ok(event)) == Some(Wake::Gone) {
                        return Some(Wake::Gone);
                    }
                }
                Err(TryRecvError::Lagged(_)) => {}
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Closed) => return Some(Wake::Gone),
            }
        }
    }

    /// Waits for the next reason to read again.
    pub async fn next(&mut self) -> Wake {
        loop {
            let event = self.events.recv().await;
            if let Some(wake) = self.wake(&event) {
                return wake;
            }
        }
    }

    fn wake(&mut self, event: &Result<RegistryEvent, RecvError>) -> Option<Wake> {
        match event {
            Ok(RegistryEvent::Engine(s))
                if s.engine == self.engine && s.state == EngineState::Connected =>
            {
                Some(Wake::Reopen)
            }
            Ok(RegistryEvent::Delta(d)) if *d.engine == *self.engine => match &d.change {
                Change::Upsert { container }
                    if container.state == "running" && self.ids.contains(&container.id) =>
                {
                    Some(Wake::Reopen)
                }
                Change::Remove { id } if self.ids.contains(id) => {
                    self.ids.retain(|i| i != id);
                    Some(if self.ids.is_empty() {
                        Wake::Gone
                    } else {
                        Wake::Reopen
                    })
                }
                _ => None,
            },
            Ok(_) => None,
            Err(RecvError::Lagged(_)) => Some(Wake::Reopen),
            Err(RecvError::Closed) => Some(Wake::Gone),
        }
    }
}

/// How one read of a stream stopped.
#[derive(Debug)]
pub enum Step<E> {
    /// The stream ended or broke: wait for a reason to read again.
    Break,
    /// Reading cannot go on (the user's answer, or a sink that failed).
    Fatal(E),
    /// The container is gone.
    Gone,
}

impl Step<ActionError> {
    /// What a failed request means for a per-container stream: the container gone (on a
    /// resume), the user's answer (the first request of a one-shot read, or a refusal that is
    /// not the engine's absence), or a break to wait out (a follow whose engine is away).
    #[must_use]
    pub fn after_failed_open(error: ActionError, first: bool, follow: bool) -> Self {
        match error.kind {
            ActionErrorKind::NotFound if !first => Self::Gone,
            kind if first && (!follow || kind != ActionErrorKind::Engine) => Self::Fatal(error),
            _ => Self::Break,
        }
    }
}

/// How a stream read with [`reread`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It was read to its end (not followed).
    Complete,
    /// The container was removed, or the registry stopped.
    Gone,
    /// Shutdown.
    Stopped,
}

/// One request of a per-container stream, read to its end. `first` is the very first read
/// (where the user asked); every later one resumes.
pub trait Reread {
    type Error;
    fn read(&mut self, first: bool) -> impl Future<Output = Step<Self::Error>>;
}

/// Reads `reader` once, and with `follow` again every time [`Revival`] says the container of
/// `engine` may be read again, until it is gone or `shutdown`: the one loop of every
/// per-container stream (logs, stats). A read after the first is made only while the engine
/// is connected.
///
/// `revival` is subscribed before the first read (a restart during it is a reason to read
/// again) and says which engine and containers.
pub async fn reread<R: Reread>(
    reader: &mut R,
    registry: &Registry,
    mut revival: Revival,
    follow: bool,
    shutdown: Shutdown,
) -> Result<Ended, R::Error> {
    let engine = revival.engine.clone();
    let engine = engine.as_str();
    let shutdown = shutdown.wait();
    tokio::pin!(shutdown);
    let mut first = true;
    loop {
        // What arrived before this read is covered by it.
        if revival.drain() == Some(Wake::Gone) {
            return Ok(Ended::Gone);
        }
        if first || registry.is_connected(engine) {
            tokio::select! {
                step = reader.read(first) => match step {
                    Step::Break => {}
                    Step::Fatal(e) => return Err(e),
                    Step::Gone => return Ok(Ended::Gone),
                },
                () = &mut shutdown => return Ok(Ended::Stopped),
            }
        }
        if !follow {
            return Ok(Ended::Complete);
        }
        first = false;
        tokio::select! {
            wake = revival.next() => if wake == Wake::Gone {
                return Ok(Ended::Gone);
            },
            () = &mut shutdown => return Ok(Ended::Stopped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(kind: ActionErrorKind, first: bool, follow: bool) -> &'static str {
        match Step::after_failed_open(ActionError::new(kind, "x"), first, follow) {
            Step::Break => "break",
            Step::Fatal(_) => "fatal",
            Step::Gone => "gone",
        }
    }

    #[test]
    fn a_failed_open_is_the_users_answer_first_and_a_break_to_wait_out_later() {
        use ActionErrorKind::{Engine, Forbidden, NotFound};
        assert_eq!(failed(NotFound, true, true), "fatal", "no such container");
        assert_eq!(failed(NotFound, false, true), "gone", "removed meanwhile");
        assert_eq!(failed(Engine, true, false), "fatal", "a one-shot read");
        assert_eq!(
            failed(Engine, true, true),
            "break",
            "a follow waits for the engine"
        );
        assert_eq!(failed(Engine, false, true), "break");
        assert_eq!(failed(Forbidden, true, true), "fatal");
    }
}
