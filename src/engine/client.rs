//! A connected engine: bollard underneath, plus what `/version` told us about it.

use std::fmt;

use bollard::{ClientVersion, Docker};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::error::MIN_API_VERSION;
use super::{Endpoint, EngineError};
use crate::container::Container;

/// Seconds a request may take to answer (headers only: streams are not cut by this).
///
/// Short on purpose: a desktop app that waits two minutes (bollard's default) for a hung engine
/// looks frozen. Long streams (`/events`) are unaffected, bollard applies the timeout to the
/// response head only.
const REQUEST_TIMEOUT_S: u64 = 15;

/// The newest API version Skiff asks for. Engines answer with their own maximum and we use the
/// lower of the two.
const MAX_API_VERSION: (u32, u32) = (1, 47);

/// Which engine answers on an endpoint, from its `/version` components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "EngineKind.ts")]
pub enum EngineKind {
    Docker,
    Podman,
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Docker => "docker",
            Self::Podman => "podman",
        })
    }
}

/// A reachable engine.
#[derive(Debug, Clone)]
pub struct EngineClient {
    id: String,
    endpoint: Endpoint,
    docker: Docker,
    kind: EngineKind,
    version: String,
    api_version: (u32, u32),
    /// An `ssh://` engine's SSH connection, which `endpoint` (its local socket) goes through;
    /// it lives as long as the client and its clones (one session's).
    tunnel: Option<std::sync::Arc<super::ssh::Tunnel>>,
}

/// How long an SSH connection may take to come up (within the watcher's ping timeout).
const TUNNEL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(8);

impl EngineClient {
    /// Connects: one `GET /_ping`, whose headers give the API version, the kind and the
    /// engine version (about 1 ms; Podman's `/version` takes ~700 ms, which would be paid on
    /// every reconnect). Engines too old to send `Api-Version` on ping are asked `/version`.
    pub async fn connect(id: &str, endpoint: &Endpoint) -> Result<Self, EngineError> {
        if let Endpoint::Ssh(target) = endpoint {
            return Self::connect_over_ssh(id, endpoint, target).await;
        }
        let ping = super::http::ping(endpoint).await?;
        let Some(server) = ping.api_version.as_deref().and_then(parse_api_version) else {
            return Self::connect_with_version(id, endpoint).await;
        };
        if server < MIN_API_VERSION {
            return Err(EngineError::Incompatible {
                endpoint: endpoint.clone(),
                found: format!("{}.{}", server.0, server.1),
            });
        }
        let api_version = server.min(MAX_API_VERSION);
        Ok(Self {
            id: id.to_owned(),
            endpoint: endpoint.clone(),
            docker: open(endpoint, api_version)?,
            kind: if ping.is_podman {
                EngineKind::Podman
            } else {
                EngineKind::Docker
            },
            version: ping.version.unwrap_or_default(),
            api_version,
            tunnel: None,
        })
    }

    /// Opens the engine's SSH connection and connects through its local socket. A failure
    /// there is explained by what `ssh` said (the remote socket absent); the local socket itself
    /// refusing means the SSH connection ended, which is transient.
    async fn connect_over_ssh(
        id: &str,
        endpoint: &Endpoint,
        target: &super::endpoint::SshTarget,
    ) -> Result<Self, EngineError> {
        let tunnel = super::ssh::Tunnel::open(target, endpoint, TUNNEL_TIMEOUT).await?;
        let local = tunnel.local();
        match Box::pin(Self::connect(id, &local)).await {
            Ok(mut client) => {
                client.tunnel = Some(std::sync::Arc::new(tunnel));
                Ok(client)
            }
            Err(e) => match tunnel.explain(endpoint, target).await {
                Some(better) => Err(better),
                None if e.kind() == super::error::FailureKind::NotRunning => {
                    Err(EngineError::Transient {
                        endpoint: endpoint.clone(),
                        detail: format!("the SSH connection to {} ended", target.host),
                    })
                }
                None => Err(e),
            },
        }
    }

