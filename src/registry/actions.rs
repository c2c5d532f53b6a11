//! Container actions with confirmation (the Kopf lesson).
//!
//! An action is *single-flight* per container: a second request for the same action while one
//! is in flight joins it (a double click stops a container once); a different action waits for
//! the first. After the engine call returns, the container is marked `pending` until the
//! engine's own event confirms the new state, so the UI never shows a state older than Skiff's
//! own write as current. If no confirming event arrives within [`CONFIRM_TIMEOUT`], the container
//! is listed again and that answer is taken as the truth (reported as an inspect fallback).

use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt, Shared};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use ts_rs::TS;

use super::shared::{Registry, RegistryEvent, Waiter};
use crate::container::Container;
use crate::engine::{EngineClient, EngineError, FailureKind};

/// How long to wait for the engine's confirming event before listing the container instead.
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// What a user can do to a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "Action.ts")]
pub enum Action {
    Start,
    Stop,
    Restart,
    Pause,
    Unpause,
    Kill,
    Remove,
}

impl Action {
    /// Event actions that confirm this action (either engine's words).
    fn confirming(self) -> &'static [&'static str] {
        match self {
            Self::Start => &["start"],
            Self::Stop | Self::Kill => &["die", "stop"],
            Self::Restart => &["restart", "start"],
            Self::Pause => &["pause"],
            Self::Unpause => &["unpause"],
            // Docker, Podman; a pod is confirmed deleted once terminating (its kubelet may take
            // its grace period, or forever when the node is gone, to finish).
            Self::Remove => &["destroy", "remove", "terminating", "deleted"],
        }
    }

    /// Whether a container in `state` needs nothing done for this action.
    fn already_done(self, state: &str) -> bool {
        match self {
            Self::Start | Self::Unpause => state == "running",
            Self::Stop | Self::Kill => matches!(state, "exited" | "created" | "dead"),
            Self::Pause => state == "paused",
            Self::Restart | Self::Remove => false,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Restart => "restart",
            Self::Pause => "pause",
            Self::Unpause => "unpause",
            Self::Kill => "kill",
            Self::Remove => "remove",
        }
    }
}

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

/// Why an action failed. Clonable, because joined callers all receive it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export_to = "ActionError.ts")]
pub struct ActionError {
    pub kind: ActionErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "ActionErrorKind.ts")]
pub enum ActionErrorKind {
    /// No such engine or container.
    NotFound,
    /// A name matches containers in several engines.
    Ambiguous,
    /// The engine refused (e.g. removing a running container without force).
    Conflict,
    /// The engine could not be reached.
    Engine,
    /// This engine has no such action (a pod can be deleted, not stopped).
    Unsupported,
}

impl ActionError {
    fn engine(e: &EngineError) -> Self {
        Self {
            kind: ActionErrorKind::Engine,
            message: e.to_string(),
        }
    }
}

/// The actions of an engine that is not a Docker API (a Kubernetes context), registered by its
/// source with [`Registry::register_object_actions`].
pub trait ObjectActions: Send + Sync + std::fmt::Debug {
    /// Deletes the object behind `row`; resolves when the API accepted the deletion.
    fn delete(&self, row: Container) -> BoxFuture<'static, Result<(), ActionError>>;
}

/// Who carries out an action.
enum Backend {
    Docker(EngineClient),
    /// The object's actions, and its row as the store had it when the action began.
    Objects(std::sync::Arc<dyn ObjectActions>, Container),
}

type Flight = Shared<BoxFuture<'static, Result<ActionOutcome, ActionError>>>;

enum Step {
    Join(Flight),
    Lead(Flight),
    WaitOther(Flight),
}

/// In-flight actions and cached engine clients.
#[derive(Debug, Default)]
pub(super) struct Actions {
    flights: Mutex<HashMap<(String, String), (Action, Flight)>>,
    clients: Mutex<HashMap<String, EngineClient>>,
    objects: Mutex<HashMap<String, std::sync::Arc<dyn ObjectActions>>>,
}

