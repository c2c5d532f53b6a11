//! Podman pod actions, through libpod's API (the compat API has no pods): start, stop and
//! remove. Each comes back as the pod's event (`start`, `stop`, `remove`), which refreshes it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::actions::ObjectError;
use crate::engine::client::{LIST_BODY_CAP, LIST_TIMEOUT};
use crate::engine::events::percent_encode;
use crate::engine::{EngineClient, EngineError, EngineKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "PodAction.ts")]
pub enum PodAction {
    Start,
    Stop,
    Remove,
}

/// Does `action` to pod `id` (a name or an id); `Remove` also removes its containers, running
/// or not, as `podman pod rm -f` does (the window asked first).
pub async fn act(client: &EngineClient, id: &str, action: PodAction) -> Result<(), ObjectError> {
    if client.kind() != EngineKind::Podman {
        return Err(ObjectError::Refused(format!(
            "{} has no pods: they are Podman's",
            client.id()
        )));
    }
    let id = percent_encode(id);
    let (method, path) = match action {
        PodAction::Start => (
            hyper::Method::POST,
            format!("/v4.0.0/libpod/pods/{id}/start"),
        ),
        PodAction::Stop => (
            hyper::Method::POST,
            format!("/v4.0.0/libpod/pods/{id}/stop"),
        ),
        PodAction::Remove => (
            hyper::Method::DELETE,
            format!("/v4.0.0/libpod/pods/{id}?force=true"),
        ),
    };
    // Stopping waits for each container's stop timeout (10 s by default) before the answer.
    let limit = LIST_TIMEOUT + std::time::Duration::from_secs(30);
    match crate::engine::http::send(client.endpoint(), method, &path, LIST_BODY_CAP, limit).await {
        Ok(_) => Ok(()),
        // libpod answers 304 for a pod already in that state: nothing to do is not a failure.
        Err(EngineError::Protocol { detail, .. }) if detail.contains("answered 304") => Ok(()),
        Err(e) => Err(e.into()),
    }
}
