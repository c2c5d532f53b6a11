//! A terminal in a pod's container: `exec` through the API server (kube-rs, WebSocket), which
//! the kubelet of the pod's node serves. Kubernetes has no exec user or working directory: a
//! working directory is a `cd` before the command, and a user other than the container's is
//! refused with the reason. The shell is chosen in the container in the same exec
//! (`command -v bash`), since each exec costs a round trip through the API server and the node.
//!
//! Attaching to a pod's main process is not offered: the window's Attach is for Docker and
//! Podman containers.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt as _, StreamExt as _};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::{Api, AttachParams, TerminalSize};
use parking_lot::Mutex;

use crate::engine::{
    ActionError, ActionErrorKind, Control, Ending, EngineError, Mode, Output, Session, TermSize,
    TerminalRequest,
};

/// The script of an interactive shell: `cd` to the directory given as `$1` when there is one,
/// then `bash` when the container has it, else `sh`.
const SHELL: &str =
    "[ -n \"$1\" ] && cd \"$1\"; if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi";

/// Opens `request` in pod `name` of `api`'s namespace.
pub(super) async fn open(
    api: Api<Pod>,
    namespace: &str,
    name: &str,
    request: TerminalRequest,
) -> Result<Session, ActionError> {
    let (command, tty, stdin) = match request.mode {
        Mode::Attach { .. } => {
            return Err(ActionError::new(
                ActionErrorKind::Unsupported,
                "attaching to a pod's main process is not supported; open a shell instead",
            ))
        }
        Mode::Shell { user, workdir } => {
            refuse_user(user.as_deref())?;
            let mut cmd = ["sh", "-c", SHELL, "sh"].map(str::to_owned).to_vec();
            cmd.push(workdir.unwrap_or_default());
            (cmd, true, true)
        }
        Mode::Exec(spec) => {
            refuse_user(spec.user.as_deref())?;
            let mut cmd = Vec::new();
            if let Some(dir) = spec.workdir.filter(|d| !d.is_empty()) {
                cmd.extend(
                    ["sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh"].map(str::to_owned),
                );
                cmd.push(dir);
            }
            if !spec.env.is_empty() {
                cmd.push("env".to_owned());
                cmd.extend(spec.env);
            }
            cmd.extend(spec.cmd);
            (cmd, spec.tty, spec.stdin)
        }
    };
    let params = AttachParams {
        stdin,
        stdout: true,
        // With a TTY the server sends one stream; asking for stderr too is refused.
        stderr: !tty,
        tty,
        ..AttachParams::default()
    };
    let mut process = api
        .exec(name, command.clone(), &params)
        .await
        .map_err(|e| super::actions::refusal(e, namespace, name))?;
    let mut resizer = process.terminal_size();
    if let (Some(tx), Some(size)) = (resizer.as_mut(), request.size) {
        let _ = futures_util::SinkExt::send(tx, kube_size(size)).await;
    }
    let output = merged(process.stdout(), process.stderr());
    let input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>> = match process.stdin() {
        Some(w) => Box::pin(w),
        None => Box::pin(tokio::io::sink()),
    };
    let status = process.take_status();
    let control = Arc::new(KubeControl {
        resizer: Mutex::new(resizer),
        status: Mutex::new(status.map(futures_util::FutureExt::boxed)),
        process: Mutex::new(Some(process)),
    });
    Ok(Session {
        output,
        input,
        control,
        tty,
        command,
    })
}

fn refuse_user(user: Option<&str>) -> Result<(), ActionError> {
    match user {
        Some(u) if !u.is_empty() => Err(ActionError::new(
            ActionErrorKind::Unsupported,
            format!("Kubernetes runs an exec as the container's own user; it cannot run as {u:?}"),
        )),
        _ => Ok(()),
    }
}

fn kube_size(size: TermSize) -> TerminalSize {
    let size = size.clamped();
    TerminalSize {
        width: size.cols,
        height: size.rows,
    }
}

