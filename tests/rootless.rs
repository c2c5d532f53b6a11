//! Rootless Podman for real: a service started by an unprivileged user (vfs storage, its own
//! `XDG_RUNTIME_DIR`) is discovered on the rootless socket path, without `--host`, and connected.
//!
//! Needs root (to create the user and switch to it with `setpriv`); skipped with a reason
//! otherwise. `uidmap` gives the user its subordinate id ranges.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const USER: &str = "skiff-rootless";

fn run(cmd: &str, args: &[&str]) -> std::process::Output {
    Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

fn uid() -> Option<u32> {
    let out = run("id", &["-u", USER]);
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

struct Rootless {
    uid: u32,
    runtime: PathBuf,
    home: PathBuf,
    service: Child,
}

impl Rootless {
    fn command(&self, program: &Path) -> Command {
        let mut c = Command::new("setpriv");
        let id = self.uid.to_string();
        c.args(["--reuid", &id, "--regid", &id, "--init-groups"])
            .arg(program)
            .env_clear()
            .env("HOME", &self.home)
            .env("USER", USER)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin");
        c
    }
}

impl Drop for Rootless {
    fn drop(&mut self) {
        // Everything running as the test user was started by this test (the service, its
        // re-exec in the user namespace, the catatonit pause process): stop them by pid.
        let _ = self.service.kill();
        let _ = self.service.wait();
        let out = run("pgrep", &["-u", USER]);
        for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = run("kill", &["-9", pid]);
        }
    }
}

fn start() -> Option<Rootless> {
    let is_root = run("id", &["-u"]).stdout.starts_with(b"0\n");
    if !is_root || Command::new("podman").arg("--version").output().is_err() {
        eprintln!("SKIPPED: needs root, setpriv and podman to create and run a rootless user");
        return None;
    }
    if uid().is_none() {
        let out = run("useradd", &["-m", USER]);
        assert!(
            out.status.success(),
            "useradd: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let uid = uid().expect("user exists");
    let home = PathBuf::from(format!("/home/{USER}"));
    let runtime = PathBuf::from(format!("/run/user/{uid}"));
    std::fs::create_dir_all(&runtime).unwrap();
    let config = home.join(".config/containers");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("storage.conf"), "[storage]\ndriver = \"vfs\"\n").unwrap();
    std::fs::write(
        config.join("containers.conf"),
        "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1000:1000\"]\nnetns = \"none\"\n[engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n",
    )
    .unwrap();
    for path in [&runtime, &home] {
        assert!(run(
            "chown",
            &["-R", &format!("{uid}:{uid}"), path.to_str().unwrap()]
        )
        .status
        .success());
    }
    // The runtime dir must be private to the user, as systemd-logind makes it.
    assert!(run("chmod", &["700", runtime.to_str().unwrap()])
        .status
        .success());
    let _ = std::fs::remove_file(runtime.join("podman/podman.sock"));
    let mut r = Rootless {
        uid,
        runtime,
        home,
        service: Command::new("true").spawn().unwrap(),
    };
    r.service = r
        .command(Path::new("/usr/bin/podman"))
        .args(["system", "service", "--time=0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start rootless podman");
    let sock = r.runtime.join("podman/podman.sock");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sock.exists() {
        assert!(
            Instant::now() < deadline,
            "rootless podman did not create {}",
            sock.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(r)
}

#[test]
fn a_rootless_podman_is_discovered_on_its_socket_and_connected() {
    let Some(rootless) = start() else {
        return;
    };
    // The user must be able to run the binary: copy it out of a possibly private target dir.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("skiff");
    std::fs::copy(env!("CARGO_BIN_EXE_skiff"), &bin).unwrap();
    assert!(run(
        "chmod",
        &["755", dir.path().to_str().unwrap(), bin.to_str().unwrap()]
    )
    .status
    .success());

    // No --host: discovery must find $XDG_RUNTIME_DIR/podman/podman.sock by itself.
    let out = rootless
        .command(&bin)
        .args(["engines", "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let engines: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    let podman = engines
        .iter()
        .find(|e| e["engine"] == "podman")
        .expect("rootless podman discovered");
    assert_eq!(podman["state"], "connected");
    assert_eq!(podman["kind"], "podman");
    assert_eq!(
        podman["endpoint"],
        format!("unix:///run/user/{}/podman/podman.sock", rootless.uid)
    );
}
