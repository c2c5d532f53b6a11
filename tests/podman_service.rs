//! The "Start Podman" remedy against the real Podman: the service starts on the requested
//! socket, answers, and a registry watching that socket connects. Alone in its binary: it sets
//! the process's Podman configuration variables.

mod support;

use std::time::Duration;

use skiff::engine::podman_service;
use skiff::registry::Registry;
use skiff::watcher::{EngineState, WatcherConfig};
use support::registry::{engine, wait_status};
use support::{Kind, TestEngine};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_podman_runs_a_service_that_skiff_connects_to() {
    // The throwaway engine's configuration (storage, runtime, cgroups for this machine), without
    // its service: ours replaces it.
    // Without podman on PATH: a clear error, nothing spawned. (PATH is emptied only for this
    // check, before anything else in this binary runs a program.)
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::set_var("PATH", "");
    let missing = podman_service::start(
        std::path::Path::new("/nonexistent/podman.sock"),
        std::path::Path::new("/nonexistent/log"),
        Duration::from_secs(1),
    )
    .await;
    std::env::set_var("PATH", &path);
    assert!(matches!(
        missing,
        Err(podman_service::ServiceError::NotInstalled)
    ));

    let Some(podman) = TestEngine::start(Kind::Podman) else {
        return;
    };
    podman.stop();
    let conf = podman.socket_path().parent().unwrap().to_path_buf();
    std::env::set_var("CONTAINERS_CONF", conf.join("containers.conf"));
    std::env::set_var("CONTAINERS_STORAGE_CONF", conf.join("storage.conf"));
    assert!(podman_service::installed());

    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("podman/podman.sock");
    let log = dir.path().join("data/podman-service.log");
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    let (_trigger, shutdown) = skiff::shutdown::channel();
    // Watched before it exists, as an absent well-known socket would be.
    skiff::app::watch_engines(
        &registry,
        &[engine("podman", &format!("unix://{}", socket.display()))],
        &WatcherConfig::default(),
        &shutdown,
    );
    wait_status(&mut rx, "podman", Duration::from_secs(10), |s| {
        matches!(s.state, EngineState::Reconnecting { .. })
    })
    .await;

    let pid = podman_service::start(&socket, &log, Duration::from_secs(20))
        .await
        .expect("podman service starts");
    let connected = wait_status(&mut rx, "podman", Duration::from_secs(10), |s| {
        s.state == EngineState::Connected
    })
    .await;
    assert_eq!(connected.kind, Some(skiff::engine::EngineKind::Podman));
    // End the service this test started (by its pid), then let the harness clean up.
    let _ = std::process::Command::new("kill")
        .arg(pid.to_string())
        .status();
    for _ in 0..100 {
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
