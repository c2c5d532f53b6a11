//! Registry store ingest: throughput with 10k containers, and per-event cost at 100 / 1k / 10k
//! containers (it must be flat: applying an event is O(1) in the number of containers); the
//! same for Kubernetes pods at 10 / 1k pods, counting the pod → row mapping each watch event costs.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use skiff::container::Container;
use skiff::engine::events::RawEvent;
use skiff::registry::EngineStore;

fn container(i: usize) -> Container {
    Container {
        image: "busybox:latest".into(),
        status: "Up 1 second".into(),
        ..Container::new("podman", &format!("{i:064x}"), &format!("c-{i}"), "running")
    }
}

fn store_with(n: usize) -> EngineStore {
    let mut s = EngineStore::new("podman");
    s.init();
    for i in 0..n {
        s.init_apply(container(i));
    }
    s.init_done(&mut Vec::new());
    s
}

/// Events alternating die/start over all containers, with increasing times (no duplicates).
fn events(n_containers: usize, count: usize) -> Vec<RawEvent> {
    (0..count)
        .map(|k| RawEvent {
            typ: "container".into(),
            action: if (k / n_containers).is_multiple_of(2) {
                "die"
            } else {
                "start"
            }
            .into(),
            id: format!("{:064x}", k % n_containers),
            attributes: HashMap::from([("name".into(), format!("c-{}", k % n_containers))]),
            time_nano: 1_700_000_000_000_000_000 + i64::try_from(k).expect("small"),
        })
        .collect()
}

fn ingest(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest_10k_containers");
    let evs = events(10_000, 100_000);
    group.throughput(Throughput::Elements(evs.len() as u64));
    group.sample_size(10);
    group.bench_function("100k_events", |b| {
        b.iter_batched(
            || store_with(10_000),
            |mut s| {
                let mut applied = 0u64;
                for e in &evs {
                    if s.apply(e).is_some() {
                        applied += 1;
                    }
                }
                assert_eq!(applied, evs.len() as u64, "nothing dropped");
                black_box(s)
            },
            criterion::BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn per_event(c: &mut Criterion) {
    let mut group = c.benchmark_group("per_event_cost");
    for n in [100usize, 1_000, 10_000] {
        let evs = events(n, 20_000);
        group.throughput(Throughput::Elements(evs.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter_batched(
                || store_with(n),
                |mut s| {
                    for e in &evs {
                        black_box(s.apply(e));
                    }
                    s
                },
                criterion::BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

fn pod(i: usize, phase: &str) -> k8s_openapi::api::core::v1::Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": format!("p-{i}"), "namespace": "team", "uid": format!("uid-{i}"),
            "creationTimestamp": "2026-11-23T10:00:00Z"},
        "spec": {"nodeName": "n1", "containers": [{"name": "app", "image": "busybox"}]},
        "status": {"phase": phase, "containerStatuses": [{"name": "app", "image": "busybox",
            "imageID": "", "ready": phase == "Running", "restartCount": 0,
            "state": if phase == "Running" { serde_json::json!({"running": {}}) } else { serde_json::json!({"waiting": {"reason": "ContainerCreating"}}) }}]}
    }))
    .expect("pod")
}

fn per_pod_event(c: &mut Criterion) {
    use skiff::kubernetes::pods::row;
    let mut group = c.benchmark_group("per_pod_event_cost");
    for n in [10usize, 1_000] {
        // MODIFIED events alternating Pending/Running over all pods, as the watch delivers them.
        let evs: Vec<_> = (0..20_000)
            .map(|k| {
                pod(
                    k % n,
                    if (k / n).is_multiple_of(2) {
                        "Running"
                    } else {
                        "Pending"
                    },
                )
            })
            .collect();
        group.throughput(Throughput::Elements(evs.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter_batched(
                || {
                    let mut s = EngineStore::new("k8s:bench");
                    s.init();
                    for i in 0..n {
                        s.init_apply(row("k8s:bench", &pod(i, "Pending")).expect("row"));
                    }
                    s.init_done(&mut Vec::new());
                    s
                },
                |mut s| {
                    for p in &evs {
                        let r = row("k8s:bench", p).expect("row");
                        let id = r.id.clone();
                        black_box(s.replace(&id, Some(r)));
                    }
                    s
                },
                criterion::BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, ingest, per_event, per_pod_event);
criterion_main!(benches);
