//! A synthetic engine for benchmarks and demos: `n` containers in a store of their own, fed
//! through the same applier as a real engine (status, relist, deltas). The desktop app adds one
//! only when `SKIFF_SYNTHETIC_CONTAINERS` is set (the first-paint benchmark of 10k rows: no
//! engine here can create 10k containers in reasonable time).

use crate::container::Container;
use crate::watcher::{now_rfc3339, EngineState, EngineStatus, WatchEvent};

use super::Registry;

/// How many synthetic containers the environment asks for (`SKIFF_SYNTHETIC_CONTAINERS`).
#[must_use]
pub fn requested() -> Option<usize> {
    std::env::var("SKIFF_SYNTHETIC_CONTAINERS")
        .ok()?
        .parse()
        .ok()
        .filter(|n| *n > 0)
}

/// Adds engine `id` with `n` containers (a third running, grouped in projects of 20).
pub async fn fill(registry: &Registry, id: &str, n: usize) {
    let tx = registry.attach(id);
    let status = EngineStatus {
        connected_since: Some(now_rfc3339()),
        ..EngineStatus::new(id, "synthetic://", EngineState::Connected)
    };
    let created = chrono::Utc::now().timestamp() - 3600;
    let mut items = vec![WatchEvent::Status(status), WatchEvent::Init];
    items.extend((0..n).map(|i| {
        let running = i % 3 == 0;
        let state = if running { "running" } else { "exited" };
        WatchEvent::InitApply(Container {
            image: format!("registry.example/app-{}:latest", i % 50),
            status: if running {
                "Up 1 hour"
            } else {
                "Exited (0) 1 hour ago"
            }
            .to_owned(),
            created: created - i64::try_from(i).unwrap_or(0),
            ports: if i % 7 == 0 {
                vec![format!("0.0.0.0:{}->80/tcp", 8000 + i % 1000)]
            } else {
                Vec::new()
            },
            project: Some(format!("project-{:03}", i / 20)),
            ..Container::new(
                id,
                &format!("{i:064x}"),
                &format!("synthetic-{i:05}"),
                state,
            )
        })
    }));
    items.push(WatchEvent::InitDone);
    for item in items {
        if tx.send(item).await.is_err() {
            return;
        }
    }
}

/// Waits, up to a second, until the registry holds `rows` containers: `fill` returns once its
/// items are sent, before the hub has applied them. The caller asserts the count.
#[cfg(test)]
pub(crate) async fn settled(registry: &Registry, rows: usize) {
    for _ in 0..200 {
        if registry.snapshot().containers.len() == rows {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fills_a_connected_engine_with_n_rows() {
        let registry = Registry::new();
        fill(&registry, "synthetic", 250).await;
        settled(&registry, 250).await;
        let snap = registry.snapshot();
        assert_eq!(snap.containers.len(), 250);
        assert_eq!(snap.engines[0].state, EngineState::Connected);
        assert_eq!(
            snap.containers
                .iter()
                .filter(|c| c.state == "running")
                .count(),
            84
        );
    }

    #[tokio::test]
    async fn a_snapshot_lists_rows_by_engine_then_name() {
        let registry = Registry::new();
        fill(&registry, "podman", 300).await;
        fill(&registry, "docker", 200).await;
        settled(&registry, 500).await;
        let order = |containers: Vec<(&str, &str)>| {
            let mut sorted = containers.clone();
            sorted.sort_unstable();
            assert_eq!(containers, sorted);
            assert_eq!(containers.first(), Some(&("docker", "synthetic-00000")));
            assert_eq!(containers.last(), Some(&("podman", "synthetic-00299")));
        };
        let snap = registry.snapshot();
        order(
            snap.containers
                .iter()
                .map(|c| (c.engine.as_str(), c.name.as_str()))
                .collect(),
        );
        registry.with_snapshot(|s| {
            order(
                s.containers
                    .iter()
                    .map(|c| (c.engine.as_str(), c.name.as_str()))
                    .collect(),
            );
        });
    }
}
