//! A minimal HTTP/1.1 client over the engine's transport (unix socket, TCP, named pipe).
//!
//! bollard covers the actions; this exists for the requests that need the raw exchange:
//! `/_ping` (whose *headers* carry the API version, the engine kind and its version, in ~1 ms,
//! where Podman's `/version` takes ~700 ms), `/events` (read line by line, see
//! [`super::events`], whose `Date` header is the engine's clock) and the container list (whose
//! body must be capped).
//!
//! Every request is bounded in time: an engine that accepts the connection and then says nothing
//! (a hung daemon, a wedged VM, a proxy with no upstream) fails the request as `transient` after
//! [`HEAD_TIMEOUT`] instead of leaving the caller, and the user, waiting forever. A whole body
//! (not a stream) is bounded by size and by time too: [`get_body`].

use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::{Endpoint, EngineError};

mod hijack;
pub use hijack::{hijack, Upgraded};

/// Longest wait for a response head, connection and handshake included. Long enough for a busy
/// Podman on a slow disk (its list of 10k containers starts answering within ~2 s here), short
/// enough that a hung engine shows as reconnecting before a user wonders.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// The connection task of a request; abort it to close the connection.
pub type Driver = tokio::task::JoinHandle<()>;

type Sender<B = http_body_util::Empty<bytes::Bytes>> = hyper::client::conn::http1::SendRequest<B>;

/// Sends `GET path` and returns the response head (body not yet read) and its connection task.
pub async fn get(
    endpoint: &Endpoint,
    path: &str,
) -> Result<(hyper::Response<Incoming>, Driver), EngineError> {
    within_head_timeout(endpoint, path, get_unbounded(endpoint, path)).await
}

/// `exchange` (a request up to its response head), failed as `transient` after
/// [`HEAD_TIMEOUT`].
async fn within_head_timeout<T>(
    endpoint: &Endpoint,
    path: &str,
    exchange: impl std::future::Future<Output = Result<T, EngineError>>,
) -> Result<T, EngineError> {
    match tokio::time::timeout(HEAD_TIMEOUT, exchange).await {
        Ok(result) => result,
        Err(_) => Err(EngineError::Transient {
            endpoint: endpoint.clone(),
            detail: format!(
                "no answer to {} within {} s",
                short(path),
                HEAD_TIMEOUT.as_secs()
            ),
        }),
    }
}

/// `/v1.41/containers/json?all=1` → `/containers/json`: the words a user can read.
fn short(path: &str) -> &str {
    let path = path.split('?').next().unwrap_or(path);
    match path.strip_prefix("/v") {
        Some(rest) => rest.find('/').map_or(path, |i| &rest[i..]),
        None => path,
    }
}

/// `GET path` and its whole body, at most `cap` bytes, all within `limit`. Past `cap` the answer is a `protocol` error (the engine, or what poses as one, sent
/// more than any real answer); past `limit` a `transient` one.
pub async fn get_body(
    endpoint: &Endpoint,
    path: &str,
    cap: usize,
    limit: Duration,
) -> Result<bytes::Bytes, EngineError> {
    send(endpoint, hyper::Method::GET, path, cap, limit).await
}

/// [`get_body`] for any bodyless request (`POST …/start`, `DELETE …`): the libpod calls bollard
/// has no method for. A `GET`'s head must come within [`HEAD_TIMEOUT`]; another method's answer
/// may wait for what it does (a pod's stop waits for its containers' stop timeouts), within
/// `limit` only.
pub async fn send(
    endpoint: &Endpoint,
    method: hyper::Method,
    path: &str,
    cap: usize,
    limit: Duration,
) -> Result<bytes::Bytes, EngineError> {
    let exchange = async {
        let (response, driver) = if method == hyper::Method::GET {
            within_head_timeout(endpoint, path, request_unbounded(endpoint, method, path)).await?
        } else {
            request_unbounded(endpoint, method, path).await?
        };
        let _close = AbortOnDrop(Some(driver));
        let response = check_status(endpoint, response).await?;
        let bytes = http_body_util::Limited::new(response.into_body(), cap)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    EngineError::Protocol {
                        endpoint: endpoint.clone(),
                        detail: format!(
                            "answer to {} is larger than {} MiB",
                            short(path),
                            cap >> 20
                        ),
                    }
                } else {
                    EngineError::Transient {
                        endpoint: endpoint.clone(),
                        detail: format!("reading {} failed: {e}", short(path)),
                    }
                }
            })?
            .to_bytes();
        Ok(bytes)
    };
    match tokio::time::timeout(limit, exchange).await {
        Ok(result) => result,
        Err(_) => Err(EngineError::Transient {
            endpoint: endpoint.clone(),
            detail: format!(
                "answer to {} not complete within {} s",
                short(path),
                limit.as_secs()
            ),
        }),
    }
}

