//! The live registry: one watcher and one applier task per engine, a shared set of stores, and
//! a broadcast fan-out of everything that happens.
//!
//! Each engine's watcher output is applied by that engine's own task, in order, the moment it
//! arrives: no batching window, no debounce. Deltas are broadcast while the store lock is held so
//! that every subscriber sees each engine's revisions in order.
//!
//! The lock is a blocking mutex, not a Tokio one: it is never held across an `.await`, and each
//! critical section is a map update. It is `parking_lot`'s, which does not poison: a panic in one
//! critical section (a bug) must not turn every later command and every other engine's applier
//! into a panic too. The supervised tasks report such a panic (see `registry::supervise`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc};
use ts_rs::TS;

use super::delta::Delta;
use super::metrics::{HandlerMetrics, HandlerReport};
use super::objects::{ObjectDelta, ObjectStore};
use super::snapshot::snapshot_of;
use super::store::EngineStore;
use crate::container::Container;
use crate::engine::{DiscoveredEngine, EngineActions};
use crate::objects::Object;
use crate::watcher::{Control, EngineState, EngineStatus, WatchEvent};

/// Capacity of the fan-out. A subscriber more than this many items behind gets `Lagged` and
/// must take a snapshot: it is never silently skipped ahead.
pub(super) const FANOUT_CAPACITY: usize = 8192;
// Its rings are allocated and written whole with the registry: their items stay small.
const _: () = assert!(std::mem::size_of::<RegistryEvent>() <= 64);

/// What a source runs on: the user's controls in, its events out.
#[derive(Debug)]
pub struct Ports {
    pub controls: mpsc::Receiver<Control>,
    pub out: mpsc::Sender<WatchEvent>,
}

/// Everything a subscriber receives.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export_to = "RegistryEvent.ts")]
pub enum RegistryEvent {
    /// An engine's connection state changed (or a reconnect attempt failed). Boxed: inline, a
    /// status made each of the fan-out's 8,192 slots 256 bytes (`FANOUT_CAPACITY`).
    Engine(Box<EngineStatus>),
    /// A container set changed.
    Delta(Delta),
    /// An engine's images, volumes, networks or pods changed.
    Object(ObjectDelta),
    /// The crash watch raised an alert.
    Alert(Box<super::alert::ContainerAlert>),
}

/// A consistent picture of the registry, at the given revision per engine.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "Snapshot.ts")]
pub struct Snapshot {
    pub engines: Vec<EngineStatus>,
    pub containers: Vec<Container>,
    /// Revision of each engine's set at this snapshot: deltas at or below it are included.
    pub revs: BTreeMap<String, u64>,
    /// Images, volumes, networks and pods, their users filled in.
    pub objects: Vec<Object>,
    /// Revision of each engine's objects at this snapshot (a sequence of its own).
    pub object_revs: BTreeMap<String, u64>,
}

/// An engine event as the events page lists it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "EventRecord.ts")]
pub struct EventRecord {
    pub engine: String,
    pub typ: String,
    pub action: String,
    pub id: String,
    pub name: Option<String>,
    /// Engine time, milliseconds since the epoch.
    pub time_ms: i64,
    /// True when replayed from before the last relist (history only, not applied).
    pub replayed: bool,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub stores: BTreeMap<String, EngineStore>,
    pub objects: BTreeMap<String, ObjectStore>,
    pub statuses: BTreeMap<String, EngineStatus>,
    pub history: super::history::History,
    pub alerts: VecDeque<super::alert::ContainerAlert>,
    pub stream_errors: u64,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub state: Mutex<State>,
    pub tx: broadcast::Sender<RegistryEvent>,
    /// Container events for the crash watch, on a channel of their own: the other consumers
    /// would only count and drop them (see `alert`).
    pub happenings: broadcast::Sender<super::alert::Happening>,
    pub controls: Mutex<HashMap<String, mpsc::Sender<Control>>>,
    /// Every source attached, in order: its id, and its engine when it is a Docker API one.
    pub sources: Mutex<Vec<(String, Option<DiscoveredEngine>)>>,
    pub actions: super::actions::Actions,
    pub handlers: Mutex<Vec<Arc<HandlerMetrics>>>,
    /// How many supervised engine tasks are running (`supervise`): quitting waits for none.
    pub tasks: tokio::sync::watch::Sender<usize>,
}

