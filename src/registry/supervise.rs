//! Every long-running task of an engine (its watcher, its applier) runs under watch.
//!
//! A task that panics is a bug, and a silent one is the worst kind: the engine's list would stay
//! on screen, "connected", while nothing updates it. So a panic is logged at error level and the
//! engine becomes `unavailable` with kind `internal`, which `ping` reports as unhealthy and the
//! tray shows as not green.
//!
//! The task is *not* restarted. kube-runtime's controllers restart on errors, not on panics: a
//! deterministic panic (the same malformed input, replayed after a relist) would loop, and each
//! turn would look like a reconnect. The user sees the state and the log instead; restarting
//! Skiff starts the engine's tasks afresh.

use std::future::Future;

use super::Registry;
use crate::engine::{ErrorInfo, FailureKind};
use crate::watcher::{EngineState, EngineStatus, WatchEvent};

impl Registry {
    /// Spawns `task`, one of `engine`'s tasks named `role` (`watcher`, `applier`), under watch.
    pub fn spawn_supervised(
        &self,
        engine: &str,
        role: &'static str,
        task: impl Future<Output = ()> + Send + 'static,
    ) {
        self.inner.tasks.send_modify(|n| *n += 1);
        let handle = tokio::spawn(task);
        let registry = self.clone();
        let engine = engine.to_owned();
        tokio::spawn(async move {
            let ended = handle.await;
            registry.inner.tasks.send_modify(|n| *n -= 1);
            let Err(e) = ended else { return };
            if !e.is_panic() {
                return; // Cancelled: the runtime is shutting down.
            }
            let payload = e.into_panic();
            let why = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            tracing::error!(%engine, role, panic = %why, "an engine task died; the engine is unavailable until Skiff restarts");
            registry.task_died(&engine, role, &why);
        });
    }

    /// Resolves once no supervised task runs: after a shutdown, when every watcher has ended and
    /// dropped its session (an SSH engine's `ssh` with it). Quitting the app waits for this, as
    /// its process ends without dropping what the runtime holds.
    pub async fn tasks_ended(&self) {
        let mut running = self.inner.tasks.subscribe();
        let _ = running.wait_for(|n| *n == 0).await;
    }

    /// Marks `engine` unavailable (kind `internal`), applied directly: its applier may be the
    /// task that died.
    fn task_died(&self, engine: &str, role: &str, why: &str) {
        let endpoint = self
            .engines()
            .into_iter()
            .find(|e| e.id == engine)
            .map(|e| e.endpoint.to_string())
            .unwrap_or_default();
        // The engine's last status only (a snapshot would copy every container to read it).
        let last = self.lock().statuses.get(engine).cloned();
        let mut status =
            last.unwrap_or_else(|| EngineStatus::new(engine, &endpoint, EngineState::Connecting));
        let error = ErrorInfo {
            kind: FailureKind::Internal,
            message: format!("Skiff's {role} for {engine} stopped on an internal error: {why}"),
            remedy: Some(
                "This is a bug in Skiff: restart Skiff, and report it with the log file (About page)"
                    .to_owned(),
            ),
        };
        status.enter(EngineState::Unavailable { error }, None);
        self.apply(engine, WatchEvent::Status(status));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tasks_ended_waits_for_every_supervised_task_whether_it_returns_or_panics() {
        let registry = Registry::new();
        // Nothing runs yet.
        registry.tasks_ended().await;
        // An engine's applier runs until its feed closes, as when its watcher ends.
        let feed = registry.attach("broken");
        let (trigger, shutdown) = crate::shutdown::channel();
        for role in ["watcher", "applier"] {
            registry.spawn_supervised("a", role, shutdown.clone().wait());
        }
        registry.spawn_supervised("broken", "watcher", async {
            panic!("injected for the test");
        });
        let early = tokio::time::timeout(Duration::from_millis(200), registry.tasks_ended()).await;
        assert!(early.is_err(), "resolved while three tasks ran");
        drop(trigger);
        let applier =
            tokio::time::timeout(Duration::from_millis(200), registry.tasks_ended()).await;
        assert!(applier.is_err(), "resolved while the applier ran");
        drop(feed);
        tokio::time::timeout(Duration::from_secs(5), registry.tasks_ended())
            .await
            .expect("every task ended");
    }

    #[tokio::test]
    async fn a_task_that_panics_makes_its_engine_unavailable_internal_and_others_go_on() {
        let registry = Registry::new();
        let mut rx = registry.subscribe();
        let _feed = registry.attach("broken");
        let healthy = registry.attach("healthy");
        registry.spawn_supervised("broken", "watcher", async {
            panic!("injected for the test");
        });
        let status = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Ok(crate::registry::RegistryEvent::Engine(s)) = rx.recv().await {
                    return s;
                }
            }
        })
        .await
        .expect("a status");
        assert_eq!(status.engine, "broken");
        let EngineState::Unavailable { error } = &status.state else {
            panic!("{status:?}");
        };
        assert_eq!(error.kind, FailureKind::Internal);
        assert!(error.message.contains("injected for the test"), "{error:?}");
        assert!(!FailureKind::Internal.retries());
        // `ping` is unhealthy and the tray is not green.
        let report = crate::health::ping(
            &registry,
            &crate::telemetry::Telemetry::disabled(),
            &mut crate::health::ProcessProbe::new(),
        );
        assert!(!report.healthy);
        assert_ne!(
            crate::health::overall(&registry.snapshot().engines),
            crate::health::Overall::AllConnected
        );
        // The registry still works for every other engine.
        healthy
            .send(WatchEvent::Status(EngineStatus::new(
                "healthy",
                "unix:///x",
                EngineState::Connected,
            )))
            .await
            .unwrap();
        let healthy_seen = tokio::time::timeout(Duration::from_secs(5), async {
            while !registry
                .snapshot()
                .engines
                .iter()
                .any(|s| s.engine == "healthy" && s.state == EngineState::Connected)
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(healthy_seen.is_ok());
    }
}
