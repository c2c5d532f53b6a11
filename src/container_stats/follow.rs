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

/// The stats of one container, or of several of one Podman engine in one request.
#[derive(Debug)]
pub struct StatsFollow {
    registry: Registry,
    engine: String,
    /// Id and name of each container.
    targets: Vec<(String, String)>,
    /// Requests made to the engine.
    opens: Arc<AtomicU64>,
}

impl StatsFollow {
    /// Stats of the container `id` of `engine`, shown as `name`.
    #[must_use]
    pub fn new(registry: Registry, engine: &str, id: &str, name: &str) -> Self {
        Self::group(registry, engine, vec![(id.to_owned(), name.to_owned())])
    }

    /// Stats of several containers of one Podman engine, read in one request (libpod's
    /// `containers/stats?containers=…`): for the engine, one stream costs less than one per
    /// container (`benches/stats.rs`). Each read asks for the targets running at that moment.
    #[must_use]
    pub fn group(registry: Registry, engine: &str, targets: Vec<(String, String)>) -> Self {
        Self {
            registry,
            engine: engine.to_owned(),
            targets,
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
        let ids: Vec<String> = self.targets.iter().map(|(id, _)| id.clone()).collect();
        let revival = registry.revival_of(&self.engine, &ids);
        let mut reader = Reading {
            stats: self,
            sink,
            follow,
            last: None,
        };
        reread(&mut reader, &registry, revival, follow, shutdown).await
    }
}

impl StatsFollow {
    /// Whether `id` runs, as the registry knows it: libpod keeps reporting (zeros) for a
    /// container of a group that stopped, which is no sample of its use.
    fn is_running(&self, id: &str) -> bool {
        self.registry
            .container(&self.engine, id)
            .is_some_and(|c| c.state == "running")
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
        let opened = if let [(id, _)] = s.targets.as_slice() {
            s.opens.fetch_add(1, Ordering::Relaxed);
            s.registry.stats(&s.engine, id).await
        } else {
            // Only those running now: the engine refuses the request for a stopped one.
            let running: Vec<String> = s
                .targets
                .iter()
                .filter(|(id, _)| s.is_running(id))
                .map(|(id, _)| id.clone())
                .collect();
            if running.is_empty() {
                return Step::Break;
            }
            s.opens.fetch_add(1, Ordering::Relaxed);
            s.registry.stats_many(&s.engine, &running).await
        };
        let mut chunks = match opened {
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
                    tracing::debug!(engine = %s.engine, "unreadable stats document skipped");
                    continue;
                };
                let first_document = nth == 0;
                nth += 1;
                let samples: Vec<Sample> = s
                    .targets
                    .iter()
                    .filter(|(id, _)| s.targets.len() == 1 || s.is_running(id))
                    .filter_map(|(id, name)| {
                        if doc.get("Stats").is_some() {
                            Sample::from_libpod(&s.engine, id, name, &doc, first_document)
                        } else if s.targets.len() == 1 {
                            Sample::from_document(&s.engine, id, name, &doc)
                        } else {
                            None
                        }
                    })
                    .collect();
                if samples.is_empty() || self.last.is_some_and(|t| t.elapsed() < MIN_INTERVAL) {
                    continue;
                }
                self.last = Some(Instant::now());
                for sample in samples {
                    if let Err(e) = (self.sink)(sample) {
                        return Step::Fatal(StatsError::Sink(e));
                    }
                }
                if !self.follow {
                    return Step::Break;
                }
            }
        }
        Step::Break
    }
}
