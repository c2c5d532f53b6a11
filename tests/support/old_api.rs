//! A fake engine for the one fault no real engine here can produce: an API too old for Skiff.

/// A fake engine on a unix socket that answers `/version` with an old API (1.24) and refuses
/// versioned paths it does not speak, as Docker does. Counts requests.
pub fn old_api_engine(path: std::path::PathBuf) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let c = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let c = c.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    return;
                }
                c.fetch_add(1, Ordering::SeqCst);
                let req = String::from_utf8_lossy(&buf[..n]);
                let (status, body) = if req.starts_with("GET /_ping") {
                    (
                        "200 OK\r\nApi-Version: 1.24\r\nServer: Docker/1.12.0 (linux)",
                        "OK",
                    )
                } else if req.starts_with("GET /v1.41/version") || req.starts_with("GET /version") {
                    (
                        "200 OK",
                        r#"{"Version":"1.12.0","ApiVersion":"1.24","MinAPIVersion":"1.12","Components":[]}"#,
                    )
                } else {
                    (
                        "400 Bad Request",
                        r#"{"message":"client version 1.41 is too new. Maximum supported API version is 1.24"}"#,
                    )
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    count
}
