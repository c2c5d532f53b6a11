//! What a user does to objects, through the engine's API: pull (with progress), tag, remove,
//! prune, disk use, volume create/remove, network remove, pod start/stop/remove. None of them
//! changes the registry directly: each change comes back as the engine's event (or, where the
//! engine sends none, as the caller's refresh of that one object), like container actions.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use ts_rs::TS;

use crate::engine::{EngineClient, EngineError};

/// Longest a pull may go without a word from the engine (each layer's progress arrives many
/// times a second while it downloads or extracts): past this, the engine or its registry hung.
pub const PULL_SILENCE: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The engine or its registry refused, in its own words (an unknown tag, a registry gone
    /// in the middle of a pull).
    #[error("{0}")]
    Refused(String),
    #[error("the engine sent nothing about the pull for {} s", PULL_SILENCE.as_secs())]
    Stalled,
}

/// Where a pull stands: its layers' bytes as the engine reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "PullProgress.ts")]
pub struct PullProgress {
    /// The engine's last status line ("Downloading", "Pull complete", "Digest: sha256:…").
    pub status: String,
    /// Layers seen, and those done (downloaded and extracted, or already present).
    pub layers: u32,
    pub layers_done: u32,
    /// Bytes downloaded over bytes to download, summed over the layers that said their size.
    pub current_bytes: u64,
    pub total_bytes: u64,
}

/// `name[:tag]` with `latest` when no tag or digest is given: the API pulls every tag of a
/// repository that is asked for without one.
#[must_use]
pub fn with_tag(reference: &str) -> String {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    if last.contains(':') || reference.contains('@') {
        reference.to_owned()
    } else {
        format!("{reference}:latest")
    }
}

#[derive(Debug, Default)]
struct Layer {
    current: u64,
    total: u64,
    done: bool,
}

/// Pulls `reference`, calling `progress` after each message of the engine. Returns the
/// pulled image's id.
pub async fn pull(
    client: &EngineClient,
    reference: &str,
    mut progress: impl FnMut(&PullProgress),
) -> Result<String, ObjectError> {
    let reference = with_tag(reference);
    let options = bollard::query_parameters::CreateImageOptions {
        from_image: Some(reference.clone()),
        ..Default::default()
    };
    let mut stream = client.docker().create_image(Some(options), None, None);
    let mut layers: HashMap<String, Layer> = HashMap::new();
    let mut state = PullProgress::default();
    loop {
        let item = match tokio::time::timeout(PULL_SILENCE, stream.next()).await {
            Err(_) => return Err(ObjectError::Stalled),
            Ok(None) => break,
            Ok(Some(item)) => item,
        };
        let info = match item {
            Ok(info) => info,
            Err(bollard::errors::Error::DockerStreamError { error }) => {
                return Err(ObjectError::Refused(error))
            }
            Err(e) => return Err(EngineError::from_bollard(client.endpoint(), &e).into()),
        };
        if let Some(detail) = info.error_detail.and_then(|d| d.message) {
            return Err(ObjectError::Refused(detail));
        }
        let status = info.status.unwrap_or_default();
        // Layer messages carry the layer's short id; the others ("Pulling from", "Digest",
        // "Status") carry the tag or nothing.
        if let Some(id) = info
            .id
            .filter(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            let layer = layers.entry(id).or_default();
            if let Some(d) = info.progress_detail {
                if status.starts_with("Downloading") {
                    layer.current = d.current.unwrap_or_default().max(0).unsigned_abs();
                    layer.total = d.total.unwrap_or_default().max(0).unsigned_abs();
                }
            }
            if matches!(
                status.as_str(),
                "Pull complete" | "Already exists" | "Download complete"
            ) {
                layer.current = layer.total;
                layer.done |= status != "Download complete";
            }
        }
        state.status = status;
        state.layers = u32::try_from(layers.len()).unwrap_or(u32::MAX);
        state.layers_done =
            u32::try_from(layers.values().filter(|l| l.done).count()).unwrap_or(u32::MAX);
        state.current_bytes = layers.values().map(|l| l.current).sum();
        state.total_bytes = layers.values().map(|l| l.total).sum();
        progress(&state);
    }
    // The stream ended without an error: the image is there under its reference.
    let image = client
        .docker()
        .inspect_image(&reference)
        .await
        .map_err(|e| EngineError::from_bollard(client.endpoint(), &e))?;
    Ok(image.id.map(|i| super::image_id(&i)).unwrap_or(reference))
}

