//! A terminal session: a process in a container, its output as it comes, its input, its size,
//! and how it ended. The types every engine's sessions share (Docker and Podman here, Kubernetes
//! in `crate::kubernetes`), and the Docker/Podman one.
//!
//! A session never reconnects by itself: the process it joined lives on the engine, and a new
//! connection would be a new process (exec) or would miss what was printed meanwhile (attach).
//! When the connection ends, [`Control::ending`] asks the engine why: the process exited (its
//! code; the engine may record it a moment after the output ended, so it is asked again for up
//! to `EXIT_GRACE`), the user detached, or the engine went away, which the user is told in
//! words and can answer by opening the session again (one click in the window, as the same
//! command in a shell). Opening goes through the registry, whose engine supervisor already
//! reconnects without storms, so a reopen while the engine is down fails at once with its state.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::FutureExt as _;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWrite;
use ts_rs::TS;

use super::exec::{ExecSpec, TermSize};
use super::frames::output_stream;
use super::{EngineClient, EngineError};

/// What to join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// An interactive shell with a TTY: the first of `bash`, `sh` the container has (see
    /// [`choose_shell`]).
    Shell {
        user: Option<String>,
        workdir: Option<String>,
    },
    /// A command, as `docker exec` runs it.
    Exec(ExecSpec),
    /// The container's main process (`docker attach`); `stdin` when the user types into it.
    Attach { stdin: bool },
}

/// A session to open: what, and the terminal's size when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalRequest {
    pub mode: Mode,
    pub size: Option<TermSize>,
}

/// A piece of the process's output. A TTY merges both streams into `Stdout`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Stdout(Bytes),
    Stderr(Bytes),
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export_to = "TerminalEnding.ts", rename = "TerminalEnding")]
pub enum Ending {
    /// The process exited with `code`.
    Exited { code: i64 },
    /// The user left an attached process running.
    Detached,
    /// The connection ended without the process's end being known: the engine went away or cut
    /// the session. `message` says so in words.
    Lost { message: String },
}

/// The parts of a session that outlive its streams: resizing, and learning how it ended.
pub trait Control: Send + Sync {
    /// Resizes the session's TTY (nothing to do without one).
    fn resize(&self, size: TermSize) -> BoxFuture<'static, Result<(), EngineError>>;
    /// How the session ended, asked once its output ended; `cut` is the read error, if the
    /// output ended with one.
    fn ending(&self, cut: Option<String>) -> BoxFuture<'static, Ending>;
}

/// An open session. Its parts go their own ways: the output to a reader task, the input to a
/// writer, the control to whoever resizes. Dropping the output and the input closes the
/// connection (an attached process keeps running; an exec'd one gets its hang-up).
pub struct Session {
    pub output: BoxStream<'static, std::io::Result<Output>>,
    /// The process's stdin. Shutting it down is its end of file (`-i` at the end of a pipe).
    pub input: Pin<Box<dyn AsyncWrite + Send>>,
    pub control: Arc<dyn Control>,
    pub tty: bool,
    /// What runs, for a title (`["bash"]`); empty for an attach.
    pub command: Vec<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("tty", &self.tty)
            .field("command", &self.command)
            .finish_non_exhaustive()
    }
}

impl EngineClient {
    /// Opens a session in container `id`.
    pub async fn open_session(
        &self,
        id: &str,
        request: TerminalRequest,
    ) -> Result<Session, EngineError> {
        match request.mode {
            Mode::Attach { stdin } => self.open_attach(id, stdin, request.size).await,
            Mode::Exec(spec) => self.open_exec(id, spec, request.size).await,
            Mode::Shell { user, workdir } => {
                let shell = self.choose_shell(id, user.as_deref()).await?;
                let spec = ExecSpec {
                    cmd: vec![shell.to_owned()],
                    tty: true,
                    stdin: true,
                    user,
                    workdir,
                    env: vec!["TERM=xterm-256color".to_owned()],
                };
                self.open_exec(id, spec, request.size).await
            }
        }
    }

    async fn open_exec(
        &self,
        id: &str,
        spec: ExecSpec,
        size: Option<TermSize>,
    ) -> Result<Session, EngineError> {
        let exec_id = self.exec_create(id, &spec).await?;
        let io = self.exec_start(&exec_id, spec.tty, size).await?;
        let control = Arc::new(DockerControl {
            client: self.clone(),
            target: Target::Exec(exec_id),
            tty: spec.tty,
        });
        if let (true, Some(size)) = (spec.tty, size) {
            // Docker before API 1.42 ignores the size at start; the CLI resizes once started too.
            // A failure here is not the session's: the next resize tries again.
            let _ = control.resize(size).await;
        }
        Ok(session(io, spec.tty, control, spec.cmd))
    }

