//! Reading a container's log, and following it across breaks.
//!
//! A follow never reconnects on its own and has no timer: it is one more consumer of the
//! registry. When its stream ends it waits for a reason to read again that the registry
//! publishes anyway ([`Revival`](crate::registry::Revival)):
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

use futures_util::{FutureExt, StreamExt};

use super::cursor::{Cursor, Verdict};
use super::frame::{Demux, FrameError, Message};
use crate::engine::{ActionError, EngineKind, LogBody, LogQuery, Tail};
use crate::registry::{reread, Ended, Registry, Reread, Step};
use crate::shutdown::Shutdown;

/// The longest a message waits in a sink's buffer while its stream keeps flowing.
pub const MAX_HELD: std::time::Duration = std::time::Duration::from_micros(500);

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

    /// The `n` of a first read asking Podman for its last `n` messages, which Podman reads
    /// wrong (see [`super::podman_tail`]).
    fn podman_tail(&self) -> Option<u64> {
        match self.asked.tail {
            Tail::Last(n)
                if n > 0 && self.registry.engine_kind(&self.engine) == Some(EngineKind::Podman) =>
            {
                Some(n)
            }
            _ => None,
        }
    }

    #[must_use]
    pub fn stats(&self) -> Arc<FollowStats> {
        self.stats.clone()
    }

    /// Reads the log into `sink`; with `follow`, until the container is removed or `shutdown`.
    pub async fn run<S: Sink>(
        &mut self,
        sink: &mut S,
        shutdown: Shutdown,
    ) -> Result<Ended, LogError> {
        let registry = self.registry.clone();
        let (engine, id, follow) = (self.engine.clone(), self.id.clone(), self.asked.follow);
        let mut reader = Reading { follow: self, sink };
        let revival = registry.revival(&engine, &id);
        reread(&mut reader, &registry, revival, follow, shutdown).await
    }

    /// One request, read to its end.
    pub(super) async fn read(
        &mut self,
        query: &LogQuery,
        sink: &mut impl Sink,
        first: bool,
    ) -> Step<LogError> {
        self.stats.opens.fetch_add(1, Ordering::Relaxed);
        let body = match self.registry.logs(&self.engine, &self.id, query).await {
            Ok(body) => body,
            Err(e) => {
                tracing::debug!(engine = %self.engine, id = %self.id, error = %e, "log not opened");
                return match Step::after_failed_open(e, first, query.follow) {
                    Step::Fatal(e) => Step::Fatal(LogError::Open(e)),
                    Step::Break => Step::Break,
                    Step::Gone => Step::Gone,
                };
            }
        };
        match self.pump(body, sink).await {
            Ok(()) => Step::Break,
            Err(Pumped::Sink(e)) => Step::Fatal(LogError::Sink(e)),
            Err(Pumped::Frame(e)) if !query.follow || matches!(e, FrameError::Engine(_)) => {
                Step::Fatal(LogError::Engine(e))
            }
            Err(Pumped::Frame(e)) => {
                tracing::warn!(engine = %self.engine, id = %self.id, error = %e, "log stream unreadable; reading again when the engine changes");
                Step::Break
            }
            Err(Pumped::Broken(e)) => {
                tracing::debug!(engine = %self.engine, id = %self.id, error = %e, "log stream broke");
                Step::Break
            }
        }
    }

    async fn pump(&mut self, body: LogBody, sink: &mut impl Sink) -> Result<(), Pumped> {
        if let Some(t) = body.engine_time {
            self.cursor.opened_at(t);
        }
        let mut demux = Demux::new(body.framing);
        let mut chunks = body.chunks;
        // When the oldest message not yet flushed was handed over.
        let mut unflushed: Option<std::time::Instant> = None;
        loop {
            // Flushed only when nothing more has arrived: a line reaches the reader the moment
            // the stream pauses, and a burst costs one write, not one per line. The connection
            // task hands over one frame at a time, so it is given one turn to decode what it
            // already read before the stream counts as paused.
            let mut next = chunks.next().now_or_never();
            if next.is_none() {
                tokio::task::yield_now().await;
                next = chunks.next().now_or_never();
            }
            let next = if let Some(next) = next {
                next
            } else {
                sink.flush().map_err(Pumped::Sink)?;
                unflushed = None;
                chunks.next().await
            };
            let Some(chunk) = next else { break };
            demux.push(&chunk.map_err(Pumped::Broken)?);
            while let Some(message) = demux.next_message() {
                self.deliver(message.map_err(Pumped::Frame)?, sink)?;
                unflushed.get_or_insert_with(std::time::Instant::now);
            }
            // A stream that never pauses is still flushed often enough that no line waits
            // more than [`MAX_HELD`].
            if unflushed.is_some_and(|t| t.elapsed() >= MAX_HELD) {
                sink.flush().map_err(Pumped::Sink)?;
                unflushed = None;
            }
        }
        if let Some(last) = demux.finish() {
            self.deliver(last, sink)?;
        }
        sink.flush().map_err(Pumped::Sink)
    }

    /// The container's creation, in engine nanoseconds (0 when unknown): nothing is older.
    pub(super) fn born(&self) -> i64 {
        self.registry
            .container(&self.engine, &self.id)
            .map_or(0, |c| c.created.saturating_mul(1_000_000_000))
    }

    /// The query the follow was asked.
    pub(super) fn asked(&self) -> &LogQuery {
        &self.asked
    }

    /// The query that resumes after the last message delivered.
    pub(super) fn resume_query(&mut self) -> LogQuery {
        self.cursor.resume(&self.asked)
    }

    /// The messages `query` reads, kept rather than delivered (the follow's position does not
    /// move); the request counts as one of the follow's opens.
    pub(super) async fn collect(&self, query: &LogQuery) -> Result<Vec<Message>, Step<LogError>> {
        let mut reader = Self::new(self.registry.clone(), &self.engine, &self.id, query.clone());
        let mut kept = Collected::default();
        let step = reader.read(query, &mut kept, true).await;
        self.stats.opens.fetch_add(1, Ordering::Relaxed);
        match step {
            Step::Break => Ok(kept.0),
            step => Err(step),
        }
    }

    /// Takes `messages` (read elsewhere) as if this follow had read them, delivers those from
    /// `from` on, and flushes. The ones before move the cursor too: a resume `since` their
    /// stamp skips every message of that stamp read here, not only the ones delivered.
    pub(super) fn deliver_all(
        &mut self,
        messages: Vec<Message>,
        from: usize,
        sink: &mut impl Sink,
    ) -> Result<(), LogError> {
        for (i, message) in messages.into_iter().enumerate() {
            if i < from {
                let _ = self.cursor.admit(&message);
                continue;
            }
            self.deliver(message, sink).map_err(|e| match e {
                Pumped::Sink(e) | Pumped::Broken(e) => LogError::Sink(e),
                Pumped::Frame(e) => LogError::Engine(e),
            })?;
        }
        sink.flush().map_err(LogError::Sink)
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
}

/// A follow and its sink, as [`reread`] reads them.
struct Reading<'a, S> {
    follow: &'a mut Follow,
    sink: &'a mut S,
}

impl<S: Sink> Reread for Reading<'_, S> {
    type Error = LogError;

    async fn read(&mut self, first: bool) -> Step<LogError> {
        let query = if first {
            if let Some(n) = self.follow.podman_tail() {
                return super::podman_tail::first_read(self.follow, n, self.sink).await;
            }
            self.follow.asked.clone()
        } else {
            self.follow.cursor.resume(&self.follow.asked)
        };
        self.follow.read(&query, self.sink, first).await
    }
}

/// Messages kept in order, as read (a read whose messages are chosen before any is delivered,
/// an alert's last lines).
#[derive(Debug, Default)]
pub struct Collected(pub Vec<Message>);

impl Sink for Collected {
    fn message(&mut self, message: Message) -> std::io::Result<()> {
        self.0.push(message);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Pumped {
    Broken(std::io::Error),
    Frame(FrameError),
    Sink(std::io::Error),
}
