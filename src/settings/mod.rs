//! `settings.json`: the one settings file the CLI and the desktop app share.
//!
//! It lives in the platform config directory (`$XDG_CONFIG_HOME/skiff` on Linux,
//! `~/Library/Application Support/skiff` on macOS, `%APPDATA%\skiff` on Windows), or in
//! `$SKIFF_CONFIG_DIR` when set (tests use temp dirs).
//!
//! Keys this version does not know are kept and written back, at every level, so an older Skiff
//! never erases a newer one's settings; a section whose type a newer version changed falls back
//! to its default (with a warning) while the rest is used, and is written back untouched. A file
//! that is not JSON at all is an error, never silently replaced by defaults: the user's endpoints
//! would be lost on the next save. How the file is read and written (locks, atomic replace, the
//! three-way merge) is in [`file`].

mod alerts;
mod file;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use crate::engine::discovery::EndpointSetting;
pub use alerts::AlertSettings;

/// Which Kubernetes contexts Skiff watches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export_to = "KubernetesSettings.ts")]
pub struct KubernetesSettings {
    /// Watch Kubernetes at all (default on: the current context, when there is a kubeconfig).
    pub enabled: bool,
    /// The kubeconfig file; `None`: `$KUBECONFIG`, then `~/.kube/config`.
    pub kubeconfig: Option<String>,
    /// Contexts to watch; empty: the kubeconfig's current context.
    pub contexts: Vec<String>,
    /// The one namespace to watch; `None`: all (or the context's own when listing all is
    /// forbidden).
    pub namespace: Option<String>,
}

impl Default for KubernetesSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            kubeconfig: None,
            contexts: Vec::new(),
            namespace: None,
        }
    }
}

/// What one log view in the window keeps: the last lines of the log, within both caps (the
/// follow itself never stops; the CLI is never capped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export_to = "LogViewSettings.ts")]
pub struct LogViewSettings {
    pub max_lines: u32,
    /// Text held, in MiB.
    pub max_mib: u32,
}

impl Default for LogViewSettings {
    fn default() -> Self {
        Self {
            max_lines: 100_000,
            max_mib: 64,
        }
    }
}

/// The window's colours. A theme this version does not know (a newer Skiff's) makes the
/// section fall back to `system` and stays in the file as written (see `file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export_to = "Theme.ts")]
pub enum Theme {
    Light,
    Dark,
    /// Follows the desktop (`prefers-color-scheme`).
    #[default]
    System,
}

/// Everything the user can set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export_to = "Settings.ts")]
pub struct Settings {
    pub endpoints: Vec<EndpointSetting>,
    /// Docker contexts and Podman connections switched on (`true`) or off by name; the others
    /// follow their tool: the current context and the default connection are watched.
    pub tool_engines: std::collections::BTreeMap<String, bool>,
    /// Telemetry consent: `None` until the user answers, which means off.
    pub telemetry: Option<bool>,
    /// Telemetry collector (`SKIFF_TELEMETRY_URL` overrides it).
    pub telemetry_url: Option<String>,
    pub theme: Theme,
    /// Desktop notifications for engines that go down and handlers that fall behind.
    pub notifications: bool,
    /// Reconnect backoff (environment variables override it).
    pub backoff: crate::reconnect::BackoffPolicy,
    /// Kubernetes contexts (their pods are engines `k8s:<context>`); applies at the next start.
    pub kubernetes: KubernetesSettings,
    /// How much the desktop app logs (applies at once; `SKIFF_LOG` overrides it at start).
    pub log_level: crate::logs::LogLevel,
    /// The container detail view's log.
    pub log_view: LogViewSettings,
    /// Container alerts (crash watch).
    pub alerts: AlertSettings,
    /// Keys written by other versions of Skiff, preserved as they are.
    #[serde(flatten)]
    #[ts(skip)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            endpoints: Vec::new(),
            tool_engines: std::collections::BTreeMap::new(),
            telemetry: None,
            telemetry_url: None,
            theme: Theme::System,
            notifications: true,
            backoff: crate::reconnect::BackoffPolicy::default(),
            log_level: crate::logs::LogLevel::default(),
            log_view: LogViewSettings::default(),
            alerts: AlertSettings::default(),
            kubernetes: KubernetesSettings::default(),
            extra: serde_json::Map::new(),
        }
    }
}

