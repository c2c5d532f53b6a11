//! The crash watch's settings: which alerts are raised, and for which containers.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Which container alerts are raised (the crash watch). A container is left out with the
/// label `skiff.alerts=off` or a name matching one of `exclude_names` (`*` matches any run of
/// characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export_to = "AlertSettings.ts")]
// One switch per rule, as the settings file spells them.
#[allow(clippy::struct_excessive_bools)]
pub struct AlertSettings {
    pub crashed: bool,
    pub oom_killed: bool,
    pub unhealthy: bool,
    /// `restart_loop` and its `recovered`.
    pub restart_loop: bool,
    pub exclude_names: Vec<String>,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            crashed: true,
            oom_killed: true,
            unhealthy: true,
            restart_loop: true,
            exclude_names: Vec::new(),
        }
    }
}

impl AlertSettings {
    /// Whether alerts of `rule` are raised.
    #[must_use]
    pub fn allows(&self, rule: crate::registry::AlertRule) -> bool {
        use crate::registry::AlertRule;
        match rule {
            AlertRule::Crashed => self.crashed,
            AlertRule::OomKilled => self.oom_killed,
            AlertRule::Unhealthy => self.unhealthy,
            AlertRule::RestartLoop | AlertRule::Recovered => self.restart_loop,
        }
    }

    /// Whether a container named `name` is left out.
    #[must_use]
    pub fn excludes(&self, name: &str) -> bool {
        self.exclude_names.iter().any(|p| glob(p, name))
    }
}

/// `*`-only glob matching (whole name).
fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod glob_tests {
    #[test]
    fn star_matches_any_run() {
        for (p, n, ok) in [
            ("db", "db", true),
            ("db", "db2", false),
            ("test-*", "test-web", true),
            ("*-tmp", "x-tmp", true),
            ("*-tmp", "x-tmp2", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("*", "anything", true),
            ("ab*ab", "ab", false),
        ] {
            assert_eq!(super::glob(p, n), ok, "{p} {n}");
        }
    }
}
