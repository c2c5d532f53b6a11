//! Container actions with confirmation (the Kopf lesson): the whole protocol, for every engine
//! kind (the calls themselves are the engine's, behind [`EngineActions`]).
//!
//! An action is *single-flight* per container: a second request for the same action while one
//! is in flight joins it (a double click stops a container once); a different action waits for
//! the first. A waiter for the confirming event is registered before the call (the event may
//! arrive before the call returns); the container is marked `pending` until the engine's own
//! event confirms the new state, so the UI never shows a state older than Skiff's own write as
//! current. If no confirming event arrives within the confirmation timeout (10 s,
//! [`CONFIRM_TIMEOUT`]), the engine is asked for the container and its answer is taken as the
//! truth (reported as an inspect fallback). Every way out of an action, an error, a panic, the
//! future dropped, removes the waiter and the pending mark.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt, Shared};
use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::oneshot;
use ts_rs::TS;

use super::hub::{Registry, RegistryEvent};
use crate::container::Container;
use crate::engine::events::RawEvent;
pub use crate::engine::{Action, ActionError, ActionErrorKind, CallError, EngineActions};

/// How long to wait for the engine's confirming event before asking the engine instead.
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// How an action's result was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "Confirmation.ts")]
pub enum Confirmation {
    /// The engine's own event arrived.
    Event,
    /// No event within the timeout; the engine was asked directly.
    Inspect,
    /// The container was already in the requested state (the engine answered 304).
    AlreadyDone,
}

/// The result of an action.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "ActionOutcome.ts")]
pub struct ActionOutcome {
    pub engine: String,
    pub id: String,
    pub action: Action,
    pub confirmation: Confirmation,
    /// The container after the action (`None` once removed).
    pub container: Option<Container>,
    /// How many callers shared this one engine call.
    #[ts(skip)]
    #[serde(skip)]
    pub joined: bool,
}

type Flight = Shared<BoxFuture<'static, Result<ActionOutcome, ActionError>>>;

enum Step {
    Join(Flight),
    Lead(Flight),
    WaitOther(Flight),
}

/// A waiter for the engine event that confirms an action.
#[derive(Debug)]
struct Waiter {
    actions: &'static [&'static str],
    tx: oneshot::Sender<RawEvent>,
}

/// In-flight actions, waiters, and each engine's actions.
#[derive(Debug)]
pub(super) struct Actions {
    flights: Mutex<HashMap<(String, String), (Action, Flight)>>,
    waiters: Mutex<HashMap<(String, String), Vec<Waiter>>>,
    engines: Mutex<HashMap<String, Arc<dyn EngineActions>>>,
    confirm_timeout: Mutex<Duration>,
}

impl Default for Actions {
    fn default() -> Self {
        Self {
            flights: Mutex::default(),
            waiters: Mutex::default(),
            engines: Mutex::default(),
            confirm_timeout: Mutex::new(CONFIRM_TIMEOUT),
        }
    }
}

impl Actions {
    /// The actions of `engine`, when it has any.
    pub(super) fn of(&self, engine: &str) -> Option<Arc<dyn EngineActions>> {
        self.engines.lock().get(engine).cloned()
    }

    /// Hands `event` to the actions of `engine` waiting for it. Called by the applier with the
    /// event applied to the store already, so a woken action reads the confirmed row.
    pub(super) fn confirm(&self, engine: &str, event: &RawEvent) {
        let mut waiters = self.waiters.lock();
        if let Some(waiting) = waiters.get_mut(&(engine.to_owned(), event.id.clone())) {
            let verb = event.action.split(':').next().unwrap_or_default();
            let (fire, keep): (Vec<Waiter>, Vec<Waiter>) = std::mem::take(waiting)
                .into_iter()
                .partition(|w| w.actions.contains(&verb));
            *waiting = keep;
            for w in fire {
                let _ = w.tx.send(event.clone());
            }
        }
    }
}

impl Registry {
    /// Registers the actions of `engine` (its source's kind: Docker API calls, pod deletion).
    pub fn register_actions(&self, engine: &str, actions: Arc<dyn EngineActions>) {
        self.inner
            .actions
            .engines
            .lock()
            .insert(engine.to_owned(), actions);
    }

    /// How long an action waits for its confirming event (tests shorten it).
    pub fn set_confirm_timeout(&self, timeout: Duration) {
        *self.inner.actions.confirm_timeout.lock() = timeout;
    }

