//! Sending a batch: `POST {"events":[…]}` to the configured endpoint.
//!
//! Plain HTTP only for now (loopback collectors, tests); an `https://` endpoint is refused with
//! a clear error instead of being sent in the clear.

use std::time::Duration;

use http_body_util::{BodyExt, Full};

use super::TelemetryEvent;

/// How long one request may take; a hanging sink costs this, in the sender task only.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What the sink answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    Accepted,
    /// 429: try again after this long.
    RetryAfter(Duration),
    /// Anything else: back off and retry.
    Failed(String),
}

/// `http://host:port/path` split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkUrl {
    pub authority: String,
    pub path: String,
}

impl SinkUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("telemetry endpoint {url:?}: only http:// is supported"))?;
        let (authority, path) = rest
            .split_once('/')
            .map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
        if authority.is_empty() {
            return Err(format!("telemetry endpoint {url:?} has no host"));
        }
        Ok(Self {
            authority: authority.to_owned(),
            path,
        })
    }
}

pub async fn post(url: &SinkUrl, events: &[TelemetryEvent]) -> Reply {
    match tokio::time::timeout(REQUEST_TIMEOUT, post_inner(url, events)).await {
        Ok(reply) => reply,
        Err(_) => Reply::Failed("timed out".to_owned()),
    }
}

async fn post_inner(url: &SinkUrl, events: &[TelemetryEvent]) -> Reply {
    let body = serde_json::to_vec(&serde_json::json!({ "events": events })).expect("serializes");
    let stream = match tokio::net::TcpStream::connect(&url.authority).await {
        Ok(s) => s,
        Err(e) => return Reply::Failed(e.to_string()),
    };
    let (mut sender, conn) =
        match hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await {
            Ok(pair) => pair,
            Err(e) => return Reply::Failed(e.to_string()),
        };
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let request = hyper::Request::post(&url.path)
        .header(hyper::header::HOST, &url.authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(bytes::Bytes::from(body)))
        .expect("valid request");
    let reply = match sender.send_request(request).await {
        Ok(response) => {
            let status = response.status();
            let retry_after = response
                .headers()
                .get(hyper::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let _ = response.into_body().collect().await;
            if status.is_success() {
                Reply::Accepted
            } else if status.as_u16() == 429 {
                // Honour the sink, within reason (an hour at most).
                Reply::RetryAfter(Duration::from_secs(retry_after.unwrap_or(60).min(3600)))
            } else {
                Reply::Failed(format!("sink answered {status}"))
            }
        }
        Err(e) => Reply::Failed(e.to_string()),
    };
    driver.abort();
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_https_is_refused() {
        assert_eq!(
            SinkUrl::parse("http://127.0.0.1:9/v1/events").unwrap(),
            SinkUrl {
                authority: "127.0.0.1:9".into(),
                path: "/v1/events".into()
            }
        );
        assert_eq!(SinkUrl::parse("http://h:1").unwrap().path, "/");
        assert!(SinkUrl::parse("https://h/x").is_err());
    }
}
