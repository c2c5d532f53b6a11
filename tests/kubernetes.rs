//! Kubernetes contexts against a real API server (Debian's kube-apiserver over etcd, see
//! `scripts/kube.sh`): pods appear, change and vanish; a compacted resourceVersion relists with
//! no phantom; a restarted server is resumed after backoff; a revoked token stops retrying; a
//! namespace-restricted user falls back to its namespace; 1,000 pods list in pages.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use skiff::kubernetes::{contexts, KubeContext};
use skiff::reconnect::BackoffPolicy;
use skiff::registry::{Change, Registry, RegistryEvent};
use skiff::watcher::{EngineState, WatcherConfig};
use support::cluster::TestCluster;
use support::registry::wait_status;
use support::watch::Watch;

fn context(cluster: &TestCluster, name: &str) -> KubeContext {
    contexts(Some(&cluster.kubeconfig), &[name.to_owned()], None)
        .unwrap()
        .remove(0)
}

fn config(initial_ms: u64, max_ms: u64) -> WatcherConfig {
    WatcherConfig {
        backoff: BackoffPolicy {
            initial_ms,
            max_ms,
            ..BackoffPolicy::default()
        },
        ..WatcherConfig::default()
    }
}

/// Pod names of `engine` in the registry, sorted.
fn names(registry: &Registry, engine: &str) -> Vec<String> {
    let mut n: Vec<String> = registry
        .snapshot()
        .containers
        .into_iter()
        .filter(|c| c.engine == engine)
        .map(|c| c.name)
        .collect();
    n.sort();
    n
}

async fn until(what: &str, limit: Duration, probe: impl FnMut() -> bool) {
    support::eventually(limit, probe, || format!("waiting for {what}")).await;
}

