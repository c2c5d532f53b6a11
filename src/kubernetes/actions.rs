//! Deleting pods, and their logs: a Kubernetes context's [`EngineActions`], with the client of its source's
//! current session. Deletion is the only action a pod has; the registry's confirmation protocol
//! waits for the pod's `terminating` (or `deleted`) like any engine's event.

use futures_util::future::{BoxFuture, FutureExt, TryFutureExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, LogParams, Preconditions};

use crate::container::Container;
use crate::engine::{
    Action, ActionError, ActionErrorKind, CallError, EngineActions, Framing, LogBody, LogQuery,
    Session, Tail, TerminalRequest,
};

/// Deleting pods of one context, with the client of its current session.
#[derive(Default)]
pub struct PodActions {
    client: parking_lot::Mutex<Option<kube::Client>>,
}

impl std::fmt::Debug for PodActions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PodActions").finish_non_exhaustive()
    }
}

impl PodActions {
    pub(super) fn set(&self, client: kube::Client) {
        *self.client.lock() = Some(client);
    }

    /// The pods API of `row`'s namespace, with the session's client, and that namespace.
    fn pods(&self, row: &Container) -> Result<(Api<Pod>, String), ActionError> {
        let client = self.client.lock().clone().ok_or_else(|| {
            ActionError::new(ActionErrorKind::Engine, "the cluster is not connected")
        })?;
        let namespace = row
            .kube
            .as_ref()
            .map(|k| k.namespace.clone())
            .unwrap_or_default();
        Ok((Api::namespaced(client, &namespace), namespace))
    }
}

impl EngineActions for PodActions {
    fn refuses(&self, action: Action) -> Option<ActionError> {
        (action != Action::Remove).then(|| {
            ActionError::new(
                ActionErrorKind::Unsupported,
                format!(
                    "a pod cannot {}; delete it instead (its controller, if any, recreates it)",
                    action.as_str()
                ),
            )
        })
    }

    fn document(
        &self,
        row: &Container,
    ) -> BoxFuture<'static, Result<serde_json::Value, ActionError>> {
        let pods = self.pods(row);
        let row = row.clone();
        async move {
            let (api, namespace) = pods?;
            let pod = api
                .get(&row.name)
                .await
                .map_err(|e| refusal(e, &namespace, &row.name))?;
            // The same pod only: a newer one may have taken the name.
            if pod.metadata.uid.as_deref() != Some(row.id.as_str()) {
                return Err(ActionError::new(
                    ActionErrorKind::NotFound,
                    format!("pod {namespace}/{} was replaced by a newer one", row.name),
                ));
            }
            serde_json::to_value(&pod)
                .map_err(|e| ActionError::new(ActionErrorKind::Engine, e.to_string()))
        }
        .boxed()
    }

    fn terminal(
        &self,
        row: &Container,
        request: TerminalRequest,
    ) -> BoxFuture<'static, Result<Session, ActionError>> {
        let pods = self.pods(row);
        let name = row.name.clone();
        async move {
            let (api, namespace) = pods?;
            super::terminal::open(api, &namespace, &name, request).await
        }
        .boxed()
    }

    fn logs(
        &self,
        row: &Container,
        query: &LogQuery,
    ) -> BoxFuture<'static, Result<LogBody, ActionError>> {
        let pods = self.pods(row);
        let name = row.name.clone();
        let params = log_params(query);
        async move {
            let (api, namespace) = pods?;
            let reader = api
                .log_stream(&name, &params?)
                .await
                .map_err(|e| refusal(e, &namespace, &name))?;
            Ok(LogBody {
                // One stream, each line stamped (`timestamps=true`): a TTY's framing.
                framing: Framing::Raw,
                engine_time: None,
                chunks: chunks_of(reader),
            })
        }
        .boxed()
    }

    fn call(
        &self,
        row: &Container,
        _action: Action,
        _force: bool,
    ) -> BoxFuture<'static, Result<(), CallError>> {
        let pods = self.pods(row);
        let row = row.clone();
        async move {
            let (api, namespace) = pods?;
            // The uid precondition: never delete a newer pod that took the same name.
            let params = DeleteParams {
                preconditions: Some(Preconditions {
                    uid: Some(row.id.clone()),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            match api.delete(&row.name, &params).await {
                Ok(_) => Ok(()),
                Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Err(ActionError {
                    kind: ActionErrorKind::NotFound,
                    message: format!("pod {}/{} is already gone", namespace, row.name),
                }),
                Err(kube::Error::Api(s)) if s.code == 403 => Err(ActionError {
                    kind: ActionErrorKind::Forbidden,
                    message: format!("forbidden: {}", s.message),
                }),
                Err(e) => Err(ActionError {
                    kind: ActionErrorKind::Engine,
                    message: e.to_string(),
                }),
            }
        }
        .map_err(CallError::Failed)
        .boxed()
    }
}

/// The API server's parameters for `query`. Kubernetes has no `until`; `since` is kept to the
/// nanosecond (`sinceTime` is RFC 3339).
fn log_params(query: &LogQuery) -> Result<LogParams, ActionError> {
    let since_time = query
        .since
        .map(|n| jiff::Timestamp::from_nanosecond(i128::from(n)))
        .transpose()
        .map_err(|e| ActionError::new(ActionErrorKind::Invalid, format!("since: {e}")))?;
    Ok(LogParams {
        container: query.container.clone(),
        follow: query.follow,
        previous: query.previous,
        timestamps: true,
        tail_lines: match query.tail {
            Tail::All => None,
            Tail::Last(n) => Some(i64::try_from(n).unwrap_or(i64::MAX)),
        },
        since_time,
        ..LogParams::default()
    })
}

/// Why the API server would not serve a pod (its object, its log), in the user's words. Its own message says the
/// most (a pod with no node: "does not have a host assigned"; a node it cannot reach).
pub(super) fn refusal(e: kube::Error, namespace: &str, name: &str) -> ActionError {
    match e {
        kube::Error::Api(s) if s.code == 404 => ActionError::new(
            ActionErrorKind::NotFound,
            format!("pod {namespace}/{name}: {}", s.message),
        ),
        kube::Error::Api(s) if s.code == 403 => ActionError::new(
            ActionErrorKind::Forbidden,
            format!("forbidden: {}", s.message),
        ),
        kube::Error::Api(s) if s.code == 400 => ActionError::new(
            ActionErrorKind::Conflict,
            format!("pod {namespace}/{name}: {}", s.message),
        ),
        e => ActionError::new(
            ActionErrorKind::Engine,
            format!("pod {namespace}/{name}: {e}"),
        ),
    }
}

/// The reader's bytes as chunks, as they arrive.
fn chunks_of(
    reader: impl futures_util::AsyncBufRead + Send + 'static,
) -> futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>> {
    use futures_util::AsyncBufReadExt;
    Box::pin(futures_util::stream::unfold(
        Some(Box::pin(reader)),
        |reader| async move {
            let mut reader = reader?;
            match reader.fill_buf().await {
                Ok([]) => None,
                Ok(buf) => {
                    let chunk = bytes::Bytes::copy_from_slice(buf);
                    reader.as_mut().consume(chunk.len());
                    Some((Ok(chunk), Some(reader)))
                }
                Err(e) => Some((Err(e), None)),
            }
        },
    ))
}
