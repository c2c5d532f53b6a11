//! The container summary: one row of the list, whichever engine it comes from.
//!
//! It is built from the engine's own list payload (`GET /containers/json`), not from `inspect`, so
//! a full list costs one request per engine. Fields the UI groups by (pod, compose project) come
//! from labels both engines set.

use std::collections::HashMap;

use bollard::models::ContainerSummary as EngineSummary;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Label Docker Compose (and podman-compose) put on every container of a project.
const COMPOSE_PROJECT_LABEL: &str = "com.docker.compose.project";

/// A container as Skiff shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "Container.ts")]
pub struct Container {
    /// Full engine id (64 hex characters).
    pub id: String,
    /// Name without the leading slash Docker puts on it.
    pub name: String,
    pub image: String,
    /// The image's full id (`sha256:…`), from the list; empty for a row built from an event until
    /// the container is listed.
    #[serde(default)]
    pub image_id: String,
    /// Names of the named volumes it mounts (from the list).
    #[serde(default)]
    pub volumes: Vec<String>,
    /// Names of the networks it is attached to (from the list).
    #[serde(default)]
    pub networks: Vec<String>,
    /// The engine's lowercase state: created, running, paused, restarting, exited, removing, dead.
    pub state: String,
    /// Human status as the engine words it ("Up 3 seconds", "Exited (0) 2 minutes ago").
    pub status: String,
    /// Id of the engine the container lives in (e.g. `podman`, `docker`).
    pub engine: String,
    /// Creation time, seconds since the Unix epoch.
    pub created: i64,
    /// Published ports, formatted `host_ip:public->private/proto` or `private/proto`.
    pub ports: Vec<String>,
    /// Pod name (Podman) when the container belongs to one.
    pub pod: Option<String>,
    /// Compose project when the container was created by compose.
    pub project: Option<String>,
    /// True while an action Skiff sent is waiting for the engine's confirming event.
    pub pending: bool,
    /// Kubernetes pods only: namespace, phase, node, owner, container statuses.
    pub kube: Option<Box<PodInfo>>,
}

/// What a pod row carries beyond a container row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "PodInfo.ts")]
pub struct PodInfo {
    pub namespace: String,
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`, as the API says it.
    pub phase: String,
    pub node: Option<String>,
    /// The controller, as `Kind/name`: `Deployment/web` (resolved from its ReplicaSet),
    /// `StatefulSet/db`, `Job/backup`…; `None` for a bare pod.
    pub owner: Option<String>,
    /// Restarts of all its containers.
    pub restarts: u32,
    /// Ready containers over all containers.
    pub ready: String,
    pub containers: Vec<PodContainer>,
}

/// One container of a pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "PodContainer.ts")]
pub struct PodContainer {
    pub name: String,
    pub image: String,
    /// `waiting`, `running` or `terminated` (`waiting` until the kubelet reports).
    pub state: String,
    /// Why it waits or ended (`ContainerCreating`, `CrashLoopBackOff`, `Completed`, `OOMKilled`…).
    pub reason: Option<String>,
    pub exit_code: Option<i32>,
    pub restarts: u32,
    pub ready: bool,
}

/// The longest text a row keeps in any one field (a name, an image, a status, a label), in
/// bytes. Engines put no limit on names or labels; without this, a 1 MiB name would be copied
/// into every delta, every fan-out slot and every history record that mentions it.
pub const FIELD_CAP: usize = 1024;

/// Cuts `s` to at most [`FIELD_CAP`] bytes (at a character boundary), marking the cut with `…`.
pub fn cap_field(s: &mut String) {
    cap_text(s, FIELD_CAP);
}

/// Cuts `s` to at most `max` bytes (at a character boundary), marking the cut with `…`.
pub fn cap_text(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push('…');
}

/// An image id as Skiff keeps it: `sha256:` and the hex digest (Podman's events and lists give
/// the bare hex).
#[must_use]
pub fn image_id(id: &str) -> String {
    if id.contains(':') || id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        id.to_owned()
    } else {
        format!("sha256:{id}")
    }
}

/// Port mappings kept per row.
const PORTS_CAP: usize = 64;

impl Container {
    /// A row of `engine` with `id`, `name` and `state`, and nothing else yet (no image, no
    /// ports, no labels): the base of every row Skiff builds itself (the demo engine,
    /// benchmarks, tests), which set the rest on top with struct update syntax.
    #[must_use]
    pub fn new(engine: &str, id: &str, name: &str, state: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            image: String::new(),
            image_id: String::new(),
            volumes: Vec::new(),
            networks: Vec::new(),
            state: state.to_owned(),
            status: String::new(),
            engine: engine.to_owned(),
            created: 0,
            ports: Vec::new(),
            pod: None,
            project: None,
            pending: false,
            kube: None,
        }
    }

    /// This row with every text field within [`FIELD_CAP`] (see there). The id is an engine's
    /// 64 hex digits or a pod's uid; anything longer is cut the same way.
    #[must_use]
    pub fn bounded(mut self) -> Self {
        for field in [
            &mut self.id,
            &mut self.name,
            &mut self.image,
            &mut self.state,
            &mut self.status,
            &mut self.engine,
        ] {
            cap_field(field);
        }
        for field in [&mut self.pod, &mut self.project].into_iter().flatten() {
            cap_field(field);
        }
        cap_field(&mut self.image_id);
        for list in [&mut self.ports, &mut self.volumes, &mut self.networks] {
            list.truncate(PORTS_CAP);
            list.iter_mut().for_each(cap_field);
        }
        self
    }

    /// Builds a row from the engine's list payload.
    ///
    /// Returns `None` when the payload has no id: such an entry cannot be tracked, and inventing an
    /// id would create a phantom row that never goes away.
    #[must_use]
    pub fn from_summary(engine: &str, summary: EngineSummary) -> Option<Self> {
        let id = summary.id?;
        let name = summary
            .names
            .as_ref()
            .and_then(|names| names.first())
            .map_or_else(
                || short_id(&id).to_owned(),
                |n| n.trim_start_matches('/').to_owned(),
            );
        let labels: HashMap<String, String> = summary.labels.unwrap_or_default();
        let state = summary
            .state
            .map(|s| s.to_string().to_lowercase())
            .unwrap_or_default();
        let ports = summary
            .ports
            .unwrap_or_default()
            .iter()
            .map(|p| {
                let proto = p.typ.map_or_else(|| "tcp".to_owned(), |t| t.to_string());
                match p.public_port {
                    Some(public) => format!(
                        "{}:{public}->{}/{proto}",
                        p.ip.as_deref().unwrap_or("0.0.0.0"),
                        p.private_port
                    ),
                    None => format!("{}/{proto}", p.private_port),
                }
            })
            .collect();
        let volumes = summary
            .mounts
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.typ.as_deref() == Some("volume"))
            .filter_map(|m| m.name)
            .collect();
        let mut networks: Vec<String> = summary
            .network_settings
            .and_then(|n| n.networks)
            .map(|n| n.into_keys().collect())
            .unwrap_or_default();
        networks.sort();
        Some(Self {
            name,
            image: summary.image.unwrap_or_default(),
            image_id: summary.image_id.map(|i| image_id(&i)).unwrap_or_default(),
            volumes,
            networks,
            state,
            status: summary.status.unwrap_or_default(),
            engine: engine.to_owned(),
            created: summary.created.unwrap_or_default(),
            ports,
            pod: labels
                .get("io.podman.pod.name")
                .cloned()
                .filter(|p| !p.is_empty()),
            project: labels.get(COMPOSE_PROJECT_LABEL).cloned(),
            pending: false,
            kube: None,
            id,
        })
    }

    /// The address of a port this container publishes on the host, `http://localhost:PORT`;
    /// `None` for a port it does not publish (a window cannot make Skiff open any URL).
    #[must_use]
    pub fn published_url(&self, port: u16) -> Option<String> {
        let published = self.ports.iter().any(|p| {
            p.split_once("->")
                .and_then(|(host, _)| host.rsplit(':').next())
                .and_then(|n| n.parse::<u16>().ok())
                == Some(port)
        });
        published.then(|| format!("http://localhost:{port}"))
    }

