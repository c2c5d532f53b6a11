//! The engines' stats streams: one JSON document a line, about one a second, as long as the
//! containers run. The chunks are raw; `crate::container_stats` reads them.

use std::fmt::Write as _;

use super::client::EngineClient;
use super::error::EngineError;
use super::ByteStream;
use super::EngineKind;

impl EngineClient {
    /// Opens the stats stream of container `id`.
    ///
    /// Docker: `GET /containers/{id}/stats?stream=1` (one a second). Podman's compat endpoint
    /// sends one every 5 s, so Podman is asked through libpod's
    /// (`/libpod/containers/stats?interval=1`), which computes the CPU use itself.
    pub async fn stats(&self, id: &str) -> Result<ByteStream, EngineError> {
        let path = match self.kind() {
            EngineKind::Docker => format!(
                "/v{}/containers/{}/stats?stream=1",
                self.api_version(),
                super::events::percent_encode(id)
            ),
            EngineKind::Podman => libpod_path(&[id.to_owned()]),
        };
        self.stream(&path).await
    }

    /// Opens one stats stream of all of `ids` (Podman only: libpod sends one document a second
    /// holding every container's figures; Docker has no such request).
    pub async fn stats_many(&self, ids: &[String]) -> Result<ByteStream, EngineError> {
        if self.kind() != EngineKind::Podman {
            return Err(EngineError::Unsupported {
                endpoint: self.endpoint().clone(),
                detail: "Docker reads stats one container at a time".to_owned(),
            });
        }
        self.stream(&libpod_path(ids)).await
    }

    async fn stream(&self, path: &str) -> Result<ByteStream, EngineError> {
        let (response, driver) = super::http::get(self.endpoint(), path).await?;
        match super::http::check_status(self.endpoint(), response).await {
            Ok(response) => Ok(super::http::body_chunks(response, driver)),
            Err(e) => {
                driver.abort();
                Err(e)
            }
        }
    }
}

fn libpod_path(ids: &[String]) -> String {
    let mut path = "/v4.0.0/libpod/containers/stats?stream=true&interval=1".to_owned();
    for id in ids {
        let _ = write!(path, "&containers={}", super::events::percent_encode(id));
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_is_asked_for_every_container_in_one_request() {
        assert_eq!(
            libpod_path(&["a1".to_owned(), "b/2".to_owned()]),
            "/v4.0.0/libpod/containers/stats?stream=true&interval=1&containers=a1&containers=b%2F2"
        );
    }
}
