//! Remote engines over SSH, through the system's OpenSSH client (`ssh`).
//!
//! Why the `ssh` binary rather than a Rust SSH library: it *is* OpenSSH, so `~/.ssh/config`
//! (Host aliases, HostName, User, Port, IdentityFile, IdentitiesOnly, ProxyJump, Include), the
//! agent, every key type and `known_hosts` work exactly as they do in the user's terminal, with
//! `~` resolved from the password database as OpenSSH does. russh would mean re-implementing all
//! of that; the `openssh` crate (bollard's `ssh` feature) drives the same binary but defaults to
//! accepting new host keys. Skiff runs `ssh` with `BatchMode=yes` (it never prompts: there is no
//! terminal) and `StrictHostKeyChecking=yes`: an unknown or changed host key is an error that
//! names the `known_hosts` file, never accepted silently.
//!
//! **One SSH connection per remote engine**, opened by the engine's watcher when it connects and
//! closed with it ([`Tunnel`] kills its `ssh` on drop). Everything else (the events stream, lists,
//! actions, logs, stats, terminals, bollard) connects to a unix socket in a private directory
//! that this connection serves:
//! - `ssh://host/path/to.sock` (Podman's form): `ssh -L local.sock:/path/to.sock`, OpenSSH's
//!   stream-local forwarding; each connection is a channel of the one SSH connection.
//! - `ssh://host` (Docker's form): the one `ssh` is a master (`ControlMaster`); Skiff listens on
//!   `local.sock` and runs `docker system dial-stdio` on the remote for each connection, as the
//!   Docker CLI does, multiplexed over the master.
//!
//! `SKIFF_SSH_CONFIG` names another ssh config file (`ssh -F`): the tests name their own, with
//! their own `known_hosts` (`UserKnownHostsFile`), since OpenSSH ignores `$HOME`.
//!
//! Failures are read from `ssh`'s own words ([`classify`]): the server unreachable is
//! `transient` (the supervisor's backoff); authentication refused and an unknown or changed host
//! key are `permission_denied` (no timed retries; Retry now tries again); the remote socket
//! absent, or no `docker` there, is `not_running`.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::endpoint::{Endpoint, SshTarget};
use super::error::{EngineError, FailureKind, SshFailure};

/// Lines of `ssh`'s stderr kept to explain a failure.
const STDERR_LINES: usize = 32;

/// An open SSH connection serving a local socket.
#[derive(Debug)]
pub struct Tunnel {
    /// Killed with the tunnel (`kill_on_drop`).
    _child: Child,
    local: PathBuf,
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// Docker's form: the task accepting local connections.
    accept: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        if let Some(task) = &self.accept {
            task.abort();
        }
    }
}

