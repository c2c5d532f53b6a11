//! The engine objects beside containers: images, volumes, networks and (Podman) pods.
//!
//! They are kept like containers (see `registry::objects`): listed in the same session as the
//! container list, then followed from the same events stream. What an object shows is built from
//! the engine's own documents (`parse`), fetched by `fetch`: the events of these kinds carry a
//! name or an id and little else (no size, no tags after a `tag`), so each event refreshes that
//! one object instead of guessing it from the event.
//!
//! Who uses an object (the containers of an image, a volume, a network) is not kept in the
//! object: it changes with every container created or removed, which sends no image, volume or
//! network event. It is derived when an object is read (`users::fill`), from the container rows,
//! which carry their image id, volumes and networks.

pub mod actions;
pub mod fetch;
pub mod parse;
pub mod pods;
pub mod users;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::container::cap_field;
pub use crate::container::image_id;

/// The kinds of object, as the engines' events name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "ObjectKind.ts", rename = "ObjectKind")]
pub enum Kind {
    Image,
    Volume,
    Network,
    Pod,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Image, Kind::Volume, Kind::Network, Kind::Pod];

    /// The event `Type` of this kind.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Volume => "volume",
            Kind::Network => "network",
            Kind::Pod => "pod",
        }
    }

    /// The kind of an event type, if it is one of these.
    #[must_use]
    pub fn from_event_type(typ: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == typ)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An image as Skiff shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "Image.ts")]
pub struct Image {
    /// The engine's full image id, `sha256:…` (Podman's bare hex gets the prefix too).
    pub id: String,
    pub engine: String,
    /// `repo:tag` names; empty for a dangling image.
    pub tags: Vec<String>,
    #[ts(type = "number")]
    pub size_bytes: u64,
    /// Seconds since the Unix epoch.
    #[ts(type = "number")]
    pub created: i64,
    /// Names of the containers made from it (derived when read, see the module doc).
    pub containers: Vec<String>,
}

/// A volume; its id is its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "Volume.ts")]
pub struct Volume {
    pub id: String,
    pub engine: String,
    pub driver: String,
    pub mountpoint: String,
    /// RFC 3339, as the engine says it.
    pub created: Option<String>,
    /// Only where the engine reports it (Docker's disk use); `None` otherwise.
    #[ts(type = "number | null")]
    pub size_bytes: Option<u64>,
    /// Names of the containers that mount it.
    pub containers: Vec<String>,
}

/// A network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "Network.ts")]
pub struct Network {
    pub id: String,
    pub name: String,
    pub engine: String,
    pub driver: String,
    /// The first subnet of its IP address management, if any.
    pub subnet: Option<String>,
    /// Names of the containers attached to it.
    pub containers: Vec<String>,
}

/// A Podman pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "Pod.ts")]
pub struct Pod {
    pub id: String,
    pub name: String,
    pub engine: String,
    /// Podman's status: `Created`, `Running`, `Degraded`, `Exited`, `Paused`…
    pub status: String,
    pub created: Option<String>,
    /// Names of its containers (the infra container included), as Podman lists them.
    pub containers: Vec<String>,
}

/// One object of any kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(untagged)]
#[ts(export_to = "EngineObject.ts", rename = "EngineObject")]
pub enum Object {
    Image(Image),
    Volume(Volume),
    Network(Network),
    Pod(Pod),
}

/// What a watcher sends about objects.
#[derive(Debug, Clone)]
pub enum ObjectItem {
    Init,
    Apply(Box<Object>),
    Done,
    /// The engine's answer after an event of `kind` naming `id`: the object now, or `None` when
    /// the engine has no such object any more.
    Refreshed {
        kind: Kind,
        id: String,
        object: Option<Box<Object>>,
    },
}

/// Whether an event of `kind` with `action` can change what the object shows.
#[must_use]
pub fn needs_refresh(kind: Kind, action: &str) -> bool {
    !matches!(
        (kind, action),
        (Kind::Volume, "mount" | "unmount") | (Kind::Network, "connect" | "disconnect")
    )
}

/// Names kept per object (tags, users): an image with 10k tags is not an engine's.
const NAMES_CAP: usize = 256;