    /// Connects through `/version`, negotiating by hand: bollard puts a version in every path and
    /// Docker refuses a path version outside `[MinAPIVersion, ApiVersion]` with a 400, so we ask
    /// at 1.41 and, when the engine says that is too old, once more at the minimum it names.
    async fn connect_with_version(id: &str, endpoint: &Endpoint) -> Result<Self, EngineError> {
        let mut asked = (1, 41);
        let mut retried = false;
        loop {
            let docker = open(endpoint, asked)?;
            match docker.version().await {
                Ok(v) => {
                    let server = v
                        .api_version
                        .as_deref()
                        .and_then(parse_api_version)
                        .ok_or_else(|| EngineError::Protocol {
                            endpoint: endpoint.clone(),
                            detail: "`/version` has no ApiVersion".to_owned(),
                        })?;
                    if server < MIN_API_VERSION {
                        return Err(EngineError::Incompatible {
                            endpoint: endpoint.clone(),
                            found: format!("{}.{}", server.0, server.1),
                        });
                    }
                    let api_version = server.min(MAX_API_VERSION);
                    let is_podman = v
                        .components
                        .iter()
                        .flatten()
                        .any(|c| c.name.to_lowercase().contains("podman"))
                        || v.platform
                            .as_ref()
                            .is_some_and(|p| p.name.to_lowercase().contains("podman"));
                    return Ok(Self {
                        id: id.to_owned(),
                        endpoint: endpoint.clone(),
                        docker: open(endpoint, api_version)?,
                        kind: if is_podman {
                            EngineKind::Podman
                        } else {
                            EngineKind::Docker
                        },
                        version: v.version.unwrap_or_default(),
                        api_version,
                        tunnel: None,
                    });
                }
                Err(err) => {
                    let classified = EngineError::from_bollard(endpoint, &err);
                    if let (
                        false,
                        bollard::errors::Error::DockerResponseServerError { message, .. },
                    ) = (retried, &err)
                    {
                        if let Some(min) = minimum_named_in(message) {
                            asked = min;
                            retried = true;
                            continue;
                        }
                    }
                    return Err(classified);
                }
            }
        }
    }

    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }
    #[must_use]
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }
    #[must_use]
    pub fn kind(&self) -> EngineKind {
        self.kind
    }
    /// The engine's own version string (e.g. `4.3.1`, `20.10.24+dfsg1`).
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }
    #[must_use]
    pub fn api_version(&self) -> String {
        format!("{}.{}", self.api_version.0, self.api_version.1)
    }
    /// The bollard handle, for the parts of the core that stream or act.
    #[must_use]
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Lists containers (`all` includes stopped ones), newest first as the engines return them.
    pub async fn list_containers(&self, all: bool) -> Result<Vec<Container>, EngineError> {
        self.list(all, None).await
    }

    /// The `limit` most recently created containers, stopped ones included. Both engines cut the
    /// list before gathering each container's details, so this costs about `limit` containers'
    /// worth, not the whole list's.
    pub async fn list_newest(&self, limit: usize) -> Result<Vec<Container>, EngineError> {
        self.list_query(&format!("all=1&limit={limit}")).await
    }

    /// The engine's current row for one container, or `None` when it no longer exists.
    pub async fn list_one(&self, id: &str) -> Result<Option<Container>, EngineError> {
        Ok(self
            .list(true, Some(id))
            .await?
            .into_iter()
            .find(|c| c.id == id))
    }

    /// The engine's own inspect document of container `id` (`GET /containers/{id}/json`), as
    /// the engine wrote it: every field it has, Podman's extras included.
    pub async fn inspect(&self, id: &str) -> Result<serde_json::Value, EngineError> {
        let path = format!(
            "/v{}/containers/{}/json",
            self.api_version(),
            super::events::percent_encode(id)
        );
        let body =
            super::http::get_body(&self.endpoint, &path, INSPECT_BODY_CAP, LIST_TIMEOUT).await?;
        serde_json::from_slice(&body).map_err(|e| EngineError::Protocol {
            endpoint: self.endpoint.clone(),
            detail: format!("inspect document is not JSON: {e}"),
        })
    }

    /// `GET /containers/json` through the capped client (see [`super::http::get_body`]):
    /// bollard would buffer a body of any size, for as long as it takes.
    async fn list(&self, all: bool, id: Option<&str>) -> Result<Vec<Container>, EngineError> {
        let mut query = format!("all={}", u8::from(all));
        if let Some(id) = id {
            let filters = serde_json::json!({ "id": [id] }).to_string();
            query.push_str("&filters=");
            query.push_str(&super::events::percent_encode(&filters));
        }
        self.list_query(&query).await
    }

    /// `GET /containers/json?{query}`, parsed into rows.
    async fn list_query(&self, query: &str) -> Result<Vec<Container>, EngineError> {
        let path = format!("/v{}/containers/json?{query}", self.api_version());
        let body =
            super::http::get_body(&self.endpoint, &path, LIST_BODY_CAP, LIST_TIMEOUT).await?;
        let summaries: Vec<bollard::models::ContainerSummary> = serde_json::from_slice(&body)
            .map_err(|e| EngineError::Protocol {
                endpoint: self.endpoint.clone(),
                detail: format!("container list is not what the engine API describes: {e}"),
            })?;
        Ok(summaries
            .into_iter()
            .filter_map(|s| Container::from_summary(&self.id, s))
            .collect())
    }
}

