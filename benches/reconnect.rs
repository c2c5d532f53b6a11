//! Reconnect latency against a real Podman service (and Docker when `SKIFF_BENCH_DOCKER=1`):
//! the engine is restarted N times (default 20); for each restart we record when its socket first
//! answers `/_ping` (a 2 ms poller), when Skiff reports `connected`, and when the registry
//! finished its resync. Prints median and p95 of both latencies, and what triggered the attempt.
//!
//! `cargo bench --bench reconnect` (harness-less: it is a measurement, not a criterion loop).
//! With `SKIFF_BENCH_OUT`, the summary and the samples are written there (sorted, per column).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use skiff::reconnect::BackoffPolicy;
use skiff::registry::{Change, Registry, RegistryEvent};
use skiff::watcher::{EngineState, WatcherConfig};
use support::{Kind, TestEngine};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

async fn answers(path: &std::path::Path) -> bool {
    let endpoint = skiff::engine::Endpoint::Unix(path.to_path_buf());
    skiff::engine::http::ping(&endpoint).await.is_ok()
}

async fn run(kind: Kind, restarts: usize) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    for i in 0..20 {
        engine.create(&format!("bench-{i}"), i % 2 == 0);
    }
    let (_trigger, shutdown) = skiff::shutdown::channel();
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    // A long timer: any quick return is the socket watch's doing.
    let config = WatcherConfig {
        backoff: BackoffPolicy {
            initial_ms: 30_000,
            max_ms: 30_000,
            ..BackoffPolicy::default()
        },
        ..WatcherConfig::default()
    };
    skiff::app::watch_engines(
        &registry,
        &[support::registry::engine(kind.as_str(), engine.host())],
        &config,
        &shutdown,
    );
    assert!(registry.settled(Duration::from_secs(20)).await);

    let mut to_connected = Vec::new();
    let mut to_resynced = Vec::new();
    let mut triggers = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..restarts {
        engine.stop();
        // Wait until Skiff noticed.
        loop {
            if let Ok(RegistryEvent::Engine(s)) = rx.recv().await {
                if s.state.name() == "reconnecting" {
                    break;
                }
            }
        }
        while rx.try_recv().is_ok() {}
        let sock = engine.socket_path();
        let poller = tokio::spawn(async move {
            loop {
                if answers(&sock).await {
                    return Instant::now();
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        });
        // Restart on another thread: this task must keep receiving to timestamp `connected`.
        let restart = std::thread::scope(|scope| {
            let handle = scope.spawn(|| engine.restart());
            let rt = tokio::runtime::Handle::current();
            let times =
                tokio::task::block_in_place(|| rt.block_on(wait_connected(&mut rx, &mut triggers)));
            handle.join().unwrap();
            times
        });
        let (connected_at, resynced_at) = restart;
        let answered_at = poller.await.unwrap();
        let ms = |t: Instant| t.saturating_duration_since(answered_at).as_secs_f64() * 1000.0;
        to_connected.push(ms(connected_at));
        to_resynced.push(ms(resynced_at));
    }
    report(
        kind,
        restarts,
        &mut to_connected,
        &mut to_resynced,
        &triggers,
    );
}

async fn wait_connected(
    rx: &mut tokio::sync::broadcast::Receiver<RegistryEvent>,
    triggers: &mut std::collections::BTreeMap<String, usize>,
) -> (Instant, Instant) {
    let mut connected_at = None;
    let resynced_at = loop {
        match rx.recv().await {
            Ok(RegistryEvent::Engine(s)) if s.state == EngineState::Connected => {
                connected_at = Some(Instant::now());
                *triggers.entry(format!("{:?}", s.trigger)).or_default() += 1;
            }
            Ok(RegistryEvent::Delta(d))
                if connected_at.is_some() && matches!(d.change, Change::ResyncDone { .. }) =>
            {
                break Instant::now();
            }
            _ => {}
        }
    };
    (connected_at.unwrap(), resynced_at)
}

fn report(
    kind: Kind,
    restarts: usize,
    to_connected: &mut [f64],
    to_resynced: &mut [f64],
    triggers: &std::collections::BTreeMap<String, usize>,
) {
    to_connected.sort_by(f64::total_cmp);
    to_resynced.sort_by(f64::total_cmp);
    println!(
        "reconnect {}: {} restarts; socket answering -> connected: median {:.1} ms, p95 {:.1} ms; -> resync done: median {:.1} ms, p95 {:.1} ms; triggers {:?}",
        kind.as_str(),
        restarts,
        percentile(to_connected, 0.5),
        percentile(to_connected, 0.95),
        percentile(to_resynced, 0.5),
        percentile(to_resynced, 0.95),
        triggers
    );
    if let Some(dir) = std::env::var_os("SKIFF_BENCH_OUT") {
        let dir = std::path::Path::new(&dir);
        let socket_triggered = triggers.get("Some(Socket)").copied().unwrap_or(0);
        std::fs::write(
            dir.join(format!("reconnect-{}.txt", kind.as_str())),
            format!(
                "{restarts} {:.3} {:.3} {:.3} {:.3} {socket_triggered}\n",
                percentile(to_connected, 0.5),
                percentile(to_connected, 0.95),
                percentile(to_resynced, 0.5),
                percentile(to_resynced, 0.95),
            ),
        )
        .expect("write reconnect summary");
        let csv: String = std::iter::once("to_connected_ms,to_resync_done_ms\n".to_owned())
            .chain(
                to_connected
                    .iter()
                    .zip(to_resynced.iter())
                    .map(|(c, r)| format!("{c:.3},{r:.3}\n")),
            )
            .collect();
        std::fs::write(dir.join(format!("reconnect-{}.csv", kind.as_str())), csv)
            .expect("write reconnect samples");
    }
}

fn main() {
    let restarts = std::env::var("SKIFF_BENCH_RESTARTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(Kind::Podman, restarts));
    if std::env::var("SKIFF_BENCH_DOCKER").as_deref() == Ok("1") {
        rt.block_on(run(Kind::Docker, restarts));
    }
}
