//! Engine failures and their classification.
//!
//! Every failure to reach or read an engine becomes an [`EngineError`], and every `EngineError`
//! has exactly one [`FailureKind`]. The kind, not the message, decides what happens next:
//!
//! | kind                | retry policy                                                        |
//! |---------------------|---------------------------------------------------------------------|
//! | `transient`         | back off and retry (reset, timeout, EOF, 5xx)                        |
//! | `not_running`       | wait for the socket to appear (unix) or back off (TCP, named pipe)  |
//! | `permission_denied` | stop; retry only when the socket's mode changes or the user asks    |
//! | `incompatible`      | stop; the engine's API will not change by waiting                   |
//! | `protocol`          | back off and retry: a malformed answer is usually one bad response  |
//! | `internal`          | stop: one of Skiff's own tasks for this engine died (a bug, logged); |
//! |                     | restarting it could loop on the same panic, so the engine says so   |
//!
//! This is the lesson of Podman Desktop's events loop, which retried every failure the same way,
//! forever, every five seconds.

use std::error::Error as StdError;
use std::io;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Endpoint;

/// The class of a failure: what retrying can and cannot fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "FailureKind.ts")]
pub enum FailureKind {
    Transient,
    NotRunning,
    PermissionDenied,
    Incompatible,
    Protocol,
    /// Skiff's own task for the engine died (a panic): shown, never retried behind the user's back.
    Internal,
}

impl FailureKind {
    /// Whether waiting and trying again can fix this class of failure.
    #[must_use]
    pub fn retries(self) -> bool {
        !matches!(
            self,
            Self::PermissionDenied | Self::Incompatible | Self::Internal
        )
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transient => "transient",
            Self::NotRunning => "not_running",
            Self::PermissionDenied => "permission_denied",
            Self::Incompatible => "incompatible",
            Self::Protocol => "protocol",
            Self::Internal => "internal",
        }
    }
}

/// The oldest engine API Skiff speaks: Docker 19.03 / Podman 3 (API 1.40). Older engines lack the
/// event fields the registry relies on (`timeNano`, `Actor.Attributes`).
pub const MIN_API_VERSION: (u32, u32) = (1, 40);

/// A failure to reach or read an engine. Each variant names what failed; [`EngineError::kind`]
/// maps it onto the retry policy documented at the top of this module.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{endpoint}: socket {path} does not exist (is the engine running?)")]
    SocketMissing { endpoint: Endpoint, path: String },
    #[error("{endpoint}: connection refused (is the engine running?)")]
    Refused { endpoint: Endpoint },
    #[error("{endpoint}: permission denied")]
    PermissionDenied { endpoint: Endpoint },
    #[error("{endpoint}: engine speaks API {found}, Skiff needs at least {}.{}", MIN_API_VERSION.0, MIN_API_VERSION.1)]
    Incompatible { endpoint: Endpoint, found: String },
    /// The endpoint's kind cannot be reached from this system (a named pipe outside Windows).
    #[error("{endpoint}: {detail}")]
    Unsupported { endpoint: Endpoint, detail: String },
    #[error("{endpoint}: malformed response: {detail}")]
    Protocol { endpoint: Endpoint, detail: String },
    #[error("{endpoint}: {detail}")]
    Transient { endpoint: Endpoint, detail: String },
    /// The engine has no such object (HTTP 404): the container was removed meanwhile.
    #[error("{endpoint}: {message}")]
    NotFound { endpoint: Endpoint, message: String },
    /// The engine refused a request in the object's current state (HTTP 409: an exec in a
    /// stopped or paused container): its own words, for the user.
    #[error("{endpoint}: {message}")]
    Conflict { endpoint: Endpoint, message: String },
    /// An SSH connection failed; `ssh`'s words classified (`crate::engine::ssh`).
    #[error("{}: {}", .0.endpoint, .0.detail)]
    Ssh(Box<SshFailure>),
}

/// An SSH connection's failure, as `crate::engine::ssh` classified it.
#[derive(Debug)]
pub struct SshFailure {
    pub endpoint: Endpoint,
    pub kind: FailureKind,
    pub detail: String,
    pub remedy: Option<String>,
}

/// What the UI and the CLI's JSON lines receive: `{kind, message, remedy}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = "ErrorInfo.ts")]
pub struct ErrorInfo {
    pub kind: FailureKind,
    pub message: String,
    /// What the user can do about it, when there is something to do.
    pub remedy: Option<String>,
}

