//! `skiff engines`: each engine's connection state, after one connection attempt.

use std::io::Write;

use super::lines::engine_line;
use super::Outcome;
use crate::app::Plan;
use crate::watcher::EngineState;

pub(super) async fn run(plan: &Plan, json: bool, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let (registry, trigger) = super::synced_registry(plan).await;
    let statuses = registry.snapshot().engines;
    drop(trigger);

    // Where each engine came from (a flag, the settings, the environment, a Docker context, a
    // Podman connection, a well-known socket); Kubernetes contexts say `kubeconfig`.
    let source = |id: &str| {
        plan.targets
            .engines
            .iter()
            .find(|e| e.id == id)
            .and_then(|e| serde_json::to_value(e.source).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "kubeconfig".to_owned())
    };
    let all_connected = statuses.len() == plan.targets.len()
        && statuses.iter().all(|s| s.state == EngineState::Connected);
    if json {
        let mut rows = Vec::new();
        for s in &statuses {
            let mut line = engine_line(s);
            line["endpoint"] = s.endpoint.clone().into();
            line["kind"] = serde_json::to_value(s.kind)?;
            line["version"] = s.version.clone().into();
            line["source"] = source(&s.engine).into();
            line.as_object_mut().map(|o| o.shift_remove("type"));
            rows.push(line);
        }
        serde_json::to_writer(&mut *out, &rows)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{:<16} {:<10} {:<14} {:<13} {:<17} ENDPOINT / DETAIL",
            "ENGINE", "KIND", "VERSION", "STATE", "SOURCE"
        )?;
        for s in &statuses {
            let detail = match &s.state {
                EngineState::Reconnecting { error, .. } | EngineState::Unavailable { error } => {
                    format!("{} ({})", error.message, error.kind.as_str())
                }
                _ => s.endpoint.clone(),
            };
            writeln!(
                out,
                "{:<16} {:<10} {:<14} {:<13} {:<17} {detail}",
                s.engine,
                s.kind.map(|k| k.to_string()).unwrap_or_default(),
                s.version.clone().unwrap_or_default(),
                s.state.name(),
                source(&s.engine),
            )?;
        }
    }
    Ok(if all_connected {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}
