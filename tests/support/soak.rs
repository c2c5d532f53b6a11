//! The soak harness: replays synthetic engine events through the full core (an engine's store
//! and applier, the fan-out, telemetry, the alert policy and a consumer that renders every delta
//! as the CLI's JSON line) and samples this process's RSS.
//!
//! The workload churns: each of `containers` slots cycles create → start → die → start → die →
//! destroy and is then re-created under a new id, so per-container state that is not freed on
//! removal shows up as growth. Every 10,000 events the engine drops and comes back, feeding the
//! status path (telemetry episodes, alerts) too.
//!
//! Used by `tests/soak.rs` (shortened, in `make test`) and `benches/soak.rs` (≥ 1M events).

use std::collections::HashMap;
use std::time::Duration;

use skiff::engine::events::RawEvent;
use skiff::engine::{ErrorInfo, FailureKind};
use skiff::health::alerts::{self, AlertConfig};
use skiff::health::ProcessProbe;
use skiff::registry::{Feed, Handled, Registry};
use skiff::telemetry::{Telemetry, TelemetryConfig};
use skiff::watcher::{EngineState, EngineStatus, WatchEvent};

const CYCLE: [&str; 6] = ["create", "start", "die", "start", "die", "destroy"];

#[derive(Debug, Clone)]
#[allow(dead_code)] // The test and the bench read different fields.
pub struct SoakReport {
    /// (events replayed, RSS bytes) samples.
    pub samples: Vec<(usize, u64)>,
    pub warmup_events: usize,
    pub rss_start: u64,
    pub rss_after_warmup: u64,
    pub rss_end: u64,
    /// RSS growth from the end of warm-up to the end, percent.
    pub growth_pct: f64,
    pub processed: u64,
    pub alerts: usize,
    pub telemetry_recorded: u64,
}

fn status(state: EngineState) -> EngineStatus {
    EngineStatus::new("soak", "unix:///soak.sock", state)
}

fn event(k: usize, containers: usize, base: i64) -> RawEvent {
    let slot = k % containers;
    let round = k / containers;
    let generation = round / CYCLE.len();
    let id = format!("{generation:032x}{slot:032x}");
    RawEvent {
        typ: "container".into(),
        action: CYCLE[round % CYCLE.len()].into(),
        attributes: HashMap::from([
            ("name".into(), format!("soak-{slot}-{generation}")),
            ("image".into(), "busybox:latest".into()),
        ]),
        id,
        time_nano: base + i64::try_from(k).expect("fits"),
    }
}

/// Replays `events` events over `containers` containers, sampling RSS `samples` times.
/// Warm-up (`warmup_events`) fills the fan-out ring, the dedup window, the history ring and the
/// allocator's arenas; what grows after it is what would grow over days.
pub async fn run(
    events: usize,
    containers: usize,
    samples: usize,
    warmup_events: usize,
) -> SoakReport {
    let dir = tempfile::tempdir().expect("temp dir");
    let (trigger, shutdown) = skiff::shutdown::channel();
    // A collector that refuses: the outbox must stay bounded while sends fail.
    let (telemetry, _task) = Telemetry::start(
        TelemetryConfig::new(
            dir.path().to_path_buf(),
            Some("http://127.0.0.1:9/collect".into()),
        ),
        shutdown.clone(),
        &tokio::runtime::Handle::current(),
    );
    let registry = Registry::new();
    telemetry.follow(&registry, &tokio::runtime::Handle::current());
    let (alert_tx, mut alert_rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(alerts::run(
        registry.clone(),
        AlertConfig::default(),
        alert_tx,
        shutdown.clone(),
    ));
    let alert_count = tokio::spawn(async move {
        let mut n = 0;
        while alert_rx.recv().await.is_some() {
            n += 1;
        }
        n
    });
    spawn_consumer(&registry);

    let tx = registry.attach("soak");
    let base = chrono::Utc::now().timestamp_nanos_opt().expect("in range");
    tx.send(WatchEvent::Status(status(EngineState::Connected)))
        .await
        .expect("applier");
    tx.send(WatchEvent::Init).await.expect("applier");
    tx.send(WatchEvent::InitDone).await.expect("applier");

    let mut probe = ProcessProbe::new();
    let rss_start = probe.sample().rss_bytes;
    let step = (events / samples).max(1);
    let mut report = Vec::with_capacity(samples + 1);
    let mut sent = 3;
    for k in 0..events {
        tx.send(WatchEvent::Event(event(k, containers, base)))
            .await
            .expect("applier");
        sent += 1;
        if k % 10_000 == 9_999 {
            sent += 2;
            tx.send(WatchEvent::Status(outage()))
                .await
                .expect("applier");
            tx.send(WatchEvent::Status(status(EngineState::Connected)))
                .await
                .expect("applier");
        }
        if (k + 1) % step == 0 {
            // Let the consumers catch up before sampling, so a sample measures retained memory
            // rather than the fan-out's in-flight items.
            drain(&registry, sent).await;
            report.push((k + 1, probe.sample().rss_bytes));
        }
    }
    drain(&registry, sent).await;
    let processed = registry
        .handler_reports()
        .iter()
        .find(|h| h.name == "registry:soak")
        .map_or(0, |h| h.processed);
    let rss_after_warmup = report
        .iter()
        .find(|(k, _)| *k >= warmup_events)
        .map_or(rss_start, |s| s.1);
    let rss_end = report.last().map_or(rss_start, |s| s.1);
    let telemetry_recorded = telemetry.counters().recorded;
    drop(tx);
    drop(registry);
    drop(trigger);
    let alerts = alert_count.await.unwrap_or(0);
    SoakReport {
        samples: report,
        warmup_events,
        rss_start,
        rss_after_warmup,
        rss_end,
        growth_pct: (rss_end as f64 - rss_after_warmup as f64) / rss_after_warmup as f64 * 100.0,
        processed,
        alerts,
        telemetry_recorded,
    }
}

/// A consumer rendering every delta, like `skiff watch --json` does, through the same
/// `Registry::consume` as every consumer of the app.
fn spawn_consumer(registry: &Registry) {
    tokio::spawn(registry.consume(
        "soak-consumer",
        skiff::shutdown::Shutdown::never(),
        |feed| {
            if let Feed::Delta(d) = feed {
                std::hint::black_box(serde_json::to_vec(&d).expect("delta serializes"));
            }
            Ok::<_, std::convert::Infallible>(Handled::Ok)
        },
    ));
}

fn outage() -> EngineStatus {
    status(EngineState::Reconnecting {
        attempt: 1,
        retry_in_ms: Some(500),
        error: ErrorInfo {
            kind: FailureKind::NotRunning,
            message: "soak outage".into(),
            remedy: None,
        },
    })
}

/// Waits until the store has processed all `sent` items and every handler's queue is empty.
async fn drain(registry: &Registry, sent: u64) {
    for _ in 0..10_000 {
        let reports = registry.handler_reports();
        let stored = reports
            .iter()
            .any(|h| h.name == "registry:soak" && h.processed == sent);
        if stored && reports.iter().all(|h| h.queue_depth == 0) {
            // One more pause: a handler reports its depth before handling its last item.
            tokio::time::sleep(Duration::from_millis(2)).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
