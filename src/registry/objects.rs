//! One engine's images, volumes, networks and pods, kept like its containers (`store`): `Init`
//! starts a fresh set, `Apply` fills it, `Done` swaps it in and describes the swap as deltas;
//! between relists, each event of these kinds refreshes the one object it names (see
//! `objects`), and the refresh is applied here as an upsert or a remove. O(1) per refresh;
//! the swap is O(objects) once per (re)connection.
//!
//! What the engines send, as observed on Docker 20.10 and Podman 4.3 (`tests/objects.rs`
//! records each one):
//! - image: Docker `pull` (id: the reference pulled), `tag`, `untag`, `delete` (id: `sha256:…`),
//!   `import`, `load`, `save`, `push`; Podman `pull`, `tag`, `untag`, `remove` (id: bare hex,
//!   `name` attribute), `save`, `loadfromarchive`, `build`. Both: removing an image in use
//!   sends nothing, a prune sends one `delete`/`remove` per image.
//! - volume: Docker `create`, `destroy`, and `mount`/`unmount` on every start and stop of a
//!   container using it; Podman `create`, `remove`, `prune`.
//! - network: Docker `create`, `destroy`, `connect`, `disconnect`; Podman `create`, `remove`.
//! - pod (Podman only): `create`, `start`, `stop`, `kill`, `pause`, `unpause`, `remove`.
//!
//! Events that change nothing an object shows (Docker's volume `mount`/`unmount`, network
//! `connect`/`disconnect`: users are derived from the containers) cause no refresh
//! ([`needs_refresh`](crate::objects::needs_refresh)).
//!
//! `rev` is the objects' own, separate from the containers': a subscriber checks each sequence
//! for gaps on its own.

use std::collections::HashMap;

use serde::Serialize;
use ts_rs::TS;

use super::store::EngineStore;
use crate::objects::{image_id, Kind, Object, ObjectItem};

/// One change of one engine's objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "ObjectDelta.ts")]
pub struct ObjectDelta {
    pub engine: String,
    #[ts(type = "number")]
    pub rev: u64,
    #[serde(flatten)]
    pub change: ObjectChange,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "op", rename_all = "snake_case")]
#[ts(export_to = "ObjectChange.ts")]
pub enum ObjectChange {
    Upsert {
        kind: Kind,
        object: Box<Object>,
    },
    Remove {
        kind: Kind,
        id: String,
    },
    ResyncStart {
        #[ts(type = "number")]
        objects: u64,
    },
    ResyncDone {
        #[ts(type = "number")]
        objects: u64,
    },
}

type Key = (Kind, String);

/// The objects of one engine.
#[derive(Debug)]
pub struct ObjectStore {
    engine: String,
    objects: HashMap<Key, Object>,
    incoming: Option<HashMap<Key, Object>>,
    rev: u64,
}

impl ObjectStore {
    #[must_use]
    pub fn new(engine: &str) -> Self {
        Self {
            engine: engine.to_owned(),
            objects: HashMap::new(),
            incoming: None,
            rev: 0,
        }
    }

    #[must_use]
    pub fn rev(&self) -> u64 {
        self.rev
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.objects.values()
    }

    fn delta(&mut self, change: ObjectChange) -> ObjectDelta {
        self.rev += 1;
        ObjectDelta {
            engine: self.engine.clone(),
            rev: self.rev,
            change,
        }
    }

    /// Applies one watcher item; the deltas it caused go to `out`.
    pub fn apply(&mut self, item: ObjectItem, out: &mut Vec<ObjectDelta>) {
        match item {
            ObjectItem::Init => self.incoming = Some(HashMap::with_capacity(self.objects.len())),
            ObjectItem::Apply(object) => {
                let object = object.bounded();
                self.incoming
                    .get_or_insert_with(HashMap::new)
                    .insert((object.kind(), object.id().to_owned()), object);
            }
            ObjectItem::Done => self.swap(out),
            ObjectItem::Refreshed { kind, id, object } => {
                out.extend(self.refreshed(kind, &id, object));
            }
        }
    }

    /// [`ObjectStore::apply`], with each upserted object's users filled in from `containers`:
    /// O(objects + containers) per item that causes deltas (an object event, which is rare, or a
    /// relist's swap), nothing for a container event.
    pub fn apply_with_users(
        &mut self,
        item: ObjectItem,
        containers: &EngineStore,
    ) -> Vec<ObjectDelta> {
        let mut changes = Vec::new();
        self.apply(item, &mut changes);
        // One pass over the containers for all the upserts (a relist's are many).
        let upserted = changes.iter_mut().filter_map(|d| match &mut d.change {
            ObjectChange::Upsert { object, .. } => Some(&mut **object),
            _ => None,
        });
        crate::objects::users::fill(upserted, containers.containers());
        changes
    }

    fn swap(&mut self, out: &mut Vec<ObjectDelta>) {
        let fresh = self.incoming.take().unwrap_or_default();
        let old = std::mem::replace(&mut self.objects, fresh);
        let n = self.objects.len() as u64;
        let start = self.delta(ObjectChange::ResyncStart { objects: n });
        out.push(start);
        let mut listed: Vec<Object> = self.objects.values().cloned().collect();
        listed.sort_by(|a, b| (a.kind(), a.id()).cmp(&(b.kind(), b.id())));
        for object in listed {
            let d = self.delta(ObjectChange::Upsert {
                kind: object.kind(),
                object: Box::new(object),
            });
            out.push(d);
        }
        let mut vanished: Vec<Key> = old
            .into_keys()
            .filter(|k| !self.objects.contains_key(k))
            .collect();
        vanished.sort();
        for (kind, id) in vanished {
            let d = self.delta(ObjectChange::Remove { kind, id });
            out.push(d);
        }
        let done = self.delta(ObjectChange::ResyncDone { objects: n });
        out.push(done);
    }

    fn refreshed(
        &mut self,
        kind: Kind,
        id: &str,
        object: Option<Box<Object>>,
    ) -> Option<ObjectDelta> {
        let Some(object) = object else {
            return self.removed(kind, id);
        };
        let object = object.bounded();
        let key = (object.kind(), object.id().to_owned());
        if self.objects.get(&key) == Some(&object) {
            return None;
        }
        self.objects.insert(key, object.clone());
        Some(self.delta(ObjectChange::Upsert {
            kind: object.kind(),
            object: Box::new(object),
        }))
    }

    /// The engine has no object `id` of `kind` (any more).
    fn removed(&mut self, kind: Kind, id: &str) -> Option<ObjectDelta> {
        let id = match kind {
            Kind::Image => image_id(id),
            _ => id.to_owned(),
        };
        // A network or pod event may name it rather than give its id.
        let key = if self.objects.contains_key(&(kind, id.clone())) {
            (kind, id)
        } else {
            self.objects
                .iter()
                .find(|(k, o)| k.0 == kind && o.name() == id)
                .map(|(k, _)| k.clone())?
        };
        self.objects.remove(&key);
        Some(self.delta(ObjectChange::Remove { kind, id: key.1 }))
    }
}

#[cfg(test)]
mod tests;
