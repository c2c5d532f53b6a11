//! One container's stats stream, followed across restarts as its log is (see
//! [`reread`](crate::registry::reread)): at most one sample a second, none while the engine is
//! down, ended by shutdown (nobody shows it any more) or by the container's removal.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;

use super::sample::Sample;
use crate::engine::events::LineSplitter;
use crate::engine::ActionError;
use crate::registry::{reread, Ended, Registry, Reread, Step};
use crate::shutdown::Shutdown;

/// The shortest time between two samples of one container handed on.
pub const MIN_INTERVAL: Duration = Duration::from_millis(950);

/// Why stats could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The first request failed: no such container, or the engine refused.
    #[error(transparent)]
    Open(ActionError),
    /// The receiver could not take a sample.
    #[error("writing the stats failed: {0}")]
    Sink(#[source] std::io::Error),
}

/// One container's stats.
#[derive(Debug)]
pub struct StatsFollow {
    registry: Registry,
    engine: String,
    id: String,
    name: String,
    /// Requests made to the engine.
    opens: Arc<AtomicU64>,
}

impl StatsFollow {
    /// Stats of the container `id` of `engine`, shown as `name`.
    #[must_use]
    pub fn new(registry: Registry, engine: &str, id: &str, name: &str) -> Self {
        Self {
            registry,
            engine: engine.to_owned(),
            id: id.to_owned(),
            name: name.to_owned(),
            opens: Arc::default(),
        }
    }

    /// Counts this follow's requests in `counter` (shared by the follows of one view).
    #[must_use]
    pub fn counting_opens_in(mut self, counter: Arc<AtomicU64>) -> Self {
        self.opens = counter;
        self
    }

    /// Requests made so far (a counter the tests and the health page read).
    #[must_use]
    pub fn opens(&self) -> Arc<AtomicU64> {
        self.opens.clone()
    }

    /// Hands samples to `sink`: with `follow`, each second until shutdown or the container's
    /// removal; without, the first sample only (after about a second: CPU use is a difference
    /// between two readings).
    pub async fn run(
        &mut self,
        sink: &mut impl FnMut(Sample) -> std::io::Result<()>,
        follow: bool,
        shutdown: Shutdown,
    ) -> Result<Ended, StatsError> {
        let registry = self.registry.clone();
        let (engine, id) = (self.engine.clone(), self.id.clone());
        let mut reader = Reading {
            stats: self,
            sink,
            follow,
            last: None,
        };
        reread(&mut reader, &registry, (&engine, &id), follow, shutdown).await
    }
}

struct Reading<'a, F> {
    stats: &'a mut StatsFollow,
    sink: &'a mut F,
    follow: bool,
    last: Option<Instant>,
}

impl<F: FnMut(Sample) -> std::io::Result<()>> Reread for Reading<'_, F> {
    type Error = StatsError;

    async fn read(&mut self, first: bool) -> Step<StatsError> {
        let s = &*self.stats;
        s.opens.fetch_add(1, Ordering::Relaxed);
        let mut chunks = match s.registry.stats(&s.engine, &s.id).await {
            Ok(chunks) => chunks,
            Err(e) => {
                return match Step::after_failed_open(e, first, self.follow) {
                    Step::Fatal(e) => Step::Fatal(StatsError::Open(e)),
                    Step::Break => Step::Break,
                    Step::Gone => Step::Gone,
                };
            }
        };
        let mut lines = LineSplitter::default();
        let mut nth = 0u64;
        while let Some(Ok(chunk)) = chunks.next().await {
            lines.push(&chunk);
            while let Some(line) = lines.next_line() {
                let Ok(doc) = line
                    .map_err(|_| ())
                    .and_then(|l| serde_json::from_slice::<serde_json::Value>(&l).map_err(|_| ()))
                else {
                    tracing::debug!(engine = %s.engine, id = %s.id, "unreadable stats document skipped");
                    continue;
                };
                let first_document = nth == 0;
                nth += 1;
                let sample = if doc.get("Stats").is_some() {
                    Sample::from_libpod(&s.engine, &s.id, &s.name, &doc, first_document)
                } else {
                    Sample::from_document(&s.engine, &s.id, &s.name, &doc)
                };
                let Some(sample) = sample else {
                    continue;
                };
                if self.last.is_some_and(|t| t.elapsed() < MIN_INTERVAL) {
                    continue;
                }
                self.last = Some(Instant::now());
                if let Err(e) = (self.sink)(sample) {
                    return Step::Fatal(StatsError::Sink(e));
                }
                if !self.follow {
                    return Step::Break;
                }
            }
        }
        Step::Break
    }
}