    /// Runs `action` on a container and waits for its confirmation (see the module doc).
    pub async fn act(
        &self,
        engine: &str,
        id: &str,
        action: Action,
        force: bool,
    ) -> Result<ActionOutcome, ActionError> {
        // Only a container Skiff shows can be acted on, by its exact id: the engines also match
        // names and id prefixes, which could hit a container the user never saw.
        if self.container(engine, id).is_none() {
            return Err(ActionError::new(
                ActionErrorKind::NotFound,
                format!(
                    "no container {:?} in {engine} (it may have just been removed)",
                    id.chars().take(64).collect::<String>()
                ),
            ));
        }
        let key = (engine.to_owned(), id.to_owned());
        loop {
            // Decide under the lock, await outside it.
            let step = {
                let mut flights = self.inner.actions.flights.lock();
                match flights.get(&key) {
                    Some((a, f)) if *a == action => Step::Join(f.clone()),
                    Some((_, f)) => Step::WaitOther(f.clone()),
                    None => {
                        let registry = self.clone();
                        let (e, i) = key.clone();
                        let f: Flight = async move {
                            let result = registry.run_action(&e, &i, action, force).await;
                            registry.inner.actions.flights.lock().remove(&(e, i));
                            result
                        }
                        .boxed()
                        .shared();
                        flights.insert(key.clone(), (action, f.clone()));
                        Step::Lead(f)
                    }
                }
            };
            let (flight, joined) = match step {
                Step::Join(f) => (f, true),
                Step::Lead(f) => (f, false),
                Step::WaitOther(other) => {
                    // A different action is in flight: let it finish, then start ours.
                    let _ = other.await;
                    continue;
                }
            };
            return flight.await.map(|mut o| {
                o.joined = joined;
                o
            });
        }
    }

    fn broadcast_pending(&self, engine: &str, id: &str, pending: bool) {
        let mut state = self.lock();
        if let Some(d) = state
            .stores
            .get_mut(engine)
            .and_then(|s| s.set_pending(id, pending))
        {
            let _ = self.inner.tx.send(RegistryEvent::Delta(d));
        }
    }

    async fn run_action(
        &self,
        engine: &str,
        id: &str,
        action: Action,
        force: bool,
    ) -> Result<ActionOutcome, ActionError> {
        let outcome = |confirmation, container| ActionOutcome {
            engine: engine.to_owned(),
            id: id.to_owned(),
            action,
            confirmation,
            container,
            joined: false,
        };
        let row = self.container(engine, id).ok_or_else(|| {
            ActionError::new(
                ActionErrorKind::NotFound,
                format!("no container {id:?} in {engine}"),
            )
        })?;
        // Already in the requested state: engines answer 304 (Docker) or succeed silently
        // (Podman) and send no event, so there would be nothing to wait for.
        if action.already_done(&row.state) {
            return Ok(outcome(Confirmation::AlreadyDone, Some(row)));
        }
        let actions = self.inner.actions.of(engine).ok_or_else(|| {
            ActionError::new(ActionErrorKind::NotFound, format!("no engine {engine:?}"))
        })?;
        if let Some(refused) = actions.refuses(action) {
            return Err(refused);
        }
        // From here on every way out, an error, a panic, or this future being dropped (every
        // caller gone), removes the waiter and the pending mark: a row must never stay
        // "pending…" for an action that is over.
        let _cleanup = Cleanup {
            registry: self,
            engine,
            id,
        };
        let (tx, rx) = oneshot::channel();
        // Registered before the call: the confirming event may arrive before the call returns.
        self.inner
            .actions
            .waiters
            .lock()
            .entry((engine.to_owned(), id.to_owned()))
            .or_default()
            .push(Waiter {
                actions: action.confirming(),
                tx,
            });
        self.broadcast_pending(engine, id, true);
        let result = match actions.call(&row, action, force).await {
            Err(CallError::NotModified) => Ok(outcome(
                Confirmation::AlreadyDone,
                self.container(engine, id),
            )),
            Err(CallError::Failed(e)) => Err(e),
            Ok(()) => {
                let timeout = *self.inner.actions.confirm_timeout.lock();
                if let Ok(Ok(_event)) = tokio::time::timeout(timeout, rx).await {
                    Ok(outcome(Confirmation::Event, self.container(engine, id)))
                } else {
                    tracing::warn!(%engine, %id, action = action.as_str(), timeout_s = timeout.as_secs_f64(), "no confirming event in time; asking the engine");
                    let truth = match actions.inspect(&row) {
                        Some(asking) => asking.await?,
                        // A list-watch source's store is the API's truth as of its last event.
                        None => self.container(engine, id),
                    };
                    let mut state = self.lock();
                    if let Some(d) = state
                        .stores
                        .get_mut(engine)
                        .and_then(|s| s.replace(id, truth.clone()))
                    {
                        let _ = self.inner.tx.send(RegistryEvent::Delta(d));
                    }
                    drop(state);
                    Ok(outcome(Confirmation::Inspect, truth))
                }
            }
        };
        result.map(|mut o| {
            if let Some(c) = &mut o.container {
                c.pending = false;
            }
            o
        })
    }
}

/// Clears an action's waiter and pending mark when the action ends, however it ends.
struct Cleanup<'a> {
    registry: &'a Registry,
    engine: &'a str,
    id: &'a str,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        self.registry
            .inner
            .actions
            .waiters
            .lock()
            .remove(&(self.engine.to_owned(), self.id.to_owned()));
        self.registry.broadcast_pending(self.engine, self.id, false);
    }
}
