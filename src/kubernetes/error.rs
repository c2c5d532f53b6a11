//! Kube errors as Skiff's failure classes, worded for the engine banner.
//!
//! The class decides what the watcher does (see [`FailureKind::retries`]): an unreachable API
//! server is `not_running` and retried with backoff; a rejected token (401) or a forbidden list
//! (403) is `permission_denied` and not retried on a timer at all, only when the kubeconfig
//! changes or the user clicks Retry (a revoked token must not cause a request storm); a server
//! without the pods API is `incompatible`.

use std::error::Error as _;

use kube::runtime::watcher;

use crate::engine::{ErrorInfo, FailureKind};

/// A Kubernetes failure (an unreadable kubeconfig, an unknown context, an API error), carrying
/// its class and remedy: what the watcher's policy and the banner read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.message)]
pub struct KubeError(pub ErrorInfo);

impl KubeError {
    #[must_use]
    pub fn kind(&self) -> FailureKind {
        self.0.kind
    }
}

impl From<ErrorInfo> for KubeError {
    fn from(info: ErrorInfo) -> Self {
        Self(info)
    }
}

impl From<KubeError> for ErrorInfo {
    fn from(error: KubeError) -> Self {
        error.0
    }
}

/// The class, message and remedy of a client error talking to `server`.
#[must_use]
pub fn classify(error: &kube::Error, server: &str) -> ErrorInfo {
    let info = |kind, message: String, remedy: Option<&str>| ErrorInfo {
        kind,
        message,
        remedy: remedy.map(str::to_owned),
    };
    match error {
        kube::Error::Api(status) => match status.code {
            401 => info(
                FailureKind::PermissionDenied,
                format!("{server} rejected the credentials (401 Unauthorized): the token expired or was revoked"),
                Some("Log in to the cluster again so that the kubeconfig holds a fresh token; Skiff reconnects as soon as the kubeconfig changes, or click Retry."),
            ),
            403 => info(
                FailureKind::PermissionDenied,
                format!("forbidden: {}", status.message),
                Some("Ask a cluster administrator for list and watch on pods, or choose a namespace you may read in Settings."),
            ),
            404 => info(
                FailureKind::Incompatible,
                format!("{server} has no pods API: {}", status.message),
                None,
            ),
            408 | 429 | 500..=599 => info(
                FailureKind::Transient,
                format!("{server} answered {} {}", status.code, status.message),
                None,
            ),
            _ => info(
                FailureKind::Protocol,
                format!("{server} answered {} {}", status.code, status.message),
                None,
            ),
        },
        kube::Error::Auth(e) => info(
            FailureKind::PermissionDenied,
            format!("cannot authenticate to {server}: {e}"),
            Some("Check the user of this context in the kubeconfig (an expired login or a failing credential plugin); Skiff retries when the kubeconfig changes."),
        ),
        kube::Error::InferConfig(_) | kube::Error::BuildRequest(_) => info(
            FailureKind::Incompatible,
            format!("{error}"),
            Some("Fix the context in the kubeconfig; Skiff retries as soon as it changes."),
        ),
        kube::Error::SerdeError(e) => info(
            FailureKind::Protocol,
            format!("{server} sent a response Skiff cannot read: {e}"),
            None,
        ),
        other => transport(other, server),
    }
}

