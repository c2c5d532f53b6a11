//! Engine connections against real engines: an engine that goes away is `reconnecting`, and
//! comes back through the socket watch (not the timer); failures that retrying cannot fix stop
//! retrying; a long outage costs a bounded number of attempts.

mod support;

use std::process::Command;
use std::time::Duration;

use skiff::engine::FailureKind;
use skiff::reconnect::BackoffPolicy;
use skiff::registry::{Registry, RegistryEvent};
use skiff::shutdown;
use skiff::watcher::{AttemptTrigger, EngineState, WatcherConfig};
use support::registry::{engine, wait_status};
use support::{Kind, TestEngine};

/// A backoff so long that only the socket watch can bring an engine back within the test.
fn socket_only_config() -> WatcherConfig {
    WatcherConfig {
        backoff: BackoffPolicy {
            initial_ms: 120_000,
            max_ms: 120_000,
            ..BackoffPolicy::default()
        },
        ..WatcherConfig::default()
    }
}

fn is_connected(s: &skiff::watcher::EngineStatus) -> bool {
    s.state == EngineState::Connected
}

async fn restart_comes_back_through_the_socket_watch(kind: Kind) {
    let Some(target) = TestEngine::start(kind) else {
        return;
    };
    // A second engine that must stay connected and untouched meanwhile.
    let other_kind = if kind == Kind::Podman {
        Kind::Docker
    } else {
        Kind::Podman
    };
    let Some(other) = TestEngine::start(other_kind) else {
        return;
    };
    let (_trigger, shutdown) = shutdown::channel();
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    skiff::app::watch_engines(
        &registry,
        &[
            engine("target", target.host()),
            engine("other", other.host()),
        ],
        &socket_only_config(),
        &shutdown,
    );
    wait_status(&mut rx, "target", Duration::from_secs(20), is_connected).await;
    assert!(registry.settled(Duration::from_secs(20)).await);

    target.stop();
    let down = wait_status(&mut rx, "target", Duration::from_secs(60), |s| {
        s.state.name() == "reconnecting"
    })
    .await;
    let EngineState::Reconnecting { error, .. } = &down.state else {
        unreachable!()
    };
    assert!(
        matches!(error.kind, FailureKind::NotRunning | FailureKind::Transient),
        "{error:?}"
    );

    target.restart();
    let back = wait_status(&mut rx, "target", Duration::from_secs(30), is_connected).await;
    assert_eq!(
        back.trigger,
        Some(AttemptTrigger::Socket),
        "came back through the socket watch"
    );
    assert_eq!(back.reconnects, 1);

    // The other engine never left `connected`.
    let snapshot = registry.snapshot();
    let other_status = snapshot
        .engines
        .iter()
        .find(|s| s.engine == "other")
        .unwrap();
    assert_eq!(other_status.state, EngineState::Connected);
    assert_eq!(other_status.reconnects, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_podman_is_reconnected_by_the_socket_watch() {
    restart_comes_back_through_the_socket_watch(Kind::Podman).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_docker_is_reconnected_while_podman_stays_connected() {
    restart_comes_back_through_the_socket_watch(Kind::Docker).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_now_skips_the_timer() {
    let Some(podman) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let (_trigger, shutdown) = shutdown::channel();
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    // No socket watch can help: the socket stays in place but refuses (a stale socket file).
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    skiff::app::watch_engines(
        &registry,
        &[engine("stale", &format!("unix://{}", stale.display()))],
        &socket_only_config(),
        &shutdown,
    );
    let down = wait_status(&mut rx, "stale", Duration::from_secs(10), |s| {
        s.state.name() == "reconnecting"
    })
    .await;
    let EngineState::Reconnecting { retry_in_ms, .. } = down.state else {
        unreachable!()
    };
    assert!(retry_in_ms.unwrap() >= 100_000, "waiting on the long timer");
    // Put a live engine behind the stale path, then ask.
    std::fs::remove_file(&stale).unwrap();
    std::os::unix::fs::symlink(podman.socket_path(), &stale).unwrap();
    assert_eq!(registry.retry_now(Some("stale")), 1);
    let back = wait_status(&mut rx, "stale", Duration::from_secs(10), is_connected).await;
    // The symlink creation may wake the socket watch first; either way not the timer.
    assert!(
        matches!(
            back.trigger,
            Some(AttemptTrigger::User | AttemptTrigger::Socket)
        ),
        "{:?}",
        back.trigger
    );
}

#[test]
fn a_socket_the_user_may_not_open_is_permission_denied_without_retries() {
    let Some(podman) = TestEngine::start(Kind::Podman) else {
        return;
    };
    podman.make_traversable();
    let have_setpriv = Command::new("setpriv").arg("--version").output().is_ok();
    if !have_setpriv || !is_root() {
        eprintln!("SKIPPED: needs root and setpriv to run skiff as an unprivileged user");
        return;
    }
    // `skiff watch` as `nobody` for 3 s: one `connecting`, one `unavailable`, nothing else.
    let out = Command::new("timeout")
        .args([
            "-s",
            "INT",
            "3",
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ])
        .arg(env!("CARGO_BIN_EXE_skiff"))
        .args(["watch", "--json", "--host", podman.host()])
        .env("SKIFF_CONFIG_DIR", "/nonexistent")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let states: Vec<&str> = lines.iter().map(|l| l["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["connecting", "unavailable"], "{stdout}");
    assert_eq!(lines[1]["error"]["kind"], "permission_denied");
    assert_eq!(lines[1]["retry_in_ms"], serde_json::Value::Null);
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[tokio::test]
async fn an_engine_with_an_old_api_is_incompatible_and_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("old.sock");
    let requests = support::old_api::old_api_engine(sock.clone());
    let (_trigger, shutdown) = shutdown::channel();
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    skiff::app::watch_engines(
        &registry,
        &[engine("old", &format!("unix://{}", sock.display()))],
        &WatcherConfig::default(),
        &shutdown,
    );
    let s = wait_status(&mut rx, "old", Duration::from_secs(10), |s| {
        s.state.name() != "connecting"
    })
    .await;
    let EngineState::Unavailable { error } = &s.state else {
        panic!("{s:?}")
    };
    assert_eq!(error.kind, FailureKind::Incompatible);
    assert!(error.message.contains("1.24"), "{}", error.message);
    assert!(error.remedy.is_some());
    let after_first = requests.load(std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        requests.load(std::sync::atomic::Ordering::SeqCst),
        after_first,
        "no retries"
    );
    assert!(rx.try_recv().is_err(), "no further status lines");
}

/// Counts failed attempts during one simulated hour on a paused clock.
async fn attempts_in_one_hour(host: &str) -> (usize, usize) {
    let (_trigger, shutdown) = shutdown::channel();
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    let start = tokio::time::Instant::now();
    skiff::app::watch_engines(
        &registry,
        &[engine("e", host)],
        &WatcherConfig::default(),
        &shutdown,
    );
    let mut attempts = 0;
    let mut states = 0;
    while start.elapsed() < Duration::from_secs(3600) {
        match tokio::time::timeout(Duration::from_secs(3600), rx.recv()).await {
            Ok(Ok(RegistryEvent::Engine(s))) => {
                states += 1;
                if let EngineState::Reconnecting { attempt, .. } = s.state {
                    attempts = attempt as usize;
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    println!("{host}: {attempts} failed attempts, {states} status lines in one simulated hour");
    (attempts, states)
}

#[tokio::test(start_paused = true)]
async fn a_refusing_tcp_endpoint_gets_at_most_130_attempts_an_hour() {
    // Port 1 on loopback refuses at once.
    let (attempts, _) = attempts_in_one_hour("tcp://127.0.0.1:1").await;
    assert!((100..=130).contains(&attempts), "{attempts} attempts");
}

#[tokio::test(start_paused = true)]
async fn a_socket_that_exists_but_refuses_gets_at_most_130_attempts_an_hour() {
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    let (attempts, _) = attempts_in_one_hour(&format!("unix://{}", stale.display())).await;
    assert!((100..=130).contains(&attempts), "{attempts} attempts");
}

#[tokio::test(start_paused = true)]
async fn an_absent_watched_socket_only_gets_a_safety_check_every_5_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("not-yet/podman.sock");
    let (attempts, _) = attempts_in_one_hour(&format!("unix://{}", absent.display())).await;
    assert!(attempts <= 13, "{attempts} attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_engine_is_left_alone_until_enabled_again() {
    let Some(podman) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let (_trigger, shutdown) = shutdown::channel();
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    skiff::app::watch_engines(
        &registry,
        &[engine("podman", podman.host())],
        &WatcherConfig::default(),
        &shutdown,
    );
    wait_status(&mut rx, "podman", Duration::from_secs(20), is_connected).await;
    assert!(registry.set_enabled("podman", false));
    wait_status(&mut rx, "podman", Duration::from_secs(5), |s| {
        s.state == EngineState::Disabled
    })
    .await;
    // Disabled is the user's choice: an engine outage meanwhile changes nothing.
    podman.stop();
    podman.restart();
    assert!(
        tokio::time::timeout(
            Duration::from_millis(500),
            wait_status(&mut rx, "podman", Duration::from_secs(1), |_| true)
        )
        .await
        .is_err(),
        "no status while disabled"
    );
    assert!(registry.set_enabled("podman", true));
    let back = wait_status(&mut rx, "podman", Duration::from_secs(20), is_connected).await;
    assert_eq!(back.trigger, Some(AttemptTrigger::Start));
}

/// An engine whose pings turn slow is marked slow (one status) while it stays connected, and
/// unmarked (one status) when it answers promptly again; a steady engine emits nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_pings_mark_the_engine_slow_before_it_fails() {
    let Some(podman) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let proxy = support::proxy::Proxy::start(dir.path(), podman.socket_path());
    let (_trigger, shutdown) = shutdown::channel();
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    let config = WatcherConfig {
        liveness_interval: Duration::from_millis(200),
        slow_ping: Duration::from_millis(150),
        ..WatcherConfig::default()
    };
    skiff::app::watch_engines(
        &registry,
        &[engine("podman", &proxy.host())],
        &config,
        &shutdown,
    );
    wait_status(&mut rx, "podman", Duration::from_secs(20), |s| {
        s.state == EngineState::Connected
    })
    .await;
    let delay = |ms| {
        proxy
            .faults
            .ping_delay_ms
            .store(ms, std::sync::atomic::Ordering::SeqCst);
    };
    delay(400);
    let slow = wait_status(&mut rx, "podman", Duration::from_secs(10), |s| {
        s.slow_ping_ms.is_some()
    })
    .await;
    assert_eq!(slow.state, EngineState::Connected);
    assert!(slow.slow_ping_ms.unwrap() >= 400, "{slow:?}");
    delay(0);
    let prompt = wait_status(&mut rx, "podman", Duration::from_secs(10), |s| {
        s.slow_ping_ms.is_none()
    })
    .await;
    assert_eq!(prompt.state, EngineState::Connected);
    // Steady and prompt: no further status in a second (5 pings).
    let quiet = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            if let Ok(RegistryEvent::Engine(s)) = rx.recv().await {
                return s;
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "unexpected status {quiet:?}");
}
