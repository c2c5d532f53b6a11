//! The stage after the rules: each finding is checked against the engine (a restart policy that
//! restarts the container goes back to the rules, as theirs), filtered by the user's switches,
//! completed (its time, `OOMKilled`, the last log lines) and raised through the registry.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::record::Record;
use super::rules::Finding;
use super::Switches;
use crate::registry::{AlertRule, ContainerAlert, Registry};
use crate::shutdown::Shutdown;

/// The longest a finding waits for the engine's inspect and log (then it goes without).
const COMPLETE_TIMEOUT: Duration = Duration::from_millis(700);

/// Completes findings into alerts and raises them, one at a time in their order.
pub(super) struct Completer {
    pub(super) registry: Registry,
    pub(super) switches: Switches,
    pub(super) record: Arc<Mutex<Record>>,
    pub(super) path: Option<PathBuf>,
    /// The settings file is read again for each finding (not in `ping`).
    pub(super) live: bool,
    /// Whether the restart policy restarts the container of a finding with `may_restart`.
    pub(super) answers: mpsc::Sender<(Finding, bool)>,
    pub(super) shutdown: Shutdown,
}

impl Completer {
    pub(super) async fn run(self, mut rx: mpsc::Receiver<Finding>) {
        let ended = self.shutdown.clone().wait();
        tokio::pin!(ended);
        loop {
            let finding = tokio::select! {
                () = &mut ended => return,
                f = rx.recv() => match f {
                    Some(f) => f,
                    None => return,
                },
            };
            let inspected = tokio::time::timeout(
                COMPLETE_TIMEOUT,
                self.registry
                    .inspect(&finding.engine, &finding.container.id),
            )
            .await
            .ok()
            .and_then(Result::ok);
            if finding.may_restart {
                // Asked whatever the user's switches: a loop is counted from these answers.
                let restarts = inspected
                    .as_ref()
                    .is_some_and(|i| super::signs::restarts(i, finding.exit_code));
                // Full: the rules stop waiting for this answer at the container's next start.
                // An answer "restarts" they never got would leave a crash the policy then does
                // not restart unreported: it is raised now instead, the side a user can act on.
                let delivered = self.answers.try_send((finding.clone(), restarts)).is_ok();
                if restarts && delivered {
                    continue;
                }
            }
            // Read per finding (alerts are rare): a change on the Settings page or in
            // settings.json applies to the next alert, in every process.
            let switches = if self.live {
                crate::settings::Settings::load()
                    .map_or_else(|_| self.switches.clone(), |s| s.alerts)
            } else {
                self.switches.clone()
            };
            if !switches.allows(finding.rule) || switches.excludes(&finding.container.name) {
                continue;
            }
            let Some(alert) = self.complete(finding, inspected, &switches).await else {
                continue;
            };
            self.registry.publish_alert(alert.clone());
            if let Some(path) = &self.path {
                let mut record = self.record.lock();
                record.push_alert(alert);
                if let Err(e) = record.save(path) {
                    tracing::warn!(path = %path.display(), error = %e, "crash watch record not written");
                }
            }
        }
    }

    /// The alert for `finding`: its time (the engine's `FinishedAt` for a relist's), Docker's
    /// `OOMKilled`, and the last log lines; `None` when the container is labelled
    /// `skiff.alerts=off`.
    async fn complete(
        &self,
        finding: Finding,
        inspected: Option<serde_json::Value>,
        switches: &Switches,
    ) -> Option<ContainerAlert> {
        let Finding {
            engine,
            mut rule,
            container,
            exit_code,
            detected,
            at,
            may_restart: _,
        } = finding;
        if let Some(inspect) = &inspected {
            if inspect
                .pointer("/Config/Labels/skiff.alerts")
                .and_then(|v| v.as_str())
                == Some("off")
            {
                return None;
            }
            if rule == AlertRule::Crashed
                && inspect
                    .pointer("/State/OOMKilled")
                    .and_then(serde_json::Value::as_bool)
                    == Some(true)
            {
                rule = AlertRule::OomKilled;
                if !switches.allows(rule) {
                    return None;
                }
            }
        } else {
            // Gone already (a `--rm` container), or the engine did not answer: raised anyway.
            tracing::debug!(%engine, id = %container.id, "crash watch could not inspect");
        }
        let finished = inspected
            .as_ref()
            .and_then(|i| i.pointer("/State/FinishedAt"))
            .and_then(|v| v.as_str())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .and_then(|t| t.timestamp_nanos_opt());
        let at = at
            .or(finished)
            .unwrap_or_else(|| chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default());
        let log = match rule {
            AlertRule::Recovered => Vec::new(),
            _ => {
                super::log_tail::last_lines(&self.registry, &engine, &container.id, &self.shutdown)
                    .await
            }
        };
        Some(ContainerAlert {
            engine,
            rule,
            container,
            exit_code,
            detected,
            at,
            log,
        })
    }
}
