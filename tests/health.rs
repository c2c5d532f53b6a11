//! Handler metrics and alerts through the real registry fan-out (engines replaced by a fed
//! applier, since the point is counting exactly what was sent and pacing a slow consumer).

mod support;

use std::time::Duration;

use skiff::engine::events::RawEvent;
use skiff::health::alerts::{self, AlertConfig, AlertKind};
use skiff::registry::{Registry, RegistryEvent};
use skiff::watcher::WatchEvent;
use tokio::sync::broadcast::error::RecvError;

fn event(k: usize) -> RawEvent {
    // Rounds over 100 ids: create, then start and die alternately, so every event changes a
    // row and yields exactly one delta.
    let action = match k / 100 {
        0 => "create",
        r if r % 2 == 1 => "start",
        _ => "die",
    };
    support::fixtures::event(
        action,
        &format!("{:064x}", k % 100),
        &format!("c-{}", k % 100),
        1_700_000_000_000_000_000 + i64::try_from(k).unwrap(),
    )
}

fn report(registry: &Registry, name: &str) -> skiff::registry::HandlerReport {
    registry
        .handler_reports()
        .into_iter()
        .find(|h| h.name == name)
        .unwrap_or_else(|| panic!("no handler {name}"))
}

#[tokio::test(start_paused = true)]
async fn metrics_equal_what_was_sent() {
    let registry = Registry::new();
    let tx = registry.attach("e");
    let mut rx = registry.subscribe();
    let consumer = registry.handler("consumer");
    let task = {
        let consumer = consumer.clone();
        tokio::spawn(async move {
            let mut seen = 0;
            while seen < 1002 {
                let item = rx.recv().await;
                consumer.queued(rx.len());
                if let Ok(RegistryEvent::Delta(_)) = item {
                    seen += 1;
                }
                consumer.handled(None);
            }
        })
    };
    tx.send(WatchEvent::Init).await.unwrap();
    tx.send(WatchEvent::InitDone).await.unwrap();
    // 1000 events, each one delta (plus the resync's start and done).
    for k in 0..1000 {
        tx.send(WatchEvent::Event(event(k))).await.unwrap();
    }
    // 7 injected faults: unusable lines from the stream.
    for _ in 0..7 {
        tx.send(WatchEvent::StreamError("garbage".into()))
            .await
            .unwrap();
    }
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("1002 deltas reached the consumer")
        .unwrap();
    // The faults make no delta: wait until the store's applier has counted them too.
    support::eventually(
        Duration::from_secs(10),
        || report(&registry, "registry:e").processed == 1000 + 2 + 7,
        || format!("{:?}", report(&registry, "registry:e")),
    )
    .await;
    let store = report(&registry, "registry:e");
    assert_eq!(
        (store.processed, store.errors, store.queue_depth),
        (1000 + 2 + 7, 7, 0)
    );
    assert!(store.lag_p50_ms.is_some());
    let c = report(&registry, "consumer");
    assert_eq!(
        (c.processed, c.errors, c.queue_depth, c.resyncs),
        (1002, 0, 0, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_handler_raises_exactly_one_notification_and_one_recovery() {
    let registry = Registry::new();
    let tx = registry.attach("e");
    let (alert_tx, mut alert_rx) = tokio::sync::mpsc::channel(64);
    let (_trigger, shutdown) = skiff::shutdown::channel();
    tokio::spawn(alerts::run(
        registry.clone(),
        AlertConfig::default(),
        alert_tx,
        shutdown,
    ));
    // The deliberately slow handler: 10 ms per item.
    let mut rx = registry.subscribe();
    let slow = registry.handler("slow");
    tokio::spawn(async move {
        loop {
            let item = rx.recv().await;
            slow.queued(rx.len());
            match item {
                Err(RecvError::Closed) => return,
                Err(RecvError::Lagged(_)) => slow.resynced(),
                Ok(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            slow.handled(None);
        }
    });
    // A burst of 3000 deltas: the slow handler needs 30 s to drain them.
    tx.send(WatchEvent::Init).await.unwrap();
    tx.send(WatchEvent::InitDone).await.unwrap();
    for k in 0..3000 {
        tx.send(WatchEvent::Event(event(k))).await.unwrap();
    }
    // Two simulated minutes: backlog, drain, quiet.
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while let Ok(Some(alert)) = tokio::time::timeout_at(deadline, alert_rx.recv()).await {
        got.push((alert.kind, alert.subject));
    }
    assert_eq!(
        got,
        [
            (AlertKind::QueueBacklog, "slow".to_owned()),
            (AlertKind::QueueRecovered, "slow".to_owned())
        ]
    );
    let slow = report(&registry, "slow");
    assert!(slow.max_queue_depth > 1000, "{slow:?}");
    assert_eq!(slow.queue_depth, 0);
    // The alert task is a handler too.
    assert_eq!(report(&registry, "notifications").processed, 3002);
}