/// Adds `target` (`repo[:tag]`) to `image`.
pub async fn tag(client: &EngineClient, image: &str, target: &str) -> Result<(), ObjectError> {
    let target = with_tag(target);
    let (repo, tag) = target.rsplit_once(':').unwrap_or((&target, "latest"));
    let options = bollard::query_parameters::TagImageOptions {
        repo: Some(repo.to_owned()),
        tag: Some(tag.to_owned()),
    };
    client
        .docker()
        .tag_image(image, Some(options))
        .await
        .map_err(|e| EngineError::from_bollard(client.endpoint(), &e).into())
}

/// Removes `image` (a name or an id); refused by the engine, with its reason, when a container
/// uses it, unless `force`. Returns what the engine untagged and deleted.
pub async fn remove_image(
    client: &EngineClient,
    image: &str,
    force: bool,
) -> Result<Vec<String>, ObjectError> {
    let options = bollard::query_parameters::RemoveImageOptions {
        force,
        ..Default::default()
    };
    let items = client
        .docker()
        .remove_image(image, Some(options), None)
        .await
        .map_err(|e| EngineError::from_bollard(client.endpoint(), &e))?;
    Ok(items
        .into_iter()
        .flat_map(|i| {
            let untagged = i.untagged.map(|u| format!("Untagged: {u}"));
            let deleted = i.deleted.map(|d| format!("Deleted: {d}"));
            untagged.into_iter().chain(deleted)
        })
        .collect())
}

/// What `prune` may remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "PruneTarget.ts")]
pub enum PruneTarget {
    Images,
    Volumes,
    Networks,
    Containers,
}

/// What a prune removed and the space the engine says it reclaimed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "PruneReport.ts")]
pub struct PruneReport {
    pub removed: Vec<String>,
    pub reclaimed_bytes: u64,
}

fn bytes(n: Option<i64>) -> u64 {
    n.unwrap_or_default().max(0).unsigned_abs()
}

/// Prunes unused objects: dangling images (every unused one with `all`), unused volumes and
/// networks, stopped containers.
pub async fn prune(
    client: &EngineClient,
    target: PruneTarget,
    all: bool,
) -> Result<PruneReport, ObjectError> {
    let docker = client.docker();
    let fail = |e: bollard::errors::Error| EngineError::from_bollard(client.endpoint(), &e);
    let report = match target {
        PruneTarget::Images => {
            let filters = HashMap::from([("dangling".to_owned(), vec![(!all).to_string()])]);
            let r = docker
                .prune_images(Some(bollard::query_parameters::PruneImagesOptions {
                    filters: Some(filters),
                }))
                .await
                .map_err(fail)?;
            PruneReport {
                removed: r
                    .images_deleted
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|i| i.deleted.or(i.untagged))
                    .collect(),
                reclaimed_bytes: bytes(r.space_reclaimed),
            }
        }
        PruneTarget::Volumes => {
            let r = docker
                .prune_volumes(None::<bollard::query_parameters::PruneVolumesOptions>)
                .await
                .map_err(fail)?;
            PruneReport {
                removed: r.volumes_deleted.unwrap_or_default(),
                reclaimed_bytes: bytes(r.space_reclaimed),
            }
        }
        PruneTarget::Networks => {
            let r = docker.prune_networks(None).await.map_err(fail)?;
            PruneReport {
                removed: r.networks_deleted.unwrap_or_default(),
                reclaimed_bytes: 0,
            }
        }
        PruneTarget::Containers => {
            let r = docker.prune_containers(None).await.map_err(fail)?;
            PruneReport {
                removed: r.containers_deleted.unwrap_or_default(),
                reclaimed_bytes: bytes(r.space_reclaimed),
            }
        }
    };
    Ok(report)
}

/// One line of `skiff df`: a kind's count, how many are in use, their size and what a prune
/// would reclaim, as `docker system df` computes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "DiskUse.ts")]
pub struct DiskUse {
    pub engine: String,
    /// `images`, `containers`, `volumes`.
    pub kind: String,
    pub total: u64,
    pub active: u64,
    pub size_bytes: u64,
    pub reclaimable_bytes: u64,
}