    async fn open_attach(
        &self,
        id: &str,
        stdin: bool,
        size: Option<TermSize>,
    ) -> Result<Session, EngineError> {
        let state = self.run_state(id).await?;
        if !state.running {
            return Err(EngineError::Conflict {
                endpoint: self.endpoint().clone(),
                message: format!("container {id} is not running: there is no process to attach to"),
            });
        }
        let io = self.attach(id, stdin && state.stdin_open).await?;
        let (detach, detached) = tokio::sync::watch::channel(false);
        let control = Arc::new(DockerControl {
            client: self.clone(),
            target: Target::Attach {
                id: id.to_owned(),
                detached: detached.clone(),
            },
            tty: state.tty,
        });
        if let (true, Some(size)) = (state.tty, size) {
            let _ = control.resize(size).await;
        }
        let (read, write) = tokio::io::split(io);
        Ok(Session {
            output: output_stream(read, state.tty, Some(detached)),
            input: Box::pin(super::detach::DetachKeys::new(write, detach)),
            control,
            tty: state.tty,
            command: Vec::new(),
        })
    }

    /// The shell of an interactive session: `bash` when the container has it, else `sh`.
    ///
    /// How: one exec of `sh -c 'command -v bash'` (the shell's own lookup, so a `bash` anywhere
    /// on the container's `PATH` counts, as it would when typed). Exit 0 means bash; any other
    /// exit means sh. A container without `sh` cannot run the probe; it is then offered `bash`
    /// as it is, and if it has neither, the session shows the engine's own "executable file not
    /// found" and its exit code.
    pub async fn choose_shell(
        &self,
        id: &str,
        user: Option<&str>,
    ) -> Result<&'static str, EngineError> {
        let probe = ExecSpec {
            cmd: ["sh", "-c", "command -v bash"].map(str::to_owned).to_vec(),
            user: user.map(str::to_owned),
            ..ExecSpec::default()
        };
        match self.run_captured(id, &probe).await? {
            (Some(0), out) if !out.is_empty() => Ok("bash"),
            (Some(126 | 127), out) if mentions_missing_sh(&out) => Ok("bash"),
            _ => Ok("sh"),
        }
    }

    /// Runs `spec` to its end and returns its exit code and its output (both streams, the first
    /// 4 KiB), within 10 s.
    pub async fn run_captured(
        &self,
        id: &str,
        spec: &ExecSpec,
    ) -> Result<(Option<i64>, Vec<u8>), EngineError> {
        const CAP: usize = 4096;
        let run = async {
            let mut session = self.open_exec(id, spec.clone(), None).await?;
            let mut out = Vec::new();
            let mut cut = None;
            while let Some(item) = futures_util::StreamExt::next(&mut session.output).await {
                match item {
                    Ok(Output::Stdout(b) | Output::Stderr(b)) => {
                        let room = CAP.saturating_sub(out.len());
                        out.extend_from_slice(&b[..b.len().min(room)]);
                    }
                    Err(e) => {
                        cut = Some(e.to_string());
                        break;
                    }
                }
            }
            Ok(match session.control.ending(cut).await {
                Ending::Exited { code } => (Some(code), out),
                Ending::Detached | Ending::Lost { .. } => (None, out),
            })
        };
        tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .unwrap_or_else(|_| {
                Err(EngineError::Transient {
                    endpoint: self.endpoint().clone(),
                    detail: format!("{:?} did not end within 10 s", spec.cmd),
                })
            })
    }
}

fn mentions_missing_sh(out: &[u8]) -> bool {
    let text = String::from_utf8_lossy(out);
    text.contains("\"sh\"") || text.contains("sh: ") || text.contains("executable file not found")
}

fn session(
    io: super::http::Upgraded,
    tty: bool,
    control: Arc<dyn Control>,
    command: Vec<String>,
) -> Session {
    let (read, write) = tokio::io::split(io);
    Session {
        output: output_stream(read, tty, None),
        input: Box::pin(write),
        control,
        tty,
        command,
    }
}

/// What a Docker/Podman session joined: an exec instance, or a container's main process.
#[derive(Clone)]
enum Target {
    Exec(String),
    Attach {
        id: String,
        /// The detach keys, once typed (`super::detach`): the end was the user's leaving.
        detached: tokio::sync::watch::Receiver<bool>,
    },
}

