//! Tauri commands: validate arguments, call the core, return generated IPC types.

use skiff::engine::discovery;
use skiff::engine::{list_everywhere, ContainerList};
use skiff::ipc::{IpcError, IpcErrorKind};

/// Every container of every engine, with the engines that could not be reached.
#[tauri::command]
pub async fn list_containers(all: bool) -> Result<ContainerList, IpcError> {
    let engines = discovery::hosts_from_env()
        .and_then(|hosts| discovery::resolve(&hosts))
        .map_err(|e| IpcError {
            kind: IpcErrorKind::Engine,
            message: e.to_string(),
        })?;
    Ok(list_everywhere(&engines, all).await)
}
