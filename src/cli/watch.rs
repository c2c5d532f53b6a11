//! `skiff watch --json`: the registry's stream as JSON lines, until interrupted.

use std::io::Write;

use super::lines::{alert_line, delta_line, engine_line, object_line, snapshot_lines};
use super::Outcome;
use crate::app::{Core, Plan};
use crate::registry::{Feed, Handled, Registry};
use crate::shutdown::Shutdown;

pub(super) async fn run(
    plan: &Plan,
    shutdown: Shutdown,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let core = Core::new(Registry::new(), plan.config.clone(), shutdown.clone());
    // Subscribed before the sources start, so the first status line and the first resync are
    // printed.
    let printing =
        core.registry
            .consume("cli-watch", shutdown, |feed| -> std::io::Result<Handled> {
                let lines = match feed {
                    Feed::Engine(status) => vec![engine_line(&status)],
                    Feed::Delta(delta) => vec![delta_line(&delta)],
                    Feed::Object(delta) => vec![object_line(&delta)],
                    Feed::Alert(alert) => vec![alert_line(&alert)],
                    // Fell behind: the whole current set as a resync instead of a list with holes.
                    Feed::Resync { snapshot, .. } => snapshot_lines(&snapshot),
                };
                for line in lines {
                    serde_json::to_writer(&mut *out, &line)?;
                    out.write_all(b"\n")?;
                }
                // Line-buffered on purpose: a script reading the pipe sees each event at once.
                out.flush()?;
                Ok(Handled::Ok)
            });
    // Telemetry only with consent and only if no other Skiff process (the app) owns it; a
    // consent change made meanwhile (`skiff telemetry disable`) applies within seconds.
    let telemetry = core.telemetry(&plan.settings, &tokio::runtime::Handle::current());
    // Alerts: every `skiff watch` prints them; the first process to lock the record keeps it.
    let _crash_watch = core.crash_watch(&plan.settings, true);
    core.start(&plan.targets);
    let printed = printing.await;
    telemetry.finish().await;
    printed?;
    Ok(Outcome::Success)
}
