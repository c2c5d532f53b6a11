//! Forwards the registry's fan-out to the webview as Tauri events, in order.
//!
//! The events and their payloads are the contract's (`skiff::ipc::contract::events`): a status
//! per state change or failed attempt, a delta per change with the engine's `rev`, and "lagged"
//! when the bridge fell behind the fan-out (the UI takes a snapshot).
//!
//! No polling and no re-list per event: the UI applies deltas and asks for a snapshot only after
//! a gap or a reload.

use skiff::ipc::contract::events;
use skiff::registry::{Feed, Handled, Registry};
use skiff::shutdown::Shutdown;
use tauri::{AppHandle, Emitter};

/// Forwards until `shutdown`. Subscribes at once (before the future is first polled).
pub fn forward(
    app: AppHandle,
    registry: &Registry,
    shutdown: &Shutdown,
) -> impl std::future::Future<Output = ()> + Send {
    let consuming = registry.consume("ui-bridge", shutdown.clone(), move |feed| {
        let sent = match feed {
            Feed::Engine(status) => app.emit(events::ENGINE_STATUS, status),
            Feed::Delta(delta) => app.emit(events::CONTAINERS_DELTA, delta),
            Feed::Object(delta) => app.emit(events::OBJECTS_DELTA, delta),
            Feed::Alert(alert) => app.emit(events::CONTAINER_ALERT, alert),
            // The window resyncs from a snapshot of its own (the UI's gap handling).
            Feed::Resync { missed, .. } => app.emit(events::CONTAINERS_LAGGED, missed),
        };
        Ok::<_, std::convert::Infallible>(match sent {
            Ok(()) => Handled::Ok,
            Err(e) => {
                tracing::debug!(error = %e, "could not forward to the window");
                Handled::Failed
            }
        })
    });
    async move {
        let Ok(()) = consuming.await;
    }
}