impl Tunnel {
    /// Connects to `target` (within `timeout`) and serves its engine on a local socket.
    pub async fn open(
        target: &SshTarget,
        endpoint: &Endpoint,
        timeout: Duration,
    ) -> Result<Self, EngineError> {
        // Housekeeping first: what ended processes left behind (`tunnel_dirs` says why).
        super::tunnel_dirs::sweep_temp().await;
        let dir = tempfile::Builder::new()
            .prefix(super::tunnel_dirs::PREFIX)
            .tempdir()
            .map_err(|e| EngineError::from_io(endpoint.clone(), &e))?;
        let local = dir.path().join("engine.sock");
        let control = dir.path().join("control");
        let mut command = base(target);
        command.args(["-N", "-T"]);
        let ready_at = if let Some(remote) = &target.socket {
            command
                .args([
                    "-o",
                    "ExitOnForwardFailure=yes",
                    "-o",
                    "StreamLocalBindUnlink=yes",
                ])
                .arg("-L")
                .arg(format!("{}:{remote}", local.display()));
            local.clone()
        } else {
            command
                .args(["-M", "-o", "ControlPersist=no", "-S"])
                .arg(&control);
            control.clone()
        };
        command.arg("--").arg(&target.host);
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                EngineError::Ssh(Box::new(SshFailure {
                    endpoint: endpoint.clone(),
                    kind: FailureKind::Incompatible,
                    detail: format!("cannot run ssh: {e}"),
                    remedy: Some("Install OpenSSH's client (`ssh`)".to_owned()),
                }))
            })?;
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(out) = child.stderr.take() {
            let lines = stderr.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(out).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    let mut lines = lines.lock();
                    if lines.len() == STDERR_LINES {
                        lines.pop_front();
                    }
                    lines.push_back(line);
                }
            });
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // The forwarded socket exists from ssh's bind(), a moment before its listen(): a
            // connection in between is refused, which read as "the SSH connection ended" (CI
            // saw it once under load). Ready means it accepts one.
            let accepts = || async {
                target.socket.is_none() || tokio::net::UnixStream::connect(&local).await.is_ok()
            };
            if ready_at.exists() && accepts().await {
                break;
            }
            if let Ok(Some(_)) = child.try_wait() {
                // Let the stderr reader take the last words.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let said = stderr.lock().iter().cloned().collect::<Vec<_>>().join("\n");
                return Err(classify(endpoint, target, &said).await);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(EngineError::Ssh(Box::new(SshFailure {
                    endpoint: endpoint.clone(),
                    kind: FailureKind::Transient,
                    detail: format!(
                        "no SSH connection to {} within {} s",
                        target.host,
                        timeout.as_secs()
                    ),
                    remedy: None,
                })));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let accept = match target.socket {
            Some(_) => None,
            None => Some(dial_stdio(target.clone(), control, &local, endpoint)?),
        };
        Ok(Self {
            _child: child,
            local,
            stderr,
            accept,
            _dir: dir,
        })
    }

    /// The local socket everything connects to.
    #[must_use]
    pub fn local(&self) -> Endpoint {
        Endpoint::Unix(self.local.clone())
    }

    /// What `ssh` said went wrong with a connection through it (the remote socket absent),
    /// when it said something that explains a failed request.
    pub async fn explain(&self, endpoint: &Endpoint, target: &SshTarget) -> Option<EngineError> {
        // `ssh` reports a refused channel on its stderr as the request fails: let it arrive.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let said = self
            .stderr
            .lock()
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        let error = classify(endpoint, target, &said).await;
        (error.kind() != FailureKind::Transient).then_some(error)
    }
}

/// `ssh` with what every Skiff connection needs, before its own options and the host.
fn base(target: &SshTarget) -> Command {
    let mut command = Command::new("ssh");
    if let Some(config) = std::env::var_os("SKIFF_SSH_CONFIG").filter(|c| !c.is_empty()) {
        command.arg("-F").arg(config);
    }
    command.args([
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "ServerAliveInterval=5",
        "-o",
        "ServerAliveCountMax=3",
    ]);
    if let Some(port) = target.port {
        command.arg("-p").arg(port.to_string());
    }
    if let Some(user) = &target.user {
        command.arg("-l").arg(user);
    }
    if let Some(identity) = &target.identity {
        command.arg("-i").arg(identity);
    }
    command
}

/// Docker's form: each local connection runs `docker system dial-stdio` on the remote, over
/// the master connection.
fn dial_stdio(
    target: SshTarget,
    control: PathBuf,
    local: &Path,
    endpoint: &Endpoint,
) -> Result<tokio::task::JoinHandle<()>, EngineError> {
    let listener = tokio::net::UnixListener::bind(local)
        .map_err(|e| EngineError::from_io(endpoint.clone(), &e))?;
    Ok(tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let mut command = base(&target);
            command
                .arg("-S")
                .arg(&control)
                .arg("--")
                .arg(&target.host)
                .args(["docker", "system", "dial-stdio"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .kill_on_drop(true);
            let Ok(mut child) = command.spawn() else {
                continue;
            };
            tokio::spawn(async move {
                let (Some(mut stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take())
                else {
                    return;
                };
                let (mut from_client, mut to_client) = conn.split();
                let up = async move {
                    let _ = tokio::io::copy(&mut from_client, &mut stdin).await;
                    // Closing the pipe is what tells the remote end that the client is done
                    // writing (an exec's stdin at its end); shutting down tokio's `ChildStdin`
                    // only flushes it, so `copy_bidirectional` left `exec -i` waiting forever.
                    drop(stdin);
                };
                let down = async move {
                    let _ = tokio::io::copy(&mut stdout, &mut to_client).await;
                    let _ = tokio::io::AsyncWriteExt::shutdown(&mut to_client).await;
                };
                tokio::join!(up, down);
                drop(child);
            });
        }
    }))
}