impl Registry {
    /// Finds a container by full id, name, or unique id prefix, across engines (or in `engine`).
    pub fn resolve(
        &self,
        engine: Option<&str>,
        name_or_id: &str,
    ) -> Result<(String, String), ActionError> {
        let snapshot = self.snapshot();
        let candidates: Vec<&Container> = snapshot
            .containers
            .iter()
            .filter(|c| engine.is_none_or(|e| c.engine == e))
            .collect();
        let exact: Vec<&&Container> = candidates
            .iter()
            .filter(|c| c.id == name_or_id || c.name == name_or_id)
            .collect();
        let found: Vec<&&Container> = if exact.is_empty() && name_or_id.len() >= 3 {
            candidates
                .iter()
                .filter(|c| c.id.starts_with(name_or_id))
                .collect()
        } else {
            exact
        };
        match found.as_slice() {
            [one] => Ok((one.engine.clone(), one.id.clone())),
            [] => Err(ActionError {
                kind: ActionErrorKind::NotFound,
                message: format!("no container named or with id {name_or_id:?}"),
            }),
            many => Err(ActionError {
                kind: ActionErrorKind::Ambiguous,
                message: format!(
                    "{name_or_id:?} matches {} containers (in {}); use the full id",
                    many.len(),
                    many.iter()
                        .map(|c| c.engine.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
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
            return Err(ActionError {
                kind: ActionErrorKind::NotFound,
                message: format!(
                    "no container {:?} in {engine} (it may have just been removed)",
                    id.chars().take(64).collect::<String>()
                ),
            });
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

    /// Registers the actions of a list-watch engine (see [`ObjectActions`]).
    pub fn register_object_actions(
        &self,
        engine: &str,
        actions: std::sync::Arc<dyn ObjectActions>,
    ) {
        self.inner
            .actions
            .objects
            .lock()
            .insert(engine.to_owned(), actions);
    }

    async fn backend(
        &self,
        engine: &str,
        id: &str,
        action: Action,
    ) -> Result<Backend, ActionError> {
        let objects = self.inner.actions.objects.lock().get(engine).cloned();
        let Some(objects) = objects else {
            return self.client(engine).await.map(Backend::Docker);
        };
        if action != Action::Remove {
            return Err(ActionError {
                kind: ActionErrorKind::Unsupported,
                message: format!(
                    "a pod cannot {}; delete it instead (its controller, if any, recreates it)",
                    action.as_str()
                ),
            });
        }
        let row = self.container(engine, id).ok_or_else(|| ActionError {
            kind: ActionErrorKind::NotFound,
            message: format!("no pod with uid {id:?} in {engine}"),
        })?;
        Ok(Backend::Objects(objects, row))
    }

    async fn client(&self, engine: &str) -> Result<EngineClient, ActionError> {
        if let Some(c) = self.inner.actions.clients.lock().get(engine) {
            return Ok(c.clone());
        }
        let spec = self
            .engines()
            .into_iter()
            .find(|e| e.id == engine)
            .ok_or_else(|| ActionError {
                kind: ActionErrorKind::NotFound,
                message: format!("no engine {engine:?}"),
            })?;
        let client = EngineClient::connect(&spec.id, &spec.endpoint)
            .await
            .map_err(|e| ActionError::engine(&e))?;
        self.inner
            .actions
            .clients
            .lock()
            .insert(engine.to_owned(), client.clone());
        Ok(client)
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
        // Already in the requested state: engines answer 304 (Docker) or succeed silently
        // (Podman) and send no event, so there would be nothing to wait for.
        if let Some(c) = self.container(engine, id) {
            if action.already_done(&c.state) {
                return Ok(ActionOutcome {
                    engine: engine.to_owned(),
                    id: id.to_owned(),
                    action,
                    confirmation: Confirmation::AlreadyDone,
                    container: Some(c),
                    joined: false,
                });
            }
        }
        let backend = self.backend(engine, id, action).await?;
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
        self.lock()
            .waiters
            .entry((engine.to_owned(), id.to_owned()))
            .or_default()
            .push(Waiter {
                actions: action.confirming(),
                tx,
            });
        self.broadcast_pending(engine, id, true);
        let called = match &backend {
            Backend::Docker(client) => call(client, id, action, force).await,
            Backend::Objects(objects, row) => {
                objects.delete(row.clone()).await.map_err(CallError::Failed)
            }
        };
        let outcome = |confirmation, container| ActionOutcome {
            engine: engine.to_owned(),
            id: id.to_owned(),
            action,
            confirmation,
            container,
            joined: false,
        };
        let result = match called {
            Err(CallError::NotModified) => Ok(outcome(
                Confirmation::AlreadyDone,
                self.container(engine, id),
            )),
            Err(CallError::Failed(e)) => {
                if e.kind == ActionErrorKind::Engine {
                    // A cached client may be stale after an engine restart.
                    self.inner.actions.clients.lock().remove(engine);
                }
                Err(e)
            }
            Ok(()) => {
                if let Ok(Ok(_event)) = tokio::time::timeout(CONFIRM_TIMEOUT, rx).await {
                    Ok(outcome(Confirmation::Event, self.container(engine, id)))
                } else {
                    tracing::warn!(%engine, %id, action = action.as_str(), "no confirming event within 10 s; asking the engine");
                    let truth = match &backend {
                        Backend::Docker(client) => client
                            .list_one(id)
                            .await
                            .map_err(|e| ActionError::engine(&e))?,
                        // A list-watch source's store is the API's truth as of its last event.
                        Backend::Objects(..) => self.container(engine, id),
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

    fn container(&self, engine: &str, id: &str) -> Option<Container> {
        self.lock()
            .stores
            .get(engine)
            .and_then(|s| s.get(id).cloned())
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
            .lock()
            .waiters
            .remove(&(self.engine.to_owned(), self.id.to_owned()));
        self.registry.broadcast_pending(self.engine, self.id, false);
    }
}

enum CallError {
    NotModified,
    Failed(ActionError),
}

async fn call(
    client: &EngineClient,
    id: &str,
    action: Action,
    force: bool,
) -> Result<(), CallError> {
    use bollard::query_parameters::{
        KillContainerOptions, RemoveContainerOptions, RestartContainerOptions,
        StartContainerOptions, StopContainerOptions,
    };
    let docker = client.docker();
    let result = match action {
        Action::Start => {
            docker
                .start_container(id, None::<StartContainerOptions>)
                .await
        }
        Action::Stop => {
            docker
                .stop_container(id, None::<StopContainerOptions>)
                .await
        }
        Action::Restart => {
            docker
                .restart_container(id, None::<RestartContainerOptions>)
                .await
        }
        Action::Pause => docker.pause_container(id).await,
        Action::Unpause => docker.unpause_container(id).await,
        Action::Kill => {
            docker
                .kill_container(id, None::<KillContainerOptions>)
                .await
        }
        Action::Remove => {
            docker
                .remove_container(
                    id,
                    Some(RemoveContainerOptions {
                        force,
                        ..Default::default()
                    }),
                )
                .await
        }
    };
    result.map_err(|e| match &e {
        bollard::errors::Error::DockerResponseServerError {
            status_code: 304, ..
        } => CallError::NotModified,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            message,
        } => CallError::Failed(ActionError {
            kind: ActionErrorKind::NotFound,
            message: message.clone(),
        }),
        bollard::errors::Error::DockerResponseServerError {
            status_code: 409 | 500,
            message,
        } if !matches!(
            EngineError::from_bollard(client.endpoint(), &e).kind(),
            FailureKind::NotRunning
        ) =>
        {
            CallError::Failed(ActionError {
                kind: ActionErrorKind::Conflict,
                message: message.clone(),
            })
        }
        _ => CallError::Failed(ActionError::engine(&EngineError::from_bollard(
            client.endpoint(),
            &e,
        ))),
    })
}
