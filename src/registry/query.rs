//! Finding containers: by id, name or unique id prefix, across engines.

use super::hub::Registry;
use crate::container::Container;
use crate::engine::{
    ActionError, ActionErrorKind, ByteStream, LogBody, LogQuery, Session, TerminalRequest,
};

impl Registry {
    /// Finds a container by full id, name, or unique id prefix, across engines (or in `engine`).
    pub fn resolve(
        &self,
        engine: Option<&str>,
        name_or_id: &str,
    ) -> Result<(String, String), ActionError> {
        let snapshot = self.snapshot();
        let candidates: Vec<&Container> = snapshot
            .containers
            .iter()
            .filter(|c| engine.is_none_or(|e| c.engine == e))
            .collect();
        let exact: Vec<&&Container> = candidates
            .iter()
            .filter(|c| c.id == name_or_id || c.name == name_or_id)
            .collect();
        let found: Vec<&&Container> = if exact.is_empty() && name_or_id.len() >= 3 {
            candidates
                .iter()
                .filter(|c| c.id.starts_with(name_or_id))
                .collect()
        } else {
            exact
        };
        match found.as_slice() {
            [one] => Ok((one.engine.clone(), one.id.clone())),
            [] => Err(ActionError {
                kind: ActionErrorKind::NotFound,
                message: format!("no container named or with id {name_or_id:?}"),
            }),
            many => Err(ActionError {
                kind: ActionErrorKind::Ambiguous,
                message: format!(
                    "{name_or_id:?} matches {} containers (in {}); use the full id",
                    many.len(),
                    many.iter()
                        .map(|c| c.engine.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    /// The engine's own description of a container Skiff shows (see
    /// [`EngineActions::document`](crate::engine::EngineActions::document)).
    pub async fn inspect(&self, engine: &str, id: &str) -> Result<serde_json::Value, ActionError> {
        let (row, actions) = self.row_and_actions(engine, id)?;
        actions.document(&row).await
    }

    /// Opens the stats stream of a container Skiff shows (see
    /// [`EngineActions::stats`](crate::engine::EngineActions::stats)).
    pub async fn stats(&self, engine: &str, id: &str) -> Result<ByteStream, ActionError> {
        let (row, actions) = self.row_and_actions(engine, id)?;
        actions.stats(&row).await
    }

    /// Opens one stats stream of several containers of `engine` (see
    /// [`EngineActions::stats_many`](crate::engine::EngineActions::stats_many)).
    pub async fn stats_many(
        &self,
        engine: &str,
        ids: &[String],
    ) -> Result<ByteStream, ActionError> {
        let mut rows = Vec::with_capacity(ids.len());
        let mut actions = None;
        for id in ids {
            let (row, a) = self.row_and_actions(engine, id)?;
            rows.push(row);
            actions = Some(a);
        }
        let actions = actions.ok_or_else(|| {
            ActionError::new(ActionErrorKind::Invalid, "stats of no container asked")
        })?;
        actions.stats_many(&rows).await
    }

    /// Opens the log of a container Skiff shows (see
    /// [`EngineActions::logs`](crate::engine::EngineActions::logs)), with its engine's current
    /// session. Following it across breaks is `crate::container_logs`' work.
    pub async fn logs(
        &self,
        engine: &str,
        id: &str,
        query: &LogQuery,
    ) -> Result<LogBody, ActionError> {
        let (row, actions) = self.row_and_actions(engine, id)?;
        actions.logs(&row, query).await
    }

    /// Opens a terminal session in a container Skiff shows (see
    /// [`EngineActions::terminal`](crate::engine::EngineActions::terminal)), with its engine's
    /// current session: a reopen while the engine is away fails at once, saying so.
    pub async fn terminal(
        &self,
        engine: &str,
        id: &str,
        request: TerminalRequest,
    ) -> Result<Session, ActionError> {
        let (row, actions) = self.row_and_actions(engine, id)?;
        actions.terminal(&row, request).await
    }

    /// The row Skiff shows and its engine's actions.
    fn row_and_actions(
        &self,
        engine: &str,
        id: &str,
    ) -> Result<(Container, std::sync::Arc<dyn crate::engine::EngineActions>), ActionError> {
        let row = self.container(engine, id).ok_or_else(|| {
            ActionError::new(
                ActionErrorKind::NotFound,
                format!("no container {id:?} in {engine}"),
            )
        })?;
        let actions = self.inner.actions.of(engine).ok_or_else(|| {
            ActionError::new(ActionErrorKind::NotFound, format!("no engine {engine:?}"))
        })?;
        Ok((row, actions))
    }

    /// The row of `id` in `engine`, as the store has it now.
    #[must_use]
    pub fn container(&self, engine: &str, id: &str) -> Option<Container> {
        self.lock()
            .stores
            .get(engine)
            .and_then(|s| s.get(id).cloned())
    }
}
