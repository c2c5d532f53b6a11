//! Real engines for integration tests.
//!
//! [`TestEngine::start`] runs `scripts/engines.sh` to start a throwaway Podman service or Docker
//! Engine whose storage, sockets and logs all live in a temp dir, with a busybox image imported.
//! Tests can stop and restart it mid-test (fault injection) and drive it with its own CLI.
//!
//! When an engine cannot start on this machine the test is skipped with a printed reason, unless
//! `SKIFF_REQUIRE_ENGINES=1` (set by `make test` and CI), where a missing engine fails the test.
#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Podman,
    Docker,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Podman => "podman",
            Kind::Docker => "docker",
        }
    }
}

/// Skiff's CLI as the tests run it: no user settings (a config dir that does not exist), no
/// log level from the environment.
pub fn skiff_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skiff"));
    cmd.env("SKIFF_CONFIG_DIR", "/nonexistent-skiff-config")
        .env_remove("SKIFF_LOG");
    cmd
}

/// Runs Skiff's CLI with `args` to its end.
pub fn skiff(args: &[&str]) -> Output {
    skiff_command().args(args).output().expect("run skiff")
}

#[derive(Debug)]
pub struct TestEngine {
    pub kind: Kind,
    dir: tempfile::TempDir,
    host: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/engines.sh")
}

