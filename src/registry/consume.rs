//! The one loop every consumer of the hub runs: the UI bridge, the tray, telemetry, alerts,
//! `skiff watch`, the soak's renderer. It subscribes, counts every item in the consumer's
//! [`HandlerMetrics`] (processed, errors, queue depth), and turns falling behind into a
//! [`Feed::Resync`] with the current snapshot: a consumer never sees a list with holes, and
//! never writes its own lag handling.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use super::delta::Delta;
use super::hub::{Registry, RegistryEvent, Snapshot};
use super::metrics::HandlerMetrics;
use crate::shutdown::Shutdown;
use crate::watcher::EngineStatus;

/// What a consumer is handed, in the hub's order.
#[derive(Debug, Clone)]
pub enum Feed {
    Engine(EngineStatus),
    Delta(Delta),
    /// An image, volume, network or pod changed.
    Object(super::objects::ObjectDelta),
    /// The crash watch raised an alert.
    Alert(Box<super::alert::ContainerAlert>),
    /// The consumer fell more than the fan-out's capacity behind (`missed` items): everything it
    /// missed is in `snapshot`, which replaces what it had.
    Resync {
        missed: u64,
        snapshot: Snapshot,
    },
}

/// How handling one item went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Ok,
    /// It failed in a way that costs this item only (a window that could not be reached, an
    /// alert that found its queue full): counted as an error, the consumer goes on.
    Failed,
}

/// A consumer of the hub.
pub trait Consumer {
    /// What ends the consumer (a closed output pipe); returned by [`Registry::consume`].
    type Error;

    /// One item; `Err` ends the consumer.
    fn handle(&mut self, feed: Feed) -> Result<Handled, Self::Error>;

    /// How long after now [`Consumer::tick`] is wanted, for consumers with periodic work
    /// (coalesced refreshes, sampling); `None`, the default: no tick.
    ///
    /// Asked again after every item and every tick, so a consumer arms its tick only while it
    /// has work pending: an idle app is not woken to find nothing to do. A pending tick is not
    /// pushed back by later items (a refresh coalesces a burst, it does not wait for its end).
    fn tick_every(&self) -> Option<Duration> {
        None
    }

    /// Periodic work between items.
    fn tick(&mut self) -> Result<Handled, Self::Error> {
        Ok(Handled::Ok)
    }

    /// Called after an item when nothing more is queued: a consumer that groups what it is
    /// handed (see [`super::batch`]) hands its group on here. It is called as the queue empties,
    /// not after a delay, so grouping adds no wait: an item that arrives alone goes on alone.
    fn caught_up(&mut self) -> Result<Handled, Self::Error> {
        Ok(Handled::Ok)
    }
}

/// A closure is a consumer without ticks.
impl<E, F: FnMut(Feed) -> Result<Handled, E>> Consumer for F {
    type Error = E;

    fn handle(&mut self, feed: Feed) -> Result<Handled, E> {
        self(feed)
    }
}

