//! A fault-injecting proxy in front of an engine's unix socket.
//!
//! Requests pass through unchanged (one request per connection, as Skiff's clients and bollard
//! do) and are counted by their request line. Responses to `/events` are re-framed chunk by chunk
//! so that faults can be injected at event boundaries: duplicate every event, inject a garbage
//! line, or cut the connection in the middle of an event.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

#[derive(Debug, Default)]
pub struct Faults {
    /// Send every event line twice.
    pub duplicate: AtomicBool,
    /// Before the next event, inject a line of this many garbage bytes (then reset to 0).
    pub garbage_bytes: AtomicUsize,
    /// Cut the next event in the middle and close the connection (then reset).
    pub cut_next: AtomicBool,
    /// Swallow every event (the stream stays open but says nothing).
    pub drop_events: AtomicBool,
    /// Delay every `/_ping` by this many milliseconds (a slow engine).
    pub ping_delay_ms: std::sync::atomic::AtomicU64,
}

#[derive(Debug)]
pub struct Proxy {
    pub path: PathBuf,
    pub faults: Arc<Faults>,
    requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    pub fn start(dir: &Path, target: PathBuf) -> Self {
        let path = dir.join("proxy.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let faults = Arc::new(Faults::default());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (f, r) = (faults.clone(), requests.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let (f, r, target) = (f.clone(), r.clone(), target.clone());
                tokio::spawn(async move {
                    let _ = relay(client, &target, &f, &r).await;
                });
            }
        });
        Self {
            path,
            faults,
            requests,
            task,
        }
    }

    pub fn host(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// Request lines seen (`POST /v1.41/containers/…/stop HTTP/1.1`).
    pub fn requests_matching(&self, needle: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }
}

async fn relay(
    client: UnixStream,
    target: &Path,
    faults: &Faults,
    requests: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let upstream = UnixStream::connect(target).await?;
    let (client_r, mut client_w) = client.into_split();
    let (up_r, mut up_w) = upstream.into_split();
    let mut client_r = BufReader::new(client_r);
    // Request head: read it line by line to learn the path, forward it as is.
    let mut first = String::new();
    client_r.read_line(&mut first).await?;
    requests.lock().unwrap().push(first.trim().to_owned());
    let is_events = first.contains("/events");
    let delay = faults.ping_delay_ms.load(Ordering::SeqCst);
    if delay > 0 && first.contains("/_ping") {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    up_w.write_all(first.as_bytes()).await?;
    let to_upstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_r, &mut up_w).await;
    });
    let mut up_r = BufReader::new(up_r);
    if !is_events {
        let _ = tokio::io::copy(&mut up_r, &mut client_w).await;
        to_upstream.abort();
        return Ok(());
    }
    // Response head.
    loop {
        let mut line = String::new();
        if up_r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        client_w.write_all(line.as_bytes()).await?;
        if line == "\r\n" {
            break;
        }
    }
    // Chunked body: each chunk is one event line on both engines (they flush per event).
    loop {
        let mut size_line = String::new();
        if up_r.read_line(&mut size_line).await? == 0 {
            break;
        }
        let size = usize::from_str_radix(size_line.trim(), 16).unwrap_or(0);
        let mut data = vec![0u8; size + 2];
        up_r.read_exact(&mut data).await?;
        data.truncate(size);
        if size == 0 {
            client_w.write_all(b"0\r\n\r\n").await?;
            break;
        }
        if faults.drop_events.load(Ordering::SeqCst) {
            continue;
        }
        let garbage = faults.garbage_bytes.swap(0, Ordering::SeqCst);
        if garbage > 0 {
            let mut line = vec![b'#'; garbage];
            line.push(b'\n');
            write_chunk(&mut client_w, &line).await?;
        }
        if faults.cut_next.swap(false, Ordering::SeqCst) {
            write_chunk(&mut client_w, &data[..data.len() / 2]).await?;
            client_w.shutdown().await?;
            break;
        }
        write_chunk(&mut client_w, &data).await?;
        if faults.duplicate.load(Ordering::SeqCst) {
            write_chunk(&mut client_w, &data).await?;
        }
    }
    to_upstream.abort();
    Ok(())
}

async fn write_chunk(w: &mut tokio::net::unix::OwnedWriteHalf, data: &[u8]) -> std::io::Result<()> {
    w.write_all(format!("{:x}\r\n", data.len()).as_bytes())
        .await?;
    w.write_all(data).await?;
    w.write_all(b"\r\n").await?;
    w.flush().await
}
