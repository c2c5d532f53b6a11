//! Forwards the registry's fan-out to the webview as Tauri events, in order.
//!
//! - `engine://status`: an `EngineStatus` per state change or failed attempt.
//! - `containers://delta`: a `Delta` per change, with the engine's `rev`.
//! - `containers://lagged`: the bridge fell behind the fan-out; the UI takes a snapshot.
//!
//! No polling and no re-list per event: the UI applies deltas and asks for a snapshot only after
//! a gap or a reload.

use skiff::registry::{Registry, RegistryEvent};
use skiff::shutdown::Shutdown;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::{error::RecvError, Receiver};

pub async fn forward(
    app: AppHandle,
    registry: Registry,
    mut rx: Receiver<RegistryEvent>,
    shutdown: Shutdown,
) {
    let ended = shutdown.wait();
    tokio::pin!(ended);
    let metrics = registry.handler("ui-bridge");
    loop {
        let item = tokio::select! {
            () = &mut ended => return,
            item = rx.recv() => item,
        };
        metrics.queued(rx.len());
        let sent = match item {
            Ok(RegistryEvent::Engine(status)) => app.emit("engine://status", status),
            Ok(RegistryEvent::Delta(delta)) => app.emit("containers://delta", delta),
            Err(RecvError::Lagged(missed)) => {
                // The window resyncs from a snapshot (the UI's gap handling).
                metrics.resynced();
                app.emit("containers://lagged", missed)
            }
            Err(RecvError::Closed) => return,
        };
        if let Err(e) = sent {
            metrics.error();
            tracing::debug!(error = %e, "could not forward to the window");
        }
        metrics.handled(None);
    }
}