/// The engine's disk use (`/system/df`, in the shape Docker 20.10 and Podman 4.3 write: bollard
/// reads only API 1.52's): one line per kind.
pub async fn disk_use(client: &EngineClient) -> Result<Vec<DiskUse>, ObjectError> {
    use serde_json::Value;
    let path = format!("/v{}/system/df", client.api_version());
    let body = crate::engine::http::get_body(
        client.endpoint(),
        &path,
        crate::engine::client::LIST_BODY_CAP,
        // The engine walks every volume and container layer to size them.
        Duration::from_secs(120),
    )
    .await?;
    let df: Value = serde_json::from_slice(&body).map_err(|e| EngineError::Protocol {
        endpoint: client.endpoint().clone(),
        detail: format!("disk use is not JSON: {e}"),
    })?;
    let num = |v: &Value, key: &str| v.get(key).and_then(Value::as_i64);
    let list = |key: &str| {
        df.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let engine = client.id().to_owned();
    let line = |kind: &str, sizes: Vec<(u64, bool)>| DiskUse {
        engine: engine.clone(),
        kind: kind.to_owned(),
        total: sizes.len() as u64,
        active: sizes.iter().filter(|(_, used)| *used).count() as u64,
        size_bytes: sizes.iter().map(|(s, _)| s).sum(),
        reclaimable_bytes: sizes.iter().filter(|(_, used)| !used).map(|(s, _)| s).sum(),
    };
    let mut images = line(
        "images",
        list("Images")
            .iter()
            .map(|i| (bytes(num(i, "Size")), num(i, "Containers").unwrap_or(0) > 0))
            .collect(),
    );
    // Shared layers count once: the engine's `LayersSize` when it gives one.
    if let Some(layers) = num(&df, "LayersSize").filter(|l| *l > 0) {
        images.size_bytes = bytes(Some(layers));
        images.reclaimable_bytes = images.reclaimable_bytes.min(images.size_bytes);
    }
    let containers = line(
        "containers",
        list("Containers")
            .iter()
            .map(|c| {
                let running = c.get("State").and_then(Value::as_str) == Some("running");
                (bytes(num(c, "SizeRw")), running)
            })
            .collect(),
    );
    let volumes = line(
        "volumes",
        list("Volumes")
            .iter()
            .map(|v| {
                let usage = v.get("UsageData").cloned().unwrap_or(Value::Null);
                (
                    bytes(num(&usage, "Size")),
                    num(&usage, "RefCount").unwrap_or(0) > 0,
                )
            })
            .collect(),
    );
    Ok(vec![images, containers, volumes])
}

/// Creates a volume named `name` (the engine picks a name when it is empty); returns its name.
pub async fn create_volume(client: &EngineClient, name: &str) -> Result<String, ObjectError> {
    let request = bollard::models::VolumeCreateRequest {
        name: (!name.is_empty()).then(|| name.to_owned()),
        ..Default::default()
    };
    let volume = client
        .docker()
        .create_volume(request)
        .await
        .map_err(|e| EngineError::from_bollard(client.endpoint(), &e))?;
    Ok(volume.name)
}

/// Removes volume `name` (refused while a container uses it, unless `force`).
pub async fn remove_volume(
    client: &EngineClient,
    name: &str,
    force: bool,
) -> Result<(), ObjectError> {
    let options = bollard::query_parameters::RemoveVolumeOptions { force };
    client
        .docker()
        .remove_volume(name, Some(options))
        .await
        .map_err(|e| EngineError::from_bollard(client.endpoint(), &e).into())
}

/// Removes network `id` (a name or an id).
pub async fn remove_network(client: &EngineClient, id: &str) -> Result<(), ObjectError> {
    client
        .docker()
        .remove_network(id)
        .await
        .map_err(|e| EngineError::from_bollard(client.endpoint(), &e).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_without_a_tag_pulls_latest_only() {
        assert_eq!(with_tag("busybox"), "busybox:latest");
        assert_eq!(
            with_tag("127.0.0.1:5000/busybox"),
            "127.0.0.1:5000/busybox:latest"
        );
        assert_eq!(
            with_tag("127.0.0.1:5000/busybox:1"),
            "127.0.0.1:5000/busybox:1"
        );
        assert_eq!(with_tag("busybox@sha256:abc"), "busybox@sha256:abc");
    }
}