/// The registry handle; cheap to clone.
#[derive(Debug, Clone)]
pub struct Registry {
    pub(super) inner: Arc<Inner>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// An empty registry. Subscribe before attaching sources to see everything from the first
    /// status line on.
    #[must_use]
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(FANOUT_CAPACITY);
        let (happenings, _) = broadcast::channel(FANOUT_CAPACITY);
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                tx,
                happenings,
                controls: Mutex::new(HashMap::new()),
                sources: Mutex::new(Vec::new()),
                actions: super::actions::Actions::default(),
                handlers: Mutex::new(Vec::new()),
                tasks: tokio::sync::watch::Sender::new(0),
            }),
        }
    }

    pub(super) fn lock(&self) -> parking_lot::MutexGuard<'_, State> {
        self.inner.state.lock()
    }

    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<RegistryEvent> {
        self.inner.tx.subscribe()
    }

    /// A snapshot and a subscription taken atomically: every delta after the snapshot's revisions
    /// arrives on the receiver, none before.
    #[must_use]
    pub fn subscribe_with_snapshot(&self) -> (Snapshot, broadcast::Receiver<RegistryEvent>) {
        let state = self.lock();
        let rx = self.inner.tx.subscribe();
        (snapshot_of(&state), rx)
    }

    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        snapshot_of(&self.lock())
    }

    /// The most recent engine events, oldest first.
    #[must_use]
    pub fn history(&self) -> Vec<EventRecord> {
        self.lock().history.all()
    }

    /// The records after the `since`-th, for a follower of the history (the Events page):
    /// with `None`, all of them.
    #[must_use]
    pub fn history_since(&self, since: Option<u64>) -> super::history::HistoryPage {
        self.lock().history.since(since)
    }

    /// Changes when the history keeps a record: a follower waits on it, then reads
    /// [`Registry::history_since`] its last count.
    #[must_use]
    pub fn history_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.lock().history.watch()
    }

    /// The Docker API engines attached (Kubernetes contexts are sources without one).
    #[must_use]
    pub fn engines(&self) -> Vec<DiscoveredEngine> {
        self.inner
            .sources
            .lock()
            .iter()
            .filter_map(|(_, engine)| engine.clone())
            .collect()
    }

    /// Attaches a source: its store and applier, its control channel (Retry now, Enable) and
    /// its actions. Whoever starts the source (`crate::app`) runs it on the returned ports; the
    /// registry itself starts nothing.
    #[must_use]
    pub fn add_source(
        &self,
        id: &str,
        engine: Option<DiscoveredEngine>,
        actions: Arc<dyn EngineActions>,
    ) -> Ports {
        let (control_tx, controls) = mpsc::channel(16);
        self.inner.controls.lock().insert(id.to_owned(), control_tx);
        self.inner.sources.lock().push((id.to_owned(), engine));
        self.register_actions(id, actions);
        Ports {
            controls,
            out: self.attach(id),
        }
    }

    /// Ids of every source, in the order they were added (engines, then Kubernetes contexts).
    #[must_use]
    pub fn engine_ids(&self) -> Vec<String> {
        self.inner
            .sources
            .lock()
            .iter()
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Adds an engine's store and its applier task (the `registry:<id>` handler) and returns
    /// the sender that feeds it. [`Registry::add_source`] connects a source to it; the soak harness
    /// and fault tests feed it directly. The applier ends when every sender is dropped.
    #[must_use]
    pub fn attach(&self, id: &str) -> mpsc::Sender<WatchEvent> {
        // Bounded: a registry that cannot keep up slows the watcher's reading of the stream
        // (the engine buffers), instead of growing memory.
        let (out_tx, mut out_rx) = mpsc::channel(1024);
        {
            let mut state = self.lock();
            state.stores.insert(id.to_owned(), EngineStore::new(id));
            state.objects.insert(id.to_owned(), ObjectStore::new(id));
        }
        let registry = self.clone();
        let id = id.to_owned();
        let metrics = self.handler(&format!("registry:{id}"));
        let engine = id.clone();
        self.spawn_supervised(&engine, "applier", async move {
            while let Some(item) = out_rx.recv().await {
                metrics.queued(out_rx.len());
                let engine_time = match &item {
                    WatchEvent::Event(e) | WatchEvent::Object { event: e, .. } => Some(e.time_nano),
                    _ => None,
                };
                let failed = matches!(item, WatchEvent::StreamError(_));
                registry.apply(&id, item);
                if failed {
                    metrics.error();
                }
                metrics.handled(engine_time);
            }
        });
        out_tx
    }

    /// Applies one watcher item to the engine's store and broadcasts the result.
    pub fn apply(&self, engine: &str, item: WatchEvent) {
        let mut state = self.lock();
        let state = &mut *state;
        let Some(store) = state.stores.get_mut(engine) else {
            return;
        };
        let mut deltas = Vec::new();
        match item {
            WatchEvent::Status(status) => {
                state.statuses.insert(engine.to_owned(), status.clone());
                let _ = self.inner.tx.send(RegistryEvent::Engine(Box::new(status)));
                return;
            }
            WatchEvent::Init => store.init(),
            WatchEvent::InitApply(c) => store.init_apply(c),
            WatchEvent::InitDone => store.init_done(&mut deltas),
            WatchEvent::FirstRows(rows) => store.first_rows(rows, &mut deltas),
            WatchEvent::Event(event) => {
                let applied = store.stats.applied;
                deltas.extend(store.apply(&event));
                self.inner.actions.confirm(engine, &event);
                state.history.record(engine, &event, false);
                if store.stats.applied > applied {
                    super::alert::happened(&self.inner.happenings, engine, event, false);
                }
            }
            WatchEvent::Object { row, event } => {
                deltas.extend(store.replace(&event.id, row.map(|r| *r)));
                self.inner.actions.confirm(engine, &event);
                state.history.record(engine, &event, false);
            }
            WatchEvent::History(event) => {
                state.history.record(engine, &event, true);
                if event.typ == "container" {
                    super::alert::happened(&self.inner.happenings, engine, event, true);
                }
            }
            WatchEvent::Objects(item) => {
                if let Some(objects) = state.objects.get_mut(engine) {
                    for d in objects.apply_with_users(item, store) {
                        let _ = self.inner.tx.send(RegistryEvent::Object(d));
                    }
                }
            }
            WatchEvent::StreamError(message) => {
                state.stream_errors += 1;
                tracing::debug!(%engine, %message, "unusable event line");
            }
        }
        for d in deltas {
            let _ = self.inner.tx.send(RegistryEvent::Delta(d));
        }
    }

    /// Registers a named handler (a consumer of the registry) and returns its metrics.
    #[must_use]
    pub fn handler(&self, name: &str) -> Arc<HandlerMetrics> {
        let metrics = Arc::new(HandlerMetrics::new(name));
        let mut handlers = self.inner.handlers.lock();
        // Handlers whose consumer is gone (only this list holds them) are dropped here, so a
        // process that starts consumers again and again does not grow the list or the report.
        handlers.retain(|h| Arc::strong_count(h) > 1);
        handlers.push(metrics.clone());
        metrics
    }

    /// Every handler's report.
    #[must_use]
    pub fn handler_reports(&self) -> Vec<HandlerReport> {
        self.inner
            .handlers
            .lock()
            .iter()
            .map(|h| h.report())
            .collect()
    }

    /// Skips the reconnect timer of one engine (or all with `None`): the UI's "Retry now".
    #[must_use]
    pub fn retry_now(&self, engine: Option<&str>) -> usize {
        let controls = self.inner.controls.lock();
        controls
            .iter()
            .filter(|(id, _)| engine.is_none_or(|e| e == id.as_str()))
            .filter(|(_, tx)| tx.try_send(Control::RetryNow).is_ok())
            .count()
    }

    /// Enables or disables one engine.
    #[must_use]
    pub fn set_enabled(&self, engine: &str, enabled: bool) -> bool {
        let controls = self.inner.controls.lock();
        controls
            .get(engine)
            .is_some_and(|tx| tx.try_send(Control::Enable(enabled)).is_ok())
    }

    /// Waits until every engine has left `connecting` and, if connected, finished its first
    /// resync, or until `limit` passes. Returns whether all settled.
    pub async fn settled(&self, limit: std::time::Duration) -> bool {
        let mut rx = self.subscribe();
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if self.is_settled() {
                return true;
            }
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Err(_) | Ok(Err(broadcast::error::RecvError::Closed)) => return self.is_settled(),
                Ok(_) => {}
            }
        }
    }

    fn is_settled(&self) -> bool {
        let ids = self.engine_ids();
        let state = self.lock();
        ids.iter().all(|id| match state.statuses.get(id) {
            None => false,
            Some(s) => match s.state {
                EngineState::Connecting => false,
                EngineState::Connected => state.stores.get(id).is_some_and(|st| st.rev() > 0),
                _ => true,
            },
        })
    }

    /// Counters for health: stream errors and per-store statistics.
    #[must_use]
    pub fn stream_errors(&self) -> u64 {
        self.lock().stream_errors
    }
}
