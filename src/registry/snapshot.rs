//! A consistent picture of every store, taken under the hub's lock.

use super::hub::{Snapshot, State};
use crate::container::Container;
use crate::objects::Object;

pub(super) fn snapshot_of(state: &State) -> Snapshot {
    let mut containers: Vec<Container> = state
        .stores
        .values()
        .flat_map(|s| s.containers().cloned())
        .collect();
    containers.sort_by(|a, b| {
        (a.engine.as_str(), a.name.as_str()).cmp(&(b.engine.as_str(), b.name.as_str()))
    });
    let mut objects: Vec<Object> = state
        .objects
        .values()
        .flat_map(|s| s.objects().cloned())
        .collect();
    objects.sort_by(|a, b| (a.engine(), a.kind(), a.name()).cmp(&(b.engine(), b.kind(), b.name())));
    crate::objects::users::fill(&mut objects, &containers);
    Snapshot {
        engines: state.statuses.values().cloned().collect(),
        containers,
        revs: state
            .stores
            .iter()
            .map(|(k, s)| (k.clone(), s.rev()))
            .collect(),
        objects,
        object_revs: state
            .objects
            .iter()
            .map(|(k, s)| (k.clone(), s.rev()))
            .collect(),
    }
}
