//! Debian's `openssh-server` on a loopback port, with its own host key, an authorized key, and
//! an ssh config and `known_hosts` of its own (`SKIFF_SSH_CONFIG` names the config to Skiff).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The alias of the server in the config.
pub const HOST: &str = "skiff-test";

pub struct Sshd {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub port: u16,
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "ssh-keygen");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sshd {
    /// Starts sshd with `DOCKER_HOST` set for its sessions to `docker_host` (for `docker system
    /// dial-stdio`); `None` (after saying why) where sshd is not installed.
    pub fn start(docker_host: Option<&str>) -> Option<Self> {
        if !Path::new("/usr/sbin/sshd").exists() {
            assert!(
                std::env::var("SKIFF_REQUIRE_ENGINES").as_deref() != Ok("1"),
                "sshd is not installed"
            );
            eprintln!("SKIPPED: /usr/sbin/sshd is not installed");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keygen(&d.join("host_key"));
        keygen(&d.join("client_key"));
        keygen(&d.join("other_key"));
        std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).unwrap();
        let port = free_port();
        let mut config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\nPidFile {}\n\
             PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             UsePAM no\nStrictModes no\nAllowStreamLocalForwarding yes\nLogLevel ERROR\n",
            d.join("host_key").display(),
            d.join("authorized_keys").display(),
            d.join("sshd.pid").display(),
        );
        if let Some(host) = docker_host {
            config.push_str("SetEnv DOCKER_HOST=");
            config.push_str(host);
            config.push_str(" DOCKER_API_VERSION=1.41\n");
        }
        std::fs::write(d.join("sshd_config"), config).unwrap();
        let host_key = std::fs::read_to_string(d.join("host_key.pub")).unwrap();
        std::fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {host_key}"),
        )
        .unwrap();
        std::fs::write(d.join("empty_known_hosts"), "").unwrap();
        let client = |key: &str, known: &str| {
            format!(
                "Host {HOST}\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {}\n  IdentitiesOnly yes\n  UserKnownHostsFile {}\n  GlobalKnownHostsFile /dev/null\n  IdentityAgent none\n",
                d.join(key).display(),
                d.join(known).display()
            )
        };
        std::fs::write(d.join("ssh_config"), client("client_key", "known_hosts")).unwrap();
        std::fs::write(
            d.join("wrong_key_config"),
            client("other_key", "known_hosts"),
        )
        .unwrap();
        std::fs::write(
            d.join("unknown_host_config"),
            client("client_key", "empty_known_hosts"),
        )
        .unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let mut sshd = Self {
            child: None,
            dir,
            port,
        };
        sshd.resume();
        Some(sshd)
    }

    /// The config Skiff is given (`SKIFF_SSH_CONFIG`): `ssh_config`, `wrong_key_config` or
    /// `unknown_host_config`.
    pub fn config(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Kills the server (established connections die with it: `sshd -D` as one process per
    /// connection is killed by process group).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Its connections are its children: end them all.
            let _ = Command::new("pkill")
                .args(["-KILL", "-P", &child.id().to_string()])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again), and waits until it accepts connections.
    pub fn resume(&mut self) {
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(self.dir.path().join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sshd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "sshd did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}
