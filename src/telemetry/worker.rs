//! The telemetry task: it owns the throttle, the episodes and the outbox, admits what is
//! recorded, and sends batches to the collector while consent is on.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::event::TelemetryEvent;
use super::{episodes, outbox, sink, status, throttle, Command, Counters, TelemetryConfig};
use crate::shutdown::Shutdown;

struct Worker {
    config: TelemetryConfig,
    /// The collector's address and a client for it; `None`: none configured, or unusable.
    sink: Option<(sink::SinkUrl, sink::SinkClient)>,
    status: status::SinkStatus,
    /// The consent switch: while it is off, nothing is sent (queued events wait, inspectable).
    on: Arc<std::sync::atomic::AtomicBool>,
    counters: Arc<Counters>,
    throttle: throttle::Throttle,
    episodes: episodes::OutageTracker,
    outbox: outbox::Outbox,
}

impl Worker {
    fn admit(&mut self, event: TelemetryEvent) {
        if let Some(event) = self.throttle.admit(event) {
            self.outbox.push(event);
            self.counters.recorded.fetch_add(1, Ordering::Relaxed);
        }
        self.sync_counters();
    }

    fn sync_counters(&self) {
        self.counters
            .suppressed
            .store(self.throttle.suppressed_total, Ordering::Relaxed);
        self.counters
            .queued
            .store(self.outbox.queued().len() as u64, Ordering::Relaxed);
    }

    /// Sends one batch if there is one and a sink; returns when to try again at the earliest.
    async fn send_batch(&mut self) -> Option<Duration> {
        if !self.on.load(Ordering::Relaxed) {
            return None;
        }
        let (url, client) = self.sink.clone()?;
        let batch = self.outbox.batch(self.config.batch);
        if batch.is_empty() {
            return None;
        }
        let reply = client.post(&url, &batch).await;
        self.status.attempted(match &reply {
            sink::Reply::Accepted => None,
            sink::Reply::RetryAfter(d) => {
                Some(format!("collector asked to wait {} s (429)", d.as_secs()))
            }
            sink::Reply::Failed(why) => Some(why.clone()),
        });
        match reply {
            sink::Reply::Accepted => {
                self.outbox.ack(batch.len());
                self.counters
                    .sent
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                self.sync_counters();
                None
            }
            sink::Reply::RetryAfter(d) => Some(d),
            sink::Reply::Failed(why) => {
                tracing::debug!(%why, "telemetry batch not sent; will retry");
                Some(Duration::ZERO)
            }
        }
    }
}

pub(super) async fn worker(
    config: TelemetryConfig,
    mut rx: mpsc::Receiver<Command>,
    counters: Arc<Counters>,
    on: Arc<std::sync::atomic::AtomicBool>,
    shutdown: Shutdown,
) {
    let mut status = status::SinkStatus::load(&config.dir);
    let sink = config.url.as_deref().and_then(|u| {
        let ready = sink::SinkUrl::parse(u).and_then(|url| {
            sink::SinkClient::new(config.ca_file.as_deref()).map(|client| (url, client))
        });
        match ready {
            Ok(sink) => {
                status.configured(Some(u), None);
                Some(sink)
            }
            Err(e) => {
                tracing::warn!(error = %e, "telemetry collector unusable; events stay in the outbox");
                status.configured(Some(u), Some(e.to_string()));
                None
            }
        }
    });
    if config.url.is_none() {
        status.configured(None, None);
    }
    let mut w = Worker {
        outbox: outbox::Outbox::open(&config.dir),
        throttle: throttle::Throttle::new(config.per_hour),
        episodes: episodes::OutageTracker::default(),
        sink,
        status,
        counters,
        on,
        config,
    };
    w.counters
        .dropped
        .fetch_add(w.outbox.dropped, Ordering::Relaxed);
    w.sync_counters();
    let mut backoff = crate::reconnect::BackoffPolicy {
        initial_ms: 5_000,
        max_ms: 600_000,
        ..crate::reconnect::BackoffPolicy::default()
    }
    .start();
    let mut next_send = tokio::time::Instant::now() + w.config.send_every;
    let mut daily = tokio::time::interval(Duration::from_secs(3600));
    daily.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ended = shutdown.wait();
    tokio::pin!(ended);
    loop {
        tokio::select! {
            () = &mut ended => break,
            command = rx.recv() => match command {
                Some(Command::Record(event)) => w.admit(event),
                Some(Command::Status(status)) => {
                    if let Some(event) = w.episodes.observe(&status) {
                        w.admit(event);
                    }
                }
                Some(Command::ClearQueued) => {
                    w.outbox.clear();
                    w.sync_counters();
                }
                None => break,
            },
            _ = daily.tick() => {
                for event in w.episodes.ongoing(false) {
                    w.admit(event);
                }
            }
            () = tokio::time::sleep_until(next_send) => {
                // A slow or hanging sink must not delay quitting: the send races shutdown.
                let sent = tokio::select! {
                    reply = w.send_batch() => Some(reply),
                    () = &mut ended => None,
                };
                let Some(reply) = sent else { break };
                next_send = match reply {
                    None => {
                        backoff.reset();
                        tokio::time::Instant::now() + w.config.send_every
                    }
                    Some(Duration::ZERO) => tokio::time::Instant::now() + backoff.next_delay(),
                    Some(retry_after) => tokio::time::Instant::now() + retry_after,
                };
            }
        }
    }
    // Quitting: summarise open outages, try one last flush for at most 2 s; whatever is left
    // stays in the outbox for the next start.
    while let Ok(command) = rx.try_recv() {
        if let Command::Record(event) = command {
            w.admit(event);
        }
    }
    for event in w.episodes.ongoing(true) {
        w.admit(event);
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), w.send_batch()).await;
}