/// The largest container list accepted: ~2 KiB a container, so room for 30k containers; a
/// larger answer is not an engine's.
pub const LIST_BODY_CAP: usize = 64 * 1024 * 1024;

/// The largest inspect document accepted (a container with thousands of mounts and labels stays
/// far below).
pub const INSPECT_BODY_CAP: usize = 16 * 1024 * 1024;

/// Longest a whole list may take to arrive (an engine sending it byte by byte fails here).
pub const LIST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

fn open(endpoint: &Endpoint, (major, minor): (u32, u32)) -> Result<Docker, EngineError> {
    let version = ClientVersion {
        major_version: major as usize,
        minor_version: minor as usize,
    };
    let result = match endpoint {
        #[cfg(unix)]
        Endpoint::Unix(path) => {
            Docker::connect_with_unix(&path.to_string_lossy(), REQUEST_TIMEOUT_S, &version)
        }
        #[cfg(not(unix))]
        Endpoint::Unix(path) => {
            return Err(EngineError::SocketMissing {
                endpoint: endpoint.clone(),
                path: path.display().to_string(),
            })
        }
        Endpoint::Tcp(addr) => {
            Docker::connect_with_http(&format!("tcp://{addr}"), REQUEST_TIMEOUT_S, &version)
        }
        #[cfg(windows)]
        Endpoint::NamedPipe(pipe) => {
            Docker::connect_with_named_pipe(pipe, REQUEST_TIMEOUT_S, &version)
        }
        #[cfg(not(windows))]
        Endpoint::NamedPipe(_) => {
            return Err(EngineError::Unsupported {
                endpoint: endpoint.clone(),
                detail: "named pipes exist only on Windows".to_owned(),
            })
        }
        Endpoint::Ssh(_) => return Err(through_tunnel(endpoint)),
    };
    result.map_err(|e| EngineError::from_bollard(endpoint, &e))
}

/// Parses `1.41` into `(1, 41)`.
fn parse_api_version(s: &str) -> Option<(u32, u32)> {
    let (major, minor) = s.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Docker words a too-old client as "client version 1.41 is too old. Minimum supported API
/// version is 1.44, please upgrade your client to a newer version".
fn minimum_named_in(message: &str) -> Option<(u32, u32)> {
    let lower = message.to_lowercase();
    let rest = &lower[lower.find("minimum supported api version is ")? + 33..];
    let token: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    parse_api_version(token.trim_end_matches('.'))
}

/// An `ssh://` endpoint is reached through the [`super::ssh::Tunnel`] its watcher opens, never
/// directly.
pub(super) fn through_tunnel(endpoint: &Endpoint) -> EngineError {
    EngineError::Unsupported {
        endpoint: endpoint.clone(),
        detail: "an ssh:// engine is reached through its watcher's SSH connection".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_parse_and_compare() {
        assert_eq!(parse_api_version("1.41"), Some((1, 41)));
        assert!(parse_api_version("1.9").unwrap() < MIN_API_VERSION);
        assert_eq!(parse_api_version("x"), None);
    }

    #[test]
    fn the_minimum_is_read_from_a_too_old_answer() {
        let msg = "client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version";
        assert_eq!(minimum_named_in(msg), Some((1, 44)));
        assert_eq!(minimum_named_in("no such thing"), None);
    }
}
