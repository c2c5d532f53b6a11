//! What a user can do to a container, and the Docker API calls that do it.
//!
//! Every engine kind implements [`EngineActions`]: the Docker/Podman one beside the engine
//! client (`super::docker_actions`), the pod one beside Kubernetes. The confirmation protocol around a call (single
//! flight, the pending mark, waiting for the engine's event, the timeout fallback) is the
//! registry's (`registry::actions`), once for all of them.

use futures_util::future::{BoxFuture, FutureExt};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{ByteStream, EngineError, LogBody, LogQuery, Session, TerminalRequest};
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

    /// The client of the engine's current session, for the object actions (images, volumes,
    /// networks, pods); `None` for an engine that has none (Kubernetes).
    fn client(&self) -> Option<super::EngineClient> {
        None
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