/// The process's stdout and stderr as one stream of [`Output`], each piece as it arrives.
fn merged(
    stdout: Option<impl tokio::io::AsyncRead + Send + 'static>,
    stderr: Option<impl tokio::io::AsyncRead + Send + 'static>,
) -> BoxStream<'static, std::io::Result<Output>> {
    let out = stdout.map(|r| tokio_util_reader(r).map(|b| b.map(Output::Stdout)).boxed());
    let err = stderr.map(|r| tokio_util_reader(r).map(|b| b.map(Output::Stderr)).boxed());
    match (out, err) {
        (Some(o), Some(e)) => futures_util::stream::select(o, e).boxed(),
        (Some(o), None) => o,
        (None, Some(e)) => e,
        (None, None) => futures_util::stream::empty().boxed(),
    }
}

/// A reader's bytes as chunks.
fn tokio_util_reader(
    reader: impl tokio::io::AsyncRead + Send + 'static,
) -> BoxStream<'static, std::io::Result<bytes::Bytes>> {
    use tokio::io::AsyncReadExt as _;
    Box::pin(futures_util::stream::unfold(
        Some(Box::pin(reader)),
        |reader| async move {
            let mut reader = reader?;
            let mut buf = bytes::BytesMut::with_capacity(32 * 1024);
            match reader.read_buf(&mut buf).await {
                Ok(0) => None,
                Ok(_) => Some((Ok(buf.freeze()), Some(reader))),
                Err(e) => Some((Err(e), None)),
            }
        },
    ))
}

type StatusFuture = BoxFuture<'static, Option<Status>>;

struct KubeControl {
    resizer: Mutex<Option<futures_channel::mpsc::Sender<TerminalSize>>>,
    status: Mutex<Option<StatusFuture>>,
    /// Kept for the connection's life: dropping it ends the exec.
    process: Mutex<Option<kube::api::AttachedProcess>>,
}

impl Control for KubeControl {
    fn resize(&self, size: TermSize) -> BoxFuture<'static, Result<(), EngineError>> {
        let tx = self.resizer.lock().clone();
        async move {
            if let Some(mut tx) = tx {
                // A closed channel means the session ended: nothing left to resize.
                let _ = futures_util::SinkExt::send(&mut tx, kube_size(size)).await;
            }
            Ok(())
        }
        .boxed()
    }

    fn ending(&self, cut: Option<String>) -> BoxFuture<'static, Ending> {
        let status = self.status.lock().take();
        let process = self.process.lock().take();
        async move {
            let status = match status {
                Some(s) => s.await,
                None => None,
            };
            drop(process);
            ending_of(status, cut)
        }
        .boxed()
    }
}

/// The API server's final `Status` of an exec, as an [`Ending`]: `Success` is code 0; a
/// `NonZeroExitCode` failure carries the code in its causes; anything else lost the session.
fn ending_of(status: Option<Status>, cut: Option<String>) -> Ending {
    let Some(status) = status else {
        return Ending::Lost {
            message: format!(
                "the connection to the cluster ended{}",
                cut.map(|c| format!(" ({c})")).unwrap_or_default()
            ),
        };
    };
    if status.status.as_deref() == Some("Success") {
        return Ending::Exited { code: 0 };
    }
    let code = status
        .details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .and_then(|causes| {
            causes
                .iter()
                .find(|c| c.reason.as_deref() == Some("ExitCode"))
                .and_then(|c| c.message.as_deref()?.parse().ok())
        });
    match (status.reason.as_deref(), code) {
        (Some("NonZeroExitCode"), Some(code)) => Ending::Exited { code },
        _ => Ending::Lost {
            message: status
                .message
                .unwrap_or_else(|| "the exec failed without a reason".to_owned()),
        },
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};

    use super::*;

    #[test]
    fn the_api_servers_status_gives_the_exit_code() {
        let ok = Status {
            status: Some("Success".to_owned()),
            ..Status::default()
        };
        assert_eq!(ending_of(Some(ok), None), Ending::Exited { code: 0 });
        let failed = Status {
            status: Some("Failure".to_owned()),
            reason: Some("NonZeroExitCode".to_owned()),
            message: Some("command terminated with non-zero exit code".to_owned()),
            details: Some(StatusDetails {
                causes: Some(vec![StatusCause {
                    reason: Some("ExitCode".to_owned()),
                    message: Some("3".to_owned()),
                    field: None,
                }]),
                ..StatusDetails::default()
            }),
            ..Status::default()
        };
        assert_eq!(ending_of(Some(failed), None), Ending::Exited { code: 3 });
        assert!(matches!(
            ending_of(None, Some("reset".to_owned())),
            Ending::Lost { message } if message.contains("reset")
        ));
    }
}
