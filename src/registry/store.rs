//! One engine's container set, kept from the watcher's stream.
//!
//! Like kube-runtime's reflector store: `Init` starts a fresh set, `InitApply` fills it,
//! `InitDone` swaps it in atomically (which is how containers that vanished while disconnected
//! are dropped), and `Event`s are applied one by one as they arrive. Every operation is O(1) in
//! the number of containers except the swap, which is O(containers) once per (re)connection.
//!
//! Engine event semantics, as observed on Docker 20.10 and Podman 4.3:
//! - Docker sends `destroy` where Podman sends `remove`; Docker `die`, Podman `died` in filters
//!   but `die` in the stream; both `start`, `stop`, `pause`, `unpause`, `restart`, `rename`.
//! - Podman adds `init`, `sync` and `cleanup` (twice), no `kill` on stop and no `stop` for
//!   `stop?t=0`; Docker sends two `kill`s when a process ignores SIGTERM.
//! - `health_status: healthy`, `exec_start: sh …` carry a detail after a colon.
//!
//! State changes come from the event alone (name and image are in its attributes), so applying
//! an event needs no request to the engine.
//!
//! Bounded memory: the set is O(containers); the de-duplication window and the count of unknown
//! actions have fixed sizes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use self::recent::Recent;
use super::delta::{Change, Delta};
use crate::container::Container;
use crate::engine::events::RawEvent;

/// How many recent event keys are remembered to drop duplicates (a replay after reconnect, an
/// event seen both buffered and live).
const DEDUP_WINDOW: usize = 4096;

/// How many distinct unknown actions are logged (each once); more are only counted.
const UNKNOWN_LOGGED: usize = 64;

/// Rows built from a state-change event of an id neither listed nor created (its `create` lost in
/// a gap), kept at most until the next relist: the gap filler must not let a flood of `die`s for
/// random ids grow the set without bound. Rows from `create` events are real and not counted.
pub const MAX_INVENTED: usize = 1024;

/// A container the store holds, with the engine time of the last event applied to it.
///
/// One entry for both: an event's order check, its change and the time it leaves are one row's,
/// found by one lookup whose memory the next two reuse. Kept in a map of their own, the times
/// cost every event a second cold lookup (and a copy of the id) once the containers outgrow the
/// CPU's caches (`benches/store.rs`: an event at 10k containers cost 2.7–3.1× one at 100, now
/// 2.1–2.3×).
#[derive(Debug)]
struct Held {
    /// Shared with the deltas that carry it (see [`Change::Upsert`]).
    row: Arc<Container>,
    /// `None` until an event is applied to it (a listed row), and across a relist that keeps it.
    last_time: Option<i64>,
}

impl Held {
    fn new(row: Arc<Container>) -> Self {
        Self {
            row,
            last_time: None,
        }
    }
}

/// The store of one engine.
#[derive(Debug)]
pub struct EngineStore {
    /// Its name, shared with every delta the store makes.
    engine: Arc<str>,
    containers: HashMap<String, Held>,
    /// The set being filled between `Init` and `InitDone`.
    incoming: Option<HashMap<String, Container>>,
    rev: u64,
    /// The last [`DEDUP_WINDOW`] events applied or dropped as duplicates, by time, id and action.
    recent: Recent,
    /// The status an event sets, written here first: compared with the row's and copied into the
    /// row's own buffer only when it differs, so a state change allocates nothing.
    status: String,
    unknown_logged: HashSet<String>,
    /// Rows invented since the last relist (see [`MAX_INVENTED`]).
    invented: usize,
    /// Counters for health: applied events, duplicates dropped, unknown actions.
    pub stats: StoreStats,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StoreStats {
    pub applied: u64,
    pub duplicates: u64,
    pub unknown: u64,
    /// Events older than one already applied to the same container (not applied: a state
    /// older than what is shown is never trusted).
    pub out_of_order: u64,
}

impl EngineStore {
    #[must_use]
    pub fn new(engine: &str) -> Self {
        Self {
            engine: Arc::from(engine),
            containers: HashMap::new(),
            incoming: None,
            rev: 0,
            recent: Recent::with_capacity(DEDUP_WINDOW),
            status: String::new(),
            unknown_logged: HashSet::new(),
            invented: 0,
            stats: StoreStats::default(),
        }
    }

