//! Reading objects from an engine: every kind's list (once per session, beside the container
//! list) and one object (after an event of it). Through the capped client, like the container
//! list: bollard would buffer a body of any size for as long as it takes.

use super::{parse, Kind, Object};
use crate::engine::client::{INSPECT_BODY_CAP, LIST_BODY_CAP, LIST_TIMEOUT};
use crate::engine::events::percent_encode;
use crate::engine::{EngineClient, EngineError, EngineKind};

/// The kinds an engine has: pods are Podman's.
#[must_use]
pub fn kinds_of(engine: EngineKind) -> &'static [Kind] {
    match engine {
        EngineKind::Podman => &Kind::ALL,
        EngineKind::Docker => &[Kind::Image, Kind::Volume, Kind::Network],
    }
}

/// The libpod API path prefix (Podman 4 answers it whatever the compat version).
const LIBPOD: &str = "/v4.0.0/libpod";

async fn body(client: &EngineClient, path: &str, cap: usize) -> Result<bytes::Bytes, EngineError> {
    crate::engine::http::get_body(client.endpoint(), path, cap, LIST_TIMEOUT).await
}

fn protocol(client: &EngineClient, e: &parse::ParseError) -> EngineError {
    EngineError::Protocol {
        endpoint: client.endpoint().clone(),
        detail: e.to_string(),
    }
}

/// Every object of `kind` in the engine.
pub async fn list(client: &EngineClient, kind: Kind) -> Result<Vec<Object>, EngineError> {
    let v = client.api_version();
    let engine = client.id();
    let podman = client.kind() == EngineKind::Podman;
    let parsed = match kind {
        Kind::Network if podman => parse::libpod_networks(
            engine,
            &body(client, &format!("{LIBPOD}/networks/json"), LIST_BODY_CAP).await?,
        ),
        Kind::Image => parse::images(
            engine,
            &body(client, &format!("/v{v}/images/json"), LIST_BODY_CAP).await?,
        ),
        Kind::Volume => parse::volumes(
            engine,
            &body(client, &format!("/v{v}/volumes"), LIST_BODY_CAP).await?,
        ),
        Kind::Network => parse::networks(
            engine,
            &body(client, &format!("/v{v}/networks"), LIST_BODY_CAP).await?,
        ),
        Kind::Pod => parse::pods(
            engine,
            &body(client, &format!("{LIBPOD}/pods/json"), LIST_BODY_CAP).await?,
        ),
    };
    parsed.map_err(|e| protocol(client, &e))
}

/// Every object of every kind the engine has, bounded objects, in kind order.
///
/// The kinds are asked at once, each on its own connection: a session's first rows wait for the
/// slowest list, not for their sum.
pub async fn list_all(client: &EngineClient) -> Result<Vec<Object>, EngineError> {
    let lists = futures_util::future::try_join_all(
        kinds_of(client.kind())
            .iter()
            .map(|kind| list(client, *kind)),
    )
    .await?;
    Ok(lists.into_iter().flatten().map(Object::bounded).collect())
}

/// The object of `kind` named or identified by `id` as the engine has it now; `None` when it
/// has none (removed meanwhile).
pub async fn one(
    client: &EngineClient,
    kind: Kind,
    id: &str,
) -> Result<Option<Object>, EngineError> {
    let v = client.api_version();
    let engine = client.id();
    let key = percent_encode(id);
    let podman = client.kind() == EngineKind::Podman;
    let path = match kind {
        Kind::Network if podman => format!("{LIBPOD}/networks/{key}/json"),
        Kind::Image => format!("/v{v}/images/{key}/json"),
        Kind::Volume => format!("/v{v}/volumes/{key}"),
        Kind::Network => format!("/v{v}/networks/{key}"),
        Kind::Pod => {
            let filters = percent_encode(&serde_json::json!({ "id": [id] }).to_string());
            format!("{LIBPOD}/pods/json?filters={filters}")
        }
    };
    let bytes = match body(client, &path, INSPECT_BODY_CAP).await {
        Ok(b) => b,
        Err(EngineError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let parsed = match kind {
        Kind::Network if podman => parse::one_libpod_network(engine, &bytes),
        Kind::Image => parse::one_image(engine, &bytes),
        Kind::Volume => parse::one_volume(engine, &bytes),
        Kind::Network => parse::one_network(engine, &bytes),
        Kind::Pod => {
            parse::pods(engine, &bytes).map(|pods| pods.into_iter().find(|p| p.id() == id))
        }
    };
    Ok(parsed
        .map_err(|e| protocol(client, &e))?
        .map(Object::bounded))
}
