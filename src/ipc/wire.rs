//! The snapshot as the window receives it: the same content as a [`Snapshot`], in less than
//! half its JSON.
//!
//! The window takes a snapshot at start, after a reload and after a gap. As JSON objects, 10k
//! rows were 3.4 MB: every row repeated its 15 field names, its engine, and texts most rows
//! share (an image, a state, a status line, a project). Getting that into the page cost
//! ~65 ms of IPC and JSON parsing, against ~13 ms for the registry to copy and serialize it. Here
//! a row is an array in a fixed column order, and the texts rows share are written once in
//! `texts` and referred to by index. The UI's IPC layer turns it back into `Container`s
//! (`ui/src/lib/ipc/wire.ts`); nothing past it sees this form.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use ts_rs::TS;

use crate::container::{Container, PodInfo};
use crate::objects::Object;
use crate::registry::Snapshot;
use crate::watcher::EngineStatus;

/// A [`Snapshot`] with its containers as [`WireRow`]s.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "WireSnapshot.ts")]
pub struct WireSnapshot {
    pub engines: Vec<EngineStatus>,
    /// The texts rows share, each once; a row refers to them by index.
    pub texts: Vec<String>,
    /// The containers, in the snapshot's order.
    pub rows: Vec<WireRow>,
    pub revs: BTreeMap<String, u64>,
    pub objects: Vec<Object>,
    pub object_revs: BTreeMap<String, u64>,
}

/// One container: `[id, name, engine, image, image_id, state, status, created, ports, pod,
/// project, pending, volumes, networks, kube]`, where engine, image, image_id, state, status,
/// pod and project are indices into [`WireSnapshot::texts`] (pod and project `null` when absent).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "WireRow.ts")]
pub struct WireRow(
    String,
    String,
    u32,
    u32,
    u32,
    u32,
    u32,
    i64,
    Vec<String>,
    Option<u32>,
    Option<u32>,
    bool,
    Vec<String>,
    Vec<String>,
    Option<Box<PodInfo>>,
);

/// Texts written once each, in the order first seen.
#[derive(Default)]
struct Texts {
    index: HashMap<String, u32>,
    list: Vec<String>,
}

impl Texts {
    fn of(&mut self, text: String) -> u32 {
        if let Some(&i) = self.index.get(&text) {
            return i;
        }
        // More distinct texts than u32 can count cannot be held in memory: saturate.
        let i = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.list.push(text.clone());
        self.index.insert(text, i);
        i
    }
}

impl From<Snapshot> for WireSnapshot {
    fn from(snapshot: Snapshot) -> Self {
        let mut texts = Texts::default();
        let rows = snapshot
            .containers
            .into_iter()
            .map(|c: Container| {
                WireRow(
                    c.id,
                    c.name,
                    texts.of(c.engine),
                    texts.of(c.image),
                    texts.of(c.image_id),
                    texts.of(c.state),
                    texts.of(c.status),
                    c.created,
                    c.ports,
                    c.pod.map(|p| texts.of(p)),
                    c.project.map(|p| texts.of(p)),
                    c.pending,
                    c.volumes,
                    c.networks,
                    c.kube,
                )
            })
            .collect();
        Self {
            engines: snapshot.engines,
            texts: texts.list,
            rows,
            revs: snapshot.revs,
            objects: snapshot.objects,
            object_revs: snapshot.object_revs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(engine: &str, id: &str, image: &str, project: Option<&str>) -> Container {
        Container {
            image: image.into(),
            status: "Up 1 hour".into(),
            project: project.map(Into::into),
            ports: vec!["0.0.0.0:8080->80/tcp".into()],
            ..Container::new(engine, id, &format!("name-{id}"), "running")
        }
    }

    #[test]
    fn shared_texts_are_written_once_and_every_field_is_kept() {
        let containers = vec![
            row("podman", "a", "busybox", Some("web")),
            row("podman", "b", "busybox", None),
            row("docker", "c", "nginx", Some("web")),
        ];
        let snapshot = Snapshot {
            engines: Vec::new(),
            containers: containers.clone(),
            revs: BTreeMap::from([("podman".into(), 7)]),
            objects: Vec::new(),
            object_revs: BTreeMap::new(),
        };
        let wire = WireSnapshot::from(snapshot);
        let json = serde_json::to_value(&wire).unwrap();
        // Each shared text once: engines, images, the empty image id, state, status, project.
        let texts: Vec<&str> = wire.texts.iter().map(String::as_str).collect();
        assert_eq!(
            texts,
            [
                "podman",
                "busybox",
                "",
                "running",
                "Up 1 hour",
                "web",
                "docker",
                "nginx"
            ]
        );
        assert_eq!(
            json["rows"][0],
            serde_json::json!([
                "a",
                "name-a",
                0,
                1,
                2,
                3,
                4,
                containers[0].created,
                ["0.0.0.0:8080->80/tcp"],
                null,
                5,
                false,
                [],
                [],
                null
            ])
        );
        assert_eq!(json["rows"][1][10], serde_json::Value::Null);
        assert_eq!(json["rows"][2][2], 6);
        assert_eq!(json["revs"]["podman"], 7);
    }

    #[test]
    fn ten_thousand_rows_take_less_than_half_the_json_of_objects() {
        // As the benchmark's synthetic engine: a port published on every 7th.
        let containers: Vec<Container> = (0..10_000)
            .map(|i| Container {
                ports: if i % 7 == 0 {
                    vec!["0.0.0.0:8080->80/tcp".into()]
                } else {
                    Vec::new()
                },
                ..row(
                    "synthetic",
                    &format!("{i:064x}"),
                    &format!("registry.example/app-{}:latest", i % 50),
                    Some(&format!("project-{:03}", i / 20)),
                )
            })
            .collect();
        let snapshot = Snapshot {
            engines: Vec::new(),
            containers,
            revs: BTreeMap::new(),
            objects: Vec::new(),
            object_revs: BTreeMap::new(),
        };
        let objects = serde_json::to_vec(&snapshot).unwrap().len();
        let wire = serde_json::to_vec(&WireSnapshot::from(snapshot))
            .unwrap()
            .len();
        assert!(wire * 2 < objects, "{wire} bytes against {objects}");
    }
}
