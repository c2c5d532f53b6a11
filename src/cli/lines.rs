//! The JSON lines of `skiff watch --json`, one object per line.
//!
//! Shapes (kept stable for scripts):
//! - `{"type":"engine","engine":"podman","state":"reconnecting","attempt":3,"retry_in_ms":1840,
//!   "error":{"kind":"not_running","message":"…"},"at":"2026-11-23T10:00:00.123Z"}`
//! - `{"type":"resync","engine":"podman","phase":"start"|"done","containers":N}`
//! - `{"type":"container","engine":"podman","op":"upsert"|"remove","rev":N,"container":{…}}`
//! - `{"type":"image"|"volume"|"network"|"pod","engine":"podman","op":"upsert"|"remove","rev":N,
//!   "object":{…}}`: `object` is what `skiff images` (…) prints for it (`{"id":…}` on a remove);
//!   `rev` is the engine's objects' own sequence.
//! - `{"type":"object_resync","engine":"podman","phase":"start"|"done","objects":N}` around
//!   the objects' relist.

use serde_json::{json, Value};

use crate::registry::objects::{ObjectChange, ObjectDelta};
use crate::registry::{Change, Delta, Snapshot};
use crate::watcher::{EngineState, EngineStatus};

#[must_use]
pub fn engine_line(s: &EngineStatus) -> Value {
    let (attempt, retry_in_ms, error) = match &s.state {
        EngineState::Reconnecting {
            attempt,
            retry_in_ms,
            error,
        } => (Some(*attempt), *retry_in_ms, Some(error)),
        EngineState::Unavailable { error } => (None, None, Some(error)),
        _ => (None, None, None),
    };
    json!({
        "type": "engine",
        "engine": s.engine,
        "state": s.state.name(),
        "attempt": attempt,
        "retry_in_ms": retry_in_ms,
        "error": error.map(|e| json!({"kind": e.kind, "message": e.message})),
        "at": s.at,
    })
}

#[must_use]
pub fn delta_line(d: &Delta) -> Value {
    match &d.change {
        Change::ResyncStart { containers } => resync_line(&d.engine, "start", *containers),
        Change::ResyncDone { containers } => resync_line(&d.engine, "done", *containers),
        Change::Upsert { container } => json!({
            "type": "container",
            "engine": d.engine,
            "op": "upsert",
            "rev": d.rev,
            "container": container_json(container),
        }),
        Change::Remove { id } => json!({
            "type": "container",
            "engine": d.engine,
            "op": "remove",
            "rev": d.rev,
            "container": { "id": id },
        }),
    }
}

/// A row as `watch` prints it; pods add their namespace (a pod name is unique only within it).
fn container_json(c: &crate::container::Container) -> Value {
    let mut v = json!({
        "id": c.id,
        "name": c.name,
        "image": c.image,
        "state": c.state,
        "status": c.status,
        "pending": c.pending,
    });
    if let Some(pod) = &c.kube {
        v["namespace"] = json!(pod.namespace);
    }
    v
}

#[must_use]
pub fn object_line(d: &ObjectDelta) -> Value {
    match &d.change {
        ObjectChange::Upsert { kind, object } => json!({
            "type": kind, "engine": d.engine, "op": "upsert", "rev": d.rev, "object": object,
        }),
        ObjectChange::Remove { kind, id } => json!({
            "type": kind, "engine": d.engine, "op": "remove", "rev": d.rev, "object": {"id": id},
        }),
        ObjectChange::ResyncStart { objects } => object_resync_line(&d.engine, "start", *objects),
        ObjectChange::ResyncDone { objects } => object_resync_line(&d.engine, "done", *objects),
    }
}

/// `{"type":"alert","rule":…,"engine":…,"container":{"id":…,"name":…},"exit_code":…,
/// "detected":…,"at":"<RFC 3339>"}` (the log lines stay in the window).
#[must_use]
pub fn alert_line(a: &crate::registry::ContainerAlert) -> Value {
    json!({
        "type": "alert",
        "rule": a.rule,
        "engine": a.engine,
        "container": {"id": a.container.id, "name": a.container.name},
        "exit_code": a.exit_code,
        "detected": a.detected,
        "at": chrono::DateTime::from_timestamp_nanos(a.at).format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string(),
    })
}

fn object_resync_line(engine: &str, phase: &str, objects: u64) -> Value {
    json!({"type": "object_resync", "engine": engine, "phase": phase, "objects": objects})
}

fn resync_line(engine: &str, phase: &str, containers: u64) -> Value {
    json!({"type": "resync", "engine": engine, "phase": phase, "containers": containers})
}

/// A whole snapshot as the lines a resync would print, for a subscriber that fell behind.
#[must_use]
pub fn snapshot_lines(snapshot: &Snapshot) -> Vec<Value> {
    let mut lines = Vec::new();
    for (engine, rev) in &snapshot.revs {
        let rows: Vec<_> = snapshot
            .containers
            .iter()
            .filter(|c| &c.engine == engine)
            .collect();
        let count = rows.len() as u64;
        lines.push(resync_line(engine, "start", count));
        let shared: std::sync::Arc<str> = engine.as_str().into();
        for c in rows {
            lines.push(delta_line(&Delta {
                engine: std::sync::Arc::clone(&shared),
                rev: *rev,
                change: Change::Upsert {
                    container: std::sync::Arc::new(c.clone()),
                },
            }));
        }
        lines.push(resync_line(engine, "done", count));
    }
    for (engine, rev) in &snapshot.object_revs {
        let objects: Vec<_> = snapshot
            .objects
            .iter()
            .filter(|o| o.engine() == engine)
            .collect();
        let count = objects.len() as u64;
        lines.push(object_resync_line(engine, "start", count));
        for o in objects {
            lines.push(object_line(&ObjectDelta {
                engine: engine.clone(),
                rev: *rev,
                change: ObjectChange::Upsert {
                    kind: o.kind(),
                    object: Box::new(o.clone()),
                },
            }));
        }
        lines.push(object_resync_line(engine, "done", count));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::Container;

    #[test]
    fn a_resync_from_a_snapshot_counts_each_engines_own_rows() {
        let row = |engine: &str, id: &str| Container::new(engine, id, id, "running");
        let snapshot = Snapshot {
            engines: Vec::new(),
            containers: vec![row("a", "1"), row("a", "2"), row("b", "3")],
            revs: [("a".to_owned(), 4), ("b".to_owned(), 9)]
                .into_iter()
                .collect(),
            objects: Vec::new(),
            object_revs: std::collections::BTreeMap::new(),
        };
        let lines = snapshot_lines(&snapshot);
        let resyncs: Vec<(String, String, u64)> = lines
            .iter()
            .filter(|l| l["type"] == "resync")
            .map(|l| {
                (
                    l["engine"].as_str().unwrap().to_owned(),
                    l["phase"].as_str().unwrap().to_owned(),
                    l["containers"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            resyncs,
            [
                ("a".into(), "start".into(), 2),
                ("a".into(), "done".into(), 2),
                ("b".into(), "start".into(), 1),
                ("b".into(), "done".into(), 1),
            ]
        );
        assert_eq!(lines.len(), 7);
    }
}
