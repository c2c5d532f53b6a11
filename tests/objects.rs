//! Images, volumes, networks and pods against real engines: the list commands equal the
//! engine's own lists; the registry follows a workload of changes live and across restarts of
//! the engine (with changes made while it was down); `skiff watch` prints each change; pulls come
//! from a real registry (Debian's docker-registry); removing an image in use is refused with the
//! engine's reason; prune and df report what the engine reports.
//!
//! Podman 4.3 sends no network events: its networks are compared after a relist only.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use skiff::objects::Object;
use skiff::registry::Registry;
use support::registry::watching;
use support::watch::Watch;
use support::{eventually, skiff, Kind, TestEngine};

/// The test registry's port (scripts/engines.sh tells the test Podman it is plain HTTP).
const REGISTRY_PORT: &str = "5055";

fn lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn json_list(args: &[&str]) -> Vec<Value> {
    let out = skiff(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON array")
}

fn field(list: &[Value], key: &str) -> BTreeSet<String> {
    list.iter()
        .map(|o| o[key].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// What the engine's own CLI lists, per kind: image ids, volume names, network names, pod ids.
fn engine_lists(engine: &TestEngine) -> [BTreeSet<String>; 4] {
    let images = lines(&engine.cli(&["images", "-q", "--no-trunc"]))
        .into_iter()
        .map(|i| skiff::objects::image_id(&i))
        .collect();
    let volumes = lines(&engine.cli(&["volume", "ls", "-q"]));
    let networks = lines(&engine.cli(&["network", "ls", "--format", "{{.Name}}"]));
    let pods = match engine.kind {
        Kind::Podman => lines(&engine.cli(&["pod", "ps", "-q", "--no-trunc"])),
        Kind::Docker => BTreeSet::new(),
    };
    [images, volumes, networks, pods]
}

/// The same from a registry snapshot.
fn registry_lists(registry: &Registry) -> [BTreeSet<String>; 4] {
    let mut lists: [BTreeSet<String>; 4] = Default::default();
    for o in registry.snapshot().objects {
        let (i, key) = match &o {
            Object::Image(i) => (0, i.id.clone()),
            Object::Volume(v) => (1, v.id.clone()),
            Object::Network(n) => (2, n.name.clone()),
            Object::Pod(p) => (3, p.id.clone()),
        };
        lists[i].insert(key);
    }
    lists
}

fn lists_equal_the_engines_own(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    engine.cli(&["volume", "create", "data"]);
    engine.cli(&["network", "create", "front"]);
    // Skiff's own tag: the engine's list then has it.
    let out = skiff(&["tag", "--host", engine.host(), "busybox", "extra:1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    engine.cli(&[
        "run",
        "-d",
        "--name",
        "web",
        "-v",
        "data:/data",
        "busybox",
        "sleep",
        "600",
    ]);
    if kind == Kind::Podman {
        engine.cli(&["pod", "create", "--infra=false", "--name", "team"]);
    }
    let host = engine.host();
    let [images, volumes, networks, pods] = engine_lists(&engine);
    let listed = json_list(&["images", "--json", "--host", host]);
    assert_eq!(field(&listed, "id"), images);
    let busybox = listed
        .iter()
        .find(|i| {
            i["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t.as_str().unwrap().ends_with("extra:1"))
        })
        .expect("the tagged image");
    assert_eq!(busybox["containers"], serde_json::json!(["web"]));
    assert!(busybox["size_bytes"].as_u64().unwrap() > 0);
    assert!(busybox["id"].as_str().unwrap().starts_with("sha256:"));
    let listed = json_list(&["volumes", "--json", "--host", host]);
    assert_eq!(field(&listed, "id"), volumes);
    assert_eq!(listed[0]["containers"], serde_json::json!(["web"]));
    assert!(listed[0]["mountpoint"].as_str().unwrap().ends_with("_data"));
    assert_eq!(
        field(&json_list(&["networks", "--json", "--host", host]), "name"),
        networks
    );
    assert_eq!(
        field(&json_list(&["pods", "--json", "--host", host]), "id"),
        pods
    );
    assert_eq!(pods.len(), usize::from(kind == Kind::Podman));

    // The table names what a user looks for.
    let out = skiff(&["images", "--host", host]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.starts_with("ENGINE") && table.contains("extra:1"),
        "{table}"
    );
}

#[test]
fn docker_lists_equal_the_engines_own() {
    lists_equal_the_engines_own(Kind::Docker);
}

#[test]
fn podman_lists_equal_the_engines_own() {
    lists_equal_the_engines_own(Kind::Podman);
}

async fn converges(registry: &Registry, engine: &TestEngine, kinds: &[usize], what: &str) {
    let same = || {
        let (want, have) = (engine_lists(engine), registry_lists(registry));
        kinds.iter().all(|k| want[*k] == have[*k])
    };
    eventually(Duration::from_secs(20), same, || {
        format!(
            "{what}: engine {:#?} vs registry {:#?}",
            engine_lists(engine),
            registry_lists(registry)
        )
    })
    .await;
}

async fn a_workload_converges_live_and_across_restarts(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    let (registry, _stop) = watching(&engine);
    // Podman 4.3 sends no network events: its networks are checked after relists only.
    let live: &[usize] = match kind {
        Kind::Docker => &[0, 1, 2, 3],
        Kind::Podman => &[0, 1, 3],
    };
    converges(&registry, &engine, &[0, 1, 2, 3], "first list").await;
    // A seeded random workload: tags and removals, volumes, networks, pods.
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for round in 0..24 {
        let name = format!("w{}", next(4));
        let _ = match next(if kind == Kind::Podman { 8 } else { 6 }) {
            0 => engine.try_cli(&["tag", "busybox", &format!("{name}:1")]),
            1 => engine.try_cli(&["rmi", &format!("{name}:1")]),
            2 => engine.try_cli(&["volume", "create", &name]),
            3 => engine.try_cli(&["volume", "rm", &name]),
            4 => engine.try_cli(&["network", "create", &name]),
            5 => engine.try_cli(&["network", "rm", &name]),
            6 => engine.try_cli(&["pod", "create", "--infra=false", "--name", &name]),
            _ => engine.try_cli(&["pod", "rm", "-f", &name]),
        };
        if round % 6 == 5 {
            converges(&registry, &engine, live, &format!("live, round {round}")).await;
        }
    }
    converges(&registry, &engine, live, "after the workload").await;

    for restart in 0..2 {
        engine.stop();
        // Changes while it is down: Podman's CLI works on its storage without the service.
        if kind == Kind::Podman {
            let gone = format!("down{restart}");
            engine.local_cli(&["tag", "busybox", &format!("{gone}:1")]);
            engine.local_cli(&["volume", "create", &gone]);
        }
        engine.restart();
        if kind == Kind::Docker {
            // Docker cannot be changed while it is down: right after it is back instead, before
            // or while Skiff reconnects.
            engine.cli(&["volume", "create", &format!("back{restart}")]);
        }
        converges(
            &registry,
            &engine,
            &[0, 1, 2, 3],
            &format!("after restart {restart}"),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_a_workload_converges_live_and_across_restarts() {
    a_workload_converges_live_and_across_restarts(Kind::Docker).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podman_a_workload_converges_live_and_across_restarts() {
    a_workload_converges_live_and_across_restarts(Kind::Podman).await;
}

fn watch_prints_each_change(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    let config = tempfile::tempdir().unwrap();
    let mut watch = Watch::start(&["--host", engine.host()], config.path());
    watch.wait("the objects' relist", |l| {
        l["type"] == "object_resync" && l["phase"] == "done"
    });
    engine.cli(&["tag", "busybox", "later:2"]);
    let line = watch.wait("the tag", |l| {
        l["type"] == "image"
            && l["op"] == "upsert"
            && l["object"]["tags"].to_string().contains("later:2")
    });
    assert!(line["rev"].as_u64().unwrap() > 0);
    assert!(line["object"]["id"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    engine.cli(&["volume", "create", "fresh"]);
    watch.wait("the volume", |l| {
        l["type"] == "volume" && l["op"] == "upsert" && l["object"]["id"] == "fresh"
    });
    engine.cli(&["volume", "rm", "fresh"]);
    watch.wait("its removal", |l| {
        l["type"] == "volume" && l["op"] == "remove" && l["object"]["id"] == "fresh"
    });
    if kind == Kind::Podman {
        engine.cli(&["pod", "create", "--infra=false", "--name", "crew"]);
        watch.wait("the pod", |l| {
            l["type"] == "pod" && l["object"]["name"] == "crew"
        });
    }
}

#[test]
fn docker_watch_prints_each_change() {
    watch_prints_each_change(Kind::Docker);
}

#[test]
fn podman_watch_prints_each_change() {
    watch_prints_each_change(Kind::Podman);
}

fn registry_script(args: &[&str]) -> std::process::Output {
    Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/registry.sh"))
        .args(args)
        .output()
        .expect("run scripts/registry.sh")
}

/// A port in front of the registry whose answers are cut (scripts/engines.sh tells the test
/// Podman it is plain HTTP too).
const CUT_PROXY_PORT: &str = "5057";
/// The same, for the second engine (a proxy's cut is for good).
const CUT_PROXY_PORT_2: &str = "5058";

/// A TCP proxy on `listen` in front of `target` that forwards `cut` bytes of answers in all, then
/// closes every connection and refuses the next ones: a registry that stops in the middle of a
/// layer (a cut per connection is not enough: Docker resumes a layer with a range request). Its
/// threads end with the test process.
fn cutting_proxy(listen: &str, target: &str, cut: usize) {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let listener =
        TcpListener::bind(format!("127.0.0.1:{listen}")).expect("bind the cutting proxy");
    let target = format!("127.0.0.1:{target}");
    let total = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            if total.load(Ordering::SeqCst) >= cut {
                let _ = client.shutdown(Shutdown::Both);
                continue;
            }
            let Ok(server) = TcpStream::connect(&target) else {
                continue;
            };
            let (mut c_read, mut s_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c_read, &mut s_write);
            });
            let (mut s_read, mut c_write) = (server, client);
            let total = total.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                loop {
                    let left = cut.saturating_sub(total.load(Ordering::SeqCst));
                    if left == 0 {
                        break;
                    }
                    match s_read.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let n = n.min(left);
                            if c_write.write_all(&buf[..n]).is_err() {
                                break;
                            }
                            total.fetch_add(n, Ordering::SeqCst);
                        }
                    }
                }
                let _ = c_write.shutdown(Shutdown::Both);
                let _ = s_read.shutdown(Shutdown::Both);
            });
        }
    });
}

/// Stops the test registry when the test ends, however it ends.
struct RegistryServer(tempfile::TempDir);

impl Drop for RegistryServer {
    fn drop(&mut self) {
        registry_script(&["stop", self.0.path().to_str().unwrap()]);
    }
}

/// Both engines in one test: they share the registry's fixed port.
#[test]
fn pulls_come_from_a_real_registry_and_failures_change_nothing() {
    let (Some(docker), Some(podman)) = (
        TestEngine::start(Kind::Docker),
        TestEngine::start(Kind::Podman),
    ) else {
        return;
    };
    let server = RegistryServer(tempfile::tempdir().unwrap());
    let dir = server.0.path().to_str().unwrap().to_owned();
    let out = registry_script(&["start", &dir, REGISTRY_PORT]);
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        assert!(
            std::env::var("SKIFF_REQUIRE_ENGINES").as_deref() != Ok("1"),
            "{why}"
        );
        eprintln!("SKIPPED: the registry cannot start here: {why}");
        return;
    }
    let image = format!("127.0.0.1:{REGISTRY_PORT}/busybox:1");
    docker.cli(&["tag", "busybox", &image]);
    docker.cli(&["push", &image]);
    docker.cli(&["rmi", &image]);
    for engine in [&docker, &podman] {
        let host = engine.host();
        let before = engine_lists(engine);
        let out = skiff(&[
            "pull",
            "--host",
            host,
            &format!("127.0.0.1:{REGISTRY_PORT}/busybox:nope"),
        ]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("manifest unknown"), "{err}");
        assert_eq!(
            engine_lists(engine),
            before,
            "a failed pull changes nothing"
        );

        let out = skiff(&["pull", "--host", host, &image]);
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{said} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            said.lines().count(),
            1,
            "one summary line off a terminal: {said}"
        );
        assert!(
            said.contains("pulled") && said.contains("sha256:"),
            "{said}"
        );
        let tags = engine.cli(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
        assert!(tags.contains(&image), "{tags}");
    }
    a_registry_gone_mid_pull_leaves_no_half_image(&docker, &podman);

    // The registry gone: a clear error, nothing half pulled.
    registry_script(&["stop", &dir]);
    for engine in [&docker, &podman] {
        let before = engine_lists(engine);
        let out = skiff(&[
            "pull",
            "--host",
            engine.host(),
            &format!("127.0.0.1:{REGISTRY_PORT}/busybox:2"),
        ]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("connection refused"), "{err}");
        assert_eq!(engine_lists(engine), before);
    }
}

