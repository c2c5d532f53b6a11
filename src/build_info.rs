//! What this build of Skiff is: `skiff --version`, the About page, bug reports.

use serde::Serialize;
use ts_rs::TS;

/// `0.1.0 (1a2b3c4d5e6f)`.
pub const VERSION_LINE: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SKIFF_COMMIT"), ")");

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export_to = "BuildInfo.ts")]
pub struct BuildInfo {
    pub version: String,
    /// Short commit hash, or `unknown` for builds outside a git checkout.
    pub commit: String,
    /// `linux`, `macos`, `windows`.
    pub os: String,
    pub arch: String,
    /// `debug` or `release`.
    pub profile: String,
}

#[must_use]
pub fn current() -> BuildInfo {
    BuildInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        commit: env!("SKIFF_COMMIT").to_owned(),
        os: std::env::consts::OS.to_owned(),
        arch: std::env::consts::ARCH.to_owned(),
        profile: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
        .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_version_line_names_version_and_commit() {
        let info = super::current();
        assert_eq!(
            super::VERSION_LINE,
            format!("{} ({})", info.version, info.commit)
        );
        assert!(!info.commit.is_empty());
    }
}
