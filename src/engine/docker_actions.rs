//! The Docker/Podman engine's [`EngineActions`]: the container actions as Docker API calls,
//! and the streams of a container (log, stats, terminal) through the client of the engine's
//! current session.

use futures_util::future::{BoxFuture, FutureExt};
use parking_lot::Mutex;

use super::actions::{Action, ActionError, ActionErrorKind, CallError, EngineActions};
use super::{
    ByteStream, EngineClient, EngineError, FailureKind, LogBody, LogQuery, Session, TerminalRequest,
};
use crate::container::Container;

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
    fn client(&self) -> Option<EngineClient> {
        self.client.lock().clone()
    }

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