impl TestEngine {
    /// Starts a throwaway engine, or returns `None` (after printing why) when it cannot run here.
    pub fn start(kind: Kind) -> Option<Self> {
        let dir = tempfile::Builder::new()
            .prefix("skiff-engine-")
            .tempdir()
            .expect("temp dir");
        let out = Command::new(script())
            .args(["start", kind.as_str()])
            .arg(dir.path())
            .output()
            .expect("run scripts/engines.sh");
        if !out.status.success() {
            let why = format!(
                "{} cannot start here: {}",
                kind.as_str(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
            assert!(
                std::env::var("SKIFF_REQUIRE_ENGINES").as_deref() != Ok("1"),
                "{why}"
            );
            eprintln!("SKIPPED: {why}");
            return None;
        }
        let host = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Some(Self { kind, dir, host })
    }

    /// `unix:///…/podman.sock`
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn socket_path(&self) -> PathBuf {
        PathBuf::from(self.host.trim_start_matches("unix://"))
    }

    fn script(&self, cmd: &str) -> Output {
        Command::new(script())
            .args([cmd, self.kind.as_str()])
            .arg(self.dir.path())
            .output()
            .expect("run scripts/engines.sh")
    }

    /// The engine service's process id (the Podman service, dockerd).
    pub fn pid(&self) -> u32 {
        let path = self.dir.path().join(self.kind.as_str()).join("pid");
        std::fs::read_to_string(&path)
            .ok()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("no pid in {}", path.display()))
    }

    /// Stops the engine (its containers survive on Podman; Docker stops them).
    pub fn stop(&self) {
        let out = self.script("stop");
        assert!(
            out.status.success(),
            "stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts it again after [`TestEngine::stop`], on the same storage.
    pub fn restart(&self) {
        let out = self.script("start");
        assert!(
            out.status.success(),
            "start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// SIGKILLs the service (a crash): nothing is cleaned up.
    pub fn kill(&self) {
        let out = self.script("kill");
        assert!(
            out.status.success(),
            "kill: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Podman's own CLI on the engine's storage, without its service (works while it is down).
    pub fn local_cli(&self, args: &[&str]) -> Output {
        Command::new(script())
            .args(["local", self.kind.as_str()])
            .arg(self.dir.path())
            .args(args)
            .output()
            .expect("run podman")
    }

    /// Starts it again after a crash, as a service manager would: a few tries, a second apart.
    pub fn restart_after_crash(&self) {
        for attempt in 1..=5 {
            let out = self.script("start");
            if out.status.success() {
                return;
            }
            assert!(
                attempt < 5,
                "start: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }

    /// Runs the engine's own CLI against it; panics with its stderr on failure.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self.try_cli(args);
        assert!(
            out.status.success(),
            "{} {args:?}: {}",
            self.kind.as_str(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// The CLI's stdout as it printed it (not trimmed, not decoded).
    pub fn cli_bytes(&self, args: &[&str]) -> Vec<u8> {
        let out = self.try_cli(args);
        assert!(out.status.success(), "{} {args:?}", self.kind.as_str());
        out.stdout
    }

    pub fn try_cli(&self, args: &[&str]) -> Output {
        Command::new(script())
            .args(["cli", self.kind.as_str()])
            .arg(self.dir.path())
            .args(args)
            .output()
            .expect("run engine cli")
    }

    /// Creates a container with network mode `none`; returns its full id.
    pub fn create(&self, name: &str, start: bool) -> String {
        let id = self.cli(&[
            "create",
            "--name",
            name,
            "--network",
            "none",
            "busybox:latest",
            "sleep",
            "86400",
        ]);
        if start {
            self.cli(&["start", name]);
        }
        id
    }

    /// Runs `script` under busybox's `sh -c` in a new detached container `name` (network mode
    /// `none`, then `options`, e.g. `-t`); returns its full id.
    pub fn run_sh(&self, name: &str, options: &[&str], script: &str) -> String {
        let mut args = vec!["run", "-d", "--name", name, "--network", "none"];
        args.extend_from_slice(options);
        args.extend_from_slice(&["busybox:latest", "sh", "-c", script]);
        self.cli(&args)
    }

    /// `ps -a` as (id, name) pairs, sorted by id.
    /// Runs the engine's compose (`docker-compose` on Docker, `podman-compose` on Podman) in
    /// `project_dir`; panics with its output when it fails.
    pub fn compose(&self, project_dir: &Path, args: &[&str]) {
        let out = Command::new(script())
            .args(["compose", self.kind.as_str()])
            .arg(self.dir.path())
            .args(args)
            .current_dir(project_dir)
            .output()
            .expect("run scripts/engines.sh compose");
        assert!(
            out.status.success(),
            "compose {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn ps_all(&self) -> Vec<(String, String)> {
        let out = self.cli(&["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}"]);
        let mut rows: Vec<(String, String)> = out
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(id, name)| (id.to_owned(), name.to_owned()))
            .collect();
        rows.sort();
        rows
    }
}

impl Drop for TestEngine {
    fn drop(&mut self) {
        // Container processes outlive a stopped Podman service: remove them first.
        let _ = self.script("destroy");
    }
}

impl TestEngine {
    /// Lets other users reach the socket's directory, so that only the socket's own mode decides
    /// who may connect (temp dirs are created 0700).
    pub fn make_traversable(&self) {
        use std::os::unix::fs::PermissionsExt;
        let mut dir = Some(self.socket_path().parent().unwrap().to_path_buf());
        while let Some(d) = dir {
            if d == std::env::temp_dir() || d.as_os_str().len() <= 1 {
                break;
            }
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
            dir = d.parent().map(Path::to_path_buf);
        }
    }
}

/// Waits until `done()` holds, checking every 20 ms, for at most `limit`; panics with `why()`
/// (which can say what was seen instead) when it never does. The one polling loop of the tests:
/// a condition is awaited, never a fixed time.
pub async fn eventually(
    limit: std::time::Duration,
    mut done: impl FnMut() -> bool,
    why: impl FnOnce() -> String,
) {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(done(), "not within {limit:?}: {}", why());
}

/// Fixtures: the engine events, statuses and rows the tests build by hand.
pub mod fixtures {
    use std::collections::HashMap;

    use skiff::container::Container;
    use skiff::engine::events::RawEvent;
    use skiff::engine::{ErrorInfo, FailureKind};
    use skiff::watcher::{EngineState, EngineStatus};

    /// A container event of `id`, named `name`, at engine time `time_nano`.
    pub fn event(action: &str, id: &str, name: &str, time_nano: i64) -> RawEvent {
        RawEvent {
            typ: "container".to_owned(),
            action: action.to_owned(),
            id: id.to_owned(),
            attributes: HashMap::from([
                ("name".to_owned(), name.to_owned()),
                ("image".to_owned(), "busybox".to_owned()),
            ]),
            time_nano,
        }
    }

    /// `engine` in `state`.
    pub fn status(engine: &str, state: EngineState) -> EngineStatus {
        EngineStatus::new(engine, "unix:///test.sock", state)
    }

    /// A failing state: attempt `attempt` of an outage of class `kind`.
    pub fn reconnecting(kind: FailureKind, attempt: u32) -> EngineState {
        EngineState::Reconnecting {
            attempt,
            retry_in_ms: Some(500),
            error: ErrorInfo {
                kind,
                message: format!("{} (test)", kind.as_str()),
                remedy: None,
            },
        }
    }

    /// A running container row of `engine`.
    pub fn running(engine: &str, id: &str, name: &str) -> Container {
        Container {
            image: "busybox".to_owned(),
            ..Container::new(engine, id, name, "running")
        }
    }
}

/// Registry-level helpers shared by the integration tests.
pub mod registry {
    use std::time::Duration;

    use skiff::engine::{DiscoveredEngine, DiscoverySource};
    use skiff::registry::{Registry, RegistryEvent};
    use skiff::watcher::EngineStatus;
    use tokio::sync::broadcast;

    pub fn engine(id: &str, host: &str) -> DiscoveredEngine {
        DiscoveredEngine {
            id: id.to_owned(),
            endpoint: host.parse().unwrap(),
            source: DiscoverySource::Flag,
        }
    }

    /// Waits for a status of `engine` matching `pred`; panics with the statuses seen after `limit`.
    pub async fn wait_status(
        rx: &mut broadcast::Receiver<RegistryEvent>,
        engine: &str,
        limit: Duration,
        pred: impl Fn(&EngineStatus) -> bool,
    ) -> EngineStatus {
        let mut seen = Vec::new();
        let found = tokio::time::timeout(limit, async {
            loop {
                match rx.recv().await {
                    Ok(RegistryEvent::Engine(s)) if s.engine == engine => {
                        if pred(&s) {
                            return *s;
                        }
                        seen.push(format!("{}:{:?}", s.state.name(), s.trigger));
                    }
                    Ok(_) => {}
                    Err(e) => panic!("fan-out: {e}"),
                }
            }
        })
        .await;
        found.unwrap_or_else(|_| {
            panic!("no matching status for {engine} within {limit:?}; saw {seen:?}")
        })
    }

    /// A core watching `engine` with the default configuration, as the app runs it; dropping
    /// the trigger stops it.
    pub fn watching(engine: &super::TestEngine) -> (Registry, skiff::shutdown::ShutdownTrigger) {
        let (trigger, shutdown) = skiff::shutdown::channel();
        let core = skiff::app::Core::new(
            Registry::new(),
            skiff::watcher::WatcherConfig::default(),
            shutdown,
        );
        core.start(&skiff::app::Targets {
            engines: vec![self::engine(engine.kind.as_str(), engine.host())],
            contexts: Vec::new(),
            contexts_asked: false,
        });
        (core.registry, trigger)
    }

    pub fn ids(registry: &Registry, engine: &str) -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = registry
            .snapshot()
            .containers
            .into_iter()
            .filter(|c| c.engine == engine)
            .map(|c| (c.id, c.name))
            .collect();
        rows.sort();
        rows
    }
}
pub mod cluster;
pub mod old_api;
pub mod proxy;
pub mod sink;
pub mod sshd;
pub mod watch;
