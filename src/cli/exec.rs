//! `skiff exec` and `skiff attach`: a process in a container, joined from this terminal, as
//! `docker exec` and `docker attach` do it.
//!
//! - The exit code is the process's. A session whose engine went away prints why and exits 1.
//! - `-i` forwards stdin until its end, then closes the process's stdin (`printf … | skiff exec
//!   -i web -- cat` ends).
//! - `-t` gives the process a TTY. When stdin is a terminal it is put in raw mode (every key goes
//!   to the process, Ctrl-C included) and restored however the command ends; the TTY starts at
//!   the terminal's size and follows it (SIGWINCH).
//! - Without `-t` the process's stdout and stderr go to Skiff's own stdout and stderr.

use std::io::{IsTerminal as _, Read as _, Write};

use futures_util::StreamExt as _;
use tokio::sync::mpsc;

use super::Outcome;
use crate::app::Plan;
use crate::engine::{Control, Ending, ExecSpec, Mode, Output, TermSize, TerminalRequest};
use crate::shutdown::Shutdown;

/// `skiff exec`'s arguments, as `docker exec` takes them.
#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// Keep stdin open and forward it to the process.
    #[arg(short, long)]
    pub interactive: bool,
    /// Give the process a TTY (this terminal in raw mode when stdin is one).
    #[arg(short, long)]
    pub tty: bool,
    /// User to run as (`name`, `uid`, `uid:gid`).
    #[arg(short, long, value_name = "USER")]
    pub user: Option<String>,
    /// Working directory in the container.
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// Environment variable `K=V` (or `K`, taken from this environment). Repeatable.
    #[arg(short, long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// The container (name, id or unique id prefix).
    pub container: String,
    /// The command and its arguments (after `--` when they start with `-`).
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// `skiff attach`'s arguments.
#[derive(Debug, clap::Args)]
pub struct AttachArgs {
    /// Only watch: do not forward stdin.
    #[arg(long)]
    pub no_stdin: bool,
    /// The container (name, id or unique id prefix).
    pub container: String,
}

/// What this terminal gives the session.
struct Local {
    /// Forward stdin.
    stdin: bool,
    /// Raw mode and size-following (a TTY session on a terminal).
    raw: bool,
}

pub(super) async fn exec(
    plan: &Plan,
    args: ExecArgs,
    shutdown: Shutdown,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let spec = ExecSpec {
        cmd: args.command,
        tty: args.tty,
        stdin: args.interactive,
        user: args.user,
        workdir: args.workdir,
        env: args.env.into_iter().filter_map(env_pair).collect(),
    };
    let local = Local {
        stdin: args.interactive,
        raw: args.tty && std::io::stdin().is_terminal(),
    };
    let name = format!("exec {}", args.container);
    run(
        plan,
        &args.container,
        Mode::Exec(spec),
        local,
        &name,
        shutdown,
        out,
        err,
    )
    .await
}

pub(super) async fn attach(
    plan: &Plan,
    args: AttachArgs,
    shutdown: Shutdown,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let local = Local {
        stdin: !args.no_stdin,
        raw: std::io::stdin().is_terminal(),
    };
    let mode = Mode::Attach { stdin: local.stdin };
    let name = format!("attach {}", args.container);
    run(
        plan,
        &args.container,
        mode,
        local,
        &name,
        shutdown,
        out,
        err,
    )
    .await
}

/// `K=V` as given; `K` alone takes this process's value, and is dropped when it has none (as
/// `docker exec -e K` does).
fn env_pair(given: String) -> Option<String> {
    if given.contains('=') {
        return Some(given);
    }
    std::env::var(&given).ok().map(|v| format!("{given}={v}"))
}