/// Why the settings could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid settings JSON ({source}); fix or remove it")]
    Malformed {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no config directory: set SKIFF_CONFIG_DIR")]
    NoConfigDir,
    #[error("cannot lock {path} for writing: {source}")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The data directory (telemetry outbox, locks): `$SKIFF_DATA_DIR`, or the platform's
/// (`~/.local/share/skiff` on Linux).
pub fn data_dir() -> Result<PathBuf, SettingsError> {
    if let Some(dir) = std::env::var_os("SKIFF_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir()
        .map(|d| d.join("skiff"))
        .ok_or(SettingsError::NoConfigDir)
}

/// The directory holding `settings.json`.
pub fn config_dir() -> Result<PathBuf, SettingsError> {
    if let Some(dir) = std::env::var_os("SKIFF_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::config_dir()
        .map(|d| d.join("skiff"))
        .ok_or(SettingsError::NoConfigDir)
}

/// A setting the user (or a hostile webview) tried to save that Skiff cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidSetting {
    pub field: String,
    pub reason: String,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> InvalidSetting {
    InvalidSetting {
        field: field.into(),
        reason: reason.into(),
    }
}

impl Settings {
    /// The engines part of [`Settings::validate`]: endpoints added by hand, and the switches of
    /// Docker contexts and Podman connections.
    fn validate_engines(&self) -> Result<(), InvalidSetting> {
        let mut names = std::collections::HashSet::new();
        for (i, e) in self.endpoints.iter().enumerate() {
            let field = format!("endpoints[{i}]");
            let name_ok = !e.name.is_empty()
                && e.name.len() <= 64
                && e.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if !name_ok {
                return Err(invalid(
                    format!("{field}.name"),
                    "1 to 64 letters, digits, '-', '_' or '.'",
                ));
            }
            if !names.insert(e.name.as_str()) {
                return Err(invalid(
                    format!("{field}.name"),
                    format!("{:?} is used twice", e.name),
                ));
            }
            if let Err(err) = e.url.parse::<crate::engine::Endpoint>() {
                return Err(invalid(format!("{field}.url"), err.to_string()));
            }
        }
        // Names come from the tools' own files; a page could send any map, so it is bounded.
        if self.tool_engines.len() > 256 {
            return Err(invalid(
                "tool_engines",
                "at most 256 contexts and connections",
            ));
        }
        if let Some(name) = self
            .tool_engines
            .keys()
            .find(|n| n.is_empty() || n.len() > 256 || n.chars().any(char::is_control))
        {
            return Err(invalid(
                "tool_engines",
                format!("{name:?} is not a context or connection name"),
            ));
        }
        Ok(())
    }

    /// Checks everything the Settings page can change; the first problem is returned.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        self.validate_engines()?;
        let b = &self.backoff;
        if !(10..=60_000).contains(&b.initial_ms) {
            return Err(invalid("backoff.initial_ms", "between 10 ms and 60 000 ms"));
        }
        if !(b.initial_ms..=3_600_000).contains(&b.max_ms) {
            return Err(invalid(
                "backoff.max_ms",
                "at least the first delay and at most one hour",
            ));
        }
        if !(b.factor > 1.0 && b.factor <= 10.0) {
            return Err(invalid("backoff.factor", "above 1 and at most 10"));
        }
        let v = &self.log_view;
        if !(1_000..=5_000_000).contains(&v.max_lines) {
            return Err(invalid(
                "log_view.max_lines",
                "between 1 000 and 5 000 000 lines",
            ));
        }
        if !(1..=4096).contains(&v.max_mib) {
            return Err(invalid("log_view.max_mib", "between 1 and 4096 MiB"));
        }
        let a = &self.alerts;
        if a.exclude_names.len() > 100 {
            return Err(invalid("alerts.exclude_names", "at most 100 patterns"));
        }
        for (i, p) in a.exclude_names.iter().enumerate() {
            if p.is_empty() || p.len() > 255 || p.chars().any(char::is_control) {
                return Err(invalid(
                    format!("alerts.exclude_names[{i}]"),
                    "1 to 255 characters, no control characters",
                ));
            }
        }
        let k = &self.kubernetes;
        if let Some(path) = &k.kubeconfig {
            if !Path::new(path).is_absolute() {
                return Err(invalid("kubernetes.kubeconfig", "an absolute path"));
            }
        }
        for (i, c) in k.contexts.iter().enumerate() {
            if c.is_empty() || c.len() > 253 || c.chars().any(char::is_control) {
                return Err(invalid(
                    format!("kubernetes.contexts[{i}]"),
                    "1 to 253 printable characters",
                ));
            }
        }
        if let Some(ns) = &k.namespace {
            // A DNS label, as Kubernetes requires of namespace names.
            let ok = !ns.is_empty()
                && ns.len() <= 63
                && ns
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !ns.starts_with('-')
                && !ns.ends_with('-');
            if !ok {
                return Err(invalid(
                    "kubernetes.namespace",
                    "a namespace name: lowercase letters, digits and '-', at most 63",
                ));
            }
        }
        if let Some(url) = &self.telemetry_url {
            if !url.starts_with("http://") && !url.starts_with("https://") {
                return Err(invalid("telemetry_url", "an http:// or https:// URL"));
            }
        }
        Ok(())
    }

    /// `edit` (from the Settings page) applied onto these settings: the page's fields are
    /// replaced; the telemetry consent (changed only by its own switch), the telemetry collector
    /// (never settable from the webview: a page could otherwise send what Skiff records anywhere;
    /// it comes from the file or `SKIFF_TELEMETRY_URL`) and keys written by other Skiff versions
    /// are kept.
    #[must_use]
    pub fn with_edit(mut self, edit: Settings) -> Settings {
        self.endpoints = edit.endpoints;
        self.tool_engines = edit.tool_engines;
        self.theme = edit.theme;
        self.backoff = edit.backoff;
        self.notifications = edit.notifications;
        self.log_level = edit.log_level;
        self.log_view = edit.log_view;
        self.alerts = edit.alerts;
        // The kubeconfig path is chosen in a native dialog (it says which file's credentials
        // Skiff uses): a page's edit never sets it.
        let kubeconfig = self.kubernetes.kubeconfig.take();
        self.kubernetes = edit.kubernetes;
        self.kubernetes.kubeconfig = kubeconfig;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_view_cap_out_of_range_is_refused_by_name() {
        let mut s = Settings::default();
        s.log_view.max_lines = 10;
        assert_eq!(s.validate().unwrap_err().field, "log_view.max_lines");
        s.log_view.max_lines = 1_000;
        s.log_view.max_mib = 0;
        assert_eq!(s.validate().unwrap_err().field, "log_view.max_mib");
        let edited = Settings::default().with_edit(s.clone());
        assert_eq!(edited.log_view, s.log_view, "the page sets it");
    }

    #[test]
    fn validation_names_the_field() {
        assert_eq!(Settings::default().validate(), Ok(()));
        let mut s = Settings::default();
        s.endpoints.push(EndpointSetting {
            name: "lab".into(),
            url: "tcp://10.0.0.2:2375".into(),
            enabled: true,
        });
        assert_eq!(s.validate(), Ok(()));
        s.endpoints.push(s.endpoints[0].clone());
        assert_eq!(s.validate().unwrap_err().field, "endpoints[1].name");
        s.endpoints[1].name = "../etc".into();
        assert_eq!(s.validate().unwrap_err().field, "endpoints[1].name");
        s.endpoints[1].name = "other".into();
        s.endpoints[1].url = "ftp://x".into();
        assert_eq!(s.validate().unwrap_err().field, "endpoints[1].url");
        s.endpoints.pop();
        // A theme is one of three by type: a hostile or newer word does not even parse.
        assert!(serde_json::from_value::<Theme>(serde_json::json!("neon")).is_err());
        assert_eq!(
            serde_json::from_value::<Theme>(serde_json::json!("dark")).unwrap(),
            Theme::Dark
        );
        s.kubernetes.namespace = Some("Team_A".into());
        assert_eq!(s.validate().unwrap_err().field, "kubernetes.namespace");
        s.kubernetes.namespace = Some("team-a".into());
        s.kubernetes.kubeconfig = Some("relative/config".into());
        assert_eq!(s.validate().unwrap_err().field, "kubernetes.kubeconfig");
        s.kubernetes.kubeconfig = None;
        s.kubernetes.contexts = vec!["dev\n".into()];
        assert_eq!(s.validate().unwrap_err().field, "kubernetes.contexts[0]");
        s.kubernetes.contexts.clear();
        s.backoff.max_ms = 1;
        assert_eq!(s.validate().unwrap_err().field, "backoff.max_ms");
        s.backoff.max_ms = 30_000;
        s.backoff.factor = f32::NAN;
        assert_eq!(s.validate().unwrap_err().field, "backoff.factor");
    }

    #[test]
    fn an_edit_keeps_consent_and_unknown_keys() {
        let mut current: Settings =
            serde_json::from_str(r#"{"telemetry": true, "future_key": 7, "telemetry_url": "https://collector.example/v1"}"#).unwrap();
        current.theme = Theme::Light;
        let edit = Settings {
            theme: Theme::Dark,
            notifications: false,
            // A hostile page pointing telemetry elsewhere, and Kubernetes at a file of its choice.
            telemetry_url: Some("https://attacker.example/collect".into()),
            kubernetes: KubernetesSettings {
                kubeconfig: Some("/tmp/planted-kubeconfig".into()),
                namespace: Some("team".into()),
                ..KubernetesSettings::default()
            },
            ..Settings::default()
        };
        let merged = current.with_edit(edit);
        assert_eq!(merged.telemetry, Some(true));
        assert_eq!(
            merged.telemetry_url.as_deref(),
            Some("https://collector.example/v1")
        );
        assert_eq!(merged.kubernetes.kubeconfig, None);
        assert_eq!(merged.kubernetes.namespace.as_deref(), Some("team"));
        assert_eq!(merged.theme, Theme::Dark);
        assert!(!merged.notifications);
        assert_eq!(merged.extra["future_key"], 7);
    }

    #[test]
    fn a_missing_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::load_from(&dir.path().join("settings.json")).unwrap();
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn unknown_keys_survive_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, r#"{"theme":"dark","future_key":{"a":1}}"#).unwrap();
        let s = Settings::load_from(&path).unwrap();
        assert_eq!(s.theme, Theme::Dark);
        Settings::update_at(&path, |s| s.theme = Theme::Light).unwrap();
        let raw: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(raw["future_key"]["a"], 1);
    }

    #[test]
    fn a_malformed_file_is_an_error_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, "{ not json").unwrap();
        let err = Settings::load_from(&path).unwrap_err();
        assert!(matches!(err, SettingsError::Malformed { .. }));
        assert!(err.to_string().contains("settings.json"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");
    }
}
