//! A consistent picture of every store, taken under the hub's lock.

use std::collections::BTreeMap;

use super::hub::{Registry, Snapshot, State};
use crate::container::Container;
use crate::objects::Object;
use crate::watcher::EngineStatus;

/// A snapshot that borrows the containers from the stores instead of copying them, for a
/// caller that only serializes them ([`Registry::with_snapshot`]). 10k containers are ~150k
/// small allocations to copy and as many to free: most of what taking a [`Snapshot`] costs.
#[derive(Debug)]
pub struct SnapshotRef<'a> {
    pub engines: Vec<&'a EngineStatus>,
    /// By engine, then name.
    pub containers: Vec<&'a Container>,
    pub revs: BTreeMap<String, u64>,
    /// Copies: their users are filled in from the containers.
    pub objects: Vec<Object>,
    pub object_revs: BTreeMap<String, u64>,
}

/// What a snapshot was taken of, as far as telling whether it still holds: each store's and
/// object store's rev (every change of a row or an object takes its store's rev one further)
/// and each engine's status, which has no rev. Two snapshots with equal stamps are equal; a
/// snapshot written ahead of its request is sent only while the registry's stamp still equals
/// its own (`crate::ipc::wire::PreparedSnapshot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotStamp {
    revs: BTreeMap<String, u64>,
    object_revs: BTreeMap<String, u64>,
    engines: Vec<EngineStatus>,
}

impl SnapshotStamp {
    fn of(state: &State) -> Self {
        Self {
            revs: revs(state),
            object_revs: object_revs(state),
            engines: state.statuses.values().cloned().collect(),
        }
    }
}

/// Each engine's rev in `stores`: its containers' store or its objects' store.
fn revs_of<S>(stores: &BTreeMap<String, S>, rev: impl Fn(&S) -> u64) -> BTreeMap<String, u64> {
    stores.iter().map(|(k, s)| (k.clone(), rev(s))).collect()
}

fn revs(state: &State) -> BTreeMap<String, u64> {
    revs_of(&state.stores, super::store::EngineStore::rev)
}

fn object_revs(state: &State) -> BTreeMap<String, u64> {
    revs_of(&state.objects, super::objects::ObjectStore::rev)
}

impl<'a> SnapshotRef<'a> {
    /// What this snapshot was taken of.
    #[must_use]
    pub fn stamp(&self) -> SnapshotStamp {
        SnapshotStamp {
            revs: self.revs.clone(),
            object_revs: self.object_revs.clone(),
            engines: self.engines.iter().map(|&e| e.clone()).collect(),
        }
    }

    fn of(state: &'a State) -> Self {
        // The stores come in engine order (a `BTreeMap`): each store's rows are sorted by name
        // on their own and appended. Sorting all rows by (engine, name) compared two engine
        // names, each in a row of its own, in every one of 10k rows' ~130k comparisons: 3.5 ms
        // of a 10k-row snapshot taken under the lock, ~1 ms this way. The id orders rows of
        // one name (none in an engine that keeps names unique): the order is total, so an
        // unstable sort gives the same picture every time.
        let mut containers: Vec<&Container> = Vec::with_capacity(
            state
                .stores
                .values()
                .map(super::store::EngineStore::len)
                .sum(),
        );
        for store in state.stores.values() {
            let start = containers.len();
            containers.extend(store.containers());
            containers[start..].sort_unstable_by(|a, b| {
                (a.name.as_str(), a.id.as_str()).cmp(&(b.name.as_str(), b.id.as_str()))
            });
        }
        let mut objects: Vec<Object> = state
            .objects
            .values()
            .flat_map(|s| s.objects().cloned())
            .collect();
        objects.sort_by(|a, b| {
            (a.engine(), a.kind(), a.name()).cmp(&(b.engine(), b.kind(), b.name()))
        });
        crate::objects::users::fill(&mut objects, containers.iter().copied());
        Self {
            engines: state.statuses.values().collect(),
            containers,
            revs: revs(state),
            objects,
            object_revs: object_revs(state),
        }
    }

    fn owned(&self) -> Snapshot {
        Snapshot {
            engines: self.engines.iter().map(|&e| e.clone()).collect(),
            containers: self.containers.iter().map(|&c| c.clone()).collect(),
            revs: self.revs.clone(),
            objects: self.objects.clone(),
            object_revs: self.object_revs.clone(),
        }
    }
}

pub(super) fn snapshot_of(state: &State) -> Snapshot {
    SnapshotRef::of(state).owned()
}

impl Registry {
    /// Runs `f` on a snapshot borrowed under the hub's lock, which is held meanwhile: `f` should
    /// only read it (serialize it), never wait. The same picture as [`Registry::snapshot`].
    pub fn with_snapshot<R>(&self, f: impl FnOnce(&SnapshotRef<'_>) -> R) -> R {
        let state = self.lock();
        f(&SnapshotRef::of(&state))
    }

    /// The stamp a snapshot taken now would have, without its rows: a few engines' revs and
    /// statuses, copied under the lock.
    #[must_use]
    pub fn stamp(&self) -> SnapshotStamp {
        SnapshotStamp::of(&self.lock())
    }
}
