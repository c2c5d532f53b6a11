//! Log files: where they live, how they rotate, and the level the user can change while Skiff runs.
//!
//! The desktop app writes every log line twice: to stderr (for `skiff-desktop` started from a
//! terminal) and to a daily file in the platform's log directory, keeping the 7 newest days. The
//! file writer is non-blocking and lossy: a line is handed to a background thread through a
//! bounded queue, and when the disk stalls (or is full) lines are dropped rather than the engine
//! watchers waiting on a `write(2)`. Logs are for diagnosis; they must never slow the app down.
//! Each day's file is capped in size too ([`capped`]: 64 MiB), so 7 files are at most ~450 MiB.
//!
//! The level comes from `settings.json` (`log_level`) and can be changed at runtime through
//! [`Logging::set_level`] (the Settings page), which swaps the filter in place without
//! restarting anything. `SKIFF_LOG` (an `EnvFilter` directive) wins at start, for debugging a
//! single run; a level chosen later in Settings replaces it.

pub mod capped;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{reload, EnvFilter};
use ts_rs::TS;

/// Files kept: today's and the six days before it.
pub const KEPT_FILES: usize = 7;
/// File names are `skiff.YYYY-MM-DD.log`.
pub const FILE_PREFIX: &str = "skiff";
pub const FILE_SUFFIX: &str = "log";

/// Lines the file writer's queue holds while the disk is slow; more are dropped (lossy).
///
/// Far more than a stall of seconds brings at the default level (a few lines a minute), or a
/// burst at `trace`. Not the library's 128,000: its queue is a ring allocated and written whole
/// when it is made, 32 bytes a line, which was 4 MiB of the app's resident memory from the
/// first second on, for a queue that is empty almost always.
const QUEUED_LINES: usize = 8192;

/// How much the app logs, from the Settings page.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize, TS,
)]
#[serde(rename_all = "lowercase")]
#[ts(export_to = "LogLevel.ts")]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub const ALL: [LogLevel; 5] = [
        LogLevel::Error,
        LogLevel::Warn,
        LogLevel::Info,
        LogLevel::Debug,
        LogLevel::Trace,
    ];

    fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }

    /// The filter directive: Skiff's own crates at this level, dependencies (hyper, tao, kube…)
    /// at most at `warn`. Their debug output is megabytes per minute and says nothing about Skiff.
    #[must_use]
    pub fn directive(self) -> String {
        let deps = self.min(LogLevel::Warn).as_str();
        let own = self.as_str();
        format!("{deps},skiff={own},skiff_desktop={own}")
    }
}

/// Where log files go, by platform convention:
/// - Linux: `$XDG_STATE_HOME/skiff/logs` (`~/.local/state/skiff/logs`): logs are state, not data.
/// - macOS: `~/Library/Logs/Skiff`, where Console.app looks.
/// - Windows: `%LOCALAPPDATA%\skiff\logs` (not roaming: logs are per machine).
///
/// `$SKIFF_LOG_DIR` overrides it (tests, and users who want them elsewhere).
#[must_use]
pub fn log_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SKIFF_LOG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    platform_log_dir(
        std::env::consts::OS,
        dirs::home_dir().as_deref(),
        dirs::state_dir().as_deref(),
        dirs::data_local_dir().as_deref(),
    )
}

/// The platform rule of [`log_dir`] as a pure function, so every platform's answer is
/// unit-tested on Linux.
#[must_use]
pub fn platform_log_dir(
    os: &str,
    home: Option<&Path>,
    state: Option<&Path>,
    local_data: Option<&Path>,
) -> Option<PathBuf> {
    match os {
        "macos" => home.map(|h| h.join("Library/Logs/Skiff")),
        "windows" => local_data.map(|d| d.join("skiff").join("logs")),
        _ => state
            .map(Path::to_path_buf)
            .or_else(|| home.map(|h| h.join(".local/state")))
            .map(|d| d.join("skiff").join("logs")),
    }
}

/// Why logging could not be set up or changed.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot create the log folder {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open a log file in {path}: {source}")]
    File {
        path: PathBuf,
        source: tracing_appender::rolling::InitError,
    },
    #[error("another logger is already installed")]
    AlreadyInstalled,
    #[error("the logger is gone; the level cannot change")]
    Gone,
}

type Reload = reload::Handle<EnvFilter, tracing_subscriber::Registry>;

/// The running logger: the level switch and the file writer's flush guard. Keep it alive for
/// as long as the app runs (dropping it flushes and closes the file).
#[derive(Debug)]
pub struct Logging {
    filter: Reload,
    dir: Option<PathBuf>,
    _file: Option<tracing_appender::non_blocking::WorkerGuard>,
}

