//! What the crash watch keeps across restarts of Skiff, in `crash-watch.json` in the data
//! directory: the containers last seen running (a relist after a restart raises what they
//! missed, and only for them) and the alerts raised (the window's Alerts list). Bounded: at most
//! [`MAX_RUNNING`] containers and [`KEPT_ALERTS`] alerts, each alert's log lines cut.
//!
//! Only the process that owns the crash watch (`crash-watch.lock`, taken like telemetry's) writes
//! it; others read it once at start. It is replaced atomically (a temporary file renamed over
//! it). A file that cannot be read is moved aside (`.bad`), never silently overwritten, and the
//! watch starts empty: a crash missed then is the cost, never a wrong alert.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::registry::alert::KEPT_ALERTS;
use crate::registry::ContainerAlert;

/// Containers recorded as running, over all engines.
pub const MAX_RUNNING: usize = 20_000;

/// The record's format; a newer one's unknown fields are ignored, its known ones used.
pub const VERSION: u32 = 1;

/// A container last seen running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub engine: String,
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Record {
    pub version: u32,
    pub running: Vec<Seen>,
    pub alerts: Vec<ContainerAlert>,
}

impl Record {
    /// The file in `dir`.
    #[must_use]
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("crash-watch.json")
    }

    /// Reads the record; a missing file is an empty record, an unreadable one is moved aside.
    #[must_use]
    pub fn load(path: &Path) -> Self {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Self::default(),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "crash watch record unreadable; starting empty");
                return Self::default();
            }
        };
        match serde_json::from_slice::<Self>(&bytes) {
            Ok(mut record) => {
                record.bound();
                record
            }
            Err(e) => {
                let aside = path.with_extension("json.bad");
                let _ = std::fs::rename(path, &aside);
                tracing::warn!(path = %path.display(), aside = %aside.display(), error = %e, "crash watch record malformed; moved aside, starting empty");
                Self::default()
            }
        }
    }

    /// Writes the record atomically.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("json.tmp");
        let body = serde_json::to_vec(&Self {
            version: VERSION,
            ..self.clone()
        })
        .map_err(std::io::Error::other)?;
        std::fs::write(&tmp, body)?;
        std::fs::rename(&tmp, path)
    }

    /// Adds an alert (the oldest goes past [`KEPT_ALERTS`]).
    pub fn push_alert(&mut self, alert: ContainerAlert) {
        self.alerts.push(alert);
        self.bound();
    }

    fn bound(&mut self) {
        self.running.truncate(MAX_RUNNING);
        if self.alerts.len() > KEPT_ALERTS {
            self.alerts.drain(..self.alerts.len() - KEPT_ALERTS);
        }
        for alert in &mut self.alerts {
            alert.log.truncate(super::run::LOG_LINES);
            for line in &mut alert.log {
                crate::container::cap_text(line, super::run::LOG_LINE_BYTES);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{AlertRule, AlertedContainer, Detected};

    fn alert(n: usize) -> ContainerAlert {
        ContainerAlert {
            engine: "e".into(),
            rule: AlertRule::Crashed,
            container: AlertedContainer {
                id: format!("{n}"),
                name: "c".into(),
            },
            exit_code: Some(3),
            detected: Detected::Live,
            at: 1,
            log: vec!["x".repeat(10_000); 30],
        }
    }

    #[test]
    fn a_record_round_trips_bounded_and_a_bad_one_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = Record::path(dir.path());
        assert_eq!(Record::load(&path), Record::default(), "missing: empty");
        let mut record = Record::default();
        for n in 0..(KEPT_ALERTS + 5) {
            record.push_alert(alert(n));
        }
        record.running.push(Seen {
            engine: "e".into(),
            id: "c".into(),
            name: "n".into(),
        });
        record.save(&path).unwrap();
        let back = Record::load(&path);
        assert_eq!(back.alerts.len(), KEPT_ALERTS);
        assert_eq!(back.alerts[0].container.id, "5", "the oldest went");
        assert_eq!(back.alerts[0].log.len(), super::super::run::LOG_LINES);
        assert!(back.alerts[0].log[0].len() <= super::super::run::LOG_LINE_BYTES);
        assert_eq!(back.running, record.running);
        // From a newer Skiff: unknown fields ignored, known ones used.
        std::fs::write(
            &path,
            r#"{"version":9,"future":[1],"running":[{"engine":"e","id":"c","name":"n","more":1}]}"#,
        )
        .unwrap();
        assert_eq!(Record::load(&path).running.len(), 1);
        std::fs::write(&path, b"{not json").unwrap();
        assert_eq!(Record::load(&path), Record::default());
        assert!(path.with_extension("json.bad").exists(), "kept, not lost");
    }
}
