//! When an engine is lost to a session that cannot notice by itself: a terminal on a hung
//! engine (a wedged VM, a stopped daemon process) keeps its connection open and receives
//! nothing, which would look like a frozen terminal. The engine's watcher already knows (its
//! liveness ping fails), so a session asks the registry instead of timing out on its own.

use std::future::Future;

use tokio::sync::broadcast::error::RecvError;

use super::hub::{Registry, RegistryEvent};
use crate::watcher::EngineState;

impl Registry {
    /// Resolves, with a sentence for the user, once `engine` is no longer connected: its
    /// watcher lost it (a failed ping included) or it was switched off. Never resolves while it
    /// stays connected, nor after the registry stopped (the session's own end tells then).
    pub fn engine_lost(&self, engine: &str) -> impl Future<Output = String> + Send + 'static {
        // Subscribed before the check: a change in between is in the subscription.
        let mut events = self.subscribe();
        let registry = self.clone();
        let engine = engine.to_owned();
        async move {
            loop {
                if !registry.is_connected(&engine) {
                    return format!("{engine} is not connected");
                }
                match events.recv().await {
                    Ok(RegistryEvent::Engine(status)) if status.engine == engine => {
                        match status.state {
                            EngineState::Connected | EngineState::Connecting => {}
                            EngineState::Reconnecting { error, .. }
                            | EngineState::Unavailable { error } => {
                                return format!("{engine} became unreachable: {}", error.message)
                            }
                            EngineState::Disabled => return format!("{engine} was switched off"),
                        }
                    }
                    // Behind: the check at the top of the loop reads the state as it is.
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => std::future::pending::<()>().await,
                }
            }
        }
    }
}
