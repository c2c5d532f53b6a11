//! Terminals against real engines: `skiff exec` behaves like `docker exec` (streams, exit code,
//! stdin to its end), a TTY session starts at its size and follows resizes, the shell is the
//! first of bash and sh the container has, an attach leaves the process running, and an engine
//! stopped during a session ends it with a message instead of a frozen terminal.

mod support;

use std::io::Write as _;
use std::process::Stdio;
use std::time::Duration;

use futures_util::StreamExt as _;
use skiff::engine::{Ending, Mode, Output, Session, TermSize, TerminalRequest};
use skiff::registry::Registry;
use skiff::shutdown;
use skiff::watcher::WatcherConfig;
use support::{skiff, skiff_command, Kind, TestEngine};
use tokio::io::AsyncWriteExt as _;

fn streams_and_exit_code(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    engine.create("web", true);
    let out = skiff(&[
        "exec",
        "--host",
        engine.host(),
        "web",
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "err\n");
    assert_eq!(out.status.code(), Some(3));

    // `-i`: stdin to its end, then the process's stdin closes (cat ends).
    let mut child = skiff_command()
        .args(["exec", "-i", "--host", engine.host(), "web", "--", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a\nb\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\nb\n");
    assert!(out.status.success());

    // User, working directory, environment; a bare `-e K` takes this process's value.
    let out = skiff_command()
        .env("SKIFF_TEST_FROM_HERE", "here")
        .args([
            "exec",
            "--host",
            engine.host(),
            "-u",
            "1000",
            "-w",
            "/tmp",
            "-e",
            "A=1",
            "-e",
            "SKIFF_TEST_FROM_HERE",
            "web",
            "sh",
            "-c",
            "id -u; pwd; echo $A $SKIFF_TEST_FROM_HERE",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1000\n/tmp\n1 here\n");

    // A command that does not exist: the engine's words and the shell's code (126/127).
    let out = skiff(&["exec", "--host", engine.host(), "web", "--", "nosuch"]);
    let code = out.status.code().unwrap();
    assert!(code == 126 || code == 127, "{code}");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("not found"), "{said}");

    // A stopped container: the engine's refusal, exit 1.
    engine.create("idle", false);
    let out = skiff(&["exec", "--host", engine.host(), "idle", "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("exec idle") && said.contains("running"),
        "{said}"
    );
}

#[test]
fn exec_prints_both_streams_and_exits_with_the_code_docker() {
    streams_and_exit_code(Kind::Docker);
}

#[test]
fn exec_prints_both_streams_and_exits_with_the_code_podman() {
    streams_and_exit_code(Kind::Podman);
}

/// A registry watching `engine`, synced.
async fn registry_of(engine: &TestEngine, shutdown: &shutdown::Shutdown) -> Registry {
    let registry = Registry::new();
    skiff::app::watch_engines(
        &registry,
        &[support::registry::engine("e", engine.host())],
        &WatcherConfig::default(),
        shutdown,
    );
    assert!(registry.settled(Duration::from_secs(20)).await);
    registry
}

/// Reads `session`'s output until it holds `want` (after `from` bytes); everything read.
async fn read_until(session: &mut Session, seen: &mut Vec<u8>, from: usize, want: &str) {
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while !String::from_utf8_lossy(&seen[from.min(seen.len())..]).contains(want) {
            match session.output.next().await {
                Some(Ok(Output::Stdout(b) | Output::Stderr(b))) => seen.extend_from_slice(&b),
                other => panic!("output ended before {want:?}: {other:?}"),
            }
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "no {want:?} in {:?}",
        String::from_utf8_lossy(seen)
    );
}

async fn type_line(session: &mut Session, line: &str) {
    session.input.write_all(line.as_bytes()).await.unwrap();
    session.input.flush().await.unwrap();
}

/// Output until the end, and how the session ended.
async fn to_the_end(session: &mut Session) -> Ending {
    let cut = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match session.output.next().await {
                None => return None,
                Some(Err(e)) => return Some(e.to_string()),
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .expect("the session hung instead of ending");
    session.control.ending(cut).await
}

fn shell_at_size_and_resize(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    engine.create("web", true);
    // A second container whose `bash` is a script starting sh: found by `command -v`.
    engine.create("withbash", true);
    engine.cli(&[
        "exec",
        "withbash",
        "sh",
        "-c",
        "printf '#!/bin/sh\\nexec sh \"$@\"\\n' > /bin/bash && chmod +x /bin/bash",
    ]);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let (_trigger, shutdown) = shutdown::channel();
        let registry = registry_of(&engine, &shutdown).await;
        let shell = |size| TerminalRequest {
            mode: Mode::Shell {
                user: None,
                workdir: Some("/tmp".to_owned()),
            },
            size,
        };
        let (e, id) = registry.resolve(None, "withbash").unwrap();
        let session = registry.terminal(&e, &id, shell(None)).await.unwrap();
        assert_eq!(session.command, ["bash"]);
        drop(session);

        let (e, id) = registry.resolve(None, "web").unwrap();
        let size = TermSize {
            rows: 30,
            cols: 100,
        };
        let mut session = registry.terminal(&e, &id, shell(Some(size))).await.unwrap();
        assert_eq!(session.command, ["sh"], "busybox has no bash");
        assert!(session.tty);
        let mut seen = Vec::new();
        type_line(&mut session, "stty size; pwd\n").await;
        read_until(&mut session, &mut seen, 0, "30 100").await;
        read_until(&mut session, &mut seen, 0, "/tmp").await;

        let mark = seen.len();
        session
            .control
            .resize(TermSize {
                rows: 40,
                cols: 120,
            })
            .await
            .unwrap();
        type_line(&mut session, "stty size\n").await;
        read_until(&mut session, &mut seen, mark, "40 120").await;

        // UTF-8 and colours pass as bytes.
        let mark = seen.len();
        type_line(&mut session, "printf '\\033[31mcaf\\303\\251\\033[0m\\n'\n").await;
        read_until(&mut session, &mut seen, mark, "\x1b[31mcafé\x1b[0m").await;

        type_line(&mut session, "exit 5\n").await;
        assert_eq!(to_the_end(&mut session).await, Ending::Exited { code: 5 });
    });
}

#[test]
fn a_shell_starts_at_its_size_and_follows_resizes_docker() {
    shell_at_size_and_resize(Kind::Docker);
}

#[test]
fn a_shell_starts_at_its_size_and_follows_resizes_podman() {
    shell_at_size_and_resize(Kind::Podman);
}

fn attach_and_detach(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    engine.cli(&[
        "run",
        "-d",
        "-i",
        "-t",
        "--name",
        "main",
        "--network",
        "none",
        "busybox:latest",
        "sh",
    ]);
    engine.create("stopped", false);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let (_trigger, shutdown) = shutdown::channel();
        let registry = registry_of(&engine, &shutdown).await;
        let attach = TerminalRequest {
            mode: Mode::Attach { stdin: true },
            size: Some(TermSize { rows: 20, cols: 70 }),
        };
        let (e, id) = registry.resolve(None, "main").unwrap();
        let mut session = registry.terminal(&e, &id, attach.clone()).await.unwrap();
        assert!(session.tty);
        let mut seen = Vec::new();
        type_line(&mut session, "stty size; echo $((6*7))\n").await;
        read_until(&mut session, &mut seen, 0, "20 70").await;
        read_until(&mut session, &mut seen, 0, "42").await;
        // Leaving: the connection closes, the main process runs on.
        drop(session);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            engine.cli(&["inspect", "-f", "{{.State.Running}}", "main"]),
            "true"
        );
        // The detach keys end the session as detached; the process still runs.
        let mut session = registry.terminal(&e, &id, attach.clone()).await.unwrap();
        type_line(&mut session, "\x10\x11").await;
        assert_eq!(to_the_end(&mut session).await, Ending::Detached);
        assert_eq!(
            engine.cli(&["inspect", "-f", "{{.State.Running}}", "main"]),
            "true"
        );
        // Attaching again, then ending the main process: its exit code.
        let mut session = registry.terminal(&e, &id, attach.clone()).await.unwrap();
        type_line(&mut session, "exit 4\n").await;
        assert_eq!(to_the_end(&mut session).await, Ending::Exited { code: 4 });

        let (e, id) = registry.resolve(None, "stopped").unwrap();
        let refused = registry.terminal(&e, &id, attach).await.unwrap_err();
        assert!(refused.message.contains("not running"), "{refused:?}");
    });
}

#[test]
fn an_attach_joins_the_main_process_and_leaves_it_running_docker() {
    attach_and_detach(Kind::Docker);
}

#[test]
fn an_attach_joins_the_main_process_and_leaves_it_running_podman() {
    attach_and_detach(Kind::Podman);
}

fn engine_stopped_mid_session(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    engine.create("web", true);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let (_trigger, shutdown) = shutdown::channel();
        let registry = registry_of(&engine, &shutdown).await;
        let (e, id) = registry.resolve(None, "web").unwrap();
        let request = TerminalRequest {
            mode: Mode::Shell {
                user: None,
                workdir: None,
            },
            size: Some(TermSize { rows: 24, cols: 80 }),
        };
        let mut session = registry.terminal(&e, &id, request.clone()).await.unwrap();
        let mut seen = Vec::new();
        type_line(&mut session, "echo ready\n").await;
        read_until(&mut session, &mut seen, 0, "ready").await;
        tokio::task::block_in_place(|| engine.stop());
        match to_the_end(&mut session).await {
            Ending::Lost { message } => {
                assert!(message.contains("engine"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // Reopening while the engine is down fails at once, saying why.
        let refused =
            tokio::time::timeout(Duration::from_secs(15), registry.terminal(&e, &id, request))
                .await
                .expect("a reopen on a stopped engine answered at once");
        assert!(refused.is_err());
    });
}

#[test]
fn an_engine_stopped_during_a_session_ends_it_with_a_message_docker() {
    engine_stopped_mid_session(Kind::Docker);
}

#[test]
fn an_engine_stopped_during_a_session_ends_it_with_a_message_podman() {
    engine_stopped_mid_session(Kind::Podman);
}

/// `skiff exec -it` on a real pseudo-terminal (`tests/support/pty_session.py`): the local
/// terminal in raw mode, the container's TTY at its size, a resize followed (SIGWINCH), and the
/// shell's exit code.
fn exec_tty_on_a_terminal(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    engine.create("web", true);
    let steps = serde_json::json!([
        {"expect": "# "},
        {"send": "stty size\n"},
        {"expect": "30 100"},
        {"resize": [40, 120]},
        // The resize travels to the engine beside the keys, not in their stream: asked again
        // until the container's TTY has it (under load, a line typed at once could beat it).
        {"send": "stty size\n", "until": "40 120"},
        // Ctrl-U reaches the shell as a key (raw mode): it erases the line typed so far.
        {"send": "echo typed-away\u{15}stty size\n"},
        {"expect": "40 120"},
        {"send": "exit 3\n"},
    ]);
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pty_session.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .args(["30", "100", &steps.to_string(), "--"])
        .arg(env!("CARGO_BIN_EXE_skiff"))
        .args(["--host", engine.host(), "exec", "-it", "web", "sh"])
        .env("SKIFF_CONFIG_DIR", "/nonexistent-skiff-config")
        .output()
        .unwrap();
    let seen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{seen}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!seen.contains("typed-away\r\n"), "{seen}");
}

#[test]
fn exec_it_follows_the_local_terminal_docker() {
    exec_tty_on_a_terminal(Kind::Docker);
}

#[test]
fn exec_it_follows_the_local_terminal_podman() {
    exec_tty_on_a_terminal(Kind::Podman);
}

/// A hung engine (its process stopped: a wedged VM looks the same) keeps the session's
/// connection open and sends nothing. The engine's watcher notices (its liveness ping fails)
/// and the session ends as lost, with the watcher's reason, instead of a terminal that waits
/// forever.
fn hung_engine_mid_session(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    engine.create("web", true);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let (_trigger, shutdown) = shutdown::channel();
        let registry = Registry::new();
        let config = WatcherConfig {
            liveness_interval: Duration::from_millis(500),
            ping_timeout: Duration::from_secs(1),
            ..WatcherConfig::default()
        };
        skiff::app::watch_engines(
            &registry,
            &[support::registry::engine("e", engine.host())],
            &config,
            &shutdown,
        );
        assert!(registry.settled(Duration::from_secs(20)).await);
        let (e, id) = registry.resolve(None, "web").unwrap();
        let request = TerminalRequest {
            mode: Mode::Shell {
                user: None,
                workdir: None,
            },
            size: None,
        };
        let mut session = registry.terminal(&e, &id, request).await.unwrap();
        let mut seen = Vec::new();
        type_line(&mut session, "echo ready\n").await;
        read_until(&mut session, &mut seen, 0, "ready").await;
        let pid = engine.pid().to_string();
        let stop = std::process::Command::new("kill")
            .args(["-STOP", &pid])
            .status();
        assert!(stop.unwrap().success());
        let credit = skiff::terminal::Credit::default();
        let (_view, view_closed) = shutdown::channel();
        let ending = tokio::time::timeout(
            Duration::from_secs(30),
            skiff::terminal::relay(
                session.output,
                session.control.as_ref(),
                &credit,
                |_| true,
                registry.engine_lost(&e),
                view_closed,
            ),
        )
        .await;
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &pid])
            .status();
        match ending.expect("the session hung with its engine") {
            skiff::engine::Ending::Lost { message } => {
                assert!(message.contains("unreachable"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn a_hung_engine_ends_the_session_through_its_watcher_docker() {
    hung_engine_mid_session(Kind::Docker);
}

#[test]
fn a_hung_engine_ends_the_session_through_its_watcher_podman() {
    hung_engine_mid_session(Kind::Podman);
}
