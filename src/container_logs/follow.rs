//! Reading a container's log, and following it across breaks.
//!
//! A follow never reconnects on its own and has no timer: it is one more consumer of the
//! registry. When its stream ends it waits for a reason to read again that the registry
//! publishes anyway:
//!
//! - the engine is `connected` again: the engine's own watcher, under the one supervisor, found
//!   it back (after a restart of the Podman service, a crash of dockerd, a lost connection).
//!   While the engine is down a follow makes no attempt at all, so twenty open log views cost
//!   the engine nothing more than its watcher's attempts;
//! - the container is `running` again: a restart, or a start after it stopped (Docker ends a
//!   follow when the container stops; so does Podman);
//! - the registry fell behind (a lag): it reads once more rather than guess.
//!
//! Every read after the first resumes at the [`Cursor`]: `since` the last message delivered,
//! the messages already delivered dropped, so the lines received have neither gap nor repeat.
//! A follow ends when the container is removed, when nobody listens, or at shutdown.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::broadcast::{self, error::RecvError};

use super::cursor::{Cursor, Verdict};
use super::frame::{Demux, FrameError, Message};
use crate::engine::{ActionError, ActionErrorKind, LogBody, LogQuery};
use crate::registry::{Change, Registry, RegistryEvent};
use crate::shutdown::Shutdown;
use crate::watcher::EngineState;

/// Where the messages of a log go: the CLI's writers, a window's ring.
pub trait Sink {
    /// One message, in the log's order, delivered once.
    fn message(&mut self, message: Message) -> std::io::Result<()>;

    /// Everything that arrived so far was handed over: the moment to flush.
    fn flush(&mut self) -> std::io::Result<()>;
}

/// Why a log could not be read (a follow's breaks are not errors: it waits them out).
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The first open failed: no such container, the engine refused, or (without `follow`)
    /// could not be reached.
    #[error(transparent)]
    Open(ActionError),
    /// The engine could not read its own log file, and said so in the stream.
    #[error(transparent)]
    Engine(FrameError),
    /// The sink could not take a message (a closed pipe, a full disk).
    #[error("writing the log failed: {0}")]
    Sink(#[source] std::io::Error),
}

/// How a read or a follow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The log was read to its end (without `follow`).
    Complete,
    /// The container was removed, or the registry stopped.
    Gone,
    /// Shutdown.
    Stopped,
}

/// Counters of one follow, readable while it runs (the health page, the tests).
#[derive(Debug, Default)]
pub struct FollowStats {
    /// Requests made to the engine (the first, and one per resume).
    pub opens: AtomicU64,
    /// Messages delivered.
    pub messages: AtomicU64,
    /// Messages read again after a resume and dropped.
    pub repeats_dropped: AtomicU64,
}

/// One container's log, read once or followed.
#[derive(Debug)]
pub struct Follow {
    registry: Registry,
    engine: String,
    id: String,
    asked: LogQuery,
    cursor: Cursor,
    stats: Arc<FollowStats>,
}

/// Why one read stopped.
enum Stop {
    /// The stream ended or broke: wait for a reason to read again.
    Break,
    Fatal(LogError),
    Gone,
}

impl Follow {
    #[must_use]
    pub fn new(registry: Registry, engine: &str, id: &str, asked: LogQuery) -> Self {
        Self {
            registry,
            engine: engine.to_owned(),
            id: id.to_owned(),
            asked,
            cursor: Cursor::default(),
            stats: Arc::default(),
        }
    }

    #[must_use]
    pub fn stats(&self) -> Arc<FollowStats> {
        self.stats.clone()
    }

    /// Reads the log into `sink`; with `follow`, until the container is removed or `shutdown`.
    pub async fn run(
        &mut self,
        sink: &mut impl Sink,
        shutdown: Shutdown,
    ) -> Result<Ended, LogError> {
        // Subscribed before the first read: a restart during it is a reason to read again.
        let mut events = self.registry.subscribe();
        let shutdown = shutdown.wait();
        tokio::pin!(shutdown);
        let mut first = true;
        loop {
            // What arrived before this read is covered by it.
            if self.drain(&mut events) == Wake::Gone {
                return Ok(Ended::Gone);
            }
            if first || self.engine_connected() {
                let query = if first {
                    self.asked.clone()
                } else {
                    self.cursor.resume(&self.asked)
                };
                let read = self.read(&query, sink, first);
                tokio::select! {
                    stop = read => match stop {
                        Stop::Break => {}
                        Stop::Fatal(e) => return Err(e),
                        Stop::Gone => return Ok(Ended::Gone),
                    },
                    () = &mut shutdown => return Ok(Ended::Stopped),
                }
            }
            if !self.asked.follow {
                return Ok(Ended::Complete);
            }
            first = false;
            tokio::select! {
                wake = self.next_wake(&mut events) => if wake == Wake::Gone {
                    return Ok(Ended::Gone);
                },
                () = &mut shutdown => return Ok(Ended::Stopped),
            }
        }
    }

