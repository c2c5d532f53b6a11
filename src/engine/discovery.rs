//! Which engines this machine has.
//!
//! # Precedence
//!
//! Engines are collected in this order; when two entries reach the same endpoint, the earlier one
//! wins (and gives the engine its id):
//!
//! 1. `--host URL` flags (or `SKIFF_HOST`, comma-separated). When any is given, nothing else is considered: the user said exactly
//!    which engines to use.
//! 2. Endpoints configured in `settings.json`, under the names the user gave them.
//! 3. `DOCKER_HOST`, then `CONTAINER_HOST` (Podman's equivalent). Configured and environment
//!    endpoints are kept even while their socket is absent: the user asked for them, so they show
//!    as "not running" rather than vanish.
//! 4. The current Docker context and the default Podman system connection (`configured`),
//!    named after them; kept like the entries above.
//! 5. Well-known sockets of the platform, kept only when they exist:
//!    - Linux: rootless Podman (`$XDG_RUNTIME_DIR/podman/podman.sock`), rootful Podman
//!      (`/run/podman/podman.sock`), Docker Desktop for Linux (`~/.docker/desktop/docker.sock`),
//!      Docker (`/var/run/docker.sock`).
//!    - macOS: Docker Desktop (`~/.docker/run/docker.sock`, `/var/run/docker.sock`), Colima,
//!      OrbStack, Rancher Desktop, and `podman machine`'s forwarded socket.
//!    - Windows: the named pipes `docker_engine` and `podman-machine-default`.
//!
//! The pure part ([`candidates`]) takes a [`DiscoveryContext`] so that macOS and Windows paths
//! are tested on Linux with fixture directories.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Endpoint;
pub use well_known::well_known;

mod well_known;

/// A user-configured engine endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "EndpointSetting.ts")]
pub struct EndpointSetting {
    /// The engine id shown everywhere (e.g. `lab-docker`).
    pub name: String,
    /// `unix:///path`, `tcp://host:port`, `npipe:////./pipe/NAME` or `ssh://[user@]host[:port][/socket]`.
    pub url: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// What the user chose about engines in Settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineChoices {
    /// Endpoints added by hand.
    pub endpoints: Vec<EndpointSetting>,
    /// Docker contexts and Podman connections switched on or off, by name; one not named here
    /// is watched when it is the current one.
    pub tools: BTreeMap<String, bool>,
}

/// The operating system whose well-known paths apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    MacOs,
    Windows,
}

impl Os {
    #[must_use]
    pub fn current() -> Self {
        if cfg!(target_os = "macos") {
            Self::MacOs
        } else if cfg!(windows) {
            Self::Windows
        } else {
            Self::Linux
        }
    }
}

/// Everything discovery reads from the machine, gathered once so tests can supply their own.
#[derive(Debug, Clone)]
pub struct DiscoveryContext {
    pub os: Os,
    pub vars: HashMap<String, String>,
    pub home: Option<PathBuf>,
    /// `$XDG_RUNTIME_DIR`, or `/run/user/$UID` when unset (Linux).
    pub runtime_dir: Option<PathBuf>,
    /// `$TMPDIR` on macOS, where `podman machine` puts its API socket.
    pub tmp_dir: Option<PathBuf>,
    /// Where Docker's contexts and Podman's connections are configured.
    pub tools: super::configured::ToolDirs,
}

impl DiscoveryContext {
    /// Reads the current process's environment.
    #[must_use]
    pub fn current() -> Self {
        let vars: HashMap<String, String> = [
            "DOCKER_HOST",
            "CONTAINER_HOST",
            "XDG_RUNTIME_DIR",
            "TMPDIR",
            "DOCKER_CONFIG",
            "DOCKER_CONTEXT",
            "XDG_CONFIG_HOME",
        ]
        .into_iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_owned(), v)))
        .collect();
        let runtime_dir = vars
            .get("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .or_else(|| current_uid().map(|uid| PathBuf::from(format!("/run/user/{uid}"))));
        let home = dirs::home_dir();
        let tools = super::configured::ToolDirs::from_vars(&vars, home.as_deref());
        Self {
            os: Os::current(),
            tmp_dir: vars.get("TMPDIR").map(PathBuf::from),
            home,
            runtime_dir,
            vars,
            tools,
        }
    }
}