impl Registry {
    /// Runs `consumer` as handler `name` until `shutdown`, the hub closing, or its error.
    ///
    /// Subscribes at once, before the returned future is first polled, so nothing broadcast after
    /// this call is missed, whenever the caller gets to spawn it.
    pub fn consume<C: Consumer>(
        &self,
        name: &str,
        shutdown: Shutdown,
        mut consumer: C,
    ) -> impl Future<Output = Result<(), C::Error>> + use<C> {
        let mut rx = self.subscribe();
        let metrics: Arc<HandlerMetrics> = self.handler(name);
        let registry = self.clone();
        async move {
            let ended = shutdown.wait();
            tokio::pin!(ended);
            // One sleep, re-armed only when the consumer asks for a tick.
            let tick = tokio::time::sleep(Duration::ZERO);
            tokio::pin!(tick);
            let mut armed = false;
            loop {
                match consumer.tick_every() {
                    Some(every) if !armed => {
                        tick.as_mut().reset(tokio::time::Instant::now() + every);
                        armed = true;
                    }
                    Some(_) => {}
                    None => armed = false,
                }
                let item = tokio::select! {
                    () = &mut ended => return Ok(()),
                    () = &mut tick, if armed => {
                        armed = false;
                        if consumer.tick()? == Handled::Failed {
                            metrics.error();
                        }
                        continue;
                    }
                    item = rx.recv() => item,
                };
                metrics.queued(rx.len());
                let feed = match item {
                    Ok(RegistryEvent::Engine(status)) => Feed::Engine(*status),
                    Ok(RegistryEvent::Delta(delta)) => Feed::Delta(delta),
                    Ok(RegistryEvent::Object(delta)) => Feed::Object(delta),
                    Ok(RegistryEvent::Alert(alert)) => Feed::Alert(alert),
                    Err(RecvError::Lagged(missed)) => {
                        metrics.resynced();
                        Feed::Resync {
                            missed,
                            snapshot: registry.snapshot(),
                        }
                    }
                    Err(RecvError::Closed) => return Ok(()),
                };
                if consumer.handle(feed)? == Handled::Failed {
                    metrics.error();
                }
                metrics.handled(None);
                if rx.is_empty() && consumer.caught_up()? == Handled::Failed {
                    metrics.error();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watcher::{EngineState, WatchEvent};

    #[tokio::test]
    async fn every_item_is_counted_failures_are_errors_and_a_lag_is_one_resync() {
        let registry = Registry::new();
        let (trigger, shutdown) = crate::shutdown::channel();
        let mut seen = Vec::new();
        let _ = &mut seen;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let consuming = registry.consume("test", shutdown, move |feed: Feed| {
            let failed = matches!(&feed, Feed::Engine(s) if s.state == EngineState::Disabled);
            tx.send(feed).unwrap();
            Ok::<_, std::convert::Infallible>(if failed { Handled::Failed } else { Handled::Ok })
        });
        // Subscribed before being polled: these are seen.
        let _feed = registry.attach("e");
        for state in [EngineState::Connecting, EngineState::Disabled] {
            registry.apply("e", WatchEvent::Status(EngineStatus::new("e", "x", state)));
        }
        // More than the fan-out holds: one resync, not a list with holes.
        for _ in 0..(super::super::hub::FANOUT_CAPACITY + 10) {
            let status = EngineStatus::new("e", "x", EngineState::Connected);
            registry.apply("e", WatchEvent::Status(status));
        }
        let task = tokio::spawn(consuming);
        let first = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap();
        assert!(
            matches!(first, Some(Feed::Resync { missed, .. }) if missed > 0),
            "{first:?}"
        );
        while seen.len() < 10 {
            seen.push(
                tokio::time::timeout(Duration::from_secs(5), rx.recv())
                    .await
                    .unwrap(),
            );
        }
        let report = registry
            .handler_reports()
            .into_iter()
            .find(|h| h.name == "test")
            .unwrap();
        assert_eq!(report.resyncs, 1);
        assert!(report.processed >= 11, "{report:?}");
        drop(trigger);
        assert!(task.await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn a_failed_item_counts_as_an_error_and_an_error_ends_the_consumer() {
        let registry = Registry::new();
        let (_trigger, shutdown) = crate::shutdown::channel();
        let mut n = 0;
        let consuming = registry.consume("test", shutdown, move |_feed: Feed| {
            n += 1;
            match n {
                1 => Ok(Handled::Failed),
                2 => Ok(Handled::Ok),
                _ => Err("closed pipe"),
            }
        });
        let _feed = registry.attach("e");
        for _ in 0..3 {
            registry.apply(
                "e",
                WatchEvent::Status(EngineStatus::new("e", "x", EngineState::Connected)),
            );
        }
        assert_eq!(consuming.await, Err("closed pipe"));
        let report = registry
            .handler_reports()
            .into_iter()
            .find(|h| h.name == "test")
            .unwrap();
        assert_eq!((report.processed, report.errors), (2, 1));
    }

    /// Counts its ticks; wants one a second after an item, until it had it.
    struct Coalescing {
        pending: bool,
        ticks: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Consumer for Coalescing {
        type Error = std::convert::Infallible;

        fn handle(&mut self, _feed: Feed) -> Result<Handled, Self::Error> {
            self.pending = true;
            Ok(Handled::Ok)
        }

        fn tick_every(&self) -> Option<Duration> {
            self.pending.then_some(Duration::from_secs(1))
        }

        fn tick(&mut self) -> Result<Handled, Self::Error> {
            self.pending = false;
            self.ticks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Handled::Ok)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_tick_is_armed_only_while_the_consumer_has_work_and_coalesces_a_burst() {
        use std::sync::atomic::Ordering::SeqCst;
        let registry = Registry::new();
        let (trigger, shutdown) = crate::shutdown::channel();
        let ticks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let consumer = Coalescing {
            pending: false,
            ticks: ticks.clone(),
        };
        let task = tokio::spawn(registry.consume("test", shutdown, consumer));
        let _feed = registry.attach("e");
        let status = || WatchEvent::Status(EngineStatus::new("e", "x", EngineState::Connected));
        // Nothing happened: an hour passes without a tick.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert_eq!(ticks.load(SeqCst), 0);
        // A burst spread over 0.9 s: one tick, a second after its first item.
        for _ in 0..10 {
            registry.apply("e", status());
            tokio::time::sleep(Duration::from_millis(90)).await;
        }
        assert_eq!(ticks.load(SeqCst), 0, "the tick waits for its second");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(ticks.load(SeqCst), 1);
        // Quiet again: no more ticks.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert_eq!(ticks.load(SeqCst), 1);
        // A later item arms it again.
        registry.apply("e", status());
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(ticks.load(SeqCst), 2);
        drop(trigger);
        assert!(task.await.unwrap().is_ok());
    }
}
