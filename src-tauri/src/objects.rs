//! Images, volumes, networks and pods for the window: pull (its progress through a channel),
//! remove, prune, pod actions and disk use. Each is one core call; the lists themselves reach
//! the window as `objects://delta` events and in the snapshot.

use skiff::ipc::IpcError;
use skiff::objects::actions::{self, DiskUse, PruneReport, PruneTarget, PullProgress};
use skiff::objects::pods::{self, PodAction};
use skiff::objects::Kind;
use skiff::registry::object_actions::valid_reference;
use skiff::registry::Registry;
use tauri::ipc::Channel;
use tauri::State;

/// Pulls `reference` into `engine`; each progress message of the engine goes to `progress`.
/// Resolves with the image's id once pulled.
#[tauri::command]
pub async fn pull_image(
    registry: State<'_, Registry>,
    engine: String,
    reference: String,
    progress: Channel<PullProgress>,
) -> Result<String, IpcError> {
    valid_reference("image reference", &reference)?;
    let client = registry.engine_client(&engine)?;
    Ok(actions::pull(&client, &reference, |p| {
        let _ = progress.send(p.clone());
    })
    .await?)
}

/// Removes an image, volume, network or pod (see `Registry::remove_object`).
#[tauri::command]
pub async fn remove_object(
    registry: State<'_, Registry>,
    engine: String,
    kind: Kind,
    id: String,
    force: bool,
) -> Result<Vec<String>, IpcError> {
    Ok(registry.remove_object(&engine, kind, &id, force).await?)
}

/// Creates a volume (the engine names it when `name` is empty); its name.
#[tauri::command]
pub async fn create_volume(
    registry: State<'_, Registry>,
    engine: String,
    name: String,
) -> Result<String, IpcError> {
    if !name.is_empty() {
        valid_reference("volume name", &name)?;
    }
    let client = registry.engine_client(&engine)?;
    Ok(actions::create_volume(&client, &name).await?)
}

/// Adds tag `target` (`repo[:tag]`) to image `image` of `engine`.
#[tauri::command]
pub async fn tag_image(
    registry: State<'_, Registry>,
    engine: String,
    image: String,
    target: String,
) -> Result<(), IpcError> {
    valid_reference("image", &image)?;
    valid_reference("tag", &target)?;
    let client = registry.engine_client(&engine)?;
    Ok(actions::tag(&client, &image, &target).await?)
}

/// Removes what nothing uses in `engine`.
#[tauri::command]
pub async fn prune_objects(
    registry: State<'_, Registry>,
    engine: String,
    target: PruneTarget,
    all: bool,
) -> Result<PruneReport, IpcError> {
    let client = registry.engine_client(&engine)?;
    Ok(actions::prune(&client, target, all).await?)
}

/// Starts, stops or removes a Podman pod.
#[tauri::command]
pub async fn pod_action(
    registry: State<'_, Registry>,
    engine: String,
    id: String,
    action: PodAction,
) -> Result<(), IpcError> {
    valid_reference("pod", &id)?;
    let client = registry.engine_client(&engine)?;
    Ok(pods::act(&client, &id, action).await?)
}

/// Starts, stops, restarts or removes every container of a compose project (see
/// `Registry::act_on_project`); how many.
#[tauri::command]
pub async fn project_action(
    registry: State<'_, Registry>,
    engine: String,
    project: String,
    action: skiff::engine::Action,
) -> Result<usize, IpcError> {
    valid_reference("project", &project)?;
    Ok(registry.act_on_project(&engine, &project, action).await?)
}

/// The disk use of every connected Docker and Podman engine.
#[tauri::command]
pub async fn disk_use(registry: State<'_, Registry>) -> Result<Vec<DiskUse>, IpcError> {
    let mut lines = Vec::new();
    for engine in registry.engine_ids() {
        if let Ok(client) = registry.engine_client(&engine) {
            lines.extend(actions::disk_use(&client).await?);
        }
    }
    Ok(lines)
}
