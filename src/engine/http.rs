//! A minimal HTTP/1.1 client over the engine's transport (unix socket, TCP, named pipe).
//!
//! bollard covers most requests; this exists for the two that need the raw exchange: `/_ping`
//! (whose *headers* carry the API version, the engine kind and its version, in ~1 ms, where
//! Podman's `/version` takes ~700 ms) and `/events` (read line by line, see [`super::events`]).

use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::{Endpoint, EngineError};

/// The connection task of a request; abort it to close the connection.
pub type Driver = tokio::task::JoinHandle<()>;

type Sender = hyper::client::conn::http1::SendRequest<http_body_util::Empty<bytes::Bytes>>;

/// Sends `GET path` and returns the response head (body not yet read) and its connection task.
pub async fn get(
    endpoint: &Endpoint,
    path: &str,
) -> Result<(hyper::Response<Incoming>, Driver), EngineError> {
    let (mut sender, driver) = connect(endpoint).await?;
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, "skiff")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(|e| EngineError::Protocol {
            endpoint: endpoint.clone(),
            detail: format!("bad request path {path:?}: {e}"),
        })?;
    match sender.send_request(request).await {
        Ok(response) => Ok((response, driver)),
        Err(e) => {
            driver.abort();
            Err(EngineError::Transient {
                endpoint: endpoint.clone(),
                detail: format!("request {path} failed: {e}"),
            })
        }
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

async fn connect(endpoint: &Endpoint) -> Result<(Sender, Driver), EngineError> {
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
        #[allow(unreachable_patterns)]
        _ => Err(EngineError::Incompatible {
            endpoint: endpoint.clone(),
            found: "endpoint type not supported on this platform".to_owned(),
        }),
    }
}

async fn handshake<S>(endpoint: &Endpoint, stream: S) -> Result<(Sender, Driver), EngineError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| EngineError::Transient {
                endpoint: endpoint.clone(),
                detail: format!("HTTP handshake failed: {e}"),
            })?;
    let driver = tokio::spawn(async move {
        // The error, if any, reaches the reader as a body error.
        let _ = conn.await;
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
}