#[cfg(unix)]
fn current_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    // The owner of /proc/self is the process's uid; this avoids an `unsafe` libc call.
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

#[cfg(not(unix))]
fn current_uid() -> Option<u32> {
    None
}

/// Where an engine entry came from; decides whether it is kept while its socket is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "DiscoverySource.ts")]
pub enum DiscoverySource {
    Flag,
    Settings,
    DockerHostEnv,
    ContainerHostEnv,
    /// The current Docker context (or one switched on in Settings).
    DockerContext,
    /// The default Podman system connection.
    PodmanConnection,
    WellKnown,
}

impl DiscoverySource {
    /// Whether the user named this endpoint (kept even when absent).
    #[must_use]
    pub fn is_explicit(self) -> bool {
        !matches!(self, Self::WellKnown)
    }
}

/// One engine to connect to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscoveredEngine {
    pub id: String,
    #[serde(serialize_with = "crate::engine::discovery::serialize_display")]
    pub endpoint: Endpoint,
    pub source: DiscoverySource,
}

pub(crate) fn serialize_display<S: serde::Serializer, T: std::fmt::Display>(
    value: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// All candidates in precedence order, before the existence check and de-duplication.
#[must_use]
pub fn candidates(ctx: &DiscoveryContext, choices: &EngineChoices) -> Vec<DiscoveredEngine> {
    let mut out = Vec::new();
    for configured in choices.endpoints.iter().filter(|e| e.enabled) {
        match configured.url.parse::<Endpoint>() {
            Ok(endpoint) => out.push(DiscoveredEngine {
                id: configured.name.clone(),
                endpoint,
                source: DiscoverySource::Settings,
            }),
            Err(err) => {
                tracing::warn!(name = %configured.name, %err, "ignoring configured endpoint");
            }
        }
    }
    for (var, source) in [
        ("DOCKER_HOST", DiscoverySource::DockerHostEnv),
        ("CONTAINER_HOST", DiscoverySource::ContainerHostEnv),
    ] {
        let Some(value) = ctx.vars.get(var).filter(|v| !v.is_empty()) else {
            continue;
        };
        match value.parse::<Endpoint>() {
            Ok(endpoint) => out.push(DiscoveredEngine {
                id: endpoint.guess_id().to_owned(),
                endpoint,
                source,
            }),
            Err(err) => tracing::warn!(%var, %err, "ignoring engine address from the environment"),
        }
    }
    out.extend(
        super::configured::configured_engines(&ctx.tools)
            .into_iter()
            .filter(|c| c.watched(&choices.tools))
            .map(|c| c.engine),
    );
    for (id, endpoint) in well_known(ctx) {
        out.push(DiscoveredEngine {
            id: id.to_owned(),
            endpoint,
            source: DiscoverySource::WellKnown,
        });
    }
    out
}

/// Engines from `--host` flags, with ids guessed from their addresses.
#[must_use]
pub fn from_flags(hosts: &[Endpoint]) -> Vec<DiscoveredEngine> {
    dedupe(
        hosts
            .iter()
            .map(|endpoint| DiscoveredEngine {
                id: endpoint.guess_id().to_owned(),
                endpoint: endpoint.clone(),
                source: DiscoverySource::Flag,
            })
            .collect(),
        |_| true,
    )
}

/// The engines to use, following the precedence documented at the top of this module.
#[must_use]
pub fn discover(
    hosts: &[Endpoint],
    ctx: &DiscoveryContext,
    choices: &EngineChoices,
) -> Vec<DiscoveredEngine> {
    if !hosts.is_empty() {
        return from_flags(hosts);
    }
    dedupe(candidates(ctx, choices), |e| match &e.endpoint {
        Endpoint::Unix(path) => path.exists(),
        // Named pipes and TCP cannot be checked without connecting: keep them (Windows only lists
        // the two well-known pipes, and a missing one shows as not running).
        _ => true,
    })
}

/// Why no engine list could be made.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("no container engine found (looked at DOCKER_HOST, CONTAINER_HOST, the Podman and Docker sockets); start Podman or Docker, or pass --host URL")]
    NoEngine,
    #[error("SKIFF_HOST: {0}")]
    BadHostVariable(#[from] super::EndpointParseError),
}

/// The engines to use on this machine now: `hosts` (flags), or the user's `choices` (the
/// settings') + environment + Docker contexts and Podman connections + well-known sockets,
/// following the precedence documented at the top of this module.
pub fn resolve(
    hosts: &[Endpoint],
    choices: &EngineChoices,
) -> Result<Vec<DiscoveredEngine>, DiscoveryError> {
    let found = discover(hosts, &DiscoveryContext::current(), choices);
    if found.is_empty() {
        return Err(DiscoveryError::NoEngine);
    }
    Ok(found)
}

/// `SKIFF_HOST` (comma-separated endpoints), the environment form of `--host` for programs that
/// take no flags (the desktop app, its end-to-end tests).
pub fn hosts_from_env() -> Result<Vec<Endpoint>, DiscoveryError> {
    Ok(std::env::var("SKIFF_HOST")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()?)
}

/// Drops well-known entries that do not exist, drops repeated endpoints (earlier wins), and makes
/// ids unique (`docker`, `docker-2`).
pub fn dedupe(
    all: Vec<DiscoveredEngine>,
    exists: impl Fn(&DiscoveredEngine) -> bool,
) -> Vec<DiscoveredEngine> {
    let mut seen_endpoints: Vec<Endpoint> = Vec::new();
    let mut out: Vec<DiscoveredEngine> = Vec::new();
    for mut engine in all {
        if !engine.source.is_explicit() && !exists(&engine) {
            continue;
        }
        let key = canonical(&engine.endpoint);
        if seen_endpoints.contains(&key) {
            continue;
        }
        seen_endpoints.push(key);
        let base = engine.id.clone();
        let mut n = 1;
        while out.iter().any(|e| e.id == engine.id) {
            n += 1;
            engine.id = format!("{base}-{n}");
        }
        out.push(engine);
    }
    out
}

/// `/var/run/docker.sock` and `/run/docker.sock` are one socket on most distributions.
fn canonical(endpoint: &Endpoint) -> Endpoint {
    match endpoint {
        Endpoint::Unix(path) => {
            Endpoint::Unix(std::fs::canonicalize(path).unwrap_or_else(|_| canonical_parent(path)))
        }
        other => other.clone(),
    }
}

/// For a socket that does not exist yet, canonicalize its directory so that two spellings of the
/// same absent path still compare equal.
fn canonical_parent(path: &Path) -> PathBuf {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            std::fs::canonicalize(parent).map_or_else(|_| path.to_path_buf(), |p| p.join(name))
        }
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(os: Os, home: &Path) -> DiscoveryContext {
        DiscoveryContext {
            os,
            vars: HashMap::new(),
            home: Some(home.to_path_buf()),
            runtime_dir: Some(home.join("run")),
            tmp_dir: Some(home.join("tmp")),
            tools: crate::engine::configured::ToolDirs {
                docker: Some(home.join(".docker")),
                docker_context: None,
                containers: Some(home.join(".config/containers")),
            },
        }
    }

    #[test]
    fn the_current_docker_context_comes_after_the_environment_and_before_sockets() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        std::fs::create_dir_all(h.join(".docker/contexts/meta/x")).unwrap();
        std::fs::write(h.join(".docker/config.json"), r#"{"currentContext":"lab"}"#).unwrap();
        std::fs::write(
            h.join(".docker/contexts/meta/x/meta.json"),
            r#"{"Name":"lab","Endpoints":{"docker":{"Host":"ssh://me@lab"}}}"#,
        )
        .unwrap();
        let mut c = ctx(Os::Linux, h);
        c.vars
            .insert("DOCKER_HOST".into(), "tcp://10.0.0.1:2375".into());
        touch(&h.join("run/podman/podman.sock"));
        let found = discover(&[], &c, &EngineChoices::default());
        let ids: Vec<(&str, DiscoverySource)> =
            found.iter().map(|e| (e.id.as_str(), e.source)).collect();
        assert_eq!(
            ids,
            [
                ("engine", DiscoverySource::DockerHostEnv),
                ("lab", DiscoverySource::DockerContext),
                ("podman", DiscoverySource::WellKnown)
            ]
        );
    }

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"").unwrap();
    }

    fn ids(engines: &[DiscoveredEngine]) -> Vec<&str> {
        engines.iter().map(|e| e.id.as_str()).collect()
    }

    fn exists(e: &DiscoveredEngine) -> bool {
        e.endpoint.socket_path().is_some_and(Path::exists)
    }

    #[test]
    fn linux_rootless_podman_comes_before_docker_desktop() {
        let dir = tempfile::tempdir().unwrap();
        touch(&dir.path().join("run/podman/podman.sock"));
        touch(&dir.path().join(".docker/desktop/docker.sock"));
        let found = dedupe(
            candidates(&ctx(Os::Linux, dir.path()), &EngineChoices::default()),
            exists,
        );
        assert_eq!(ids(&found), ["podman", "docker-desktop"]);
    }

    #[test]
    fn macos_finds_colima_orbstack_rancher_and_podman_machine() {
        let dir = tempfile::tempdir().unwrap();
        for rel in [
            ".colima/default/docker.sock",
            ".orbstack/run/docker.sock",
            ".rd/docker.sock",
            "tmp/podman/podman-machine-default-api.sock",
            ".docker/run/docker.sock",
        ] {
            touch(&dir.path().join(rel));
        }
        let found = dedupe(
            candidates(&ctx(Os::MacOs, dir.path()), &EngineChoices::default()),
            exists,
        );
        assert_eq!(
            ids(&found),
            [
                "docker-desktop",
                "colima",
                "orbstack",
                "rancher-desktop",
                "podman-machine"
            ]
        );
    }

    #[test]
    fn windows_lists_both_named_pipes() {
        let dir = tempfile::tempdir().unwrap();
        let found = dedupe(
            candidates(&ctx(Os::Windows, dir.path()), &EngineChoices::default()),
            |_| true,
        );
        assert_eq!(ids(&found), ["docker", "podman-machine"]);
        assert_eq!(
            found[0].endpoint.to_string(),
            "npipe:////./pipe/docker_engine"
        );
    }

    #[test]
    fn env_and_settings_are_kept_while_absent_and_win_over_well_known() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("run/podman/podman.sock");
        touch(&sock);
        let mut c = ctx(Os::Linux, dir.path());
        c.vars
            .insert("DOCKER_HOST".into(), format!("unix://{}", sock.display()));
        c.vars.insert(
            "CONTAINER_HOST".into(),
            "unix:///nowhere/podman.sock".into(),
        );
        let configured = EngineChoices {
            endpoints: vec![EndpointSetting {
                name: "lab".into(),
                url: "tcp://10.1.2.3:2375".into(),
                enabled: true,
            }],
            ..EngineChoices::default()
        };
        let found = dedupe(candidates(&c, &configured), exists);
        // DOCKER_HOST names the rootless socket, so the well-known entry is a duplicate; the
        // absent CONTAINER_HOST stays because the user set it.
        assert_eq!(ids(&found), ["lab", "podman", "podman-2"]);
        assert_eq!(found[1].source, DiscoverySource::DockerHostEnv);
        assert_eq!(found[2].endpoint.to_string(), "unix:///nowhere/podman.sock");
    }

    #[test]
    fn flags_replace_everything_else() {
        let hosts: Vec<Endpoint> = vec![
            "unix:///a/docker.sock".parse().unwrap(),
            "unix:///b/docker.sock".parse().unwrap(),
        ];
        let found = discover(
            &hosts,
            &ctx(Os::Linux, Path::new("/nonexistent")),
            &EngineChoices::default(),
        );
        assert_eq!(ids(&found), ["docker", "docker-2"]);
    }
}
