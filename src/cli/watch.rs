//! `skiff watch --json`: the registry's stream as JSON lines, until interrupted.

use std::io::Write;

use tokio::sync::broadcast::error::RecvError;

use super::lines::{delta_line, engine_line, snapshot_lines};
use super::Outcome;
use crate::registry::{Registry, RegistryEvent};
use crate::settings::Settings;
use crate::shutdown::Shutdown;
use crate::watcher::WatcherConfig;

pub(super) async fn run(
    engines: &super::Targets,
    config: &WatcherConfig,
    shutdown: Shutdown,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let registry = Registry::new();
    // Subscribe before starting, so the first status line and the first resync are printed.
    let mut rx = registry.subscribe();
    // Telemetry only with consent and only if no other Skiff process (the app) owns it.
    let runtime = tokio::runtime::Handle::current();
    let (telemetry, run) =
        crate::telemetry::start_if_allowed(&Settings::load()?, &shutdown, &runtime);
    telemetry.follow(&registry, &runtime);
    engines.start(&registry, config, &shutdown);
    let metrics = registry.handler("cli-watch");
    let ended = shutdown.wait();
    tokio::pin!(ended);
    loop {
        tokio::select! {
            () = &mut ended => {
                if let Some(run) = run {
                    run.finish().await;
                }
                return Ok(Outcome::Success);
            }
            item = rx.recv() => {
                metrics.queued(rx.len());
                let lines = match item {
                    Ok(RegistryEvent::Engine(status)) => vec![engine_line(&status)],
                    Ok(RegistryEvent::Delta(delta)) => vec![delta_line(&delta)],
                    // Fell behind: print the whole current set as a resync instead of a list
                    // with holes.
                    Err(RecvError::Lagged(_)) => {
                        metrics.resynced();
                        snapshot_lines(&registry.snapshot())
                    }
                    Err(RecvError::Closed) => return Ok(Outcome::Success),
                };
                for line in lines {
                    serde_json::to_writer(&mut *out, &line)?;
                    out.write_all(b"\n")?;
                }
                // Line-buffered on purpose: a script reading the pipe sees each event at once.
                out.flush()?;
                metrics.handled(None);
            }
        }
    }
}