/// What `ssh`'s stderr says, as a failure the supervisor knows how to treat.
pub async fn classify(endpoint: &Endpoint, target: &SshTarget, said: &str) -> EngineError {
    let lower = said.to_lowercase();
    let error = |kind, detail: String, remedy: Option<String>| {
        EngineError::Ssh(Box::new(SshFailure {
            endpoint: endpoint.clone(),
            kind,
            detail,
            remedy,
        }))
    };
    let host = &target.host;
    if lower.contains("host key verification failed")
        || lower.contains("remote host identification has changed")
        || lower.contains("no matching host key")
    {
        let known = known_hosts(target)
            .await
            .unwrap_or_else(|| "~/.ssh/known_hosts".to_owned());
        let port = target.port.map_or_else(String::new, |p| format!("-p {p} "));
        return error(
            FailureKind::PermissionDenied,
            format!("the host key of {host} is not in {known}, or differs from it: ssh refused the connection"),
            Some(format!(
                "Check the host's key fingerprint, then add it to {known} (`ssh-keyscan {port}{host} >> {known}`, or connect once with `ssh {host}`); if the key changed on purpose, remove the old one first with `ssh-keygen -R {host}`. Then Retry now"
            )),
        );
    }
    if lower.contains("permission denied") || lower.contains("too many authentication failures") {
        return error(
            FailureKind::PermissionDenied,
            format!("{host} refused the SSH authentication: {}", last_line(said)),
            Some("Add your key to the agent (`ssh-add`) or name it with IdentityFile in ~/.ssh/config, then Retry now".to_owned()),
        );
    }
    if lower.contains("connect failed") || lower.contains("no such file or directory") {
        let socket = target.socket.as_deref().unwrap_or("the engine's socket");
        return error(
            FailureKind::NotRunning,
            format!("{socket} does not exist on {host} (is the engine running there?)"),
            Some(format!("Start the engine on {host} (for rootless Podman: `systemctl --user start podman.socket`)")),
        );
    }
    if lower.contains("command not found") || lower.contains("docker: not found") {
        return error(
            FailureKind::NotRunning,
            format!("there is no `docker` on {host} to reach its engine"),
            Some(format!("Install Docker on {host}, or give the socket's path: ssh://{host}/var/run/docker.sock")),
        );
    }
    error(
        FailureKind::Transient,
        format!("SSH to {host}: {}", last_line(said)),
        None,
    )
}

fn last_line(said: &str) -> &str {
    said.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("the connection ended")
}

/// The known_hosts file ssh checks for `target` (`ssh -G`: the effective configuration).
async fn known_hosts(target: &SshTarget) -> Option<String> {
    let mut command = base(target);
    let out = command
        .arg("-G")
        .arg("--")
        .arg(&target.host)
        .stdin(Stdio::null())
        .output()
        .await
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("userknownhostsfile "))
        .and_then(|files| files.split_whitespace().next())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> (Endpoint, SshTarget) {
        let e: Endpoint = "ssh://dev@box:2222/run/podman.sock".parse().unwrap();
        let Endpoint::Ssh(t) = e.clone() else {
            unreachable!()
        };
        (e, *t)
    }

    #[tokio::test]
    async fn ssh_s_words_become_failure_classes() {
        let (e, t) = target();
        for (said, kind) in [
            (
                "Host key verification failed.",
                FailureKind::PermissionDenied,
            ),
            (
                "dev@box: Permission denied (publickey).",
                FailureKind::PermissionDenied,
            ),
            (
                "channel 2: open failed: connect failed: No such file or directory",
                FailureKind::NotRunning,
            ),
            (
                "ssh: connect to host box port 2222: Connection refused",
                FailureKind::Transient,
            ),
            ("", FailureKind::Transient),
        ] {
            assert_eq!(classify(&e, &t, said).await.kind(), kind, "{said}");
        }
        let host_key = classify(&e, &t, "Host key verification failed.")
            .await
            .info();
        assert!(
            host_key.message.contains("host key"),
            "{}",
            host_key.message
        );
        assert!(host_key.remedy.unwrap().contains("ssh-keyscan -p 2222 box"));
    }
}
