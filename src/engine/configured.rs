//! Engines the user already configured for other tools: Docker contexts and Podman system
//! connections. The current Docker context and the default Podman connection are watched (after
//! `DOCKER_HOST`/`CONTAINER_HOST`, see `discovery`); the others are listed by
//! [`configured_engines`] for the user to switch on in Settings.
//!
//! - Docker: `$DOCKER_CONFIG` (else `~/.docker`) `/config.json`'s `currentContext`, overridden
//!   by `$DOCKER_CONTEXT`; each context in `contexts/meta/*/meta.json` (`Name`,
//!   `Endpoints.docker.Host`). The context `default` is the local engine, found anyway.
//! - Podman: `podman-connections.json` (Podman 4.7+: `Connection.Default`,
//!   `Connection.Connections.NAME.URI/Identity`) and `containers.conf`'s
//!   `[engine] active_service` and `[engine.service_destinations.NAME]` (`uri`, `identity`), in
//!   `$XDG_CONFIG_HOME/containers` (else `~/.config/containers`). Read from the files, not by
//!   running `podman`: discovery happens at every start and must cost nothing.
//!
//! An entry that cannot be read (a malformed file, an address Skiff cannot parse) is skipped
//! with a warning; it never hides the others.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use super::discovery::{DiscoveredEngine, DiscoverySource};
use super::Endpoint;

/// An engine configured for another tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configured {
    pub engine: DiscoveredEngine,
    /// The current Docker context, or the default Podman connection: watched by default.
    pub current: bool,
}

impl Configured {
    /// Whether it is watched: as the user switched it in Settings, else when it is current.
    #[must_use]
    pub fn watched(&self, switched: &BTreeMap<String, bool>) -> bool {
        switched
            .get(&self.engine.id)
            .copied()
            .unwrap_or(self.current)
    }
}

/// A Docker context or Podman connection as the Settings page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "ToolEngine.ts")]
pub struct ToolEngine {
    pub name: String,
    /// Its address (`ssh://…`, `unix://…`, `tcp://…`).
    pub url: String,
    /// `docker_context` or `podman_connection`.
    pub source: DiscoverySource,
    /// The current Docker context, or the default Podman connection.
    pub current: bool,
    /// Watched at the next start (switched on, or current and not switched off).
    pub watched: bool,
}

/// Every Docker context and Podman connection, for the Settings page, with whether it is
/// watched under `switched`.
#[must_use]
pub fn tool_engines(dirs: &ToolDirs, switched: &BTreeMap<String, bool>) -> Vec<ToolEngine> {
    configured_engines(dirs)
        .into_iter()
        .map(|c| ToolEngine {
            watched: c.watched(switched),
            name: c.engine.id,
            url: c.engine.endpoint.to_string(),
            source: c.engine.source,
            current: c.current,
        })
        .collect()
}

/// Where those tools keep their configuration.
#[derive(Debug, Clone, Default)]
pub struct ToolDirs {
    /// `$DOCKER_CONFIG`, else `~/.docker`.
    pub docker: Option<PathBuf>,
    /// `$DOCKER_CONTEXT`.
    pub docker_context: Option<String>,
    /// `$XDG_CONFIG_HOME/containers`, else `~/.config/containers`.
    pub containers: Option<PathBuf>,
}

impl ToolDirs {
    /// From the environment (`DOCKER_CONFIG`, `DOCKER_CONTEXT`, `XDG_CONFIG_HOME`) and `home`.
    #[must_use]
    pub fn from_vars(
        vars: &std::collections::HashMap<String, String>,
        home: Option<&Path>,
    ) -> Self {
        Self {
            docker: vars
                .get("DOCKER_CONFIG")
                .map(PathBuf::from)
                .or_else(|| home.map(|h| h.join(".docker"))),
            docker_context: vars.get("DOCKER_CONTEXT").cloned(),
            containers: vars
                .get("XDG_CONFIG_HOME")
                .map(|c| PathBuf::from(c).join("containers"))
                .or_else(|| home.map(|h| h.join(".config/containers"))),
        }
    }
}

