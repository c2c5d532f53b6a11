//! What a user can do to a container, and the Docker API calls that do it.
//!
//! Every engine kind implements [`EngineActions`]: this Docker/Podman one beside the engine
//! client, the pod one beside Kubernetes. The confirmation protocol around a call (single
//! flight, the pending mark, waiting for the engine's event, the timeout fallback) is the
//! registry's (`registry::actions`), once for all of them.

use futures_util::future::{BoxFuture, FutureExt};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{
    ByteStream, EngineClient, EngineError, FailureKind, LogBody, LogQuery, Session, TerminalRequest,
};
use crate::container::Container;

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
    pub(crate) fn confirming(self) -> &'static [&'static str] {
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
    pub(crate) fn already_done(self, state: &str) -> bool {
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
    /// The engine or cluster does not allow this user to do it (HTTP 403).
    Forbidden,
    /// The request itself is malformed (an id that no engine could have made).
    Invalid,
}

impl ActionError {
    #[must_use]
    pub fn new(kind: ActionErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    #[must_use]
    pub fn engine(e: &EngineError) -> Self {
        Self {
            kind: ActionErrorKind::Engine,
            message: e.to_string(),
        }
    }
}

/// Why a call did not do anything.
#[derive(Debug)]
pub enum CallError {
    /// Already in the requested state (the engine answered 304): no event will come.
    NotModified,
    Failed(ActionError),
}

/// The actions of one engine, registered with the registry by whoever starts its source.
pub trait EngineActions: Send + Sync + std::fmt::Debug {
    /// Carries out `action` on `row`; resolves once the engine accepted it.
    fn call(
        &self,
        row: &Container,
        action: Action,
        force: bool,
    ) -> BoxFuture<'static, Result<(), CallError>>;

    /// Why this engine cannot do `action` at all, if it cannot (a pod can be deleted, not
    /// stopped): checked before anything is marked pending.
    fn refuses(&self, _action: Action) -> Option<ActionError> {
        None
    }

    /// The engine's own answer for `row`, asked when no confirming event arrived in time; `None`
    /// when the source's list is that answer already (a list-watch keeps it current).
    /// The engine's own description of `row`: Docker's and Podman's inspect document, the pod
    /// object of Kubernetes.
    fn document(
        &self,
        row: &Container,
    ) -> BoxFuture<'static, Result<serde_json::Value, ActionError>>;

    fn inspect(
        &self,
        _row: &Container,
    ) -> Option<BoxFuture<'static, Result<Option<Container>, ActionError>>> {
        None
    }

    /// Opens `row`'s log (see [`super::logs`]); resolves once the engine answered.
    fn logs(
        &self,
        _row: &Container,
        _query: &LogQuery,
    ) -> BoxFuture<'static, Result<LogBody, ActionError>> {
        let refused = ActionError::new(
            ActionErrorKind::Unsupported,
            "this engine has no container logs",
        );
        async move { Err(refused) }.boxed()
    }

    /// Opens `row`'s stats stream (one JSON document a line, about one a second).
    fn stats(&self, _row: &Container) -> BoxFuture<'static, Result<ByteStream, ActionError>> {
        let refused = ActionError::new(
            ActionErrorKind::Unsupported,
            "this engine reports no container stats",
        );
        async move { Err(refused) }.boxed()
    }

    /// Opens a terminal session in `row` (see [`super::session`]); resolves once the process
    /// runs and its output can be read.
    fn terminal(
        &self,
        _row: &Container,
        _request: TerminalRequest,
    ) -> BoxFuture<'static, Result<Session, ActionError>> {
        let refused = ActionError::new(
            ActionErrorKind::Unsupported,
            "this engine cannot open a terminal",
        );
        async move { Err(refused) }.boxed()
    }

    /// Opens one stats stream of all of `rows` (Podman's libpod API; one document a second
    /// holding every container's figures).
    fn stats_many(
        &self,
        _rows: &[Container],
    ) -> BoxFuture<'static, Result<ByteStream, ActionError>> {
        let refused = ActionError::new(
            ActionErrorKind::Unsupported,
            "this engine reads stats one container at a time",
        );
        async move { Err(refused) }.boxed()
    }
}

