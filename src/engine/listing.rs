//! One list across engines, for `skiff ps` and the desktop app's first paint.

use futures_util::future::join_all;
use serde::Serialize;
use ts_rs::TS;

use super::error::ErrorInfo;
use super::{DiscoveredEngine, EngineClient};
use crate::container::Container;

/// Containers of every engine that answered, and why the others did not.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export_to = "ContainerList.ts")]
pub struct ContainerList {
    pub containers: Vec<Container>,
    pub failures: Vec<EngineFailure>,
}

/// An engine that could not be listed.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "EngineFailure.ts")]
pub struct EngineFailure {
    pub engine: String,
    pub endpoint: String,
    pub error: ErrorInfo,
}

/// Longest one engine may take to be listed, connection included: a hung engine costs `skiff ps`
/// this, never more, and is reported with the reason.
pub const LIST_EVERYWHERE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// `listing` of `engine`, failed as `transient` after [`LIST_EVERYWHERE_TIMEOUT`].
pub async fn within_list_timeout<T>(
    engine: &DiscoveredEngine,
    listing: impl std::future::Future<Output = Result<T, super::EngineError>>,
) -> Result<T, super::EngineError> {
    tokio::time::timeout(LIST_EVERYWHERE_TIMEOUT, listing)
        .await
        .unwrap_or_else(|_| {
            Err(super::EngineError::Transient {
                endpoint: engine.endpoint.clone(),
                detail: format!(
                    "no complete answer within {} s",
                    LIST_EVERYWHERE_TIMEOUT.as_secs()
                ),
            })
        })
}

/// Lists every engine concurrently: one slow or dead engine must not delay the others' rows.
pub async fn list_everywhere(engines: &[DiscoveredEngine], all: bool) -> ContainerList {
    let results = join_all(engines.iter().map(|e| async move {
        let listing = async {
            let client = EngineClient::connect(&e.id, &e.endpoint).await?;
            client.list_containers(all).await
        };
        within_list_timeout(e, listing).await
    }))
    .await;
    let mut list = ContainerList::default();
    for (engine, result) in engines.iter().zip(results) {
        list.add(
            &engine.id,
            engine.endpoint.to_string(),
            result.map_err(|e| e.info()),
        );
    }
    list
}

impl ContainerList {
    /// Adds one engine's answer: its rows, or why there are none.
    pub fn add(
        &mut self,
        engine: &str,
        endpoint: String,
        result: Result<Vec<Container>, ErrorInfo>,
    ) {
        match result {
            Ok(rows) => self.containers.extend(rows),
            Err(error) => self.failures.push(EngineFailure {
                engine: engine.to_owned(),
                endpoint,
                error,
            }),
        }
    }
}
