//! Hijacked connections: exec and attach switch the HTTP connection to raw bytes both ways.

use super::{check_status, connect, short, within_head_timeout, AbortOnDrop};
use crate::engine::{Endpoint, EngineError};

/// A connection the engine switched to raw bytes both ways (`101 UPGRADED`): exec and attach.
pub type Upgraded = hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>;

/// `POST path` with a JSON `body` (none: an empty one), asking the engine to hijack the connection (`Upgrade: tcp`, as
/// the Docker CLI asks), and the raw connection once it did. The head must arrive within
/// [`HEAD_TIMEOUT`]; what follows is the process's bytes, unbounded in time.
pub async fn hijack(
    endpoint: &Endpoint,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Result<Upgraded, EngineError> {
    let exchange = async {
        let (mut sender, driver) = connect::<http_body_util::Full<bytes::Bytes>>(endpoint).await?;
        // The driver must live on after the upgrade (it hands the socket over), so it is not
        // aborted once the head arrived; until then, a dropped future closes the connection.
        let guard = AbortOnDrop(Some(driver));
        let mut request = hyper::Request::post(path)
            .header(hyper::header::HOST, "skiff")
            .header(hyper::header::CONNECTION, "Upgrade")
            .header(hyper::header::UPGRADE, "tcp");
        if body.is_some() {
            request = request.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(http_body_util::Full::new(bytes::Bytes::from(
                body.map(ToString::to_string).unwrap_or_default(),
            )))
            .map_err(|e| EngineError::Protocol {
                endpoint: endpoint.clone(),
                detail: format!("bad request path {path:?}: {e}"),
            })?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| EngineError::Transient {
                endpoint: endpoint.clone(),
                detail: format!("request {} failed: {e}", short(path)),
            })?;
        if response.status() != hyper::StatusCode::SWITCHING_PROTOCOLS {
            let status = response.status();
            check_status(endpoint, response).await?;
            return Err(EngineError::Protocol {
                endpoint: endpoint.clone(),
                detail: format!(
                    "{} answered {status} instead of switching to a raw stream",
                    short(path)
                ),
            });
        }
        let upgraded = hyper::upgrade::on(response)
            .await
            .map_err(|e| EngineError::Transient {
                endpoint: endpoint.clone(),
                detail: format!("{} did not hand over the connection: {e}", short(path)),
            })?;
        // The connection task ends by itself once it handed the socket over.
        drop(guard.disarm());
        Ok(hyper_util::rt::TokioIo::new(upgraded))
    };
    within_head_timeout(endpoint, path, exchange).await
}