/// Connection-level failures, told apart by the innermost cause.
fn transport(error: &kube::Error, server: &str) -> ErrorInfo {
    let mut chain = vec![error.to_string()];
    let mut source = error.source();
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    let text = chain.join(": ").to_lowercase();
    let (kind, message, remedy) = if text.contains("connection refused") {
        (
            FailureKind::NotRunning,
            format!("nothing answers at {server} (connection refused): the cluster is not running"),
            Some("Start the cluster (minikube start, kind, k3d…) or check the server address of this context."),
        )
    } else if text.contains("dns error") || text.contains("failed to lookup") {
        (
            FailureKind::NotRunning,
            format!("the address of {server} does not resolve"),
            Some("Connect to the network (or VPN) the cluster is on, or check the server address of this context."),
        )
    } else if text.contains("certificate") || text.contains("tls") && text.contains("invalid") {
        (
            FailureKind::Incompatible,
            format!("the certificate of {server} is not trusted: {}", chain.last().map_or("", String::as_str)),
            Some("Update the certificate-authority of this cluster in the kubeconfig; Skiff retries when it changes."),
        )
    } else {
        (
            FailureKind::Transient,
            format!(
                "lost the connection to {server}: {}",
                chain.last().map_or("", String::as_str)
            ),
            None,
        )
    };
    ErrorInfo {
        kind,
        message,
        remedy: remedy.map(str::to_owned),
    }
}

/// The class of a watcher error. `410 Gone` never gets here: the watcher relists by itself.
#[must_use]
pub fn classify_watch(error: &watcher::Error, server: &str) -> ErrorInfo {
    match error {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => classify(e, server),
        watcher::Error::WatchError(status) => classify(&kube::Error::Api(status.clone()), server),
        watcher::Error::NoResourceVersion => ErrorInfo {
            kind: FailureKind::Incompatible,
            message: format!("{server} lists pods without a resourceVersion"),
            remedy: None,
        },
    }
}

/// A `410 Gone`: the resourceVersion to resume from was compacted away. The watcher relists on
/// its next poll; it is a resync, not a failure.
#[must_use]
pub fn is_gone(error: &watcher::Error) -> bool {
    matches!(error, watcher::Error::WatchError(s) if s.code == 410)
        || matches!(error, watcher::Error::WatchStartFailed(kube::Error::Api(s)) if s.code == 410)
}

/// Listing cluster-wide was forbidden (403): the cue to fall back to the context's namespace.
#[must_use]
pub fn is_forbidden_list(error: &watcher::Error) -> bool {
    matches!(error, watcher::Error::InitialListFailed(kube::Error::Api(s)) if s.code == 403)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: u16, message: &str) -> kube::Error {
        let status: kube::core::Status = serde_json::from_value(
            serde_json::json!({"status": "Failure", "code": code, "message": message, "reason": ""}),
        )
        .unwrap();
        kube::Error::Api(Box::new(status))
    }

    #[test]
    fn status_codes_map_to_classes_with_remedies() {
        let s = "https://k:6443";
        let unauthorized = classify(&api(401, "Unauthorized"), s);
        assert_eq!(unauthorized.kind, FailureKind::PermissionDenied);
        assert!(unauthorized.message.contains("expired or was revoked"));
        assert!(unauthorized.remedy.unwrap().contains("Log in"));
        let forbidden = classify(&api(403, "pods is forbidden: User \"dev\" cannot list"), s);
        assert_eq!(forbidden.kind, FailureKind::PermissionDenied);
        assert!(forbidden.message.contains("User \"dev\""));
        assert_eq!(
            classify(&api(404, "nope"), s).kind,
            FailureKind::Incompatible
        );
        assert_eq!(classify(&api(503, "busy"), s).kind, FailureKind::Transient);
        assert_eq!(
            classify(&api(429, "slow down"), s).kind,
            FailureKind::Transient
        );
        assert_eq!(classify(&api(418, "teapot"), s).kind, FailureKind::Protocol);
        assert!(!FailureKind::PermissionDenied.retries());
    }

    #[test]
    fn gone_and_forbidden_are_recognised() {
        let gone = watcher::Error::WatchError(Box::new(
            serde_json::from_value(
                serde_json::json!({"code": 410, "message": "too old resource version"}),
            )
            .unwrap(),
        ));
        assert!(is_gone(&gone));
        assert!(!is_forbidden_list(&gone));
        let forbidden = watcher::Error::InitialListFailed(api(403, "forbidden"));
        assert!(is_forbidden_list(&forbidden));
        assert!(!is_gone(&forbidden));
    }
}
