//! How the collector was last reached, kept in `telemetry-sink.json` beside the outbox so that
//! `skiff telemetry show` in a terminal says the same as the app's Telemetry page: an
//! unreachable, refusing or untrusted collector shows its reason instead of a silent queue.
//!
//! Written only when something changes (the URL, or the outcome of the last attempt), so a
//! collector that keeps failing costs no writes; never more than 4 KiB is read back.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

const FILE: &str = "telemetry-sink.json";
const READ_CAP: u64 = 4096;
/// Reasons longer than this are cut (an error chain can repeat a whole certificate subject).
const REASON_CAP: usize = 300;

/// The collector and the outcome of the last attempt to send to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export_to = "SinkStatus.ts")]
pub struct SinkStatus {
    /// The collector; `None`: none configured (events wait in the outbox).
    pub url: Option<String>,
    /// RFC 3339 time of the last attempt.
    pub last_attempt: Option<String>,
    /// Why the last attempt (or the set-up) failed; `None` after a success.
    pub last_error: Option<String>,
    #[serde(skip)]
    #[ts(skip)]
    path: Option<PathBuf>,
}

impl SinkStatus {
    /// The saved status in `dir` (the default when there is none or it is unreadable).
    #[must_use]
    pub fn load(dir: &Path) -> Self {
        let path = dir.join(FILE);
        let mut text = String::new();
        let read = std::fs::File::open(&path)
            .and_then(|f| f.take(READ_CAP).read_to_string(&mut text))
            .is_ok();
        let mut status: Self = if read {
            serde_json::from_str(&text).unwrap_or_default()
        } else {
            Self::default()
        };
        status.path = Some(path);
        status
    }

    /// The collector this run uses, and why it cannot be used if so.
    pub fn configured(&mut self, url: Option<&str>, error: Option<String>) {
        let url = url.map(str::to_owned);
        if self.url != url || error.is_some() {
            self.url = url;
            self.last_error = error.map(|e| cap(&e));
            self.last_attempt = None;
            self.save();
        }
    }

    /// Records the outcome of one attempt (`None`: accepted).
    pub fn attempted(&mut self, error: Option<String>) {
        let error = error.map(|e| cap(&e));
        let changed = self.last_error != error || self.last_attempt.is_none();
        self.last_error = error;
        self.last_attempt = Some(crate::watcher::now_rfc3339());
        if changed {
            self.save();
        }
    }

    fn save(&self) {
        let Some(path) = &self.path else { return };
        let Ok(body) = serde_json::to_vec(self) else {
            return;
        };
        // Best effort: a full disk must not stop telemetry; the app shows the in-memory copy.
        let tmp = path.with_extension("json.tmp");
        if std::fs::write(&tmp, body)
            .and_then(|()| std::fs::rename(&tmp, path))
            .is_err()
        {
            tracing::debug!(path = %path.display(), "cannot save the telemetry sink status");
        }
    }
}

fn cap(reason: &str) -> String {
    let mut reason = reason.to_owned();
    crate::container::cap_text(&mut reason, REASON_CAP);
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_outcome_survives_a_reload_and_long_reasons_are_cut() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SinkStatus::load(dir.path());
        s.configured(Some("https://127.0.0.1:1/v1"), None);
        s.attempted(Some("é".repeat(400)));
        let back = SinkStatus::load(dir.path());
        assert_eq!(back.url.as_deref(), Some("https://127.0.0.1:1/v1"));
        let reason = back.last_error.unwrap();
        assert!(reason.len() <= REASON_CAP + 3 && reason.ends_with('…'));
        s.attempted(None);
        assert_eq!(SinkStatus::load(dir.path()).last_error, None);
        std::fs::write(dir.path().join(FILE), "x".repeat(10_000)).unwrap();
        assert_eq!(SinkStatus::load(dir.path()).url, None);
    }
}
