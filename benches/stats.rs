//! Live stats of 100 running containers, as the window's list follows the rows on screen (one
//! core `Board`): Skiff's own CPU, the engine's CPU, the requests Skiff makes per second and the
//! samples it receives per second, over a steady 20 s.
//!
//! On Podman the board reads them all in one request (libpod streams many in one document);
//! the same containers are also read one request each (as on Docker), to say what that saves
//! the engine.
//!
//! `cargo bench --bench stats` (`SKIFF_BENCH_STATS_CONTAINERS`, default 100;
//! `SKIFF_BENCH_ENGINES`, default `docker,podman`). Figures: `$SKIFF_BENCH_OUT/stats-<engine>.txt`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use std::fmt::Write as _;

use skiff::container_stats::{Board, StatsFollow};
use skiff::registry::Registry;
use skiff::watcher::WatcherConfig;
use support::{registry::engine, Kind, TestEngine};

const STEADY: Duration = Duration::from_secs(20);

/// CPU seconds (user + system) of process `pid` so far, from `/proc/PID/stat`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) closed by ')'.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Starts `n` idle containers, four at a time.
fn start_containers(engine: &TestEngine, n: usize) {
    std::thread::scope(|scope| {
        for worker in 0..4 {
            scope.spawn(move || {
                for i in (worker..n).step_by(4) {
                    engine.run_sh(&format!("stats-{i}"), &[], "sleep 86400");
                }
            });
        }
    });
}

struct Figures {
    skiff_cpu_percent: f64,
    engine_cpu_percent: f64,
    requests_per_s: f64,
    samples_per_s: f64,
}

/// Stats of the `n` running containers for 20 s: through a `Board` as the window does, or
/// (`one_each`) one follow per container.
fn measure(target: &TestEngine, n: usize, one_each: bool) -> Figures {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (_trigger, shutdown) = skiff::shutdown::channel();
        let registry = Registry::new();
        skiff::app::watch_engines(
            &registry,
            &[engine("e", target.host())],
            &WatcherConfig::default(),
            &shutdown,
        );
        assert!(registry.settled(Duration::from_secs(60)).await);
        let shown: Vec<(String, String)> = registry
            .snapshot()
            .containers
            .iter()
            .filter(|c| c.state == "running")
            .map(|c| (c.engine.clone(), c.id.clone()))
            .collect();
        assert_eq!(shown.len(), n, "running containers");
        let (mut board, mut samples) = Board::new(registry.clone(), n);
        let (_each, each_shutdown) = skiff::shutdown::channel();
        let each_opens = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        if one_each {
            let (tx, rx) = tokio::sync::mpsc::channel(2 * n);
            samples = rx;
            for (engine_id, id) in shown {
                let mut follow = StatsFollow::new(registry.clone(), &engine_id, &id, &id)
                    .counting_opens_in(each_opens.clone());
                let tx = tx.clone();
                let shutdown = each_shutdown.clone();
                tokio::spawn(async move {
                    let mut send = |s| {
                        let _ = tx.try_send(s);
                        Ok(())
                    };
                    let _ = follow.run(&mut send, true, shutdown).await;
                });
            }
        } else {
            board.show(shown);
        }
        let opens = || board.opens() + each_opens.load(std::sync::atomic::Ordering::Relaxed);
        // Warm up: every stream open and past its first (CPU-less) document.
        let warm = Instant::now() + Duration::from_secs(5);
        while Instant::now() < warm {
            let _ = tokio::time::timeout(Duration::from_millis(100), samples.recv()).await;
        }
        let me = std::process::id();
        let (skiff0, engine0, opens0) = (cpu_seconds(me), cpu_seconds(target.pid()), opens());
        let start = Instant::now();
        let mut received = 0u64;
        while start.elapsed() < STEADY {
            if let Ok(Some(_)) =
                tokio::time::timeout(Duration::from_millis(100), samples.recv()).await
            {
                received += 1;
            }
        }
        let secs = start.elapsed().as_secs_f64();
        Figures {
            skiff_cpu_percent: (cpu_seconds(me) - skiff0) / secs * 100.0,
            engine_cpu_percent: (cpu_seconds(target.pid()) - engine0) / secs * 100.0,
            requests_per_s: (opens() - opens0) as f64 / secs,
            samples_per_s: received as f64 / secs,
        }
    })
}

fn main() {
    let n: usize = std::env::var("SKIFF_BENCH_STATS_CONTAINERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let engines = std::env::var("SKIFF_BENCH_ENGINES").unwrap_or_else(|_| "docker,podman".into());
    for name in engines.split(',') {
        let kind = match name.trim() {
            "docker" => Kind::Docker,
            "podman" => Kind::Podman,
            other => panic!("unknown engine {other:?}"),
        };
        let Some(target) = TestEngine::start(kind) else {
            continue;
        };
        eprintln!("stats: starting {n} containers on {name}");
        start_containers(&target, n);
        let idle0 = cpu_seconds(target.pid());
        std::thread::sleep(Duration::from_secs(5));
        let idle = (cpu_seconds(target.pid()) - idle0) / 5.0 * 100.0;
        let f = measure(&target, n, false);
        let mut summary = format!(
            "engine={name} containers={n} steady_s={} skiff_cpu_percent={:.2} engine_cpu_percent={:.2} engine_idle_cpu_percent={idle:.2} requests_per_s={:.3} samples_per_s={:.1}",
            STEADY.as_secs(),
            f.skiff_cpu_percent,
            f.engine_cpu_percent,
            f.requests_per_s,
            f.samples_per_s,
        );
        if kind == Kind::Podman {
            let each = measure(&target, n, true);
            let _ = write!(
                summary,
                " one_request_each_engine_cpu_percent={:.2} one_request_each_skiff_cpu_percent={:.2}",
                each.engine_cpu_percent, each.skiff_cpu_percent
            );
        }
        println!("{summary}");
        if let Ok(dir) = std::env::var("SKIFF_BENCH_OUT") {
            std::fs::write(format!("{dir}/stats-{name}.txt"), format!("{summary}\n"))
                .expect("write the summary");
        }
    }
}