impl EngineError {
    #[must_use]
    pub fn kind(&self) -> FailureKind {
        match self {
            Self::SocketMissing { .. } | Self::Refused { .. } => FailureKind::NotRunning,
            Self::PermissionDenied { .. } => FailureKind::PermissionDenied,
            // Retrying cannot help either: no timer, as for an engine too old.
            Self::Incompatible { .. } | Self::Unsupported { .. } => FailureKind::Incompatible,
            // As before it had a variant of its own: a 404 was an answer no engine should give.
            Self::Protocol { .. } | Self::NotFound { .. } | Self::Conflict { .. } => {
                FailureKind::Protocol
            }
            Self::Transient { .. } => FailureKind::Transient,
            Self::Ssh(f) => f.kind,
        }
    }

    #[must_use]
    pub fn endpoint(&self) -> &Endpoint {
        match self {
            Self::SocketMissing { endpoint, .. }
            | Self::Refused { endpoint }
            | Self::PermissionDenied { endpoint }
            | Self::Incompatible { endpoint, .. }
            | Self::Unsupported { endpoint, .. }
            | Self::Protocol { endpoint, .. }
            | Self::Transient { endpoint, .. }
            | Self::NotFound { endpoint, .. }
            | Self::Conflict { endpoint, .. } => endpoint,
            Self::Ssh(f) => &f.endpoint,
        }
    }

    /// What the user can do, in words. `None` for transient failures, which fix themselves.
    #[must_use]
    pub fn remedy(&self) -> Option<String> {
        match self {
            Self::SocketMissing { endpoint, .. } | Self::Refused { endpoint } => {
                Some(if endpoint.guess_id().starts_with("podman") {
                    "Start Podman: `systemctl --user start podman.socket` (or `podman system service --time=0`)".to_owned()
                } else {
                    "Start the engine (e.g. `sudo systemctl start docker`) or Docker Desktop".to_owned()
                })
            }
            Self::PermissionDenied { endpoint } => Some(match endpoint.socket_path() {
                Some(path) => format!(
                    "Your user may not open {}. Add yourself to the socket's group (for Docker: `sudo usermod -aG docker $USER`, then log in again), or use rootless Podman's socket in $XDG_RUNTIME_DIR/podman/podman.sock",
                    path.display()
                ),
                None => "Check that your user may connect to this endpoint".to_owned(),
            }),
            Self::Incompatible { .. } => Some(
                "Upgrade the engine to Docker 19.03+ or Podman 3+; Skiff will not retry until then"
                    .to_owned(),
            ),
            Self::Unsupported { .. } => Some(
                "Use a unix:// or tcp:// endpoint for this engine on this system".to_owned(),
            ),
            Self::Ssh(f) => f.remedy.clone(),
            Self::Protocol { .. }
            | Self::Transient { .. }
            | Self::NotFound { .. }
            | Self::Conflict { .. } => None,
        }
    }

    #[must_use]
    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            kind: self.kind(),
            message: self.to_string(),
            remedy: self.remedy(),
        }
    }

    /// Classifies a bollard error. The order matters: an HTTP status is the engine's own word and
    /// wins over anything else; then the innermost I/O error of the source chain (connect errors
    /// arrive wrapped two or three times by hyper); then bollard's own variants.
    #[must_use]
    pub fn from_bollard(endpoint: &Endpoint, err: &bollard::errors::Error) -> Self {
        use bollard::errors::Error as B;
        let endpoint = endpoint.clone();
        match err {
            B::SocketNotFoundError(path) => {
                return Self::SocketMissing {
                    endpoint,
                    path: path.clone(),
                }
            }
            B::DockerResponseServerError {
                status_code,
                message,
            } => {
                return Self::from_status(endpoint, *status_code, message);
            }
            B::JsonDataError { message, .. } => {
                return Self::Protocol {
                    endpoint,
                    detail: message.clone(),
                }
            }
            B::JsonSerdeError { err } => {
                return Self::Protocol {
                    endpoint,
                    detail: err.to_string(),
                }
            }
            B::APIVersionParseError {} => {
                return Self::Protocol {
                    endpoint,
                    detail: "unparseable API version".to_owned(),
                }
            }
            B::IOError { err } => return Self::from_io(endpoint, err),
            B::RequestTimeoutError => {
                return Self::Transient {
                    endpoint,
                    detail: "request timed out".to_owned(),
                }
            }
            _ => {}
        }
        if let Some(io_err) = innermost_io_error(err) {
            return Self::from_io(endpoint, io_err);
        }
        Self::Transient {
            endpoint,
            detail: err.to_string(),
        }
    }

    /// Classifies an I/O error met while connecting or reading a stream.
    #[must_use]
    pub fn from_io(endpoint: Endpoint, err: &io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::NotFound => Self::SocketMissing {
                path: endpoint
                    .socket_path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                endpoint,
            },
            io::ErrorKind::ConnectionRefused => Self::Refused { endpoint },
            io::ErrorKind::PermissionDenied => Self::PermissionDenied { endpoint },
            _ => Self::Transient {
                endpoint,
                detail: err.to_string(),
            },
        }
    }

    fn from_status(endpoint: Endpoint, status: u16, message: &str) -> Self {
        let lower = message.to_lowercase();
        if status == 400
            && lower.contains("version")
            && (lower.contains("too new")
                || lower.contains("too old")
                || lower.contains("not supported"))
        {
            return Self::Incompatible {
                endpoint,
                found: message.to_owned(),
            };
        }
        match status {
            401 | 403 => Self::PermissionDenied { endpoint },
            404 => Self::NotFound {
                endpoint,
                message: message.to_owned(),
            },
            409 => Self::Conflict {
                endpoint,
                message: message.to_owned(),
            },
            500..=599 => Self::Transient {
                endpoint,
                detail: format!("engine answered {status}: {message}"),
            },
            _ => Self::Protocol {
                endpoint,
                detail: format!("engine answered {status}: {message}"),
            },
        }
    }
}

