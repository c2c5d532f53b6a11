//! Stats of the containers a view shows, as that set changes: the running rows on screen in the
//! list, or the one container of a detail view.
//!
//! A view says which containers it shows ([`Board::show`]); the board starts a
//! [`StatsFollow`] for each one it does not follow yet and ends those no longer shown, so a row
//! scrolled away or a closed view costs nothing (the follow's shutdown is its trigger, dropped).
//! Dropping the board ends every follow.
//!
//! The containers of one Podman engine are read in one request (libpod streams many in one
//! document): measured with 100 containers, the Podman service spent 7.2 % of a CPU on one
//! request against 10.4 % on one per container (`benches/stats.rs`). Docker has no such
//! request: one stream per container. A Podman engine's set changing reopens its one request.
//!
//! Samples go to one channel per board. It is bounded: a view that does not read its samples
//! loses the newest (a stats sample is replaced a second later anyway) rather than growing
//! Skiff's memory; the follow itself keeps going.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::Deserialize;
use tokio::sync::mpsc;
use ts_rs::TS;

use super::{Sample, StatsFollow};
use crate::engine::EngineKind;
use crate::registry::Registry;
use crate::shutdown::ShutdownTrigger;

/// One container, by engine and id.
pub type Target = (String, String);

/// A container a view shows, as the window names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[ts(export_to = "ContainerRef.ts")]
pub struct ContainerRef {
    pub engine: String,
    pub id: String,
}

/// The followed containers of one view.
#[derive(Debug)]
pub struct Board {
    registry: Registry,
    samples: mpsc::Sender<Sample>,
    /// One follow per container (Docker, a lone Podman container).
    singles: HashMap<Target, ShutdownTrigger>,
    /// One follow per Podman engine, of these containers.
    groups: HashMap<String, (BTreeSet<String>, ShutdownTrigger)>,
    max: usize,
    opens: Arc<AtomicU64>,
}

impl Board {
    /// A board following at most `max` containers at once; its samples arrive on the receiver.
    #[must_use]
    pub fn new(registry: Registry, max: usize) -> (Self, mpsc::Receiver<Sample>) {
        // Two seconds of samples of every container: room for a reader that is briefly busy.
        let (samples, rx) = mpsc::channel(max.max(1) * 2);
        let board = Self {
            registry,
            samples,
            singles: HashMap::new(),
            groups: HashMap::new(),
            max,
            opens: Arc::default(),
        };
        (board, rx)
    }

    /// Follows exactly the containers of `targets` that Skiff knows and that are not pods
    /// (their API serves no stats), the first `max` of them; ends the others' follows.
    /// Returns how many are followed.
    pub fn show(&mut self, targets: impl IntoIterator<Item = Target>) -> usize {
        // engine → id → name
        let mut wanted: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut count = 0;
        for (engine, id) in targets {
            if count >= self.max {
                break;
            }
            let Some(row) = self.registry.container(&engine, &id) else {
                continue;
            };
            if row.kube.is_some() {
                continue;
            }
            if wanted
                .entry(engine)
                .or_default()
                .insert(id, row.name)
                .is_none()
            {
                count += 1;
            }
        }
        let grouped = |engine: &str, ids: &BTreeMap<String, String>| {
            ids.len() > 1 && self.registry.engine_kind(engine) == Some(EngineKind::Podman)
        };
        let group_ids: HashMap<String, BTreeSet<String>> = wanted
            .iter()
            .filter(|(engine, ids)| grouped(engine, ids))
            .map(|(engine, ids)| (engine.clone(), ids.keys().cloned().collect()))
            .collect();
        self.groups
            .retain(|engine, (ids, _)| group_ids.get(engine) == Some(ids));
        self.singles.retain(|(engine, id), _| {
            !group_ids.contains_key(engine)
                && wanted.get(engine).is_some_and(|w| w.contains_key(id))
        });
        for (engine, ids) in wanted {
            if group_ids.contains_key(&engine) {
                if !self.groups.contains_key(&engine) {
                    let set = ids.keys().cloned().collect();
                    let follow = StatsFollow::group(
                        self.registry.clone(),
                        &engine,
                        ids.into_iter().collect(),
                    );
                    let trigger = self.start(follow, &engine);
                    self.groups.insert(engine, (set, trigger));
                }
                continue;
            }
            for (id, name) in ids {
                let target = (engine.clone(), id);
                if self.singles.contains_key(&target) {
                    continue;
                }
                let follow = StatsFollow::new(self.registry.clone(), &engine, &target.1, &name);
                let trigger = self.start(follow, &engine);
                self.singles.insert(target, trigger);
            }
        }
        self.len()
    }

    /// Containers followed now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.singles.len()
            + self
                .groups
                .values()
                .map(|(ids, _)| ids.len())
                .sum::<usize>()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Requests made to the engines by this board's follows, ended ones included.
    #[must_use]
    pub fn opens(&self) -> u64 {
        self.opens.load(Ordering::Relaxed)
    }

    fn start(&self, follow: StatsFollow, engine: &str) -> ShutdownTrigger {
        let (trigger, shutdown) = crate::shutdown::channel();
        let mut follow = follow.counting_opens_in(self.opens.clone());
        let samples = self.samples.clone();
        let engine = engine.to_owned();
        tokio::spawn(async move {
            let mut send = |sample| match samples.try_send(sample) {
                Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => Ok(()),
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    Err(std::io::Error::other("the view is gone"))
                }
            };
            if let Err(e) = follow.run(&mut send, true, shutdown).await {
                tracing::debug!(%engine, error = %e, "stats follow ended");
            }
        });
        trigger
    }
}
