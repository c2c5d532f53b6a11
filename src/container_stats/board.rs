//! Stats of the containers a view shows, as that set changes: the running rows on screen in the
//! list, or the one container of a detail view.
//!
//! A view says which containers it shows ([`Board::show`]); the board starts a
//! [`StatsFollow`] for each one it does not follow yet and ends those no longer shown, so a row
//! scrolled away or a closed view costs nothing (the follow's shutdown is its trigger, dropped).
//! Dropping the board ends every follow.
//!
//! Samples go to one channel per board. It is bounded: a view that does not read its samples
//! loses the newest (a stats sample is replaced a second later anyway) rather than growing
//! Skiff's memory; the follow itself keeps going.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::Deserialize;
use tokio::sync::mpsc;
use ts_rs::TS;

use super::{Sample, StatsFollow};
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
    follows: HashMap<Target, ShutdownTrigger>,
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
            follows: HashMap::new(),
            max,
            opens: Arc::default(),
        };
        (board, rx)
    }

    /// Follows exactly the containers of `targets` that Skiff knows and that are not pods
    /// (their API serves no stats), the first `max` of them; ends the others' follows.
    /// Returns how many are followed.
    pub fn show(&mut self, targets: impl IntoIterator<Item = Target>) -> usize {
        let mut wanted: HashMap<Target, String> = HashMap::new();
        for (engine, id) in targets {
            if wanted.len() >= self.max {
                break;
            }
            let Some(row) = self.registry.container(&engine, &id) else {
                continue;
            };
            if row.kube.is_some() {
                continue;
            }
            wanted.insert((engine, id), row.name);
        }
        self.follows.retain(|target, _| wanted.contains_key(target));
        for (target, name) in wanted {
            if self.follows.contains_key(&target) {
                continue;
            }
            let trigger = self.start(&target, &name);
            self.follows.insert(target, trigger);
        }
        self.follows.len()
    }

    /// Containers followed now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.follows.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.follows.is_empty()
    }

    /// Requests made to the engines by this board's follows, ended ones included.
    #[must_use]
    pub fn opens(&self) -> u64 {
        self.opens.load(Ordering::Relaxed)
    }

    fn start(&self, (engine, id): &Target, name: &str) -> ShutdownTrigger {
        let (trigger, shutdown) = crate::shutdown::channel();
        let mut follow = StatsFollow::new(self.registry.clone(), engine, id, name)
            .counting_opens_in(self.opens.clone());
        let samples = self.samples.clone();
        let (engine, id) = (engine.clone(), id.clone());
        tokio::spawn(async move {
            let mut send = |sample| match samples.try_send(sample) {
                Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => Ok(()),
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    Err(std::io::Error::other("the view is gone"))
                }
            };
            if let Err(e) = follow.run(&mut send, true, shutdown).await {
                tracing::debug!(%engine, %id, error = %e, "stats follow ended");
            }
        });
        trigger
    }
}