/// A Docker or Podman engine's actions, with the client of its watcher's current session:
/// one client per engine, never a second connection kept for actions.
#[derive(Debug, Default)]
pub struct DockerActions {
    client: Mutex<Option<EngineClient>>,
}

impl DockerActions {
    /// The client of the session that just connected.
    pub fn set(&self, client: Option<EngineClient>) {
        *self.client.lock() = client;
    }

    fn client(&self) -> Result<EngineClient, ActionError> {
        self.client.lock().clone().ok_or_else(|| {
            ActionError::new(ActionErrorKind::Engine, "the engine has not connected yet")
        })
    }
}

impl EngineActions for DockerActions {
    fn call(
        &self,
        row: &Container,
        action: Action,
        force: bool,
    ) -> BoxFuture<'static, Result<(), CallError>> {
        let client = self.client();
        let id = row.id.clone();
        async move { call(client.map_err(CallError::Failed)?, id, action, force).await }.boxed()
    }

    fn document(
        &self,
        row: &Container,
    ) -> BoxFuture<'static, Result<serde_json::Value, ActionError>> {
        let client = self.client();
        let id = row.id.clone();
        async move {
            client?
                .inspect(&id)
                .await
                .map_err(|e| ActionError::engine(&e))
        }
        .boxed()
    }

    fn stats(&self, row: &Container) -> BoxFuture<'static, Result<ByteStream, ActionError>> {
        let client = self.client();
        let id = row.id.clone();
        async move {
            client?
                .stats(&id)
                .await
                .map_err(|e| not_found_or_engine(&e))
        }
        .boxed()
    }

    fn stats_many(
        &self,
        rows: &[Container],
    ) -> BoxFuture<'static, Result<ByteStream, ActionError>> {
        let client = self.client();
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        async move {
            client?
                .stats_many(&ids)
                .await
                .map_err(|e| not_found_or_engine(&e))
        }
        .boxed()
    }

    fn terminal(
        &self,
        row: &Container,
        request: TerminalRequest,
    ) -> BoxFuture<'static, Result<Session, ActionError>> {
        let client = self.client();
        let id = row.id.clone();
        async move {
            client?
                .open_session(&id, request)
                .await
                .map_err(|e| not_found_or_engine(&e))
        }
        .boxed()
    }

    fn logs(
        &self,
        row: &Container,
        query: &LogQuery,
    ) -> BoxFuture<'static, Result<LogBody, ActionError>> {
        let client = self.client();
        let id = row.id.clone();
        let query = query.clone();
        async move {
            let client = client?;
            let opened = async {
                let tty = client.has_tty(&id).await?;
                client.logs(&id, &query, tty).await
            };
            opened.await.map_err(|e| not_found_or_engine(&e))
        }
        .boxed()
    }

    fn inspect(
        &self,
        row: &Container,
    ) -> Option<BoxFuture<'static, Result<Option<Container>, ActionError>>> {
        let client = self.client();
        let id = row.id.clone();
        Some(
            async move {
                client?
                    .list_one(&id)
                    .await
                    .map_err(|e| ActionError::engine(&e))
            }
            .boxed(),
        )
    }
}

async fn call(
    client: EngineClient,
    id: String,
    action: Action,
    force: bool,
) -> Result<(), CallError> {
    use bollard::query_parameters::{
        KillContainerOptions, RemoveContainerOptions, RestartContainerOptions,
        StartContainerOptions, StopContainerOptions,
    };
    let id = id.as_str();
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
            status_code: 403,
            message,
        } => CallError::Failed(ActionError::new(
            ActionErrorKind::Forbidden,
            message.clone(),
        )),
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

/// A container the engine no longer has is `not_found` (a follow ends there); anything else is
/// the engine's failure.
pub(crate) fn not_found_or_engine(e: &EngineError) -> ActionError {
    match e {
        EngineError::NotFound { message, .. } => {
            ActionError::new(ActionErrorKind::NotFound, message.clone())
        }
        EngineError::Conflict { message, .. } => {
            ActionError::new(ActionErrorKind::Conflict, message.clone())
        }
        _ => ActionError::engine(e),
    }
}