    #[must_use]
    pub fn rev(&self) -> u64 {
        self.rev
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.containers.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty()
    }

    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Container> {
        self.containers.get(id).map(|h| &*h.row)
    }

    pub fn containers(&self) -> impl Iterator<Item = &Container> {
        self.containers.values().map(|h| &*h.row)
    }

    fn delta(&mut self, change: Change) -> Delta {
        self.rev += 1;
        Delta {
            engine: self.engine.clone(),
            rev: self.rev,
            change,
        }
    }

    /// Starts a relist: a fresh set is filled until [`EngineStore::init_done`].
    pub fn init(&mut self) {
        self.incoming = Some(HashMap::with_capacity(self.containers.len()));
    }

    pub fn init_apply(&mut self, container: Container) {
        // An InitApply without an Init (no source sends one) starts the fresh set itself: the
        // row is swapped in at the InitDone like any listed one, never lost.
        let set = self.incoming.get_or_insert_with(HashMap::new);
        let container = container.bounded();
        set.insert(container.id.clone(), container);
    }

    /// A first session's newest rows, shown before its whole list (see `WatchEvent::FirstRows`):
    /// each an `Upsert`, as a create would be. Taken only by a store that has never held
    /// anything (no delta yet): over a list already shown they would be older news, and they
    /// are no relist either (no `Resync…`), so a handler that reads relists (the crash watch's
    /// "what stopped while Skiff was away") never takes a page for the whole.
    pub fn first_rows(&mut self, rows: Vec<Container>, out: &mut Vec<Delta>) {
        if self.rev != 0 || !self.containers.is_empty() {
            return;
        }
        let mut rows: Vec<Container> = rows.into_iter().map(Container::bounded).collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        for container in rows {
            if self.containers.contains_key(&container.id) {
                continue;
            }
            let container = Arc::new(container);
            self.containers
                .insert(container.id.clone(), Held::new(Arc::clone(&container)));
            let d = self.delta(Change::Upsert { container });
            out.push(d);
        }
    }

    /// Swaps the fresh set in and describes the swap as deltas: `ResyncStart`, an `Upsert` per
    /// listed container, a `Remove` per vanished one, `ResyncDone`.
    pub fn init_done(&mut self, out: &mut Vec<Delta>) {
        let mut fresh = self.incoming.take().unwrap_or_default();
        half_empty(&mut fresh);
        // A container Skiff is acting on keeps its pending mark across a resync: the action's
        // confirmation is still awaited.
        for (id, c) in &mut fresh {
            if self.containers.get(id).is_some_and(|old| old.row.pending) {
                c.pending = true;
            }
        }
        // A listed row keeps the time of the last event applied to it: an event older than that,
        // arriving after the relist, is still not trusted.
        let fresh = fresh
            .into_iter()
            .map(|(id, c)| {
                let last_time = self.containers.get(&id).and_then(|old| old.last_time);
                let held = Held {
                    row: Arc::new(c),
                    last_time,
                };
                (id, held)
            })
            .collect();
        let old = std::mem::replace(&mut self.containers, fresh);
        self.invented = 0;
        let n = self.containers.len() as u64;
        let start = self.delta(Change::ResyncStart { containers: n });
        out.push(start);
        let mut listed: Vec<Arc<Container>> = self
            .containers
            .values()
            .map(|h| Arc::clone(&h.row))
            .collect();
        listed.sort_by(|a, b| a.name.cmp(&b.name));
        for container in listed {
            let d = self.delta(Change::Upsert { container });
            out.push(d);
        }
        let mut vanished: Vec<&String> = old
            .keys()
            .filter(|id| !self.containers.contains_key(*id))
            .collect();
        vanished.sort();
        let vanished: Vec<String> = vanished.into_iter().cloned().collect();
        for id in vanished {
            let d = self.delta(Change::Remove { id });
            out.push(d);
        }
        let done = self.delta(Change::ResyncDone { containers: n });
        out.push(done);
    }

