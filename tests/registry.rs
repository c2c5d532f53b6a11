//! The registry against real engines: after a random workload with engine restarts in the
//! middle, it equals the engine's own `ps -a`; actions are single-flight and confirmed; faults in
//! the events stream are counted and recovered from.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use skiff::reconnect::BackoffPolicy;
use skiff::registry::{Action, Change, Confirmation, Registry, RegistryEvent};
use skiff::shutdown;
use skiff::watcher::{EngineState, WatcherConfig};
use support::proxy::Proxy;
use support::registry::{engine, wait_status};
use support::{Kind, TestEngine};

fn fast_config() -> WatcherConfig {
    WatcherConfig {
        backoff: BackoffPolicy {
            initial_ms: 100,
            max_ms: 1000,
            ..BackoffPolicy::default()
        },
        ..WatcherConfig::default()
    }
}

/// `ps -a` as (id, state) pairs, sorted. JSON output, because Podman 4.3's `{{.State}}` template
/// prints the status text ("Up 3 seconds ago").
fn engine_truth(e: &TestEngine) -> Vec<(String, String)> {
    let rows: Vec<serde_json::Value> = match e.kind {
        Kind::Podman => serde_json::from_str(&e.cli(&["ps", "-a", "--format", "json"])).unwrap(),
        Kind::Docker => e
            .cli(&["ps", "-a", "--no-trunc", "--format", "{{json .}}"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    };
    let mut rows: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            let id = r
                .get("Id")
                .or_else(|| r.get("ID"))
                .and_then(|v| v.as_str())
                .unwrap()
                .to_owned();
            (id, r["State"].as_str().unwrap().to_lowercase())
        })
        .collect();
    rows.sort();
    rows
}

fn registry_truth(r: &Registry) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = r
        .snapshot()
        .containers
        .into_iter()
        .map(|c| (c.id, c.state))
        .collect();
    rows.sort();
    rows
}