fn innermost_io_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a io::Error> {
    let mut found = None;
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(io_err) = e.downcast_ref::<io::Error>() {
            found = Some(io_err);
        }
        current = e.source();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep() -> Endpoint {
        "unix:///run/docker.sock".parse().unwrap()
    }

    #[test]
    fn missing_socket_is_not_running_and_retries() {
        let e = EngineError::from_bollard(
            &ep(),
            &bollard::errors::Error::SocketNotFoundError("/run/docker.sock".into()),
        );
        assert_eq!(e.kind(), FailureKind::NotRunning);
        assert!(e.kind().retries());
        assert!(e.to_string().contains("/run/docker.sock"));
    }

    #[test]
    fn io_errors_are_classified_by_their_kind() {
        let kinds = [
            (io::ErrorKind::ConnectionRefused, FailureKind::NotRunning),
            (io::ErrorKind::NotFound, FailureKind::NotRunning),
            (
                io::ErrorKind::PermissionDenied,
                FailureKind::PermissionDenied,
            ),
            (io::ErrorKind::ConnectionReset, FailureKind::Transient),
            (io::ErrorKind::UnexpectedEof, FailureKind::Transient),
        ];
        for (io_kind, want) in kinds {
            let wrapped = bollard::errors::Error::IOError {
                err: io::Error::new(io_kind, "x"),
            };
            assert_eq!(
                EngineError::from_bollard(&ep(), &wrapped).kind(),
                want,
                "{io_kind:?}"
            );
        }
    }

    #[test]
    fn permission_denied_stops_retrying_and_names_a_remedy() {
        let e = EngineError::from_io(ep(), &io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(!e.kind().retries());
        assert!(
            e.remedy().unwrap().contains("docker group") || e.remedy().unwrap().contains("usermod")
        );
    }

    #[test]
    fn http_statuses_map_to_classes() {
        let status = |code, msg: &str| {
            EngineError::from_bollard(
                &ep(),
                &bollard::errors::Error::DockerResponseServerError {
                    status_code: code,
                    message: msg.into(),
                },
            )
            .kind()
        };
        assert_eq!(status(500, "boom"), FailureKind::Transient);
        assert_eq!(status(503, "starting"), FailureKind::Transient);
        assert_eq!(status(403, "no"), FailureKind::PermissionDenied);
        assert_eq!(status(404, "page not found"), FailureKind::Protocol);
        assert_eq!(
            status(
                400,
                "client version 1.53 is too new. Maximum supported API version is 1.39"
            ),
            FailureKind::Incompatible
        );
    }

    #[test]
    fn the_info_sent_to_the_ui_carries_kind_and_remedy() {
        let info = EngineError::Refused { endpoint: ep() }.info();
        assert_eq!(info.kind, FailureKind::NotRunning);
        assert_eq!(serde_json::to_value(&info).unwrap()["kind"], "not_running");
        assert!(info.remedy.is_some());
    }

    #[cfg(not(windows))]
    #[tokio::test]
    async fn a_named_pipe_outside_windows_is_unsupported_in_words_and_not_retried() {
        let endpoint: Endpoint = "npipe:////./pipe/docker_engine".parse().unwrap();
        let err = crate::engine::EngineClient::connect("docker", &endpoint)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), FailureKind::Incompatible);
        assert!(!err.kind().retries());
        assert_eq!(
            err.to_string(),
            "npipe:////./pipe/docker_engine: named pipes exist only on Windows"
        );
        assert!(err.remedy().unwrap().contains("unix://"));
    }
}
