//! Object actions through the registry: the engine's current session's client, and a refresh
//! of the object acted on where the engine sends no event for the change (Podman 4.3's
//! networks). Everything else comes back as the engine's own events, like container actions.

use super::Registry;
use crate::engine::{ActionError, ActionErrorKind, EngineClient, EngineKind};
use crate::objects::actions::{self, ObjectError};
use crate::objects::{fetch, Kind, ObjectItem};
use crate::watcher::WatchEvent;

/// The longest reference or id a command accepts: longer ones are not an engine's.
const MAX_REFERENCE: usize = 512;

/// Checks a reference, name or id from outside (the window, a script): no control characters
/// or whitespace, not empty, not longer than [`MAX_REFERENCE`].
pub fn valid_reference(what: &str, s: &str) -> Result<(), ActionError> {
    if s.is_empty()
        || s.len() > MAX_REFERENCE
        || s.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(ActionError::new(
            ActionErrorKind::Invalid,
            format!(
                "not a valid {what}: {:?}",
                s.chars().take(80).collect::<String>()
            ),
        ));
    }
    Ok(())
}

impl Registry {
    /// The client of `engine`'s current session: a Docker or Podman engine that is connected.
    pub fn engine_client(&self, engine: &str) -> Result<EngineClient, ActionError> {
        let actions = self.inner.actions.of(engine).ok_or_else(|| {
            ActionError::new(ActionErrorKind::NotFound, format!("no engine {engine:?}"))
        })?;
        actions.client().ok_or_else(|| {
            ActionError::new(
                ActionErrorKind::Unsupported,
                format!("{engine} has no images, volumes or networks, or has not connected yet"),
            )
        })
    }

    /// Removes an object of `engine`: an image (untagging it when named by a tag), a volume, a
    /// network or a pod (with its containers). Returns what the engine said it removed.
    pub async fn remove_object(
        &self,
        engine: &str,
        kind: Kind,
        id: &str,
        force: bool,
    ) -> Result<Vec<String>, ObjectError> {
        valid_reference(kind.as_str(), id).map_err(|e| ObjectError::Refused(e.message))?;
        let client = self
            .engine_client(engine)
            .map_err(|e| ObjectError::Refused(e.message))?;
        let said = match kind {
            Kind::Image => actions::remove_image(&client, id, force).await?,
            Kind::Volume => {
                actions::remove_volume(&client, id, force).await?;
                vec![id.to_owned()]
            }
            Kind::Network => {
                actions::remove_network(&client, id).await?;
                vec![id.to_owned()]
            }
            Kind::Pod => {
                crate::objects::pods::act(&client, id, crate::objects::pods::PodAction::Remove)
                    .await?;
                vec![id.to_owned()]
            }
        };
        if kind == Kind::Network && client.kind() == EngineKind::Podman {
            self.refresh_object(&client, kind, id).await;
        }
        Ok(said)
    }

    /// Asks the engine for one object and applies its answer, for a change it sends no event
    /// about. A failure only logs: the next relist repairs it.
    pub async fn refresh_object(&self, client: &EngineClient, kind: Kind, id: &str) {
        match fetch::one(client, kind, id).await {
            Ok(object) => self.apply(
                client.id(),
                WatchEvent::Objects(ObjectItem::Refreshed {
                    kind,
                    id: id.to_owned(),
                    object: object.map(Box::new),
                }),
            ),
            Err(e) => {
                tracing::debug!(engine = client.id(), %kind, id, error = %e, "refresh after an action failed");
            }
        }
    }
}