    /// The 12-character id engines print in their own `ps`.
    #[must_use]
    pub fn short_id(&self) -> &str {
        short_id(&self.id)
    }
}

fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::ContainerSummaryStateEnum;

    #[test]
    fn name_loses_the_leading_slash_and_state_is_lowercase() {
        let summary = EngineSummary {
            id: Some("0123456789abcdef".into()),
            names: Some(vec!["/web".into()]),
            image: Some("busybox".into()),
            state: Some(ContainerSummaryStateEnum::RUNNING),
            status: Some("Up 3 seconds".into()),
            ..Default::default()
        };
        let c = Container::from_summary("docker", summary).unwrap();
        assert_eq!(c.name, "web");
        assert_eq!(c.state, "running");
        assert_eq!(c.engine, "docker");
        assert_eq!(c.short_id(), "0123456789ab");
    }

    #[test]
    fn only_a_published_port_has_a_url() {
        let c = Container {
            ports: vec![
                "0.0.0.0:8080->80/tcp".into(),
                "[::]:8443->443/tcp".into(),
                "9000/tcp".into(),
            ],
            ..Container::new("docker", "a", "web", "running")
        };
        assert_eq!(
            c.published_url(8080).as_deref(),
            Some("http://localhost:8080")
        );
        assert_eq!(
            c.published_url(8443).as_deref(),
            Some("http://localhost:8443")
        );
        assert_eq!(c.published_url(9000), None, "exposed, not published");
        assert_eq!(c.published_url(80), None, "the container's side");
    }

    #[test]
    fn a_summary_without_id_is_refused_not_invented() {
        assert!(Container::from_summary("docker", EngineSummary::default()).is_none());
    }

    #[test]
    fn compose_and_pod_labels_become_groups() {
        let labels = HashMap::from([
            (COMPOSE_PROJECT_LABEL.to_owned(), "shop".to_owned()),
            ("io.podman.pod.name".to_owned(), "pod1".to_owned()),
        ]);
        let summary = EngineSummary {
            id: Some("abc".into()),
            labels: Some(labels),
            ..Default::default()
        };
        let c = Container::from_summary("podman", summary).unwrap();
        assert_eq!(c.project.as_deref(), Some("shop"));
        assert_eq!(c.pod.as_deref(), Some("pod1"));
        assert_eq!(c.name, "abc");
    }
}
