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
    /// Requests whose line contains this are read and never answered (a hung engine).
    pub hang: Mutex<Option<&'static str>>,
    /// Responses to requests whose line contains this are sent one byte per `trickle_ms`.
    pub trickle: Mutex<Option<&'static str>>,
    pub trickle_ms: std::sync::atomic::AtomicU64,
    /// Shift the engine's clock by this many seconds: every `Date` header and every event's
    /// `time` / `timeNano`.
    pub shift_s: std::sync::atomic::AtomicI64,
    /// Stamp the next event a year ahead (then reset).
    pub future_next: AtomicBool,
    /// Before the next event, inject this many made-up events (then reset to 0).
    pub inject_events: AtomicUsize,
}

fn matches(slot: &Mutex<Option<&'static str>>, line: &str) -> bool {
    slot.lock().unwrap().is_some_and(|n| line.contains(n))
}

/// An HTTP date moved by `shift` seconds.
fn shift_date(value: &str, shift: i64) -> String {
    chrono::DateTime::parse_from_rfc2822(value.trim()).map_or_else(
        |_| value.trim().to_owned(),
        |d| {
            (d.to_utc() + chrono::Duration::seconds(shift))
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string()
        },
    )
}

/// `since` of a request line (as the client asked it), in seconds.
fn since_of(line: &str) -> Option<i64> {
    let rest = &line[line.find("since=")? + 6..];
    let secs: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    secs.parse().ok()
}

fn unshift_since(line: &str, shift: i64) -> String {
    let Some(secs) = since_of(line) else {
        return line.to_owned();
    };
    line.replacen(
        &format!("since={secs}."),
        &format!("since={}.", secs - shift),
        1,
    )
}

/// One event line with its stamps moved.
fn shift_event(data: &[u8], shift_ns: i64) -> Vec<u8> {
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return data.to_vec();
    };
    if let Some(t) = v.get("timeNano").and_then(serde_json::Value::as_i64) {
        v["timeNano"] = (t + shift_ns).into();
        v["time"] = ((t + shift_ns) / 1_000_000_000).into();
    }
    let mut out = serde_json::to_vec(&v).unwrap();
    out.push(b'\n');
    out
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

    /// The `since` (seconds, as Skiff asked it) of the last `/events` request that had one.
    pub fn last_since(&self) -> Option<i64> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .rev()
            .filter(|l| l.contains("/events"))
            .find_map(|l| since_of(l))
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
    if matches(&faults.hang, &first) {
        // Keep the connection open and say nothing, until the client gives up.
        let mut sink = Vec::new();
        let _ = client_r.read_to_end(&mut sink).await;
        return Ok(());
    }
    let trickle = matches(&faults.trickle, &first);
    let shift = faults.shift_s.load(Ordering::SeqCst);
    // The engine sees `since` in its own clock again.
    let first = if shift == 0 {
        first
    } else {
        unshift_since(&first, shift)
    };
    up_w.write_all(first.as_bytes()).await?;
    let to_upstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_r, &mut up_w).await;
    });
    let mut up_r = BufReader::new(up_r);
    // Response head, with the engine's clock moved.
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if up_r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let end = line == "\r\n";
        if shift != 0 && line.to_lowercase().starts_with("date:") {
            line = format!("Date: {}\r\n", shift_date(&line[5..], shift));
        }
        head.extend_from_slice(line.as_bytes());
        if end {
            break;
        }
    }
    if !is_events {
        if trickle {
            let pause = std::time::Duration::from_millis(faults.trickle_ms.load(Ordering::SeqCst));
            let mut byte = [0u8; 1];
            for b in head {
                client_w.write_all(&[b]).await?;
                tokio::time::sleep(pause).await;
            }
            while up_r.read(&mut byte).await? == 1 {
                client_w.write_all(&byte).await?;
                tokio::time::sleep(pause).await;
            }
        } else {
            client_w.write_all(&head).await?;
            let _ = tokio::io::copy(&mut up_r, &mut client_w).await;
        }
        to_upstream.abort();
        return Ok(());
    }
    client_w.write_all(&head).await?;
    relay_events(&mut up_r, &mut client_w, faults, shift).await?;
    to_upstream.abort();
    Ok(())
}

/// The chunked `/events` body, event by event, with the faults applied.
async fn relay_events(
    up_r: &mut BufReader<tokio::net::unix::OwnedReadHalf>,
    client_w: &mut tokio::net::unix::OwnedWriteHalf,
    faults: &Faults,
    shift: i64,
) -> std::io::Result<()> {
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
        let injected = faults.inject_events.swap(0, Ordering::SeqCst);
        for i in 0..injected {
            let line = format!(
                "{{\"Type\":\"container\",\"Action\":\"exec_start\",\"Actor\":{{\"ID\":\"{i:064x}\",\"Attributes\":{{}}}},\"time\":1,\"timeNano\":1000000000}}\n"
            );
            write_chunk(client_w, line.as_bytes()).await?;
        }
        let shift_ns = shift * 1_000_000_000
            + if faults.future_next.swap(false, Ordering::SeqCst) {
                365 * 86_400 * 1_000_000_000
            } else {
                0
            };
        let data = if shift_ns == 0 {
            data
        } else {
            shift_event(&data, shift_ns)
        };
        let garbage = faults.garbage_bytes.swap(0, Ordering::SeqCst);
        if garbage > 0 {
            let mut line = vec![b'#'; garbage];
            line.push(b'\n');
            write_chunk(client_w, &line).await?;
        }
        if faults.cut_next.swap(false, Ordering::SeqCst) {
            write_chunk(client_w, &data[..data.len() / 2]).await?;
            client_w.shutdown().await?;
            break;
        }
        write_chunk(client_w, &data).await?;
        if faults.duplicate.load(Ordering::SeqCst) {
            write_chunk(client_w, &data).await?;
        }
    }
    Ok(())
}

async fn write_chunk(w: &mut tokio::net::unix::OwnedWriteHalf, data: &[u8]) -> std::io::Result<()> {
    w.write_all(format!("{:x}\r\n", data.len()).as_bytes())
        .await?;
    w.write_all(data).await?;
    w.write_all(b"\r\n").await?;
    w.flush().await
}