impl Object {
    #[must_use]
    pub fn kind(&self) -> Kind {
        match self {
            Object::Image(_) => Kind::Image,
            Object::Volume(_) => Kind::Volume,
            Object::Network(_) => Kind::Network,
            Object::Pod(_) => Kind::Pod,
        }
    }

    #[must_use]
    pub fn id(&self) -> &str {
        match self {
            Object::Image(o) => &o.id,
            Object::Volume(o) => &o.id,
            Object::Network(o) => &o.id,
            Object::Pod(o) => &o.id,
        }
    }

    /// The name a user knows it by: the first tag (or the short id) of an image, the name of the
    /// others.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Object::Image(o) => o.tags.first().map_or_else(
                || {
                    let hex = o.id.trim_start_matches("sha256:");
                    &hex[..hex.len().min(12)]
                },
                String::as_str,
            ),
            Object::Volume(o) => &o.id,
            Object::Network(o) => &o.name,
            Object::Pod(o) => &o.name,
        }
    }

    #[must_use]
    pub fn engine(&self) -> &str {
        match self {
            Object::Image(o) => &o.engine,
            Object::Volume(o) => &o.engine,
            Object::Network(o) => &o.engine,
            Object::Pod(o) => &o.engine,
        }
    }

    /// Its users (containers), to be filled when read.
    pub fn containers_mut(&mut self) -> &mut Vec<String> {
        match self {
            Object::Image(o) => &mut o.containers,
            Object::Volume(o) => &mut o.containers,
            Object::Network(o) => &mut o.containers,
            Object::Pod(o) => &mut o.containers,
        }
    }

    /// This object with every text field within `FIELD_CAP` and every name list within
    /// [`NAMES_CAP`], like a container row (see `registry`'s bounds).
    #[must_use]
    pub fn bounded(mut self) -> Self {
        let cap_all = |v: &mut Vec<String>| {
            v.truncate(NAMES_CAP);
            v.iter_mut().for_each(cap_field);
        };
        match &mut self {
            Object::Image(o) => {
                [&mut o.id, &mut o.engine].into_iter().for_each(cap_field);
                cap_all(&mut o.tags);
                cap_all(&mut o.containers);
            }
            Object::Volume(o) => {
                [&mut o.id, &mut o.engine, &mut o.driver, &mut o.mountpoint]
                    .into_iter()
                    .for_each(cap_field);
                o.created.iter_mut().for_each(cap_field);
                cap_all(&mut o.containers);
            }
            Object::Network(o) => {
                [&mut o.id, &mut o.name, &mut o.engine, &mut o.driver]
                    .into_iter()
                    .for_each(cap_field);
                o.subnet.iter_mut().for_each(cap_field);
                cap_all(&mut o.containers);
            }
            Object::Pod(o) => {
                [&mut o.id, &mut o.name, &mut o.engine, &mut o.status]
                    .into_iter()
                    .for_each(cap_field);
                o.created.iter_mut().for_each(cap_field);
                cap_all(&mut o.containers);
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_hex_image_ids_get_the_prefix_and_names_do_not() {
        let hex = "a".repeat(64);
        assert_eq!(image_id(&hex), format!("sha256:{hex}"));
        assert_eq!(image_id(&format!("sha256:{hex}")), format!("sha256:{hex}"));
        assert_eq!(image_id("busybox:latest"), "busybox:latest");
        assert_eq!(image_id(&"g".repeat(64)), "g".repeat(64));
    }

    #[test]
    fn a_hostile_object_is_bounded() {
        let o = Object::Image(Image {
            id: "x".repeat(5000),
            engine: "docker".into(),
            tags: vec!["t".repeat(3000); 1000],
            size_bytes: 1,
            created: 0,
            containers: Vec::new(),
        })
        .bounded();
        let Object::Image(i) = o else { unreachable!() };
        assert!(i.id.len() <= crate::container::FIELD_CAP);
        assert_eq!(i.tags.len(), NAMES_CAP);
        assert!(i
            .tags
            .iter()
            .all(|t| t.len() <= crate::container::FIELD_CAP));
    }

    #[test]
    fn kinds_round_trip_through_their_event_type() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_event_type(k.as_str()), Some(k));
        }
        assert_eq!(Kind::from_event_type("container"), None);
    }
}