struct DockerControl {
    client: EngineClient,
    target: Target,
    tty: bool,
}

/// How long the engine may take to record a process's exit after its output ended. Docker
/// closes an exec's stream a moment before `Running` turns false; Podman closes an attach's
/// before its inspect says the container exited.
const EXIT_GRACE: Duration = Duration::from_secs(2);
/// How often the engine is asked again meanwhile.
const EXIT_POLL: Duration = Duration::from_millis(25);

/// Asks `probe` until it has an answer or `grace` has passed (at least once): `None` when it
/// still had none then.
async fn within_grace<T, F, Fut>(grace: Duration, mut probe: F) -> Result<Option<T>, EngineError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, EngineError>>,
{
    let deadline = tokio::time::Instant::now() + grace;
    loop {
        match probe().await? {
            Some(answer) => return Ok(Some(answer)),
            None if tokio::time::Instant::now() < deadline => tokio::time::sleep(EXIT_POLL).await,
            None => return Ok(None),
        }
    }
}

impl Control for DockerControl {
    fn resize(&self, size: TermSize) -> BoxFuture<'static, Result<(), EngineError>> {
        let (client, tty, target) = (self.client.clone(), self.tty, self.target.clone());
        async move {
            match (tty, target) {
                (false, _) => Ok(()),
                (true, Target::Exec(id)) => client.exec_resize(&id, size).await,
                (true, Target::Attach { id, .. }) => client.resize_tty(&id, size).await,
            }
        }
        .boxed()
    }

    fn ending(&self, cut: Option<String>) -> BoxFuture<'static, Ending> {
        let (client, target) = (self.client.clone(), self.target.clone());
        async move {
            let lost = |e: &EngineError| Ending::Lost {
                message: format!("the connection to the engine ended ({e})"),
            };
            match target {
                Target::Attach { id, detached } => {
                    // The output ended with no detach keys and no error: the main process
                    // ended it, and the engine says so within the grace. Detached or cut,
                    // the engine's word is asked once.
                    let detached = *detached.borrow();
                    let grace = if detached || cut.is_some() {
                        Duration::ZERO
                    } else {
                        EXIT_GRACE
                    };
                    let exit = within_grace(grace, || async {
                        let state = client.run_state(&id).await?;
                        Ok((!state.running).then(|| state.exit_code.unwrap_or(-1)))
                    });
                    match exit.await {
                        Ok(Some(code)) => Ending::Exited { code },
                        Ok(None) => match cut {
                            None => Ending::Detached,
                            Some(cut) => Ending::Lost {
                                message: format!("the engine cut the session ({cut})"),
                            },
                        },
                        Err(e) => lost(&e),
                    }
                }
                Target::Exec(exec_id) => {
                    match within_grace(EXIT_GRACE, || client.exec_exit_code(&exec_id)).await {
                        Ok(Some(code)) => Ending::Exited { code },
                        Ok(None) => Ending::Lost {
                            message: format!(
                                "the engine cut the session; the process still runs{}",
                                cut.map(|c| format!(" ({c})")).unwrap_or_default()
                            ),
                        },
                        Err(e) => lost(&e),
                    }
                }
            }
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// A probe that has its answer from its `n`-th call on, counting its calls.
    fn answers_at(
        n: u32,
        calls: &AtomicU32,
    ) -> impl FnMut() -> futures_util::future::Ready<Result<Option<i64>, EngineError>> + '_ {
        move || {
            let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
            futures_util::future::ready(Ok((call >= n).then_some(4)))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_exit_the_engine_records_late_is_still_the_exit() {
        let calls = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let exit = within_grace(EXIT_GRACE, answers_at(5, &calls))
            .await
            .unwrap();
        assert_eq!(exit, Some(4));
        assert_eq!(calls.load(Ordering::SeqCst), 5);
        assert_eq!(started.elapsed(), EXIT_POLL * 4);
    }

    #[tokio::test(start_paused = true)]
    async fn no_exit_within_the_grace_is_none_and_no_grace_asks_once() {
        let calls = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        assert_eq!(
            within_grace(EXIT_GRACE, answers_at(u32::MAX, &calls))
                .await
                .unwrap(),
            None
        );
        assert!(started.elapsed() >= EXIT_GRACE);
        assert!(started.elapsed() < EXIT_GRACE + EXIT_POLL * 2);

        let calls = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        assert_eq!(
            within_grace(Duration::ZERO, answers_at(u32::MAX, &calls))
                .await
                .unwrap(),
            None
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}
