//! Runs of deltas handed on as one message, for a consumer whose cost is per message rather than
//! per item: the UI bridge, where each Tauri event is one script evaluation in the webview.
//!
//! An engine's list arrives at the hub as one burst (`ResyncStart`, a row per container,
//! `ResyncDone`, broadcast under one lock). Forwarded one by one, 1,000 containers were 1,000
//! events, and the window painted its first rows ~1 s after they arrived. [`Batching`] hands on
//! each run of consecutive deltas of one kind as one [`Batch`], when the consumer has caught up
//! with the fan-out ([`Consumer::caught_up`]) or the run reaches [`MAX_RUN`]:
//!
//! - No time window: a change that arrives alone is handed on at once, as a run of one. Only
//!   what was already queued behind it waits, and only for the consumer to reach it.
//! - The hub's order is kept: a status, an alert or a resync ends the run before it, and the runs
//!   of container and object deltas are never merged into one.

use std::mem;

use super::alert::ContainerAlert;
use super::consume::{Consumer, Feed, Handled};
use super::delta::Delta;
use super::objects::ObjectDelta;
use crate::watcher::EngineStatus;

/// The longest run handed on as one batch: a consumer that never catches up (a long burst) still
/// hands on what it has, and one message stays well under a megabyte per thousand rows.
pub const MAX_RUN: usize = 1024;

/// What a batching consumer is handed, in the hub's order.
///
/// Not boxed for its large status: a batch is moved once, to be sent, and never stored in bulk.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Batch {
    Engine(EngineStatus),
    /// Consecutive container deltas, oldest first.
    Deltas(Vec<Delta>),
    /// Consecutive object deltas, oldest first.
    Objects(Vec<ObjectDelta>),
    Alert(Box<ContainerAlert>),
    /// The consumer fell behind the fan-out by `missed` items: it must resync (the UI takes a
    /// snapshot of its own, so the snapshot the feed carries is not passed on).
    Lagged {
        missed: u64,
    },
}

/// A run being gathered.
#[derive(Debug, Default)]
enum Run {
    #[default]
    None,
    Deltas(Vec<Delta>),
    Objects(Vec<ObjectDelta>),
}

/// A [`Consumer`] that hands `send` runs of deltas as one [`Batch`] (see the module's comment).
#[derive(Debug)]
pub struct Batching<F> {
    send: F,
    run: Run,
}

impl<F> Batching<F> {
    pub fn new(send: F) -> Self {
        Self {
            send,
            run: Run::None,
        }
    }
}

/// Failed if either failed.
fn both(a: Handled, b: Handled) -> Handled {
    if a == Handled::Failed || b == Handled::Failed {
        Handled::Failed
    } else {
        Handled::Ok
    }
}

impl<E, F: FnMut(Batch) -> Result<Handled, E>> Batching<F> {
    /// Hands on the run gathered so far, if any.
    fn flush(&mut self) -> Result<Handled, E> {
        match mem::take(&mut self.run) {
            Run::None => Ok(Handled::Ok),
            Run::Deltas(run) => (self.send)(Batch::Deltas(run)),
            Run::Objects(run) => (self.send)(Batch::Objects(run)),
        }
    }

    /// Hands on the run if it is full.
    fn flush_full(&mut self) -> Result<Handled, E> {
        let len = match &self.run {
            Run::None => 0,
            Run::Deltas(run) => run.len(),
            Run::Objects(run) => run.len(),
        };
        if len >= MAX_RUN {
            self.flush()
        } else {
            Ok(Handled::Ok)
        }
    }
}

impl<E, F: FnMut(Batch) -> Result<Handled, E>> Consumer for Batching<F> {
    type Error = E;

    fn handle(&mut self, feed: Feed) -> Result<Handled, E> {
        // A run of another kind ends here, before this item.
        let same = matches!(
            (&self.run, &feed),
            (Run::Deltas(_), Feed::Delta(_)) | (Run::Objects(_), Feed::Object(_))
        );
        let ended = if same { Handled::Ok } else { self.flush()? };
        let single = match feed {
            Feed::Delta(delta) => {
                match &mut self.run {
                    Run::Deltas(run) => run.push(delta),
                    _ => self.run = Run::Deltas(vec![delta]),
                }
                return Ok(both(ended, self.flush_full()?));
            }
            Feed::Object(delta) => {
                match &mut self.run {
                    Run::Objects(run) => run.push(delta),
                    _ => self.run = Run::Objects(vec![delta]),
                }
                return Ok(both(ended, self.flush_full()?));
            }
            Feed::Engine(status) => Batch::Engine(status),
            Feed::Alert(alert) => Batch::Alert(alert),
            Feed::Resync { missed, .. } => Batch::Lagged { missed },
        };
        Ok(both(ended, (self.send)(single)?))
    }