/// Every Docker context and Podman connection, current ones first within each tool.
#[must_use]
pub fn configured_engines(dirs: &ToolDirs) -> Vec<Configured> {
    let mut out = dirs
        .docker
        .as_deref()
        .map(|d| docker_contexts(d, dirs.docker_context.as_deref()))
        .unwrap_or_default();
    out.extend(
        dirs.containers
            .as_deref()
            .map(podman_connections)
            .unwrap_or_default(),
    );
    out
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    let bytes = std::fs::read(path).ok()?;
    match serde_json::from_slice(&bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "unreadable; its engines are skipped");
            None
        }
    }
}

fn engine(
    name: &str,
    url: &str,
    identity: Option<&str>,
    source: DiscoverySource,
) -> Option<DiscoveredEngine> {
    let mut endpoint = match url.parse::<Endpoint>() {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(%name, error = %e, "configured engine skipped");
            return None;
        }
    };
    if let (Endpoint::Ssh(target), Some(identity)) =
        (&mut endpoint, identity.filter(|i| !i.is_empty()))
    {
        target.identity = Some(identity.to_owned());
    }
    Some(DiscoveredEngine {
        id: name.to_owned(),
        endpoint,
        source,
    })
}

fn docker_contexts(dir: &Path, from_env: Option<&str>) -> Vec<Configured> {
    let current = from_env
        .map(str::to_owned)
        .or_else(|| {
            read_json(&dir.join("config.json"))
                .and_then(|c| c.get("currentContext")?.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| "default".to_owned());
    let Ok(entries) = std::fs::read_dir(dir.join("contexts/meta")) else {
        return Vec::new();
    };
    let mut out: Vec<Configured> = entries
        .flatten()
        .filter_map(|e| read_json(&e.path().join("meta.json")))
        .filter_map(|meta| {
            let name = meta.get("Name")?.as_str()?.to_owned();
            let host = meta.pointer("/Endpoints/docker/Host")?.as_str()?.to_owned();
            let engine = engine(&name, &host, None, DiscoverySource::DockerContext)?;
            Some(Configured {
                current: name == current,
                engine,
            })
        })
        .filter(|c| c.engine.id != "default")
        .collect();
    current_first(&mut out);
    out
}

fn podman_connections(dir: &Path) -> Vec<Configured> {
    let mut found: Vec<(String, String, Option<String>)> = Vec::new();
    let mut default = None;
    if let Some(json) = read_json(&dir.join("podman-connections.json")) {
        default = json
            .pointer("/Connection/Default")
            .and_then(|d| d.as_str())
            .map(str::to_owned);
        if let Some(all) = json
            .pointer("/Connection/Connections")
            .and_then(|c| c.as_object())
        {
            for (name, c) in all {
                if let Some(uri) = c.get("URI").and_then(|u| u.as_str()) {
                    let identity = c
                        .get("Identity")
                        .and_then(|i| i.as_str())
                        .map(str::to_owned);
                    found.push((name.clone(), uri.to_owned(), identity));
                }
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("containers.conf")) {
        match text.parse::<toml::Table>() {
            Ok(conf) => {
                let engine = conf.get("engine").and_then(|e| e.as_table());
                if default.is_none() {
                    default = engine
                        .and_then(|e| e.get("active_service"))
                        .and_then(|a| a.as_str())
                        .map(str::to_owned);
                }
                let destinations = engine
                    .and_then(|e| e.get("service_destinations"))
                    .and_then(|d| d.as_table());
                for (name, d) in destinations.into_iter().flatten() {
                    let field = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                    if let Some(uri) = field("uri") {
                        if !found.iter().any(|(n, ..)| n == name) {
                            found.push((name.clone(), uri, field("identity")));
                        }
                    }
                }
            }
            Err(e) => {
                let path = dir.join("containers.conf");
                tracing::warn!(path = %path.display(), error = %e, "unreadable; its connections are skipped");
            }
        }
    }
    // A single connection is Podman's default even when none is named.
    if default.is_none() && found.len() == 1 {
        default = Some(found[0].0.clone());
    }
    let mut out: Vec<Configured> = found
        .into_iter()
        .filter_map(|(name, uri, identity)| {
            let engine = engine(
                &name,
                &uri,
                identity.as_deref(),
                DiscoverySource::PodmanConnection,
            )?;
            Some(Configured {
                current: default.as_deref() == Some(name.as_str()),
                engine,
            })
        })
        .collect();
    current_first(&mut out);
    out
}

/// The current entry first, then the others by name.
fn current_first(out: &mut [Configured]) {
    out.sort_by(|a, b| {
        b.current
            .cmp(&a.current)
            .then(a.engine.id.cmp(&b.engine.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn docker_contexts_and_the_current_one() {
        let d = tempfile::tempdir().unwrap();
        write(&d.path().join("config.json"), r#"{"currentContext":"lab"}"#);
        write(
            &d.path().join("contexts/meta/aaa/meta.json"),
            r#"{"Name":"lab","Endpoints":{"docker":{"Host":"ssh://me@lab-box","SkipTLSVerify":false}}}"#,
        );
        write(
            &d.path().join("contexts/meta/bbb/meta.json"),
            r#"{"Name":"ci","Endpoints":{"docker":{"Host":"tcp://10.0.0.5:2375"}}}"#,
        );
        write(&d.path().join("contexts/meta/ccc/meta.json"), "{broken");
        let found = docker_contexts(d.path(), None);
        let names: Vec<(&str, bool)> = found
            .iter()
            .map(|c| (c.engine.id.as_str(), c.current))
            .collect();
        assert_eq!(names, [("lab", true), ("ci", false)]);
        assert_eq!(found[0].engine.endpoint.to_string(), "ssh://me@lab-box");
        assert_eq!(found[0].engine.source, DiscoverySource::DockerContext);
        // DOCKER_CONTEXT wins over the file.
        let env = docker_contexts(d.path(), Some("ci"));
        assert!(env.iter().any(|c| c.engine.id == "ci" && c.current));
    }

    #[test]
    fn podman_connections_from_both_files() {
        let d = tempfile::tempdir().unwrap();
        write(
            &d.path().join("containers.conf"),
            "[engine]\nactive_service = \"box\"\n[engine.service_destinations.box]\nuri = \"ssh://core@127.0.0.1:2222/run/user/1000/podman/podman.sock\"\nidentity = \"/home/me/.ssh/box\"\n[engine.service_destinations.other]\nuri = \"unix:///run/podman/podman.sock\"\n",
        );
        let found = podman_connections(d.path());
        let names: Vec<(&str, bool)> = found
            .iter()
            .map(|c| (c.engine.id.as_str(), c.current))
            .collect();
        assert_eq!(names, [("box", true), ("other", false)]);
        let Endpoint::Ssh(t) = &found[0].engine.endpoint else {
            panic!()
        };
        assert_eq!(t.identity.as_deref(), Some("/home/me/.ssh/box"));
        assert_eq!(t.port, Some(2222));
        write(
            &d.path().join("podman-connections.json"),
            r#"{"Connection":{"Default":"json-one","Connections":{"json-one":{"URI":"ssh://a@b/run/podman.sock","Identity":""}}}}"#,
        );
        let found = podman_connections(d.path());
        assert!(
            found[0].current && found[0].engine.id == "json-one",
            "{found:?}"
        );
        assert_eq!(found.len(), 3);
    }

    #[test]
    fn the_current_one_is_watched_unless_switched_off_and_others_when_switched_on() {
        let d = tempfile::tempdir().unwrap();
        write(&d.path().join("config.json"), r#"{"currentContext":"lab"}"#);
        for (dir, name) in [("a", "lab"), ("b", "ci")] {
            write(
                &d.path().join(format!("contexts/meta/{dir}/meta.json")),
                &format!(
                    r#"{{"Name":"{name}","Endpoints":{{"docker":{{"Host":"ssh://{name}-box"}}}}}}"#
                ),
            );
        }
        let dirs = ToolDirs {
            docker: Some(d.path().to_owned()),
            ..ToolDirs::default()
        };
        let watched = |switched: &[(&str, bool)]| -> Vec<(String, bool)> {
            let switched = switched
                .iter()
                .map(|(n, on)| ((*n).to_owned(), *on))
                .collect();
            tool_engines(&dirs, &switched)
                .into_iter()
                .map(|t| (t.name, t.watched))
                .collect()
        };
        let by_default = watched(&[]);
        assert_eq!(by_default, [("lab".into(), true), ("ci".into(), false)]);
        let switched = watched(&[("lab", false), ("ci", true)]);
        assert_eq!(switched, [("lab".into(), false), ("ci".into(), true)]);
        let listed = tool_engines(&dirs, &BTreeMap::new());
        assert_eq!(listed[1].url, "ssh://ci-box");
        assert_eq!(listed[1].source, DiscoverySource::DockerContext);
        assert!(listed[0].current && !listed[1].current);
    }
}
