//! "Start Podman" against a `podman` that starts and never answers (a fake on PATH: the real one
//! cannot be made to hang): the attempt fails within its limit with the log's last words, the
//! child is killed rather than left holding the socket, and a service already answering is
//! reused instead of a second one being started. Its own test binary: it changes PATH.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use skiff::engine::podman_service::{self, ServiceError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_podman_that_never_answers_is_killed_at_the_limit_and_a_running_one_is_reused() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let pid_file = dir.path().join("fake.pid");
    let fake = bin.join("podman");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho $$ > {}\necho 'starting, never answering'\nexec sleep 600\n",
            pid_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::env::set_var("PATH", path);

    let socket = dir.path().join("podman.sock");
    let log = dir.path().join("podman-service.log");
    let started = Instant::now();
    let err = podman_service::start(&socket, &log, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::NoAnswer { .. }), "{err}");
    assert!(err.to_string().contains("never answering"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let alive = std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ");
    assert!(!alive, "the child that never answered was killed");

    // Something already answers on the socket: it is used, nothing new is started.
    std::fs::remove_file(&pid_file).unwrap();
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nLibpod-Api-Version: 4.3.1\r\nContent-Length: 2\r\n\r\nOK")
                .await;
        }
    });
    let pid = podman_service::start(&socket, &log, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(pid, 0, "reused, not started");
    assert!(!pid_file.exists(), "no second podman was spawned");
}
