//! What each engine event does to a row: the verbs of both engines (see the store's module
//! doc for how Docker and Podman word them), and the row built from an event's attributes when
//! its container was never listed.

use std::fmt::{self, Write as _};

use super::{
    changed, Change, Container, Delta, EngineStore, RawEvent, MAX_INVENTED, UNKNOWN_LOGGED,
};

impl EngineStore {
    pub(super) fn apply_verb(&mut self, event: &RawEvent) -> Option<Delta> {
        let (verb, detail) = match event.action.split_once(':') {
            Some((verb, detail)) => (verb.trim(), Some(detail.trim())),
            None => (event.action.as_str(), None),
        };
        match verb {
            "destroy" | "remove" => self.containers.remove(&event.id).map(|_| {
                self.delta(Change::Remove {
                    id: event.id.clone(),
                })
            }),
            "create" | "init" => {
                if self.containers.contains_key(&event.id) {
                    // Known from the list, which has more fields than the event.
                    return None;
                }
                let container = self.row_from_event(event, "created", "Created".to_owned());
                Some(self.upsert(container))
            }
            "start" | "restart" | "unpause" => {
                self.set_state(event, "running", format_args!("Up Less than a second"))
            }
            "die" | "died" => {
                let code = event.attribute("exitCode").unwrap_or("0");
                self.set_state(
                    event,
                    "exited",
                    format_args!("Exited ({code}) Less than a second ago"),
                )
            }
            "stop" => {
                // Docker sends `die` before `stop`; Podman sometimes only `stop`. Only a running
                // container changes here.
                if self
                    .containers
                    .get(&event.id)
                    .is_some_and(|h| h.row.state == "running")
                {
                    self.set_state(
                        event,
                        "exited",
                        format_args!("Exited Less than a second ago"),
                    )
                } else {
                    None
                }
            }
            "pause" => self.set_state(event, "paused", format_args!("Up (Paused)")),
            "rename" => {
                let mut name = event.attribute("name")?.trim_start_matches('/').to_owned();
                crate::container::cap_field(&mut name);
                self.modify(&event.id, name, |c, n| c.name == *n, |c, n| c.name = n)
            }
            "health_status" => {
                let health = detail?.to_owned();
                let row = &mut self.containers.get_mut(&event.id)?.row;
                let base = row.status.split(" (").next().unwrap_or_default();
                let mut status = format!("{base} ({health})");
                crate::container::cap_field(&mut status);
                let container = changed(row, status, |c, s| c.status == *s, |c, s| c.status = s)?;
                Some(self.delta(Change::Upsert { container }))
            }
            // Signals, execs, attaches, file copies, commits and Podman's bookkeeping change
            // nothing the list shows.
            "kill" | "oom" | "exec_create" | "exec_start" | "exec_die" | "exec_detach" | "exec"
            | "attach" | "detach" | "cleanup" | "sync" | "commit" | "copy" | "export" | "top"
            | "resize" | "mount" | "unmount" | "archive-path" | "extract-to-dir" | "checkpoint"
            | "restore" | "update" | "prune" | "connect" | "disconnect" | "cleanup_exec"
            | "refresh" | "import" | "wait" | "untag" | "tag" => None,
            other => {
                self.stats.unknown += 1;
                if self.unknown_logged.len() < UNKNOWN_LOGGED
                    && self.unknown_logged.insert(other.to_owned())
                {
                    tracing::info!(engine = %self.engine, action = other, "unknown container event action (ignored; logged once)");
                }
                None
            }
        }
    }

    fn row_from_event(&self, event: &RawEvent, state: &str, status: String) -> Container {
        let label = |k: &str| {
            event
                .attribute(k)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Container {
            id: event.id.clone(),
            name: event.attribute("name").map_or_else(
                || event.id.chars().take(12).collect(),
                |n| n.trim_start_matches('/').to_owned(),
            ),
            image: event.attribute("image").unwrap_or_default().to_owned(),
            image_id: String::new(),
            volumes: Vec::new(),
            networks: Vec::new(),
            state: state.to_owned(),
            status,
            engine: self.engine.to_string(),
            created: event.time_nano.div_euclid(1_000_000_000),
            ports: Vec::new(),
            pod: label("io.podman.pod.name"),
            project: label("com.docker.compose.project"),
            pending: false,
            kube: None,
        }
    }

    fn set_state(
        &mut self,
        event: &RawEvent,
        state: &str,
        status: fmt::Arguments<'_>,
    ) -> Option<Delta> {
        self.status.clear();
        // Writing into a String cannot fail.
        let _ = self.status.write_fmt(status);
        // One lookup: start, die and pause are most of an engine's events.
        let Some(held) = self.containers.get_mut(&event.id) else {
            // An event for a container never listed nor created (its create was lost in a gap):
            // build it from the event's attributes rather than miss it, within a bound.
            if self.invented >= MAX_INVENTED {
                self.stats.unknown += 1;
                return None;
            }
            self.invented += 1;
            let container = self.row_from_event(event, state, self.status.clone());
            return Some(self.upsert(container));
        };
        // Copied into the row's own buffers rather than replacing them: once a row has been both
        // up and exited its buffers fit every status, and an event neither allocates nor hands a
        // row's old buffer back to the allocator (memory nothing else of the event touches).
        let container = changed(
            &mut held.row,
            self.status.as_str(),
            |c, s| c.state == state && c.status == *s,
            |c, s| {
                state.clone_into(&mut c.state);
                s.clone_into(&mut c.status);
            },
        )?;
        Some(self.delta(Change::Upsert { container }))
    }
}