/// `skiff watch --json` lines of a running child, read on a thread.
fn pod_line<'a>(line: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    (line["type"] == "container" && line["engine"] == "k8s:admin" && line["op"] == "upsert")
        .then(|| &line["container"])
        .filter(|c| c["name"] == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_created_patched_and_deleted_appear_change_and_vanish_in_skiff_watch() {
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    cluster.namespace("team").await;
    cluster.create_pod("team", "before", false).await;
    let config_dir = tempfile::tempdir().unwrap();
    let kubeconfig = cluster.kubeconfig.to_str().unwrap().to_owned();
    let mut watch = Watch::start(
        &["--kubeconfig", &kubeconfig, "--context", "admin"],
        config_dir.path(),
    );

    let connected = watch.wait("connected", |l| {
        l["type"] == "engine" && l["state"] == "connected"
    });
    assert_eq!(connected["engine"], "k8s:admin");
    let listed = watch.wait("the listed pod", |l| pod_line(l, "before").is_some());
    assert_eq!(listed["container"]["namespace"], "team");
    assert_eq!(listed["container"]["state"], "pending");

    let web = cluster.create_pod("team", "web", false).await;
    let uid = web.metadata.uid.clone().unwrap();
    let added = watch.wait("web added", |l| pod_line(l, "web").is_some());
    assert_eq!(added["container"]["id"], uid.as_str());
    assert_eq!(added["container"]["status"], "Pending · 0/1 ready");

    cluster
        .set_phase(
            "team",
            "web",
            "Running",
            serde_json::json!({"running": {"startedAt": "2026-11-23T10:00:00Z"}}),
        )
        .await;
    let running = watch.wait("web running", |l| {
        pod_line(l, "web").is_some_and(|c| c["state"] == "running")
    });
    assert_eq!(running["container"]["status"], "Running · 1/1 ready");

    cluster
        .set_phase(
            "team",
            "web",
            "Failed",
            serde_json::json!({"terminated": {"exitCode": 1, "reason": "Error"}}),
        )
        .await;
    let failed = watch.wait("web failed", |l| {
        pod_line(l, "web").is_some_and(|c| c["state"] == "failed")
    });
    assert_eq!(failed["container"]["status"], "Error · 0/1 ready");

    cluster.delete_pod("team", "web").await;
    watch.wait("web removed", |l| {
        l["type"] == "container" && l["op"] == "remove" && l["container"]["id"] == uid.as_str()
    });
    // Revisions of the context only ever grow, one per change.
    let revs: Vec<u64> = watch
        .seen
        .iter()
        .filter(|l| l["type"] == "container" && l["engine"] == "k8s:admin")
        .map(|l| l["rev"].as_u64().unwrap())
        .collect();
    assert!(revs.windows(2).all(|w| w[1] > w[0]), "{revs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compacted_resource_version_relists_with_no_phantom_pods() {
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    cluster.namespace("team").await;
    for name in ["a", "b", "c"] {
        cluster.create_pod("team", name, false).await;
    }
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    let (_trigger, shutdown) = skiff::shutdown::channel();
    // A first retry 10 to 20 s after the outage (jitter only lengthens): the window in which the
    // API server restarts (up to ~8 s here) and the cluster changes unseen.
    skiff::app::watch_contexts(
        &registry,
        &[context(&cluster, "admin")],
        &config(10_000, 20_000),
        &shutdown,
    );
    wait_status(&mut rx, "k8s:admin", Duration::from_secs(20), |s| {
        s.state == EngineState::Connected
    })
    .await;
    until("a, b, c listed", Duration::from_secs(10), || {
        names(&registry, "k8s:admin") == ["a", "b", "c"]
    })
    .await;

    cluster.stop_apiserver();
    wait_status(&mut rx, "k8s:admin", Duration::from_secs(10), |s| {
        matches!(s.state, EngineState::Reconnecting { .. })
    })
    .await;
    let resyncs_before = count_resyncs(&mut rx);
    cluster.start_apiserver();
    // While Skiff waits out its backoff: delete a, add d, then compact etcd so that the watch
    // Skiff resumes from answers 410 Gone.
    cluster.delete_pod("team", "a").await;
    cluster.create_pod("team", "d", false).await;
    cluster.compact();

    let mut resynced = 0;
    let deadline = Instant::now() + Duration::from_secs(45);
    while names(&registry, "k8s:admin") != ["b", "c", "d"] {
        assert!(
            Instant::now() < deadline,
            "registry never matched: {:?}",
            names(&registry, "k8s:admin")
        );
        resynced += count_resyncs(&mut rx);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    resynced += count_resyncs(&mut rx);
    assert_eq!(resyncs_before, 0);
    assert_eq!(resynced, 1, "one relist after the 410, none before");
    // And it stays equal to the API's truth.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(names(&registry, "k8s:admin"), ["b", "c", "d"]);
}

/// Resyncs of `k8s:admin` queued on `rx` so far.
fn count_resyncs(rx: &mut tokio::sync::broadcast::Receiver<RegistryEvent>) -> usize {
    let mut n = 0;
    while let Ok(item) = rx.try_recv() {
        if let RegistryEvent::Delta(d) = item {
            if &*d.engine == "k8s:admin" && matches!(d.change, Change::ResyncStart { .. }) {
                n += 1;
            }
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_api_server_is_retried_with_backoff_then_resumed_without_a_relist() {
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    cluster.namespace("team").await;
    cluster.create_pod("team", "steady", false).await;
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    let (_trigger, shutdown) = skiff::shutdown::channel();
    skiff::app::watch_contexts(
        &registry,
        &[context(&cluster, "admin")],
        &config(200, 1600),
        &shutdown,
    );
    wait_status(&mut rx, "k8s:admin", Duration::from_secs(20), |s| {
        s.state == EngineState::Connected
    })
    .await;
    until("steady listed", Duration::from_secs(10), || {
        names(&registry, "k8s:admin") == ["steady"]
    })
    .await;

    cluster.stop_apiserver();
    // Attempts 1, 2, 3 wait longer and longer (capped exponential, jitter only lengthens).
    let mut delays = Vec::new();
    let mut kinds = Vec::new();
    while delays.len() < 3 {
        let s = wait_status(&mut rx, "k8s:admin", Duration::from_secs(20), |s| {
            matches!(s.state, EngineState::Reconnecting { .. })
        })
        .await;
        if let EngineState::Reconnecting {
            retry_in_ms, error, ..
        } = s.state
        {
            delays.push(retry_in_ms.unwrap());
            kinds.push(error.kind);
        }
    }
    assert!(delays[1] >= 400 && delays[2] >= 800, "{delays:?}");
    assert!(delays.iter().all(|d| *d <= 1600), "{delays:?}");
    // Nothing listens: the cluster is not running (a broken stream first reads as transient).
    assert_eq!(
        *kinds.last().unwrap(),
        skiff::engine::FailureKind::NotRunning,
        "{kinds:?}"
    );

    let resyncs_before = count_resyncs(&mut rx);
    cluster.start_apiserver();
    let back = wait_status(&mut rx, "k8s:admin", Duration::from_secs(20), |s| {
        s.state == EngineState::Connected
    })
    .await;
    assert_eq!(back.reconnects, 1);
    assert!(
        back.version
            .as_deref()
            .is_some_and(|v| v.starts_with("v1.20")),
        "{:?}",
        back.version
    );
    cluster.create_pod("team", "after", false).await;
    until("after seen", Duration::from_secs(10), || {
        names(&registry, "k8s:admin") == ["after", "steady"]
    })
    .await;
    assert_eq!(resyncs_before, 0);
    assert_eq!(
        count_resyncs(&mut rx),
        0,
        "the watch resumed from its resourceVersion: no relist"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_permission_denied_and_not_retried() {
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    cluster.namespace("team").await;
    cluster.grant_pods("dev2", "team").await;
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    let (_trigger, shutdown) = skiff::shutdown::channel();
    // A 100 ms first retry: a client that retried a 401 would show it at once.
    skiff::app::watch_contexts(
        &registry,
        &[context(&cluster, "dev2")],
        &config(100, 400),
        &shutdown,
    );
    wait_status(&mut rx, "k8s:dev2", Duration::from_secs(20), |s| {
        s.state == EngineState::Connected
    })
    .await;

    cluster.revoke("dev2");
    let denied = wait_status(&mut rx, "k8s:dev2", Duration::from_secs(30), |s| {
        matches!(s.state, EngineState::Unavailable { .. })
    })
    .await;
    let EngineState::Unavailable { error } = denied.state else {
        unreachable!()
    };
    assert_eq!(error.kind, skiff::engine::FailureKind::PermissionDenied);
    assert!(
        error.message.contains("expired or was revoked"),
        "{}",
        error.message
    );
    assert!(error.remedy.unwrap().contains("Log in"));
    // No storm: not one more attempt in 3 s (at 100 ms backoff that would be dozens).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut later = 0;
    while let Ok(item) = rx.try_recv() {
        if matches!(item, RegistryEvent::Engine(ref s) if s.engine == "k8s:dev2") {
            later += 1;
        }
    }
    assert_eq!(later, 0, "statuses after unavailable");
    // The user's Retry tries once more, and is refused again.
    assert_eq!(registry.retry_now(Some("k8s:dev2")), 1);
    let again = wait_status(&mut rx, "k8s:dev2", Duration::from_secs(10), |s| {
        matches!(s.state, EngineState::Unavailable { .. })
    })
    .await;
    assert_eq!(again.trigger, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_restricted_user_falls_back_to_its_namespace_and_can_delete_there() {
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    cluster.namespace("team").await;
    cluster.namespace("other").await;
    cluster.grant_pods("dev", "team").await;
    cluster.create_pod("team", "mine", false).await;
    cluster.create_pod("other", "theirs", false).await;
    let registry = Registry::new();
    let mut rx = registry.subscribe();
    let (_trigger, shutdown) = skiff::shutdown::channel();
    skiff::app::watch_contexts(
        &registry,
        &[context(&cluster, "dev")],
        &config(200, 1000),
        &shutdown,
    );
    let connected = wait_status(&mut rx, "k8s:dev", Duration::from_secs(20), |s| {
        s.state == EngineState::Connected && s.note.is_some()
    })
    .await;
    assert_eq!(
        connected.note.as_deref(),
        Some("namespace team only: listing pods in all namespaces is forbidden for this user")
    );
    until("mine listed", Duration::from_secs(10), || {
        names(&registry, "k8s:dev") == ["mine"]
    })
    .await;

    // Inspect: the pod object as the API has it, fetched with the session's client.
    let (engine, id) = registry.resolve(Some("k8s:dev"), "mine").unwrap();
    let pod = registry.inspect(&engine, &id).await.unwrap();
    assert_eq!(pod["metadata"]["name"], "mine");
    assert_eq!(pod["metadata"]["namespace"], "team");
    assert_eq!(pod["metadata"]["uid"], id.as_str());
    assert_eq!(pod["kind"], "Pod", "{pod}");

    // Delete from Skiff: confirmed by the API's own event, and the pod is gone.
    let outcome = registry
        .act(&engine, &id, skiff::registry::Action::Remove, false)
        .await
        .unwrap();
    assert_eq!(outcome.confirmation, skiff::registry::Confirmation::Event);
    until("mine gone", Duration::from_secs(10), || {
        names(&registry, "k8s:dev").is_empty()
    })
    .await;
    // A pod cannot be stopped.
    cluster.create_pod("team", "again", false).await;
    until("again listed", Duration::from_secs(10), || {
        names(&registry, "k8s:dev") == ["again"]
    })
    .await;
    let (engine, id) = registry.resolve(Some("k8s:dev"), "again").unwrap();
    let err = registry
        .act(&engine, &id, skiff::registry::Action::Stop, false)
        .await
        .unwrap_err();
    assert_eq!(err.kind, skiff::registry::ActionErrorKind::Unsupported);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_pods_list_in_pages_and_ps_shows_them_all() {
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    cluster.namespace("team").await;
    let client = cluster.admin().await;
    let api: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(client, "team");
    let started = Instant::now();
    futures_util::future::join_all((0..1000).map(|i| {
        let api = api.clone();
        async move {
            let pod = serde_json::from_value(serde_json::json!({
                "metadata": {"name": format!("p{i:04}")},
                "spec": {"containers": [{"name": "app", "image": "busybox:latest"}]}
            }))
            .unwrap();
            api.create(&kube::api::PostParams::default(), &pod)
                .await
                .unwrap();
        }
    }))
    .await;
    eprintln!("created 1000 pods in {:?}", started.elapsed());

    let registry = Registry::new();
    let mut rx = registry.subscribe();
    let (_trigger, shutdown) = skiff::shutdown::channel();
    skiff::app::watch_contexts(
        &registry,
        &[context(&cluster, "admin")],
        &config(200, 1000),
        &shutdown,
    );
    wait_status(&mut rx, "k8s:admin", Duration::from_secs(30), |s| {
        s.state == EngineState::Connected
    })
    .await;
    // Two pages of 500, one atomic swap: the first resync already holds all of them.
    let mut first_resync = None;
    while first_resync.is_none() {
        if let Ok(RegistryEvent::Delta(d)) = rx.recv().await {
            if let Change::ResyncDone { containers } = d.change {
                first_resync = Some(containers);
            }
        }
    }
    assert_eq!(first_resync, Some(1000));
    assert_eq!(names(&registry, "k8s:admin").len(), 1000);

    let out = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args([
            "ps",
            "--json",
            "--kubeconfig",
            cluster.kubeconfig.to_str().unwrap(),
            "--context",
            "admin",
        ])
        .env("SKIFF_CONFIG_DIR", cluster.path())
        .env_remove("SKIFF_HOST")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let pods: Vec<&serde_json::Value> =
        rows.iter().filter(|r| r["engine"] == "k8s:admin").collect();
    assert_eq!(pods.len(), 1000);
    assert_eq!(pods[0]["name"], "p0000");
    assert_eq!(pods[0]["kube"]["namespace"], "team");
}

#[test]
fn a_stale_default_kubeconfig_warns_but_does_not_fail_ps_and_an_asked_context_does() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\ncontexts:\n- name: gone\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: t}\n",
    )
    .unwrap();
    let ps = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_skiff"))
            .arg("ps")
            .args(args)
            .env("KUBECONFIG", &kubeconfig)
            .env("SKIFF_CONFIG_DIR", dir.path())
            .env_remove("SKIFF_HOST")
            .output()
            .unwrap()
    };
    // Found by default (the current context of $KUBECONFIG): a warning line, exit 0.
    let found = ps(&[]);
    let stderr = String::from_utf8_lossy(&found.stderr);
    assert!(
        stderr.contains("cannot reach engine k8s:gone") && stderr.contains("connection refused"),
        "{stderr}"
    );
    assert_eq!(found.status.code(), Some(0), "{stderr}");
    // Asked for by name: the same failure is the command's failure.
    let asked = ps(&["--context", "gone"]);
    assert_eq!(asked.status.code(), Some(1));
}

/// What an exec into a pod can be run against here: the API server takes the request and
/// answers for the node. With no kubelet, no pod is ever scheduled, so the answer is the API
/// server's own refusal, which the user must read as it is; a user Kubernetes cannot run as is
/// refused before any request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_in_an_unscheduled_pod_says_why_it_cannot_open() {
    use skiff::engine::{ExecSpec, Mode, TermSize, TerminalRequest};
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    cluster.namespace("team").await;
    cluster.create_pod("team", "web", false).await;
    let registry = Registry::new();
    let (_trigger, shutdown) = skiff::shutdown::channel();
    skiff::app::watch_contexts(
        &registry,
        &[context(&cluster, "admin")],
        &config(200, 1000),
        &shutdown,
    );
    until("web listed", Duration::from_secs(20), || {
        names(&registry, "k8s:admin") == ["web"]
    })
    .await;
    let (engine, id) = registry.resolve(Some("k8s:admin"), "web").unwrap();
    let shell = |user: Option<&str>| TerminalRequest {
        mode: Mode::Shell {
            user: user.map(str::to_owned),
            workdir: None,
        },
        size: Some(TermSize { rows: 24, cols: 80 }),
    };
    let err = registry
        .terminal(&engine, &id, shell(Some("root")))
        .await
        .unwrap_err();
    assert_eq!(err.kind, skiff::registry::ActionErrorKind::Unsupported);
    assert!(err.message.contains("container's own user"), "{err:?}");

    let err = registry
        .terminal(&engine, &id, shell(None))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("team/web") && err.message.contains("host"),
        "{err:?}"
    );
    let exec = TerminalRequest {
        mode: Mode::Exec(ExecSpec {
            cmd: vec!["true".to_owned()],
            ..ExecSpec::default()
        }),
        size: None,
    };
    let err = registry.terminal(&engine, &id, exec).await.unwrap_err();
    assert!(err.message.contains("host"), "{err:?}");
}
