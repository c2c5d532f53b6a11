//! Deleting pods: a Kubernetes context's [`EngineActions`], with the client of its source's
//! current session. Deletion is the only action a pod has; the registry's confirmation protocol
//! waits for the pod's `terminating` (or `deleted`) like any engine's event.

use futures_util::future::{BoxFuture, FutureExt, TryFutureExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Preconditions};

use crate::container::Container;
use crate::engine::{Action, ActionError, ActionErrorKind, CallError, EngineActions};

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
            let pod = api.get(&row.name).await.map_err(|e| match e {
                kube::Error::Api(s) if s.code == 404 => ActionError::new(
                    ActionErrorKind::NotFound,
                    format!("pod {namespace}/{} is gone", row.name),
                ),
                kube::Error::Api(s) if s.code == 403 => ActionError::new(
                    ActionErrorKind::Forbidden,
                    format!("forbidden: {}", s.message),
                ),
                e => ActionError::new(ActionErrorKind::Engine, e.to_string()),
            })?;
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
