//! Chaos on real engines: the Podman service and dockerd are killed with SIGKILL again and again
//! during a random workload, with changes made while they are down (Podman's own CLI works on
//! its storage without the service) or while Skiff is still reconnecting (Docker's needs dockerd).
//! After every reconnect the registry must equal `ps -a`: the same ids in the same states.
//!
//! `SKIFF_CHAOS_KILLS` sets the kills per engine (30 here; `make bench` runs 100).

mod support;

use std::time::{Duration, Instant};

use skiff::reconnect::BackoffPolicy;
use skiff::registry::Registry;
use skiff::shutdown;
use skiff::watcher::{EngineState, WatcherConfig};
use support::registry::{engine, wait_status};
use support::{Kind, TestEngine};

fn kills() -> usize {
    std::env::var("SKIFF_CHAOS_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
}

/// A small deterministic generator: the same seed replays the same workload.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn states(lines: &str) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = lines
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(id, state)| (id.to_owned(), normalize(state)))
        .collect();
    rows.sort();
    rows
}

/// Podman 4.3's `{{.State}}` is worded like a status (`Up 32 seconds ago`, `Exited (137) 3
/// seconds ago`); Docker's is the state word. Both become the state word.
fn normalize(state: &str) -> String {
    let s = state.trim().to_lowercase();
    let word = if s.contains("paused") {
        "paused"
    } else if s.starts_with("up") || s == "running" {
        "running"
    } else if s.starts_with("exited") || s == "stopped" || s.starts_with("dead") {
        "exited"
    } else if s.starts_with("created") || s == "configured" || s == "initialized" {
        "created"
    } else {
        s.as_str()
    };
    word.to_owned()
}

fn registry_states(registry: &Registry, id: &str) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = registry
        .snapshot()
        .containers
        .into_iter()
        .filter(|c| c.engine == id)
        .map(|c| (c.id, normalize(&c.state)))
        .collect();
    rows.sort();
    rows
}

/// One random change through `cli`: create, start, stop, or remove a container.
fn change(rng: &mut Rng, n: &mut usize, cli: &dyn Fn(&[&str]) -> Option<String>) {
    let existing = states(
        &cli(&["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.State}}"]).unwrap_or_default(),
    );
    let pick = existing
        .get(rng.below(existing.len()))
        .map(|(id, _)| id.clone());
    match (rng.below(4), pick) {
        (0, _) | (_, None) => {
            *n += 1;
            let name = format!("chaos-{n}");
            let _ = cli(&[
                "create",
                "--name",
                &name,
                "--network",
                "none",
                "busybox:latest",
                "sleep",
                "86400",
            ]);
        }
        (1, Some(id)) => {
            let _ = cli(&["start", &id]);
        }
        (2, Some(id)) => {
            let _ = cli(&["stop", "-t", "0", &id]);
        }
        (_, Some(id)) => {
            let _ = cli(&["rm", "-f", &id]);
        }
    }
}

async fn chaos(kind: Kind) {
    let Some(e) = TestEngine::start(kind) else {
        return;
    };
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    let (_trigger, shutdown) = shutdown::channel();
    let config = WatcherConfig {
        backoff: BackoffPolicy {
            initial_ms: 100,
            max_ms: 1000,
            ..BackoffPolicy::default()
        },
        ..WatcherConfig::default()
    };
    skiff::app::watch_engines(&registry, &[engine("e", e.host())], &config, &shutdown);
    wait_status(&mut rx, "e", Duration::from_secs(30), |s| {
        s.state == EngineState::Connected
    })
    .await;
    let mut rng = Rng(0x5EED ^ kind.as_str().len() as u64);
    let mut n = 0;
    let output = |out: std::process::Output| {
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let through_service = |args: &[&str]| output(e.try_cli(args));
    let through_storage = |args: &[&str]| {
        let mut with_t = args.to_vec();
        // Podman's `rm -f` waits 10 s for `sleep` (PID 1 ignores SIGTERM) unless told not to.
        if matches!(args.first(), Some(&"rm")) {
            with_t.insert(1, "--time=0");
        }
        output(e.local_cli(&with_t))
    };
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for round in 0..kills() {
        for _ in 0..rng.below(3) {
            change(&mut rng, &mut n, &through_service);
        }
        e.kill();
        wait_status(&mut rx, "e", Duration::from_secs(30), |s| {
            !matches!(s.state, EngineState::Connected)
        })
        .await;
        if kind == Kind::Podman {
            for _ in 0..=rng.below(2) {
                change(&mut rng, &mut n, &through_storage);
            }
        }
        e.restart_after_crash();
        let back = Instant::now();
        if kind == Kind::Docker {
            change(&mut rng, &mut n, &through_service);
        }
        wait_status(&mut rx, "e", Duration::from_secs(60), |s| {
            s.state == EngineState::Connected
        })
        .await;
        // The relist and the replayed gap land; then the registry must be the engine.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let truth =
                states(&e.cli(&["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.State}}"]));
            let seen = registry_states(&registry, "e");
            if seen == truth {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{} round {round}: registry {seen:?} != engine {truth:?}",
                kind.as_str()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        slowest = slowest.max(back.elapsed());
    }
    println!(
        "chaos {}: {} SIGKILLs with {} containers made, registry = ps -a after every reconnect; {:?} in all, slowest restart→equal {:?}",
        kind.as_str(),
        kills(),
        n,
        started.elapsed(),
        slowest
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podman_killed_again_and_again_during_a_workload_the_registry_equals_ps_after_every_reconnect(
) {
    chaos(Kind::Podman).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dockerd_killed_again_and_again_during_a_workload_the_registry_equals_ps_after_every_reconnect(
) {
    chaos(Kind::Docker).await;
}