/// The chunks of a streamed body (logs), as they arrive; the connection closes when the stream
/// is dropped. A body that fails mid-way ends with the I/O error: the engine went away or cut
/// the stream, which the caller (not this stream) decides what to do about.
#[must_use]
pub fn body_chunks(
    response: hyper::Response<Incoming>,
    driver: Driver,
) -> futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>> {
    let state = (response.into_body(), AbortOnDrop(Some(driver)));
    Box::pin(futures_util::stream::unfold(
        Some(state),
        |state| async move {
            let (mut body, close) = state?;
            loop {
                match body.frame().await {
                    None => return None,
                    Some(Ok(frame)) => {
                        // Trailers carry nothing a log needs.
                        if let Ok(data) = frame.into_data() {
                            if !data.is_empty() {
                                return Some((Ok(data), Some((body, close))));
                            }
                        }
                    }
                    Some(Err(e)) => return Some((Err(std::io::Error::other(e)), None)),
                }
            }
        },
    ))
}

/// Closes a request's connection when the request is done or abandoned (a timeout drops it).
struct AbortOnDrop(Option<Driver>);

impl AbortOnDrop {
    /// Hands the connection task on, alive.
    fn disarm(mut self) -> Driver {
        self.0.take().expect("armed until disarmed")
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(driver) = &self.0 {
            driver.abort();
        }
    }
}

/// The engine's own clock, from a response's `Date` header, in nanoseconds since the epoch
/// (whole seconds: HTTP dates have no fraction).
#[must_use]
pub fn engine_time(headers: &hyper::HeaderMap) -> Option<i64> {
    let date = headers.get(hyper::header::DATE)?.to_str().ok()?;
    let parsed = chrono::DateTime::parse_from_rfc2822(date).ok()?;
    parsed.timestamp_nanos_opt()
}

async fn get_unbounded(
    endpoint: &Endpoint,
    path: &str,
) -> Result<(hyper::Response<Incoming>, Driver), EngineError> {
    request_unbounded(endpoint, hyper::Method::GET, path).await
}

async fn request_unbounded(
    endpoint: &Endpoint,
    method: hyper::Method,
    path: &str,
) -> Result<(hyper::Response<Incoming>, Driver), EngineError> {
    let (mut sender, driver) = connect(endpoint).await?;
    // Until the head arrives, the connection dies with this future: a timeout that drops it must
    // not leave a connection task (and its socket) behind for every attempt on a hung engine.
    let guard = AbortOnDrop(Some(driver));
    let request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, "skiff")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(|e| EngineError::Protocol {
            endpoint: endpoint.clone(),
            detail: format!("bad request path {path:?}: {e}"),
        })?;
    match sender.send_request(request).await {
        Ok(response) => Ok((response, guard.disarm())),
        Err(e) => Err(EngineError::Transient {
            endpoint: endpoint.clone(),
            detail: format!("request {} failed: {e}", short(path)),
        }),
    }
}

/// Turns a non-2xx response into the engine's error, classified like bollard's.
pub async fn check_status(
    endpoint: &Endpoint,
    response: hyper::Response<Incoming>,
) -> Result<hyper::Response<Incoming>, EngineError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    // Error bodies are small JSON objects; cap what is read so a hostile peer cannot make us
    // buffer without bound.
    let body = http_body_util::Limited::new(response.into_body(), 64 * 1024)
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
    Err(EngineError::from_bollard(
        endpoint,
        &bollard::errors::Error::DockerResponseServerError {
            status_code: status.as_u16(),
            message,
        },
    ))
}

