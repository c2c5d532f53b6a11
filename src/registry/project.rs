//! A compose project as one thing: start, stop, restart or remove every container of it, as the
//! project row of the container list offers. Docker Compose and podman-compose both label each
//! container with its project (`com.docker.compose.project`, the row's `project`).
//!
//! Each container goes through [`Registry::act`], so each is confirmed by its own event and
//! shares a call already in flight; they run concurrently (a project's stop costs one stop
//! timeout, not one per container). A removal removes running containers too (`force`): the
//! window asked first, naming them.

use futures_util::future::join_all;

use super::Registry;
use crate::container::Container;
use crate::engine::{Action, ActionError, ActionErrorKind};

impl Registry {
    /// The containers of compose project `project` in `engine`, by name.
    #[must_use]
    pub fn project_members(&self, engine: &str, project: &str) -> Vec<Container> {
        let state = self.lock();
        let mut rows: Vec<Container> = state
            .stores
            .get(engine)
            .map(|s| {
                s.containers()
                    .filter(|c| c.project.as_deref() == Some(project))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        rows
    }

    /// Does `action` to every container of `project`; returns how many were acted on. Fails
    /// with the first container's error (by name) when any failed, after all were tried.
    pub async fn act_on_project(
        &self,
        engine: &str,
        project: &str,
        action: Action,
    ) -> Result<usize, ActionError> {
        let members = self.project_members(engine, project);
        if members.is_empty() {
            return Err(ActionError::new(
                ActionErrorKind::NotFound,
                format!("no compose project {project:?} in {engine}"),
            ));
        }
        let force = action == Action::Remove;
        let results = join_all(
            members
                .iter()
                .map(|c| self.act(engine, &c.id, action, force)),
        )
        .await;
        let failed: Vec<String> = members
            .iter()
            .zip(&results)
            .filter_map(|(c, r)| {
                r.as_ref()
                    .err()
                    .map(|e| format!("{}: {}", c.name, e.message))
            })
            .collect();
        match failed.first() {
            None => Ok(members.len()),
            Some(first) => Err(ActionError::new(
                ActionErrorKind::Engine,
                format!(
                    "{} of {} containers failed; {first}",
                    failed.len(),
                    members.len()
                ),
            )),
        }
    }
}
