//! `skiff start|stop|restart|pause|unpause|kill|rm NAME_OR_ID`: exits only after the engine's
//! confirming event (or the fallback listing, with a warning).

use std::io::Write;

use super::Outcome;
use crate::app::Plan;
use crate::registry::{Action, Confirmation};

pub(super) async fn run(
    plan: &Plan,
    action: Action,
    target: &str,
    force: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    // The registry's own watchers deliver the confirming event.
    let (registry, trigger) = super::synced_registry(plan).await;
    let (engine, id) = match registry.resolve(None, target) {
        Ok(found) => found,
        Err(e) => {
            writeln!(err, "skiff: {e}")?;
            return Ok(Outcome::Failure);
        }
    };
    let result = registry.act(&engine, &id, action, force).await;
    drop(trigger);
    match result {
        Ok(outcome) => {
            if outcome.confirmation == Confirmation::Inspect {
                writeln!(err, "skiff: warning: the engine sent no confirming event within 10 s; its listing was taken as the truth")?;
            }
            let state = outcome
                .container
                .as_ref()
                .map_or("removed", |c| c.state.as_str());
            let short: String = id.chars().take(12).collect();
            writeln!(
                out,
                "{} {target} ({engine} {short}): {state}",
                action.as_str()
            )?;
            Ok(Outcome::Success)
        }
        Err(e) => {
            writeln!(err, "skiff: {} {target}: {e}", action.as_str())?;
            Ok(Outcome::Failure)
        }
    }
}