async fn connect<B>(endpoint: &Endpoint) -> Result<(Sender<B>, Driver), EngineError>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let io_err = |e: std::io::Error| EngineError::from_io(endpoint.clone(), &e);
    match endpoint {
        #[cfg(unix)]
        Endpoint::Unix(path) => {
            let stream = tokio::net::UnixStream::connect(path)
                .await
                .map_err(io_err)?;
            handshake(endpoint, stream).await
        }
        Endpoint::Tcp(addr) => {
            let stream = tokio::net::TcpStream::connect(addr).await.map_err(io_err)?;
            stream.set_nodelay(true).map_err(io_err)?;
            handshake(endpoint, stream).await
        }
        #[cfg(windows)]
        Endpoint::NamedPipe(pipe) => {
            let name = pipe.replace('/', "\\\\");
            let stream = tokio::net::windows::named_pipe::ClientOptions::new()
                .open(&name)
                .map_err(io_err)?;
            handshake(endpoint, stream).await
        }
        Endpoint::Ssh(_) => Err(super::client::through_tunnel(endpoint)),
        #[allow(unreachable_patterns)]
        _ => Err(EngineError::Unsupported {
            endpoint: endpoint.clone(),
            detail: "named pipes exist only on Windows".to_owned(),
        }),
    }
}

async fn handshake<S, B>(endpoint: &Endpoint, stream: S) -> Result<(Sender<B>, Driver), EngineError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| EngineError::Transient {
                endpoint: endpoint.clone(),
                detail: format!("HTTP handshake failed: {e}"),
            })?;
    let driver = tokio::spawn(async move {
        // The error, if any, reaches the reader as a body error. `with_upgrades` hands the
        // socket on when the engine switches protocols (exec and attach); other requests never
        // upgrade, so for them it changes nothing.
        let _ = conn.with_upgrades().await;
    });
    Ok((sender, driver))
}

/// What `/_ping` tells about an engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingInfo {
    /// `Api-Version` header (the engine's newest API).
    pub api_version: Option<String>,
    /// True when `Libpod-Api-Version` is present or `Server` says Libpod.
    pub is_podman: bool,
    /// The engine's own version, from `Server: Docker/20.10.24 (linux)` or `Libpod/4.3.1 (linux)`.
    pub version: Option<String>,
}

impl PingInfo {
    #[must_use]
    pub fn from_headers(headers: &hyper::HeaderMap) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let server = header("server").unwrap_or_default();
        let libpod = header("libpod-api-version");
        let version = server
            .split_once('/')
            .map(|(_, rest)| {
                rest.split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
            .filter(|v| !v.is_empty())
            .or_else(|| libpod.clone());
        Self {
            api_version: header("api-version"),
            is_podman: libpod.is_some() || server.starts_with("Libpod"),
            version,
        }
    }
}

/// `GET /_ping`: checks the engine answers and reads what its headers say.
pub async fn ping(endpoint: &Endpoint) -> Result<PingInfo, EngineError> {
    let (response, driver) = get(endpoint, "/_ping").await?;
    let result = check_status(endpoint, response).await;
    driver.abort();
    Ok(PingInfo::from_headers(result?.headers()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_and_docker_ping_headers_are_read() {
        let mut h = hyper::HeaderMap::new();
        h.insert("api-version", "1.41".parse().unwrap());
        h.insert("libpod-api-version", "4.3.1".parse().unwrap());
        h.insert("server", "Libpod/4.3.1 (linux)".parse().unwrap());
        let p = PingInfo::from_headers(&h);
        assert!(p.is_podman);
        assert_eq!(p.version.as_deref(), Some("4.3.1"));

        let mut h = hyper::HeaderMap::new();
        h.insert("api-version", "1.41".parse().unwrap());
        h.insert("server", "Docker/20.10.24+dfsg1 (linux)".parse().unwrap());
        let p = PingInfo::from_headers(&h);
        assert!(!p.is_podman);
        assert_eq!(p.version.as_deref(), Some("20.10.24+dfsg1"));
        assert_eq!(p.api_version.as_deref(), Some("1.41"));
    }

    #[test]
    fn the_engine_clock_is_read_from_the_date_header() {
        let mut h = hyper::HeaderMap::new();
        assert_eq!(engine_time(&h), None);
        h.insert("date", "Tue, 01 Dec 2026 21:19:44 GMT".parse().unwrap());
        assert_eq!(engine_time(&h), Some(1_796_159_984 * 1_000_000_000));
        h.insert("date", "yesterday".parse().unwrap());
        assert_eq!(engine_time(&h), None);
    }

    #[test]
    fn paths_are_shortened_for_people() {
        assert_eq!(short("/v1.41/containers/json?all=1"), "/containers/json");
        assert_eq!(short("/_ping"), "/_ping");
    }
}