    /// Whether this event was already applied (same time, container and action).
    fn is_duplicate(&mut self, event: &RawEvent) -> bool {
        self.recent
            .seen_or_insert(event.time_nano, &event.id, &event.action)
    }

    /// Applies one engine event; returns the delta it caused, if any.
    pub fn apply(&mut self, event: &RawEvent) -> Option<Delta> {
        if event.typ != "container" {
            return None;
        }
        if self.is_duplicate(event) {
            self.stats.duplicates += 1;
            return None;
        }
        let last = self.containers.get(&event.id).and_then(|h| h.last_time);
        if last.is_some_and(|last| event.time_nano < last) {
            self.stats.out_of_order += 1;
            return None;
        }
        self.stats.applied += 1;
        let delta = self.apply_verb(event);
        // Only on rows the store holds (dropped with them): events of ids that never become a
        // row (a flood of `kill`s for random ids) must not grow it.
        if let Some(held) = self.containers.get_mut(&event.id) {
            held.last_time = Some(event.time_nano);
        }
        delta
    }

    /// How many rows hold the time of an event applied to them (for the bounded-memory tests:
    /// only rows the store holds ever do).
    #[must_use]
    pub fn ordering_entries(&self) -> usize {
        self.containers
            .values()
            .filter(|h| h.last_time.is_some())
            .count()
    }

    fn upsert(&mut self, container: Container) -> Delta {
        let container = Arc::new(container.bounded());
        if let Some(held) = self.containers.get_mut(&container.id) {
            // The row's time stays: the new content is the same container's.
            held.row = Arc::clone(&container);
        } else {
            self.containers
                .insert(container.id.clone(), Held::new(Arc::clone(&container)));
            half_empty(&mut self.containers);
        }
        self.delta(Change::Upsert { container })
    }

    /// [`changed`] on the row `id`, described as an `Upsert` that shares the row. `None`: no
    /// such row, or nothing to change.
    fn modify<T>(
        &mut self,
        id: &str,
        value: T,
        same: impl FnOnce(&Container, &T) -> bool,
        set: impl FnOnce(&mut Container, T),
    ) -> Option<Delta> {
        let container = changed(&mut self.containers.get_mut(id)?.row, value, same, set)?;
        Some(self.delta(Change::Upsert { container }))
    }

    /// Sets or clears the pending mark of an action in flight.
    pub fn set_pending(&mut self, id: &str, pending: bool) -> Option<Delta> {
        self.modify(id, pending, |c, p| c.pending == *p, |c, p| c.pending = p)
    }

    /// Replaces one container with the engine's truth (inspect fallback), or removes it.
    pub fn replace(&mut self, id: &str, container: Option<Container>) -> Option<Delta> {
        match container.map(Container::bounded) {
            Some(c) => {
                if self.get(id) == Some(&c) {
                    return None;
                }
                Some(self.upsert(c))
            }
            None => self
                .containers
                .remove(id)
                .map(|_| self.delta(Change::Remove { id: id.to_owned() })),
        }
    }
}

/// Sets `value` in `row` with `set`, unless `same` says the row has it already; the changed row,
/// to send. The row is copied only if a subscriber still holds it (`Arc::make_mut`), and that
/// subscriber keeps the state it was told.
fn changed<T>(
    row: &mut Arc<Container>,
    value: T,
    same: impl FnOnce(&Container, &T) -> bool,
    set: impl FnOnce(&mut Container, T),
) -> Option<Arc<Container>> {
    if same(row, &value) {
        return None;
    }
    set(Arc::make_mut(row), value);
    Some(Arc::clone(row))
}

/// Keeps a churning map at most half full, so that it only ever grows when its content does.
///
/// Containers come and go (new ids, removed ids), which leaves tombstones in a hash table; when
/// they use up its free slots, a table more than half full doubles instead of cleaning up in
/// place. That doubling happens long after the content stopped growing, at a time that depends on
/// the hashes: a one-off ~0.6 MiB step (1k containers) in an otherwise flat RSS curve, which is
/// exactly what a leak looks like. Reserving eagerly moves it to when the set actually grows.
fn half_empty<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>) {
    if map.capacity() < 2 * map.len() {
        map.reserve(map.len());
    }
}

mod recent;
#[cfg(test)]
mod tests;
mod verbs;