impl Logging {
    /// A subscriber writing to stderr and, with `dir`, to the rotated files there, plus its
    /// controls. [`Logging::install`] makes it the process's logger; tests use it scoped.
    pub fn build(
        dir: Option<&Path>,
        level: LogLevel,
        env_directive: Option<&str>,
    ) -> Result<(impl tracing::Subscriber + Send + Sync, Logging), LogError> {
        // A directive from SKIFF_LOG that does not parse is reported, not silently ignored.
        let filter = env_directive
            .and_then(|d| match EnvFilter::try_new(d) {
                Ok(f) => Some(f),
                Err(e) => {
                    eprintln!("skiff: SKIFF_LOG={d:?} ignored: {e}");
                    None
                }
            })
            .unwrap_or_else(|| EnvFilter::new(level.directive()));
        let (filter, handle) = reload::Layer::new(filter);

        let (file_layer, guard) = match dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| LogError::Dir {
                    path: dir.to_owned(),
                    source,
                })?;
                let appender = tracing_appender::rolling::Builder::new()
                    .rotation(tracing_appender::rolling::Rotation::DAILY)
                    .filename_prefix(FILE_PREFIX)
                    .filename_suffix(FILE_SUFFIX)
                    .max_log_files(KEPT_FILES)
                    .build(dir)
                    .map_err(|source| LogError::File {
                        path: dir.to_owned(),
                        source,
                    })?;
                let appender = capped::Capped::new(appender, dir, capped::DAILY_CAP);
                let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                    .buffered_lines_limit(QUEUED_LINES)
                    .lossy(true)
                    .finish(appender);
                let layer = tracing_subscriber::fmt::layer()
                    .with_writer(writer)
                    .with_ansi(false);
                (Some(layer), Some(guard))
            }
            None => (None, None),
        };
        let stderr = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
        let subscriber = tracing_subscriber::registry()
            .with(filter)
            .with(stderr)
            .with(file_layer);
        Ok((
            subscriber,
            Logging {
                filter: handle,
                dir: dir.map(Path::to_path_buf),
                _file: guard,
            },
        ))
    }

    /// Installs the process's logger: files in [`log_dir`], `SKIFF_LOG` honoured. A log folder
    /// that cannot be created (read-only home, full disk) leaves stderr logging on and says why
    /// there: the app runs without files rather than not at all.
    pub fn install(level: LogLevel) -> Result<Logging, LogError> {
        let env = std::env::var("SKIFF_LOG").ok().filter(|v| !v.is_empty());
        let dir = log_dir();
        let (subscriber, logging) = match Logging::build(dir.as_deref(), level, env.as_deref()) {
            Ok(built) => built,
            Err(e) => {
                eprintln!("skiff: logging to stderr only: {e}");
                Logging::build(None, level, env.as_deref())?
            }
        };
        tracing::subscriber::set_global_default(subscriber)
            .map_err(|_| LogError::AlreadyInstalled)?;
        Ok(logging)
    }

    /// Changes the level of everything logged from now on (stderr and file alike).
    pub fn set_level(&self, level: LogLevel) -> Result<(), LogError> {
        self.filter
            .reload(EnvFilter::new(level.directive()))
            .map_err(|_| LogError::Gone)?;
        tracing::info!(level = level.as_str(), "log level changed");
        Ok(())
    }

    /// The folder holding the log files, if files are being written.
    #[must_use]
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_platform_has_its_conventional_folder() {
        let home = Path::new("/home/ada");
        assert_eq!(
            platform_log_dir("linux", Some(home), Some(Path::new("/st")), None),
            Some(PathBuf::from("/st/skiff/logs"))
        );
        assert_eq!(
            platform_log_dir("linux", Some(home), None, None),
            Some(PathBuf::from("/home/ada/.local/state/skiff/logs"))
        );
        assert_eq!(
            platform_log_dir("macos", Some(Path::new("/Users/ada")), None, None),
            Some(PathBuf::from("/Users/ada/Library/Logs/Skiff"))
        );
        assert_eq!(
            platform_log_dir(
                "windows",
                Some(Path::new(r"C:\Users\ada")),
                None,
                Some(Path::new(r"C:\Users\ada\AppData\Local"))
            ),
            Some(
                Path::new(r"C:\Users\ada\AppData\Local")
                    .join("skiff")
                    .join("logs")
            )
        );
        assert_eq!(platform_log_dir("linux", None, None, None), None);
    }

    #[test]
    fn dependencies_stay_at_warn_or_quieter() {
        assert_eq!(
            LogLevel::Debug.directive(),
            "warn,skiff=debug,skiff_desktop=debug"
        );
        assert_eq!(
            LogLevel::Error.directive(),
            "error,skiff=error,skiff_desktop=error"
        );
        for level in LogLevel::ALL {
            assert!(EnvFilter::try_new(level.directive()).is_ok());
        }
    }
}
