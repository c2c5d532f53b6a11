//! Remote engines over SSH, against Debian's `openssh-server` on loopback with its own host key,
//! authorized key, ssh config and `known_hosts`; the throwaway engines reached only through it.

mod support;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use support::sshd::{Sshd, HOST};
use support::watch::Watch;
use support::{skiff_command, Kind, TestEngine};

fn skiff_via(config: &Path, args: &[&str]) -> Output {
    skiff_command()
        .env("SKIFF_SSH_CONFIG", config)
        .args(args)
        .output()
        .unwrap()
}

/// `skiff ps -a` names, sorted.
fn names(out: &Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut names: Vec<String> = rows
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn ps_over_ssh_equals_the_engines(kind: Kind, dial_stdio: bool) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    let Some(sshd) = Sshd::start(Some(engine.host())) else {
        return;
    };
    engine.create("far-one", true);
    engine.create("far-two", false);
    let url = if dial_stdio {
        format!("ssh://{HOST}")
    } else {
        format!("ssh://{HOST}{}", engine.socket_path().display())
    };
    let out = skiff_via(
        &sshd.config("ssh_config"),
        &["ps", "-a", "--json", "--host", &url],
    );
    let mut theirs: Vec<String> = engine.ps_all().into_iter().map(|(_, n)| n).collect();
    theirs.sort();
    assert_eq!(names(&out), theirs);
}

#[test]
fn ps_over_ssh_equals_podmans_ps() {
    ps_over_ssh_equals_the_engines(Kind::Podman, false);
}

#[test]
fn ps_over_ssh_equals_dockers_ps() {
    ps_over_ssh_equals_the_engines(Kind::Docker, false);
}

#[test]
fn a_tunnel_directory_an_ended_process_left_is_removed_by_the_next_tunnel() {
    let Some(engine) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let Some(sshd) = Sshd::start(None) else {
        return;
    };
    // As a killed `skiff watch` leaves it: the directory, and a socket nobody listens on, an
    // hour old.
    let left = tempfile::Builder::new()
        .prefix(skiff::engine::tunnel_dirs::PREFIX)
        .tempdir()
        .unwrap()
        .keep();
    drop(std::os::unix::net::UnixListener::bind(left.join("engine.sock")).unwrap());
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::open(&left)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    let url = format!("ssh://{HOST}{}", engine.socket_path().display());
    let out = skiff_via(
        &sshd.config("ssh_config"),
        &["ps", "-a", "--json", "--host", &url],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!left.exists(), "{} is still there", left.display());
}

#[test]
fn ps_over_ssh_reaches_docker_as_its_cli_does() {
    ps_over_ssh_equals_the_engines(Kind::Docker, true);
}