    fn engine_connected(&self) -> bool {
        self.registry
            .status(&self.engine)
            .is_some_and(|s| s.state == EngineState::Connected)
    }

    /// One request, read to its end.
    async fn read(&mut self, query: &LogQuery, sink: &mut impl Sink, first: bool) -> Stop {
        self.stats.opens.fetch_add(1, Ordering::Relaxed);
        let body = match self.registry.logs(&self.engine, &self.id, query).await {
            Ok(body) => body,
            Err(e) if e.kind == ActionErrorKind::NotFound && !first => return Stop::Gone,
            // A follow waits for the engine; a one-shot read, or a container that is not
            // there, is the user's answer.
            Err(e) if first && (!query.follow || e.kind != ActionErrorKind::Engine) => {
                return Stop::Fatal(LogError::Open(e));
            }
            Err(e) => {
                tracing::debug!(engine = %self.engine, id = %self.id, error = %e, "log not reopened; waiting for the engine");
                return Stop::Break;
            }
        };
        match self.pump(body, sink).await {
            Ok(()) => Stop::Break,
            Err(Pumped::Sink(e)) => Stop::Fatal(LogError::Sink(e)),
            Err(Pumped::Frame(e)) if !query.follow || matches!(e, FrameError::Engine(_)) => {
                Stop::Fatal(LogError::Engine(e))
            }
            Err(Pumped::Frame(e)) => {
                tracing::warn!(engine = %self.engine, id = %self.id, error = %e, "log stream unreadable; reading again when the engine changes");
                Stop::Break
            }
            Err(Pumped::Broken(e)) => {
                tracing::debug!(engine = %self.engine, id = %self.id, error = %e, "log stream broke");
                Stop::Break
            }
        }
    }

    async fn pump(&mut self, body: LogBody, sink: &mut impl Sink) -> Result<(), Pumped> {
        if let Some(t) = body.engine_time {
            self.cursor.opened_at(t);
        }
        let mut demux = Demux::new(body.framing);
        let mut chunks = body.chunks;
        while let Some(chunk) = chunks.next().await {
            demux.push(&chunk.map_err(Pumped::Broken)?);
            while let Some(message) = demux.next_message() {
                self.deliver(message.map_err(Pumped::Frame)?, sink)?;
            }
            sink.flush().map_err(Pumped::Sink)?;
        }
        if let Some(last) = demux.finish() {
            self.deliver(last, sink)?;
        }
        sink.flush().map_err(Pumped::Sink)
    }

    fn deliver(&mut self, message: Message, sink: &mut impl Sink) -> Result<(), Pumped> {
        match self.cursor.admit(&message) {
            Verdict::Deliver => {
                self.stats.messages.fetch_add(1, Ordering::Relaxed);
                sink.message(message).map_err(Pumped::Sink)
            }
            Verdict::Seen => {
                self.stats.repeats_dropped.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
        }
    }

    /// Takes every event already queued; `Gone` if one says the container is.
    fn drain(&self, events: &mut broadcast::Receiver<RegistryEvent>) -> Wake {
        loop {
            match events.try_recv() {
                Ok(event) => {
                    if self.wake(&Ok(event)) == Wake::Gone {
                        return Wake::Gone;
                    }
                }
                Err(broadcast::error::TryRecvError::Lagged(_)) => {}
                Err(broadcast::error::TryRecvError::Empty) => return Wake::Nothing,
                Err(broadcast::error::TryRecvError::Closed) => return Wake::Gone,
            }
        }
    }

    async fn next_wake(&self, events: &mut broadcast::Receiver<RegistryEvent>) -> Wake {
        loop {
            let event = events.recv().await;
            match self.wake(&event) {
                Wake::Nothing => {}
                wake => return wake,
            }
        }
    }

    /// Whether `event` is a reason to read again (see the module doc).
    fn wake(&self, event: &Result<RegistryEvent, RecvError>) -> Wake {
        match event {
            Ok(RegistryEvent::Engine(s))
                if s.engine == self.engine && s.state == EngineState::Connected =>
            {
                Wake::Reopen
            }
            Ok(RegistryEvent::Delta(d)) if d.engine == self.engine => match &d.change {
                Change::Upsert { container }
                    if container.id == self.id && container.state == "running" =>
                {
                    Wake::Reopen
                }
                Change::Remove { id } if *id == self.id => Wake::Gone,
                _ => Wake::Nothing,
            },
            Ok(_) => Wake::Nothing,
            Err(RecvError::Lagged(_)) => Wake::Reopen,
            Err(RecvError::Closed) => Wake::Gone,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wake {
    Nothing,
    Reopen,
    Gone,
}

enum Pumped {
    Broken(std::io::Error),
    Frame(FrameError),
    Sink(std::io::Error),
}
