//! Faults a real engine cannot produce on its own, injected by a proxy in front of a real one:
//! an engine that accepts the connection and then says nothing (at `/_ping`, at the events
//! response head, in the middle of a list body), a flood of events during a list, and an engine
//! whose clock is a minute off, or that stamps one event a year ahead.

mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use skiff::engine::FailureKind;
use skiff::reconnect::BackoffPolicy;
use skiff::registry::Registry;
use skiff::shutdown;
use skiff::watcher::{EngineState, EngineStatus, WatcherConfig};
use support::proxy::Proxy;
use support::registry::{engine, ids, wait_status};
use support::{eventually, Kind, TestEngine};

fn quick(ping_timeout: Duration) -> WatcherConfig {
    WatcherConfig {
        ping_timeout,
        backoff: BackoffPolicy {
            initial_ms: 200,
            max_ms: 400,
            ..BackoffPolicy::default()
        },
        ..WatcherConfig::default()
    }
}

fn transient(s: &EngineStatus) -> Option<String> {
    match &s.state {
        EngineState::Reconnecting { error, .. } if error.kind == FailureKind::Transient => {
            Some(error.message.clone())
        }
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_that_stops_answering_at_any_step_is_reconnecting_transient_within_the_ping_timeout(
) {
    let Some(podman) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(dir.path(), podman.socket_path());
    proxy.faults.trickle_ms.store(1000, Ordering::SeqCst);
    for (step, hang, trickle, words) in [
        ("ping", Some("/_ping"), None, "no answer to /_ping"),
        ("events head", Some("/events"), None, "no answer to /events"),
        (
            "list body",
            None,
            Some("/containers/json"),
            "container list",
        ),
    ] {
        *proxy.faults.hang.lock().unwrap() = hang;
        *proxy.faults.trickle.lock().unwrap() = trickle;
        let registry = Registry::new();
        let mut rx = registry.subscribe();
        let (trigger, shutdown) = shutdown::channel();
        skiff::app::watch_engines(
            &registry,
            &[engine("podman", &proxy.host())],
            &quick(Duration::from_secs(2)),
            &shutdown,
        );
        let started = Instant::now();
        let s = wait_status(&mut rx, "podman", Duration::from_secs(20), |s| {
            transient(s).is_some()
        })
        .await;
        let message = transient(&s).unwrap();
        println!(
            "{step}: reconnecting after {:?}: {message}",
            started.elapsed()
        );
        assert!(message.contains(words), "{step}: {message}");
        // Once the engine answers again, it connects.
        *proxy.faults.hang.lock().unwrap() = None;
        *proxy.faults.trickle.lock().unwrap() = None;
        wait_status(&mut rx, "podman", Duration::from_secs(20), |s| {
            s.state == EngineState::Connected
        })
        .await;
        drop(trigger);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_now_and_disable_work_while_a_connect_hangs() {
    let dir = tempfile::tempdir().unwrap();
    // Something that accepts connections and never answers: no engine needed.
    let path = dir.path().join("hung.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(sock);
        }
    });
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    let (_trigger, shutdown) = shutdown::channel();
    let host = format!("unix://{}", path.display());
    // A ping timeout far longer than the test: only the controls can end the attempt.
    skiff::app::watch_engines(
        &registry,
        &[engine("hung", &host)],
        &quick(Duration::from_secs(600)),
        &shutdown,
    );
    let connects = || accepted.load(Ordering::SeqCst);
    eventually(
        Duration::from_secs(10),
        || connects() > 0,
        || "never connected".into(),
    )
    .await;
    assert_eq!(registry.retry_now(Some("hung")), 1);
    eventually(
        Duration::from_secs(10),
        || connects() >= 2,
        || "Retry now did not start a new attempt".into(),
    )
    .await;
    assert!(registry.set_enabled("hung", false));
    wait_status(&mut rx, "hung", Duration::from_secs(5), |s| {
        s.state == EngineState::Disabled
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skiff_ps_against_a_hung_engine_exits_1_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hung.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for sock in listener.incoming() {
            held.push(sock);
        }
    });
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_skiff"))
            .args(["ps", "--host", &format!("unix://{}", path.display())])
            .env("SKIFF_CONFIG_DIR", dir.path())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!(
        "skiff ps against a hung engine: exit {:?} after {took:?}: {stderr}",
        out.status.code()
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no answer"), "{stderr}");
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_body_past_its_cap_is_a_protocol_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                if request.contains("/_ping") {
                    let _ = sock
                        .write_all(b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nServer: Docker/20.10 (linux)\r\nContent-Length: 2\r\n\r\nOK")
                        .await;
                    return;
                }
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .await;
                let chunk = vec![b' '; 1 << 20];
                for _ in 0..80 {
                    let head = format!("{:x}\r\n", chunk.len());
                    if sock.write_all(head.as_bytes()).await.is_err()
                        || sock.write_all(&chunk).await.is_err()
                        || sock.write_all(b"\r\n").await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    let endpoint: skiff::engine::Endpoint = format!("unix://{}", path.display()).parse().unwrap();
    let client = skiff::engine::EngineClient::connect("huge", &endpoint)
        .await
        .unwrap();
    let err = client.list_containers(true).await.unwrap_err();
    assert_eq!(err.kind(), FailureKind::Protocol, "{err}");
    assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_events_during_a_slow_list_fails_the_session_instead_of_buffering_it() {
    let Some(podman) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(dir.path(), podman.socket_path());
    *proxy.faults.trickle.lock().unwrap() = Some("/containers/json");
    proxy.faults.trickle_ms.store(20, Ordering::SeqCst);
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    let (_trigger, shutdown) = shutdown::channel();
    skiff::app::watch_engines(
        &registry,
        &[engine("podman", &proxy.host())],
        &quick(Duration::from_secs(60)),
        &shutdown,
    );
    wait_status(&mut rx, "podman", Duration::from_secs(20), |s| {
        s.state == EngineState::Connected
    })
    .await;
    // While the list trickles in, one real event brings 10,001 made-up ones with it.
    proxy.faults.inject_events.store(
        skiff::watcher::MAX_BUFFERED_DURING_LIST + 1,
        Ordering::SeqCst,
    );
    podman.create("flood-trigger", false);
    let s = wait_status(&mut rx, "podman", Duration::from_secs(30), |s| {
        transient(s).is_some()
    })
    .await;
    assert!(
        transient(&s).unwrap().contains("arrived while listing"),
        "{s:?}"
    );
}

fn row(registry: &Registry, id: &str) -> Option<String> {
    registry
        .snapshot()
        .containers
        .into_iter()
        .find(|c| c.id == id)
        .map(|c| c.state)
}

/// Containers started while the list is being read end `running`, the registry equals the
/// engine, and a stamp a year ahead neither misfiles nor poisons the next replay, whatever the
/// engine's clock says.
async fn engine_clock_is_trusted_over_ours(kind: Kind) {
    let Some(e) = TestEngine::start(kind) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(dir.path(), e.socket_path());
    for shift in [-60_i64, 60] {
        proxy.faults.shift_s.store(shift, Ordering::SeqCst);
        // A list that takes a few seconds, so that containers start while it is read.
        *proxy.faults.trickle.lock().unwrap() = Some("/containers/json");
        // ~1 KiB a container: a few seconds, within the list's 15 s limit.
        proxy.faults.trickle_ms.store(2, Ordering::SeqCst);
        let lists_before = proxy.requests_matching("/containers/json");
        let registry = Registry::new();
        let mut rx = registry.subscribe();
        let (trigger, shutdown) = shutdown::channel();
        skiff::app::watch_engines(
            &registry,
            &[engine("e", &proxy.host())],
            &quick(Duration::from_secs(60)),
            &shutdown,
        );
        // Wait for the list request, then start containers while it trickles.
        eventually(
            Duration::from_secs(20),
            || proxy.requests_matching("/containers/json") > lists_before,
            || "no list request".into(),
        )
        .await;
        let name = format!("during-list-{}", shift + 100);
        let id = e.create(&name, true);
        assert_eq!(
            proxy.requests_matching("/containers/json"),
            lists_before + 1,
            "the container started during the first list"
        );
        assert!(registry.settled(Duration::from_secs(60)).await);
        eventually(
            Duration::from_secs(30),
            || row(&registry, &id).as_deref() == Some("running"),
            || {
                format!(
                    "shift {shift}: {name} is {:?}, not running; its events: {:?}; stream errors {}",
                    row(&registry, &id),
                    registry
                        .history()
                        .into_iter()
                        .filter(|r| r.id == id)
                        .map(|r| (r.action, r.time_ms, r.replayed))
                        .collect::<Vec<_>>(),
                    registry.stream_errors(),
                )
            },
        )
        .await;
        assert_eq!(ids(&registry, "e"), e.ps_all(), "shift {shift}");
        *proxy.faults.trickle.lock().unwrap() = None;

        // One event a year ahead, then the stream is cut: the replay after reconnecting asks
        // `since` a sane time, and a container started after it is seen.
        proxy.faults.future_next.store(true, Ordering::SeqCst);
        e.cli(&["stop", "-t", "0", &name]);
        // Whichever of the stop's events came first carried the year-ahead stamp; give the
        // engine's event log (Podman's lags ~125 ms) time to deliver them all.
        let deadline = Instant::now() + Duration::from_secs(3);
        while row(&registry, &id).as_deref() != Some("exited") && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        proxy.faults.cut_next.store(true, Ordering::SeqCst);
        e.cli(&["start", &name]);
        wait_status(&mut rx, "e", Duration::from_secs(20), |s| {
            matches!(s.state, EngineState::Reconnecting { .. })
        })
        .await;
        wait_status(&mut rx, "e", Duration::from_secs(20), |s| {
            s.state == EngineState::Connected
        })
        .await;
        let later = e.create(&format!("after-future-{}", shift + 100), true);
        eventually(
            Duration::from_secs(30),
            || {
                row(&registry, &later).as_deref() == Some("running")
                    && row(&registry, &id).as_deref() == Some("running")
            },
            || {
                format!(
                    "shift {shift}: after a year-ahead stamp, {:?} / {:?}",
                    row(&registry, &id),
                    row(&registry, &later)
                )
            },
        )
        .await;
        assert_eq!(ids(&registry, "e"), e.ps_all(), "shift {shift}");
        let since = proxy.last_since().expect("the replay asked since");
        let engine_now = chrono::Utc::now().timestamp() + shift;
        assert!(
            (since - engine_now).abs() < 120,
            "shift {shift}: replay since {since}, engine now {engine_now}"
        );
        drop(trigger);
        for c in [id, later] {
            e.cli(&["rm", "-f", &c]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podman_clock_off_by_a_minute_or_a_year_ahead_stamp_changes_nothing() {
    engine_clock_is_trusted_over_ours(Kind::Podman).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_clock_off_by_a_minute_or_a_year_ahead_stamp_changes_nothing() {
    engine_clock_is_trusted_over_ours(Kind::Docker).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_whose_engine_goes_away_before_confirming_clears_pending_and_unknown_ids_are_refused(
) {
    use skiff::registry::{Action, ActionErrorKind};
    let Some(podman) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(dir.path(), podman.socket_path());
    let id = podman.create("victim", true);
    let registry = Registry::new();
    let (_trigger, shutdown) = shutdown::channel();
    skiff::app::watch_engines(
        &registry,
        &[engine("podman", &proxy.host())],
        &quick(Duration::from_secs(5)),
        &shutdown,
    );
    eventually(
        Duration::from_secs(20),
        || row(&registry, &id).as_deref() == Some("running"),
        || "victim not listed".into(),
    )
    .await;

    // An id (or a prefix, or a name) Skiff does not show is refused before any request.
    let prefix: String = id.chars().take(12).collect();
    for target in [prefix.as_str(), "victim", "0123456789ab"] {
        let err = registry
            .act("podman", target, Action::Kill, false)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ActionErrorKind::NotFound, "{target}: {err}");
    }
    assert_eq!(proxy.requests_matching("/kill"), 0);

    // The confirming event never arrives and the engine is gone when the fallback asks it.
    proxy.faults.drop_events.store(true, Ordering::SeqCst);
    let acting = {
        let registry = registry.clone();
        let id = id.clone();
        tokio::spawn(async move { registry.act("podman", &id, Action::Kill, false).await })
    };
    let pending = |registry: &Registry| {
        registry
            .snapshot()
            .containers
            .iter()
            .any(|c| c.id == id && c.pending)
    };
    eventually(
        Duration::from_secs(10),
        || pending(&registry),
        || "never pending".into(),
    )
    .await;
    podman.stop();
    let result = acting.await.unwrap();
    assert!(result.is_err(), "{result:?}");
    assert!(
        !pending(&registry),
        "pending cleared after a failed fallback"
    );
    // And a new action is not blocked by a leftover waiter or flight.
    let again = registry.act("podman", &id, Action::Stop, false).await;
    assert!(again.is_err(), "the engine is down: {again:?}");
    assert!(!pending(&registry));
}
