//! The `skiff` CLI binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use skiff::cli::{self, Cli, Outcome};

// One thread: a command's work is a few streams, and a multi-threaded runtime paid a futex wake
// per log line to pass it between the connection task and its reader (`skiff logs` of 300k
// lines: 9.4 s, 6 s of it in the kernel; on one thread 2.8 s, docker logs 6.1 s).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr, quiet by default: the CLI's stdout is for data (tables, JSON lines).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SKIFF_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new(if cli.command.owns_stderr() {
                    "off"
                } else {
                    "warn"
                })
            }),
        )
        .init();
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr();
    let (trigger, shutdown) = skiff::shutdown::channel();
    tokio::spawn(async move {
        // An interrupt or a termination ends `watch` and `logs -f` cleanly (exit 0); one-shot
        // commands finish before it matters.
        interrupted().await;
        trigger.fire();
    });
    match cli::run(cli, shutdown, &mut out, &mut err).await {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failure) => ExitCode::FAILURE,
        Ok(Outcome::Exit(code)) => ExitCode::from(code),
        Err(e) => {
            // One line, no backtrace: the chain of causes joined, as users read it.
            eprintln!("skiff: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves at SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let terminated = async {
            match signal(SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminated => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