async fn eventually_equal(e: &TestEngine, r: &Registry, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let (want, have) = (engine_truth(e), registry_truth(r));
        if want == have {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "registry != engine\nengine:   {want:?}\nregistry: {have:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Collects, per container id, the states observed in upsert deltas (consecutive repeats folded).
fn observe(registry: &Registry) -> Arc<Mutex<HashMap<String, Vec<String>>>> {
    let seen = Arc::new(Mutex::new(HashMap::<String, Vec<String>>::new()));
    let mut rx = registry.subscribe();
    let s = seen.clone();
    tokio::spawn(async move {
        while let Ok(item) = rx.recv().await {
            if let RegistryEvent::Engine(st) = &item {
                let line = match &st.state {
                    EngineState::Reconnecting { error, .. }
                    | EngineState::Unavailable { error } => {
                        format!("{} {}", st.state.name(), error.message)
                    }
                    other => format!("{} {:?}", other.name(), st.trigger),
                };
                s.lock()
                    .unwrap()
                    .entry("__status".into())
                    .or_default()
                    .push(line);
            }
            if let RegistryEvent::Delta(d) = item {
                if let Change::Upsert { container } = d.change {
                    let mut map = s.lock().unwrap();
                    let states = map.entry(container.id.clone()).or_default();
                    if states.last() != Some(&container.state) {
                        states.push(container.state.clone());
                    }
                }
            }
        }
    });
    seen
}

/// Whether `seen` is a subsequence of `expected`.
fn is_subsequence(seen: &[String], expected: &[String]) -> bool {
    let mut it = expected.iter();
    seen.iter().all(|s| it.any(|e| e == s))
}

#[allow(clippy::too_many_lines)] // One scripted scenario, easier to follow top to bottom.
async fn random_workload_with_restarts(kind: Kind) {
    let Some(e) = TestEngine::start(kind) else {
        return;
    };
    let (_trigger, shutdown) = shutdown::channel();
    let registry = Registry::new();
    let observed = observe(&registry);
    skiff::app::watch_engines(
        &registry,
        &[engine(kind.as_str(), e.host())],
        &fast_config(),
        &shutdown,
    );
    assert!(registry.settled(Duration::from_secs(20)).await);

    let mut rng = StdRng::seed_from_u64(0x5eed + kind as u64);
    // name -> (id, state); expected state sequence per id (the engine's order = ours: the
    // workload is sequential).
    let mut model: Vec<(String, String, String)> = Vec::new();
    let mut expected: HashMap<String, Vec<String>> = HashMap::new();
    let mut ops = 0;
    let mut n = 0;
    let restarts_at = [40, 80, 120, 160, 190];
    while ops < 200 {
        if restarts_at.contains(&ops) {
            e.stop();
            e.restart();
            if kind == Kind::Docker {
                // dockerd stops its containers on shutdown (no live-restore), unpausing paused
                // ones first (it sends `unpause`, then `die`).
                for (_, id, state) in &mut model {
                    if state == "paused" {
                        expected.get_mut(id).unwrap().push("running".into());
                    }
                    if state == "running" || state == "paused" {
                        *state = "exited".into();
                        expected.get_mut(id).unwrap().push("exited".into());
                    }
                }
            }
        }
        let choice = rng.random_range(0..10);
        let pick = |want: &[&str], rng: &mut StdRng, model: &Vec<(String, String, String)>| {
            let idx: Vec<usize> = (0..model.len())
                .filter(|i| want.contains(&model[*i].2.as_str()))
                .collect();
            (!idx.is_empty()).then(|| idx[rng.random_range(0..idx.len())])
        };
        let (args, new_state, target): (Vec<String>, Option<&str>, Option<usize>) = match choice {
            0..=1 if model.len() < 12 => {
                n += 1;
                let name = format!("wl-{n}");
                let id = e.create(&name, false);
                model.push((name, id.clone(), "created".into()));
                expected.insert(id, vec!["created".into()]);
                ops += 1;
                continue;
            }
            2..=3 => match pick(&["created", "exited"], &mut rng, &model) {
                Some(i) => (
                    vec!["start".into(), model[i].0.clone()],
                    Some("running"),
                    Some(i),
                ),
                None => continue,
            },
            4..=5 => match pick(&["running"], &mut rng, &model) {
                Some(i) => (
                    vec!["stop".into(), "-t".into(), "0".into(), model[i].0.clone()],
                    Some("exited"),
                    Some(i),
                ),
                None => continue,
            },
            6 => match pick(&["running"], &mut rng, &model) {
                Some(i) => (
                    vec!["pause".into(), model[i].0.clone()],
                    Some("paused"),
                    Some(i),
                ),
                None => continue,
            },
            7 => match pick(&["paused"], &mut rng, &model) {
                Some(i) => (
                    vec!["unpause".into(), model[i].0.clone()],
                    Some("running"),
                    Some(i),
                ),
                None => continue,
            },
            _ => match pick(&["created", "exited"], &mut rng, &model) {
                Some(i) => (vec!["rm".into(), model[i].0.clone()], None, Some(i)),
                None => continue,
            },
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        e.cli(&args);
        let i = target.unwrap();
        match new_state {
            Some(s) => {
                model[i].2 = s.into();
                expected.get_mut(&model[i].1).unwrap().push(s.into());
            }
            None => {
                model.remove(i);
            }
        }
        ops += 1;
    }

    eventually_equal(&e, &registry, Duration::from_secs(30)).await;
    let observed = observed.lock().unwrap().clone();
    let statuses = observed.get("__status").cloned().unwrap_or_default();
    for (id, seen) in observed.iter().filter(|(id, _)| *id != "__status") {
        let want = &expected[id];
        assert!(
            is_subsequence(seen, want),
            "{id}: observed {seen:?} is not in the engine's order {want:?}"
        );
    }
    let status = registry.snapshot().engines[0].clone();
    // Each restart is at least one outage; an engine shutting down gracefully may still accept a
    // connection and drop it, which is a second (short) outage. Skiff reconnects either way.
    assert!(
        (5..=10).contains(&status.reconnects),
        "five restarts: {statuses:#?}"
    );
    assert_eq!(status.state, EngineState::Connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podman_random_workload_with_five_restarts_ends_equal_to_ps() {
    random_workload_with_restarts(Kind::Podman).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_random_workload_with_five_restarts_ends_equal_to_ps() {
    random_workload_with_restarts(Kind::Docker).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_click_on_stop_calls_the_engine_once() {
    let Some(e) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(dir.path(), e.socket_path());
    let id = e.create("double", true);
    let (_trigger, shutdown) = shutdown::channel();
    let registry = Registry::new();
    skiff::app::watch_engines(
        &registry,
        &[engine("podman", &proxy.host())],
        &fast_config(),
        &shutdown,
    );
    assert!(registry.settled(Duration::from_secs(10)).await);

    let (a, b) = tokio::join!(
        registry.act("podman", &id, Action::Stop, false),
        registry.act("podman", &id, Action::Stop, false)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        proxy.requests_matching("/stop"),
        1,
        "one engine call for two clicks"
    );
    assert!(a.joined != b.joined, "the second click joined the first");
    assert_eq!(a.confirmation, Confirmation::Event);
    assert_eq!(a.container.as_ref().unwrap().state, "exited");
    assert!(
        !registry.snapshot().containers[0].pending,
        "pending cleared after confirmation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_shows_pending_until_the_engine_confirms() {
    let Some(e) = TestEngine::start(Kind::Docker) else {
        return;
    };
    let id = e.create("pending", false);
    let (_trigger, shutdown) = shutdown::channel();
    let registry = Registry::new();
    skiff::app::watch_engines(
        &registry,
        &[engine("docker", e.host())],
        &fast_config(),
        &shutdown,
    );
    assert!(registry.settled(Duration::from_secs(10)).await);
    let mut rx = registry.subscribe();
    let outcome = registry
        .act("docker", &id, Action::Start, false)
        .await
        .unwrap();
    assert_eq!(outcome.confirmation, Confirmation::Event);
    // Deltas in order: pending on, running (from the engine's event), pending off. Other
    // events come between them (the start changes who uses the image: an object delta), and
    // do not end the reading (a CI run read `[]` when one came first).
    let mut states = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let RegistryEvent::Delta(d) = event {
            if let Change::Upsert { container } = d.change {
                states.push((container.state.clone(), container.pending));
            }
        }
    }
    assert_eq!(
        states.first(),
        Some(&("created".to_owned(), true)),
        "{states:?}"
    );
    assert!(states.contains(&("running".to_owned(), true)), "{states:?}");
    assert_eq!(
        states.last(),
        Some(&("running".to_owned(), false)),
        "{states:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_faults_are_counted_and_the_registry_recovers() {
    let Some(e) = TestEngine::start(Kind::Docker) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(dir.path(), e.socket_path());
    let (_trigger, shutdown) = shutdown::channel();
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    skiff::app::watch_engines(
        &registry,
        &[engine("docker", &proxy.host())],
        &fast_config(),
        &shutdown,
    );
    assert!(registry.settled(Duration::from_secs(10)).await);

    // Duplicated events are dropped by the store.
    proxy
        .faults
        .duplicate
        .store(true, std::sync::atomic::Ordering::SeqCst);
    e.create("dup", true);
    eventually_equal(&e, &registry, Duration::from_secs(10)).await;
    proxy
        .faults
        .duplicate
        .store(false, std::sync::atomic::Ordering::SeqCst);

    // A 10 MB garbage line: one counted error, the stream goes on.
    proxy
        .faults
        .garbage_bytes
        .store(10 * 1024 * 1024, std::sync::atomic::Ordering::SeqCst);
    e.create("after-garbage", false);
    eventually_equal(&e, &registry, Duration::from_secs(20)).await;
    assert_eq!(registry.stream_errors(), 1);

    // An event cut in the middle: the connection drops, Skiff reconnects and resyncs.
    proxy
        .faults
        .cut_next
        .store(true, std::sync::atomic::Ordering::SeqCst);
    e.create("cut", false);
    wait_status(&mut rx, "docker", Duration::from_secs(10), |s| {
        s.state.name() == "reconnecting"
    })
    .await;
    wait_status(&mut rx, "docker", Duration::from_secs(10), |s| {
        s.state == EngineState::Connected
    })
    .await;
    eventually_equal(&e, &registry, Duration::from_secs(10)).await;
    assert!(
        registry
            .snapshot()
            .containers
            .iter()
            .any(|c| c.name == "cut"),
        "filled by the resync"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_confirming_event_the_engine_is_asked_after_the_confirmation_timeout() {
    let Some(e) = TestEngine::start(Kind::Docker) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(dir.path(), e.socket_path());
    let id = e.create("silent", true);
    let (_trigger, shutdown) = shutdown::channel();
    let registry = Registry::new();
    // The product waits 10 s; the protocol is the same at 300 ms.
    registry.set_confirm_timeout(Duration::from_millis(300));
    skiff::app::watch_engines(
        &registry,
        &[engine("docker", &proxy.host())],
        &fast_config(),
        &shutdown,
    );
    assert!(registry.settled(Duration::from_secs(10)).await);
    proxy
        .faults
        .drop_events
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let outcome = registry
        .act("docker", &id, Action::Stop, false)
        .await
        .unwrap();
    assert_eq!(outcome.confirmation, Confirmation::Inspect);
    let c = outcome.container.unwrap();
    assert_eq!(
        c.state, "exited",
        "the engine's answer is taken as the truth"
    );
    assert!(!c.pending);
    let row = registry
        .snapshot()
        .containers
        .into_iter()
        .find(|c| c.id == id)
        .unwrap();
    assert_eq!((row.state.as_str(), row.pending), ("exited", false));
}

/// A window's first session shows the engine's newest rows before its whole list: as upserts
/// (no relist a handler could take for the whole), then the list's relist replaces them. The
/// whole list is slowed at a proxy (one byte a millisecond) so that the page surely comes first.
async fn the_newest_rows_come_before_the_whole_list(kind: Kind) {
    let Some(e) = TestEngine::start(kind) else {
        return;
    };
    for i in 0..4 {
        e.create(&format!("page-{i}"), false);
        // Distinct creation times, in the order of the names.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(dir.path(), e.socket_path());
    // `…/containers/json?all=1 HTTP/1.1` is the whole list; the page asks `…all=1&limit=2`.
    *proxy.faults.trickle.lock().unwrap() = Some("json?all=1 HTTP");
    proxy
        .faults
        .trickle_ms
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let (_trigger, shutdown) = shutdown::channel();
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    let config = WatcherConfig {
        first_page: Some(2),
        ..fast_config()
    };
    skiff::app::watch_engines(
        &registry,
        &[engine(kind.as_str(), &proxy.host())],
        &config,
        &shutdown,
    );
    let mut seen = Vec::new();
    let mut listing = false;
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let item = rx.recv().await;
            if let Ok(RegistryEvent::Engine(status)) = &item {
                if status.listing != listing {
                    listing = status.listing;
                    seen.push(format!("listing {listing}"));
                }
            }
            if let Ok(RegistryEvent::Delta(d)) = item {
                let (line, done) = match d.change {
                    Change::Upsert { container } => (format!("upsert {}", container.name), false),
                    Change::Remove { id } => (format!("remove {id}"), false),
                    Change::ResyncStart { containers } => (format!("start {containers}"), false),
                    Change::ResyncDone { containers } => (format!("done {containers}"), true),
                };
                seen.push(line);
                if done {
                    return;
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no whole list within 60 s; saw {seen:?}"));
    let whole: Vec<String> = (0..4).map(|i| format!("upsert page-{i}")).collect();
    // The status says the page is one before its rows arrive.
    let expected: Vec<String> = ["listing true", "upsert page-2", "upsert page-3", "start 4"]
        .into_iter()
        .map(str::to_owned)
        .chain(whole)
        .chain(["done 4".to_owned()])
        .collect();
    assert_eq!(seen, expected);
    eventually_equal(&e, &registry, Duration::from_secs(10)).await;
    // And that the whole list is in, once it is.
    support::eventually(
        Duration::from_secs(5),
        || registry.snapshot().engines.iter().all(|s| !s.listing),
        || "the engine still says listing".to_owned(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podman_shows_the_newest_rows_before_the_whole_list() {
    the_newest_rows_come_before_the_whole_list(Kind::Podman).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_shows_the_newest_rows_before_the_whole_list() {
    the_newest_rows_come_before_the_whole_list(Kind::Docker).await;
}