/// The registry gone in the middle of a pull (it stops after 1 MB of a 4 MB layer; the engine's
/// retries find it gone): the engine's reason, nothing half pulled in the list.
fn a_registry_gone_mid_pull_leaves_no_half_image(docker: &TestEngine, podman: &TestEngine) {
    // Each engine pulls a layer the other one made: an engine that has it pulls nothing.
    for (maker, name) in [(podman, "big-for-docker"), (docker, "big-for-podman")] {
        let big = format!("127.0.0.1:{REGISTRY_PORT}/{name}:1");
        maker.cli(&[
            "run",
            "--name",
            "filler",
            "busybox",
            "sh",
            "-c",
            "head -c 4000000 /dev/urandom > /big",
        ]);
        maker.cli(&["commit", "filler", &big]);
        maker.cli(&["push", &big]);
    }
    for (engine, port, name) in [
        (docker, CUT_PROXY_PORT, "big-for-docker"),
        (podman, CUT_PROXY_PORT_2, "big-for-podman"),
    ] {
        cutting_proxy(port, REGISTRY_PORT, 1_000_000);
        let before = engine_lists(engine);
        let listed = field(
            &json_list(&["images", "--json", "--host", engine.host()]),
            "id",
        );
        let out = skiff(&[
            "pull",
            "--host",
            engine.host(),
            &format!("127.0.0.1:{port}/{name}:1"),
        ]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!out.stderr.is_empty());
        assert_eq!(engine_lists(engine), before, "no half image");
        assert_eq!(
            field(
                &json_list(&["images", "--json", "--host", engine.host()]),
                "id"
            ),
            listed
        );
    }
}

