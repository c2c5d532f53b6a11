//! `skiff inspect NAME_OR_ID`: the engine's own description of one container (its inspect
//! document; a pod's object), as one JSON object: not wrapped in an array as `docker inspect`
//! wraps it, since one name resolves to one container.

use std::io::Write;

use super::Outcome;
use crate::app::Plan;

pub(super) async fn run(
    plan: &Plan,
    target: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let (registry, _trigger) = super::synced_registry(plan).await;
    let found = registry.resolve(None, target);
    let document = match found {
        Ok((engine, id)) => registry.inspect(&engine, &id).await,
        Err(e) => Err(e),
    };
    match document {
        Ok(document) => {
            serde_json::to_writer_pretty(&mut *out, &document)?;
            writeln!(out)?;
            Ok(Outcome::Success)
        }
        Err(e) => {
            writeln!(err, "skiff: inspect {target}: {e}")?;
            Ok(Outcome::Failure)
        }
    }
}