    fn caught_up(&mut self) -> Result<Handled, E> {
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::engine::events::RawEvent;
    use crate::registry::Registry;
    use crate::watcher::{EngineState, WatchEvent};

    /// What the consumer was handed, in short: `D3` a run of 3 container deltas, `S` a status.
    fn shape(batch: &Batch) -> String {
        match batch {
            Batch::Engine(_) => "S".into(),
            Batch::Deltas(run) => format!("D{}", run.len()),
            Batch::Objects(run) => format!("O{}", run.len()),
            Batch::Alert(_) => "A".into(),
            Batch::Lagged { .. } => "L".into(),
        }
    }

    fn delta(rev: u64) -> Feed {
        Feed::Delta(Delta {
            engine: "e".into(),
            rev,
            change: crate::registry::Change::Remove {
                id: rev.to_string(),
            },
        })
    }

    fn status() -> Feed {
        Feed::Engine(EngineStatus::new("e", "x", EngineState::Connected))
    }

    #[test]
    fn runs_keep_the_hub_order_and_a_full_run_is_handed_on_without_waiting() {
        let mut seen = Vec::new();
        let mut batching = Batching::new(|b: Batch| {
            seen.push(b);
            Ok::<_, std::convert::Infallible>(Handled::Ok)
        });
        for rev in 1..=3 {
            batching.handle(delta(rev)).unwrap();
        }
        batching.handle(status()).unwrap();
        batching.handle(delta(4)).unwrap();
        batching.caught_up().unwrap();
        // Caught up with nothing gathered: nothing is sent.
        batching.caught_up().unwrap();
        for rev in 5..=(5 + MAX_RUN as u64) {
            batching.handle(delta(rev)).unwrap();
        }
        batching.caught_up().unwrap();
        drop(batching);
        let shapes: Vec<_> = seen.iter().map(shape).collect();
        assert_eq!(
            shapes,
            ["D3", "S", "D1", format!("D{MAX_RUN}").as_str(), "D1"]
        );
        // Every delta once, in order.
        let revs: Vec<u64> = seen
            .iter()
            .filter_map(|b| match b {
                Batch::Deltas(run) => Some(run.iter().map(|d| d.rev)),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(revs, (1..=(5 + MAX_RUN as u64)).collect::<Vec<_>>());
    }

    #[test]
    fn a_failed_send_fails_the_item_that_ended_the_run() {
        let mut batching = Batching::new(|b: Batch| {
            Ok::<_, std::convert::Infallible>(match b {
                Batch::Deltas(_) => Handled::Failed,
                _ => Handled::Ok,
            })
        });
        assert_eq!(batching.handle(delta(1)).unwrap(), Handled::Ok);
        assert_eq!(batching.handle(status()).unwrap(), Handled::Failed);
        assert_eq!(batching.handle(delta(2)).unwrap(), Handled::Ok);
        assert_eq!(batching.caught_up().unwrap(), Handled::Failed);
    }

    /// Through the real hub: an engine's list is one burst, handed on as one run; a change
    /// alone afterwards is handed on alone, as soon as it is broadcast.
    #[tokio::test]
    async fn an_engines_list_is_one_batch_and_a_later_change_is_one_of_its_own() {
        let registry = Registry::new();
        let (trigger, shutdown) = crate::shutdown::channel();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let consuming = registry.consume("test", shutdown, {
            let seen = seen.clone();
            Batching::new(move |b: Batch| {
                seen.lock().unwrap().push(shape(&b));
                let _ = tx.send(());
                Ok::<_, std::convert::Infallible>(Handled::Ok)
            })
        });
        let _feed = registry.attach("e");
        registry.apply("e", WatchEvent::Init);
        for i in 0..300 {
            let row = crate::container::Container::new("e", &format!("c{i}"), "n", "exited");
            registry.apply("e", WatchEvent::InitApply(row));
        }
        registry.apply("e", WatchEvent::InitDone);
        let task = tokio::spawn(consuming);
        let mut next = async || {
            tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .unwrap()
        };
        next().await;
        // ResyncStart, 300 rows, ResyncDone.
        assert_eq!(*seen.lock().unwrap(), ["D302"]);
        let event = RawEvent {
            typ: "container".into(),
            action: "destroy".into(),
            id: "c7".into(),
            attributes: std::collections::HashMap::new(),
            time_nano: 1,
        };
        registry.apply("e", WatchEvent::Event(event));
        next().await;
        assert_eq!(*seen.lock().unwrap(), ["D302", "D1"]);
        drop(trigger);
        assert!(task.await.unwrap().is_ok());
    }
}
