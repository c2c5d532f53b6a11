//! Telemetry against a real HTTP collector on loopback: an outage is one episode, a flapping
//! engine stays within budget with honest counts, a failing or hanging sink loses nothing and
//! blocks nothing, and without consent nothing is recorded.

mod support;

use std::time::Duration;

use serde_json::json;
use skiff::engine::{EngineKind, FailureKind};
use skiff::registry::Registry;
use skiff::shutdown;
use skiff::telemetry::{Telemetry, TelemetryConfig};
use skiff::watcher::{EngineState, EngineStatus, WatcherConfig};
use support::registry::{engine, wait_status};
use support::sink::{Mode, Sink};
use support::{Kind, TestEngine};

fn config(dir: &std::path::Path, url: Option<String>) -> TelemetryConfig {
    TelemetryConfig {
        send_every: Duration::from_millis(200),
        ..TelemetryConfig::new(dir.to_path_buf(), url)
    }
}

async fn eventually(what: &str, limit: Duration, f: impl FnMut() -> bool) {
    support::eventually(limit, f, || format!("waiting for {what}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20_second_podman_outage_is_one_lost_and_one_restored_event() {
    let Some(podman) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (_trigger, shutdown) = shutdown::channel();
    let (telemetry, _task) = Telemetry::start(
        config(dir.path(), Some(sink.url.clone())),
        shutdown.clone(),
        &tokio::runtime::Handle::current(),
    );
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    telemetry.follow(&registry, &tokio::runtime::Handle::current());
    skiff::app::watch_engines(
        &registry,
        &[engine("podman", podman.host())],
        &WatcherConfig::default(),
        &shutdown,
    );
    wait_status(&mut rx, "podman", Duration::from_secs(20), |s| {
        s.state == EngineState::Connected
    })
    .await;

    podman.stop();
    let mut last_attempt = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        if let Ok(Ok(skiff::registry::RegistryEvent::Engine(s))) =
            tokio::time::timeout_at(deadline, rx.recv()).await
        {
            if let EngineState::Reconnecting { attempt, .. } = s.state {
                last_attempt = attempt;
            }
        }
    }
    podman.restart();
    wait_status(&mut rx, "podman", Duration::from_secs(20), |s| {
        s.state == EngineState::Connected
    })
    .await;
    eventually(
        "both episode events at the sink",
        Duration::from_secs(10),
        || sink.names().len() >= 2,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert_eq!(
        sink.names(),
        ["engine_connection_lost", "engine_connection_restored"]
    );
    let events = sink.events.lock().unwrap().clone();
    assert_eq!(events[0]["properties"]["engine_kind"], "podman");
    assert_eq!(events[1]["properties"]["attempts"], last_attempt);
    assert!(events[1]["properties"]["duration_s"].as_u64().unwrap() >= 19);
    let serialized = serde_json::to_string(&events).unwrap();
    assert!(
        !serialized.contains(podman.host()),
        "no paths leave the machine"
    );
}

#[tokio::test(start_paused = true)]
async fn a_one_hour_outage_on_a_paused_clock_is_one_episode_not_120_events() {
    let dir = tempfile::tempdir().unwrap();
    let (trigger, shutdown) = shutdown::channel();
    // No sink: events stay in the outbox, which is what this test reads.
    let (telemetry, task) = Telemetry::start(
        config(dir.path(), None),
        shutdown.clone(),
        &tokio::runtime::Handle::current(),
    );
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    telemetry.follow(&registry, &tokio::runtime::Handle::current());
    skiff::app::watch_engines(
        &registry,
        &[engine("lab", "tcp://127.0.0.1:1")],
        &WatcherConfig::default(),
        &shutdown,
    );
    let start = tokio::time::Instant::now();
    let mut attempts = 0;
    while start.elapsed() < Duration::from_secs(3600) {
        if let Ok(skiff::registry::RegistryEvent::Engine(s)) = rx.recv().await {
            if let EngineState::Reconnecting { attempt, .. } = s.state {
                attempts = attempt;
            }
        }
    }
    tokio::task::yield_now().await;
    drop(trigger);
    task.await.unwrap();
    let outbox = skiff::telemetry::outbox::Outbox::open(dir.path());
    let names: Vec<&str> = outbox.queued().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["engine_connection_lost", "engine_connection_outage_ongoing"],
        "{attempts} attempts"
    );
    let summary = &outbox.queued()[1].properties;
    assert_eq!(summary["attempts"], attempts);
    assert!(attempts >= 100, "{attempts}");
    assert_eq!(summary["at_quit"], true);
}

fn status(state: EngineState) -> EngineStatus {
    EngineStatus {
        kind: Some(EngineKind::Podman),
        ..support::fixtures::status("podman", state)
    }
}

fn down() -> EngineState {
    support::fixtures::reconnecting(FailureKind::NotRunning, 1)
}

#[tokio::test(start_paused = true)]
async fn a_flapping_engine_stays_within_budget_and_the_next_event_carries_the_suppressed_count() {
    let dir = tempfile::tempdir().unwrap();
    let (trigger, shutdown) = shutdown::channel();
    let (telemetry, task) = Telemetry::start(
        config(dir.path(), None),
        shutdown,
        &tokio::runtime::Handle::current(),
    );
    // 50 outages in 10 minutes.
    for _ in 0..50 {
        telemetry.observe(&status(down()));
        tokio::time::sleep(Duration::from_secs(6)).await;
        telemetry.observe(&status(EngineState::Connected));
        tokio::time::sleep(Duration::from_secs(6)).await;
    }
    let c = telemetry.counters();
    assert!(
        c.recorded <= 24,
        "within 10/hour per name (+ refills over 10 minutes): {c:?}"
    );
    assert_eq!(
        c.recorded + c.suppressed,
        100,
        "every episode event is either recorded or counted: {c:?}"
    );
    // An hour later the budget has refilled; the next outage carries the count.
    tokio::time::sleep(Duration::from_secs(3600)).await;
    telemetry.observe(&status(down()));
    tokio::time::sleep(Duration::from_millis(10)).await;
    drop(trigger);
    task.await.unwrap();
    let outbox = skiff::telemetry::outbox::Outbox::open(dir.path());
    // 51 outages observed: each is either a recorded event or counted in a later one's
    // `suppressed`; the last one (after the refill) carries what was refused since the last
    // admitted one.
    let lost: Vec<_> = outbox
        .queued()
        .iter()
        .filter(|e| e.name == "engine_connection_lost")
        .collect();
    let folded: u64 = lost
        .iter()
        .map(|e| {
            e.properties
                .get("suppressed")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(lost.len() as u64 + folded, 51, "nothing silently lost");
    assert!(
        lost.last().unwrap().properties["suppressed"]
            .as_u64()
            .unwrap()
            > 0
    );
    println!(
        "flapping: 50 outages -> {} lost + {} restored events recorded, {} suppressed (one-event-per-attempt would send 100+)",
        outbox.queued().iter().filter(|e| e.name == "engine_connection_lost").count(),
        outbox.queued().iter().filter(|e| e.name == "engine_connection_restored").count(),
        c.suppressed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_hanging_sink_loses_nothing_blocks_nothing_and_the_outbox_is_resent_after_restart(
) {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    for mode in [Mode::Fail, Mode::TooMany, Mode::Hang] {
        sink.set(mode);
        let (trigger, shutdown) = shutdown::channel();
        let (telemetry, task) = Telemetry::start(
            config(dir.path(), Some(sink.url.clone())),
            shutdown,
            &tokio::runtime::Handle::current(),
        );
        for i in 0..5 {
            telemetry.record(
                &format!("action_failed_{mode:?}"),
                json!({"kind": "conflict", "i": i}),
            );
        }
        // Recording went on while the sink misbehaves: every event is in the outbox.
        eventually("events queued", Duration::from_secs(5), || {
            telemetry.counters().recorded == 5
        })
        .await;
        eventually("a request reached the sink", Duration::from_secs(5), || {
            sink.requests.lock().unwrap().contains(&mode)
        })
        .await;
        assert_eq!(telemetry.counters().dropped, 0);
        // Quitting does not wait for a hanging sink longer than its last-flush budget.
        let quit = tokio::time::Instant::now();
        drop(trigger);
        task.await.unwrap();
        assert!(
            quit.elapsed() < Duration::from_secs(5),
            "quit was not blocked by the sink"
        );
    }
    assert!(sink.names().is_empty());
    // Next start, the sink works: all 15 events from before arrive.
    sink.set(Mode::Accept);
    let (_trigger, shutdown) = shutdown::channel();
    let (_telemetry, _task) = Telemetry::start(
        config(dir.path(), Some(sink.url.clone())),
        shutdown,
        &tokio::runtime::Handle::current(),
    );
    eventually("the old outbox sent", Duration::from_secs(20), || {
        sink.names().len() == 15
    })
    .await;
}

#[tokio::test]
async fn without_consent_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    assert!(!skiff::telemetry::consent(None) || std::env::var("SKIFF_TELEMETRY").is_ok());
    let telemetry = Telemetry::disabled();
    telemetry.record("app_started", json!({}));
    telemetry.observe(&status(down()));
    telemetry.follow(&Registry::new(), &tokio::runtime::Handle::current());
    assert!(!telemetry.is_enabled());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert_eq!(telemetry.counters().recorded, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_an_https_collector_trusted_through_the_configured_ca_and_an_untrusted_one_says_why(
) {
    let ca = support::sink::TestCa::new();
    let sink = Sink::start_tls(&ca).await;
    assert!(sink.url.starts_with("https://127.0.0.1:"));
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Handle::current();

    // Without the test CA the collector's certificate is refused: nothing is sent, every event
    // waits in the outbox, and the reason is saved for the Telemetry page and the CLI.
    let (trigger, shutdown) = shutdown::channel();
    let (telemetry, task) = Telemetry::start(
        config(dir.path(), Some(sink.url.clone())),
        shutdown,
        &runtime,
    );
    telemetry.record("app_started", json!({"os": "linux"}));
    eventually("an untrusted attempt", Duration::from_secs(10), || {
        skiff::telemetry::status::SinkStatus::load(dir.path())
            .last_error
            .is_some()
    })
    .await;
    let status = skiff::telemetry::status::SinkStatus::load(dir.path());
    let reason = status.last_error.unwrap();
    assert!(
        reason.starts_with("TLS:") && reason.contains("certificate"),
        "{reason}"
    );
    assert_eq!(status.url.as_deref(), Some(sink.url.as_str()));
    assert!(sink.names().is_empty());
    assert_eq!(telemetry.counters().queued, 1);
    drop(trigger);
    task.await.unwrap();

    // With the CA configured, the queued event and a new one arrive over TLS, and the status
    // clears.
    let ca_file = dir.path().join("test-ca.pem");
    std::fs::write(&ca_file, &ca.ca_pem).unwrap();
    let (_trigger, shutdown) = shutdown::channel();
    let (telemetry, _task) = Telemetry::start(
        TelemetryConfig {
            ca_file: Some(ca_file),
            ..config(dir.path(), Some(sink.url.clone()))
        },
        shutdown,
        &runtime,
    );
    telemetry.record("action_failed", json!({"kind": "conflict"}));
    eventually("both events over https", Duration::from_secs(10), || {
        sink.names().len() == 2
    })
    .await;
    assert_eq!(sink.names(), ["app_started", "action_failed"]);
    eventually("the error cleared", Duration::from_secs(5), || {
        skiff::telemetry::status::SinkStatus::load(dir.path())
            .last_error
            .is_none()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_collector_is_named_with_its_reason_in_telemetry_show() {
    // A port that was just free: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("https://127.0.0.1:{port}/v1/events");
    let dir = tempfile::tempdir().unwrap();
    let (_trigger, shutdown) = shutdown::channel();
    let (telemetry, _task) = Telemetry::start(
        config(dir.path(), Some(url.clone())),
        shutdown,
        &tokio::runtime::Handle::current(),
    );
    telemetry.record("app_started", json!({}));
    eventually("a refused attempt", Duration::from_secs(10), || {
        skiff::telemetry::status::SinkStatus::load(dir.path())
            .last_error
            .is_some()
    })
    .await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(["telemetry", "show"])
        .env("SKIFF_DATA_DIR", dir.path())
        .env("SKIFF_CONFIG_DIR", dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(&url), "{text}");
    assert!(
        text.contains("cannot connect") && text.contains("refused"),
        "{text}"
    );
    let json = std::process::Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(["telemetry", "show", "--json"])
        .env("SKIFF_DATA_DIR", dir.path())
        .env("SKIFF_CONFIG_DIR", dir.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(v["sink"]["last_error"]
        .as_str()
        .unwrap()
        .contains("refused"));
}
