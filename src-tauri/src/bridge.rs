//! Forwards the registry's fan-out to the webview as Tauri events, in order.
//!
//! The events and their payloads are the contract's (`skiff::ipc::contract::events`): a status
//! per state change or failed attempt, the container and object deltas as runs (each with the
//! engine's `rev`), and "lagged" when the bridge fell behind the fan-out (the UI takes a
//! snapshot).
//!
//! Deltas go as runs (`skiff::registry::batch`) because each Tauri event is one script
//! evaluation in the webview: an engine's list of 1,000 containers is one event, not 1,000. A
//! change that arrives alone is still sent at once: a run ends when the bridge has caught up.
//!
//! No polling and no re-list per event: the UI applies deltas and asks for a snapshot only after
//! a gap or a reload.
//!
//! Each run sent pokes the [`Trimmer`]: what it took to make is given back once things go quiet.

use skiff::ipc::contract::events;
use skiff::registry::batch::{Batch, Batching};
use skiff::registry::{Handled, Registry};
use skiff::shutdown::Shutdown;
use tauri::{AppHandle, Emitter};

use crate::trim::Trimmer;

/// Forwards until `shutdown`. Subscribes at once (before the future is first polled).
pub fn forward(
    app: AppHandle,
    registry: &Registry,
    trimmer: Trimmer,
    shutdown: &Shutdown,
) -> impl std::future::Future<Output = ()> + Send {
    let bridge = Batching::new(move |batch| {
        let sent = match batch {
            Batch::Engine(status) => app.emit(events::ENGINE_STATUS, status),
            Batch::Deltas(run) => app.emit(events::CONTAINERS_DELTA, run),
            Batch::Objects(run) => app.emit(events::OBJECTS_DELTA, run),
            Batch::Alert(alert) => app.emit(events::CONTAINER_ALERT, alert),
            // The window resyncs from a snapshot of its own (the UI's gap handling).
            Batch::Lagged { missed } => app.emit(events::CONTAINERS_LAGGED, missed),
        };
        trimmer.poke();
        Ok::<_, std::convert::Infallible>(match sent {
            Ok(()) => Handled::Ok,
            Err(e) => {
                tracing::debug!(error = %e, "could not forward to the window");
                Handled::Failed
            }
        })
    });
    let consuming = registry.consume("ui-bridge", shutdown.clone(), bridge);
    async move {
        let Ok(()) = consuming.await;
    }
}