#[allow(clippy::too_many_arguments)]
async fn run(
    plan: &Plan,
    target: &str,
    mode: Mode,
    local: Local,
    name: &str,
    shutdown: Shutdown,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let (registry, _trigger) = super::synced_registry(plan).await;
    let size = local.raw.then(terminal_size).flatten();
    let opened = match registry.resolve(None, target) {
        Ok((engine, id)) => registry
            .terminal(&engine, &id, TerminalRequest { mode, size })
            .await
            .map(|session| (engine, session)),
        Err(e) => Err(e),
    };
    let (engine, session) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            writeln!(err, "skiff: {name}: {e}")?;
            return Ok(Outcome::Failure);
        }
    };
    // Raw from here until the guard drops, whatever ends the session.
    let raw_mode = if local.raw && session.tty {
        RawMode::enable()
    } else {
        None
    };
    let input = session.input;
    let writer = tokio::spawn(forward_stdin(input, local.stdin));
    let resizer = local
        .raw
        .then(|| tokio::spawn(follow_size(session.control.clone())));
    let lost = registry.engine_lost(&engine);
    let cut = copy_output(session.output, lost, shutdown, out, err).await?;
    writer.abort();
    if let Some(r) = resizer {
        r.abort();
    }
    let ending = match cut {
        Copy::Interrupted => Ending::Detached,
        Copy::Lost(message) => Ending::Lost { message },
        Copy::Ended(cut) => session.control.ending(cut).await,
    };
    drop(raw_mode);
    Ok(match ending {
        // Exit codes are 0–255 where they come from; a signal's 128+n is already in range.
        Ending::Exited { code } => Outcome::Exit(u8::try_from(code.rem_euclid(256)).unwrap_or(1)),
        Ending::Detached => Outcome::Success,
        Ending::Lost { message } => {
            writeln!(err, "\r\nskiff: {name}: {message}\r")?;
            Outcome::Failure
        }
    })
}

enum Copy {
    /// The output ended; with the read error, if any.
    Ended(Option<String>),
    /// The user interrupted `skiff` (without a TTY, Ctrl-C is Skiff's; with one, it is a key).
    Interrupted,
    /// The engine's watcher lost the engine (a hung engine sends nothing, not even an end).
    Lost(String),
}

async fn copy_output(
    mut output: futures_util::stream::BoxStream<'static, std::io::Result<Output>>,
    lost: impl std::future::Future<Output = String>,
    shutdown: Shutdown,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Copy> {
    let interrupted = shutdown.wait();
    tokio::pin!(interrupted);
    tokio::pin!(lost);
    loop {
        let item = tokio::select! {
            item = output.next() => item,
            () = &mut interrupted => return Ok(Copy::Interrupted),
            message = &mut lost => return Ok(Copy::Lost(message)),
        };
        match item {
            None => return Ok(Copy::Ended(None)),
            Some(Err(e)) => return Ok(Copy::Ended(Some(e.to_string()))),
            Some(Ok(Output::Stdout(b))) => {
                out.write_all(&b)?;
                out.flush()?;
            }
            Some(Ok(Output::Stderr(b))) => {
                err.write_all(&b)?;
                err.flush()?;
            }
        }
    }
}

/// Copies stdin to the process until its end, then closes the process's stdin. Without `-i`
/// nothing is read and the process's stdin stays as the engine made it.
///
/// A thread reads stdin: tokio's own stdin is a blocking read in its pool, which would hold the
/// runtime open at exit while it waits for a key that never comes.
async fn forward_stdin(input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>, on: bool) {
    if !on {
        return;
    }
    let (tx, rx) = mpsc::channel::<bytes::Bytes>(16);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if tx
                        .blocking_send(bytes::Bytes::copy_from_slice(&buf[..n]))
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    });
    crate::terminal::feed(input, rx).await;
}

/// Resizes the session's TTY whenever this terminal's size changes.
async fn follow_size(control: std::sync::Arc<dyn Control>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut changes) = signal(SignalKind::window_change()) else {
            return;
        };
        while changes.recv().await.is_some() {
            if let Some(size) = terminal_size() {
                let _ = control.resize(size).await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        // Windows has no SIGWINCH; its console reports resizes as input events, which the
        // session does not read. The size at start stands.
        let _ = control;
    }
}

fn terminal_size() -> Option<TermSize> {
    crossterm::terminal::size()
        .ok()
        .map(|(cols, rows)| TermSize { rows, cols })
}

/// This terminal in raw mode while it lives.
struct RawMode;

impl RawMode {
    fn enable() -> Option<Self> {
        crossterm::terminal::enable_raw_mode().ok().map(|()| Self)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}