fn removal_in_use_is_refused_and_prune_reports_the_space(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    let host = engine.host();
    engine.cli(&["tag", "busybox", "only:1"]);
    engine.cli(&["rmi", "busybox"]);
    engine.cli(&["create", "--name", "user", "only:1", "true"]);
    let out = skiff(&["rmi", "--host", host, "only:1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("user") || err.contains("container"),
        "the engine's reason: {err}"
    );
    assert!(engine.cli(&["images"]).contains("only"), "nothing removed");

    // Prune: a stopped container, then an unused volume with data in it.
    let out = skiff(&["prune", "containers", "--host", host]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("removed 1"), "{said}");
    assert!(engine.ps_all().is_empty());
    engine.cli(&["volume", "create", "bulk"]);
    engine.cli(&[
        "run",
        "--rm",
        "-v",
        "bulk:/bulk",
        "only:1",
        "sh",
        "-c",
        "head -c 300000 /dev/zero > /bulk/f",
    ]);
    let out = skiff(&["df", "--json", "--host", host]);
    let df: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let volumes = df.iter().find(|l| l["kind"] == "volumes").unwrap();
    assert_eq!(volumes["total"], 1);
    let out = skiff(&["prune", "volumes", "--host", host]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("removed 1"), "{said}");
    let bytes: u64 = said
        .rsplit('(')
        .next()
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bytes reclaimed in {said}"));
    assert!(bytes >= 300_000, "the engine reclaimed the file: {said}");
    assert!(lines(&engine.cli(&["volume", "ls", "-q"])).is_empty());

    // Forced: the engine untags it although it is named by no container now.
    let out = skiff(&["rmi", "-f", "--host", host, "only:1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("only:1"));
}

#[test]
fn docker_removal_in_use_is_refused_and_prune_reports_the_space() {
    removal_in_use_is_refused_and_prune_reports_the_space(Kind::Docker);
}

#[test]
fn podman_removal_in_use_is_refused_and_prune_reports_the_space() {
    removal_in_use_is_refused_and_prune_reports_the_space(Kind::Podman);
}

/// A prune racing a start removes only what was stopped when the engine pruned: the container
/// that started is never removed while it runs, and the registry ends equal to the engine.
async fn prune_while_a_container_starts(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    let (registry, _stop) = watching(&engine);
    for round in 0..4 {
        let name = format!("racer{round}");
        engine.cli(&["create", "--name", &name, "busybox", "sleep", "600"]);
        let host = engine.host().to_owned();
        let pruning = std::thread::spawn(move || skiff(&["prune", "containers", "--host", &host]));
        let start = engine.try_cli(&["start", &name]);
        let out = pruning.join().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listed: Vec<String> = engine.ps_all().into_iter().map(|(_, n)| n).collect();
        // Started first: it runs and stays. Pruned first: the start fails, saying so.
        if start.status.success() {
            assert!(
                listed.contains(&name),
                "a started container was pruned: {listed:?}"
            );
        } else {
            assert!(!listed.contains(&name));
            assert!(!start.stderr.is_empty());
        }
        let want = engine.ps_all();
        eventually(
            Duration::from_secs(20),
            || support::registry::ids(&registry, kind.as_str()) == engine.ps_all(),
            || {
                format!(
                    "{want:?} vs {:?}",
                    support::registry::ids(&registry, kind.as_str())
                )
            },
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_prune_while_a_container_starts() {
    prune_while_a_container_starts(Kind::Docker).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podman_prune_while_a_container_starts() {
    prune_while_a_container_starts(Kind::Podman).await;
}
