//! A real HTTP telemetry collector on loopback, recording every batch it accepts, with switchable
//! behaviour for fault injection (500, 429 + Retry-After, hang).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accept,
    Fail,
    TooMany,
    Hang,
}

#[derive(Debug, Clone)]
pub struct Sink {
    pub url: String,
    pub mode: Arc<Mutex<Mode>>,
    pub events: Arc<Mutex<Vec<serde_json::Value>>>,
    pub requests: Arc<Mutex<Vec<Mode>>>,
}

impl Sink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1/events", listener.local_addr().unwrap());
        let sink = Self {
            url,
            mode: Arc::new(Mutex::new(Mode::Accept)),
            events: Arc::new(Mutex::new(Vec::new())),
            requests: Arc::new(Mutex::new(Vec::new())),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    // Read the head, then Content-Length bytes of body.
                    let (head_end, len) = loop {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..pos]).to_lowercase();
                            let len = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse::<usize>().ok())
                                .unwrap_or(0);
                            break (pos + 4, len);
                        }
                    };
                    while buf.len() < head_end + len {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let mode = *s.mode.lock().unwrap();
                    s.requests.lock().unwrap().push(mode);
                    let response: &[u8] = match mode {
                        Mode::Accept => {
                            let body: serde_json::Value = serde_json::from_slice(&buf[head_end..head_end + len]).unwrap();
                            s.events.lock().unwrap().extend(body["events"].as_array().unwrap().iter().cloned());
                            b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
                        }
                        Mode::Fail => b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        Mode::TooMany => b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        Mode::Hang => {
                            std::future::pending::<()>().await;
                            unreachable!()
                        }
                    };
                    let _ = sock.write_all(response).await;
                });
            }
        });
        sink
    }

    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn names(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    }
}