/// `skiff logs -f` follows a line written after it started, and `skiff exec` passes stdin,
/// stdout, stderr and the exit code, both over the one SSH connection of their engine.
fn logs_and_exec_over_ssh(kind: Kind, dial_stdio: bool) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    let Some(sshd) = Sshd::start(Some(engine.host())) else {
        return;
    };
    let url = if dial_stdio {
        format!("ssh://{HOST}")
    } else {
        format!("ssh://{HOST}{}", engine.socket_path().display())
    };
    let config = sshd.config("ssh_config");
    engine.run_sh(
        "chatty",
        &[],
        "echo first; sleep 3; echo second; sleep 86400",
    );
    let followed = std::process::Command::new("timeout")
        .args(["--preserve-status", "-s", "INT", "8"])
        .arg(env!("CARGO_BIN_EXE_skiff"))
        .args(["logs", "-f", "chatty", "--host", &url])
        .env("SKIFF_SSH_CONFIG", &config)
        .env("SKIFF_CONFIG_DIR", "/nonexistent-skiff-config")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&followed.stdout),
        "first\nsecond\n",
        "{}",
        String::from_utf8_lossy(&followed.stderr)
    );
    let out = skiff_via(
        &config,
        &[
            "exec",
            "--host",
            &url,
            "chatty",
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "err\n");
    assert_eq!(out.status.code(), Some(3));
    let mut cat = skiff_command()
        .env("SKIFF_SSH_CONFIG", &config)
        .args(["exec", "-i", "--host", &url, "chatty", "--", "cat"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut cat.stdin.take().unwrap(), b"a\nb\n").unwrap();
    let out = cat.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\nb\n");
    assert!(out.status.success());
}

#[test]
fn logs_and_exec_work_over_ssh_to_podmans_socket() {
    logs_and_exec_over_ssh(Kind::Podman, false);
}

#[test]
fn logs_and_exec_work_over_ssh_to_docker_as_its_cli_reaches_it() {
    logs_and_exec_over_ssh(Kind::Docker, true);
}

#[test]
fn ssh_failures_say_what_to_do() {
    let Some(engine) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let Some(sshd) = Sshd::start(None) else {
        return;
    };
    let url = format!("ssh://{HOST}{}", engine.socket_path().display());
    let stderr = |config: &str, url: &str| {
        let out = skiff_via(&sshd.config(config), &["ps", "--host", url]);
        assert_eq!(out.status.code(), Some(1), "{config}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let unknown = stderr("unknown_host_config", &url);
    assert!(unknown.contains("host key"), "{unknown}");
    assert!(
        unknown.contains("empty_known_hosts"),
        "names the file: {unknown}"
    );
    let wrong = stderr("wrong_key_config", &url);
    assert!(wrong.contains("refused the SSH authentication"), "{wrong}");
    let absent = stderr(
        "ssh_config",
        &format!("ssh://{HOST}/nonexistent/podman.sock"),
    );
    assert!(absent.contains("does not exist"), "{absent}");
}

/// A remote engine whose API is too old is `incompatible` (the fake engine: no real one here is
/// that old), with the version it found, over SSH as on a local socket.
#[test]
fn an_old_remote_api_is_incompatible() {
    let Some(sshd) = Sshd::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("old.sock");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let requests = runtime.block_on(async { support::old_api::old_api_engine(sock.clone()) });
    let config = tempfile::tempdir().unwrap();
    let mut w = Watch::start_with(
        &["--host", &format!("ssh://{HOST}{}", sock.display())],
        config.path(),
        &[("SKIFF_SSH_CONFIG", &sshd.config("ssh_config"))],
    );
    let refused = w.wait("unavailable", |l| {
        l["type"] == "engine" && l["state"] == "unavailable"
    });
    assert_eq!(refused["error"]["kind"], "incompatible", "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1.24"),
        "{refused}"
    );
    assert!(requests.load(std::sync::atomic::Ordering::SeqCst) > 0);
}

#[test]
fn a_watch_over_ssh_survives_the_server_going_away() {
    let Some(engine) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let Some(mut sshd) = Sshd::start(None) else {
        return;
    };
    let config = tempfile::tempdir().unwrap();
    let url = format!("ssh://{HOST}{}", engine.socket_path().display());
    let ssh_config = sshd.config("ssh_config");
    let mut w = Watch::start_with(
        &["--host", &url],
        config.path(),
        &[("SKIFF_SSH_CONFIG", &ssh_config)],
    );
    w.wait("connected", |l| {
        l["type"] == "engine" && l["state"] == "connected"
    });
    w.wait("the first relist", |l| {
        l["type"] == "resync" && l["phase"] == "done"
    });
    engine.create("seen-live", true);
    w.wait("a new container", |l| {
        l["type"] == "container" && l["container"]["name"] == "seen-live"
    });
    sshd.kill();
    let down = w.wait("reconnecting", |l| {
        l["type"] == "engine" && l["state"] == "reconnecting"
    });
    assert_eq!(down["error"]["kind"], "transient", "{down}");
    engine.create("made-meanwhile", false);
    std::thread::sleep(Duration::from_secs(1));
    sshd.resume();
    w.wait("back", |l| {
        l["type"] == "engine" && l["state"] == "connected"
    });
    w.wait("the change made meanwhile", |l| {
        l["type"] == "container" && l["container"]["name"] == "made-meanwhile"
    });
    let attempts = w
        .seen
        .iter()
        .filter(|l| l["type"] == "engine" && l["state"] == "reconnecting")
        .count();
    assert!(attempts < 20, "backoff, not a storm: {attempts} attempts");
}

#[test]
fn a_refused_key_is_not_retried_on_a_timer() {
    let Some(engine) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let Some(sshd) = Sshd::start(None) else {
        return;
    };
    let config = tempfile::tempdir().unwrap();
    let url = format!("ssh://{HOST}{}", engine.socket_path().display());
    let wrong = sshd.config("wrong_key_config");
    let mut w = Watch::start_with(
        &["--host", &url],
        config.path(),
        &[("SKIFF_SSH_CONFIG", &wrong)],
    );
    let refused = w.wait("refused", |l| {
        l["type"] == "engine" && l["error"]["kind"] == "permission_denied"
    });
    assert_eq!(refused["retry_in_ms"], serde_json::Value::Null, "{refused}");
    let more = w.lines_for(Duration::from_secs(3));
    assert!(
        more.iter().all(|l| l["type"] != "engine"),
        "no attempts on a timer: {more:#?}"
    );
}

/// The current Docker context and the default Podman connection, written by the test under a
/// temporary `HOME` where these tools keep them, are watched over SSH and say where they came
/// from.
#[test]
fn the_current_docker_context_and_podman_connection_are_watched() {
    let Some(podman) = TestEngine::start(Kind::Podman) else {
        return;
    };
    let Some(docker) = TestEngine::start(Kind::Docker) else {
        return;
    };
    let Some(sshd) = Sshd::start(Some(docker.host())) else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let path = home.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(".docker/config.json", r#"{"currentContext":"far"}"#);
    write(
        ".docker/contexts/meta/0123/meta.json",
        &format!(r#"{{"Name":"far","Endpoints":{{"docker":{{"Host":"ssh://{HOST}"}}}}}}"#),
    );
    write(
        ".config/containers/containers.conf",
        &format!(
            "[engine]\nactive_service = \"far-podman\"\n\
             [engine.service_destinations.far-podman]\nuri = \"ssh://{HOST}{}\"\n",
            podman.socket_path().display()
        ),
    );
    let out = skiff_command()
        .env("SKIFF_SSH_CONFIG", sshd.config("ssh_config"))
        .env("HOME", home.path())
        .env("XDG_RUNTIME_DIR", home.path())
        .env_remove("DOCKER_CONFIG")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_HOST")
        .env_remove("CONTAINER_HOST")
        .env_remove("SKIFF_HOST")
        .args(["engines", "--json"])
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    for (name, source) in [
        ("far", "docker_context"),
        ("far-podman", "podman_connection"),
    ] {
        let row = rows
            .iter()
            .find(|r| r["engine"] == name)
            .unwrap_or_else(|| panic!("{name}: {rows:#?}"));
        assert_eq!(row["source"], source, "{row}");
        assert_eq!(row["state"], "connected", "{row}");
        assert!(
            row["endpoint"].as_str().unwrap().starts_with("ssh://"),
            "{row}"
        );
    }
}
