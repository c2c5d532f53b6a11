//! Quitting with a remote engine: the watchers ending (a shutdown) ends the engine's `ssh` and
//! removes its tunnel directory, and `Registry::tasks_ended` says when that is done. The desktop
//! app's exit waits for exactly this, because its process ends without dropping what the runtime
//! holds (`src-tauri/src/quit.rs`).
//!
//! A file of its own: the test sets `SKIFF_SSH_CONFIG` for its own process, which no other test
//! may see.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use support::registry::engine;
use support::sshd::{Sshd, HOST};
use support::{eventually, Kind, TestEngine};

/// The `ssh` processes this process started, with their arguments.
fn ssh_children() -> Vec<(u32, Vec<String>)> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`: comm may hold spaces, so read from its closing parenthesis.
        let Some((comm, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split(' ').collect();
        // A zombie has ended: it only waits to be reaped.
        if comm.ends_with("(ssh") && fields[1] == me && fields[0] != "Z" {
            let args = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let args = args
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            found.push((pid, args));
        }
    }
    found
}

/// The tunnel directory named in `ssh`'s arguments (its control socket or its local socket).
fn tunnel_dir(args: &[String]) -> PathBuf {
    let prefix = skiff::engine::tunnel_dirs::PREFIX;
    let arg = args
        .iter()
        .find(|a| a.contains(prefix))
        .unwrap_or_else(|| panic!("no tunnel directory in {args:?}"));
    let path = arg.split(':').next().unwrap();
    PathBuf::from(path).parent().unwrap().to_path_buf()
}

#[test]
fn ending_the_watchers_ends_the_engines_ssh_and_removes_its_directory() {
    let Some(target) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let Some(sshd) = Sshd::start(None) else {
        return;
    };
    // Before any thread of the runtime exists.
    std::env::set_var("SKIFF_SSH_CONFIG", sshd.config("ssh_config"));
    let url = format!("ssh://{HOST}{}", target.socket_path().display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let registry = skiff::registry::Registry::new();
        let (trigger, shutdown) = skiff::shutdown::channel();
        skiff::app::watch_engines(
            &registry,
            &[engine("remote", &url)],
            &skiff::watcher::WatcherConfig::default(),
            &shutdown,
        );
        assert!(registry.settled(Duration::from_secs(30)).await);
        let ssh = ssh_children();
        assert_eq!(ssh.len(), 1, "one connection for the engine: {ssh:?}");
        let dir = tunnel_dir(&ssh[0].1);
        assert!(dir.exists(), "{} while connected", dir.display());

        drop(trigger);
        tokio::time::timeout(Duration::from_secs(10), registry.tasks_ended())
            .await
            .expect("the watcher and the applier ended");
        // The kill is sent when the tunnel drops; the process takes a moment to die (CI once
        // found it mid-exit, its arguments already gone).
        eventually(
            Duration::from_secs(5),
            || ssh_children().is_empty(),
            || format!("ssh outlived the watchers: {:?}", ssh_children()),
        )
        .await;
        assert!(!dir.exists(), "{} is still there", dir.display());
    });
}
