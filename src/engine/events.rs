//! The engine's `/events` stream, read line by line.
//!
//! Skiff reads this stream with its own small HTTP client (hyper) instead of bollard's typed
//! stream, for three reasons:
//! - bollard parses into an enum of event types that lacks Podman's `pod` events, and one
//!   unknown value would end the stream;
//! - a malformed or oversized line must cost one counted error, not the connection or unbounded
//!   memory: lines are capped at [`MAX_LINE`] bytes and skipped past when longer;
//! - the stream is known to be open when the response head arrives, which is when the registry
//!   may list without missing an event (list after watch, as kube-runtime does).

use std::collections::HashMap;
use std::fmt::Write as _;

use bytes::{Buf, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde::Deserialize;

use super::{http, Endpoint, EngineError};

/// Longest event line accepted. Real events are well under 4 KiB (labels included); anything
/// longer is garbage and is skipped up to the next newline without being kept in memory.
pub const MAX_LINE: usize = 1024 * 1024;

/// One engine event, with the fields the registry needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// `container`, `pod`, `image`, … (lowercase, as the engine sends it).
    pub typ: String,
    /// `create`, `start`, `die`, `health_status: healthy`, `exec_start: sh`, …
    pub action: String,
    pub id: String,
    pub attributes: HashMap<String, String>,
    /// Engine time of the event, nanoseconds since the epoch.
    pub time_nano: i64,
}

impl RawEvent {
    /// About how much memory this event holds (its strings), for byte-bounded buffers.
    #[must_use]
    pub fn approx_bytes(&self) -> usize {
        self.typ.len()
            + self.action.len()
            + self.id.len()
            + self
                .attributes
                .iter()
                .map(|(k, v)| k.len() + v.len() + 48)
                .sum::<usize>()
            + 96
    }

    #[must_use]
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

/// What can go wrong with one item of the stream.
#[derive(Debug, thiserror::Error)]
pub enum EventStreamError {
    /// The connection failed or ended: the stream is over.
    #[error(transparent)]
    Disconnected(EngineError),
    /// One line could not be parsed; the stream goes on.
    #[error("malformed event ({len} bytes): {detail}")]
    Malformed { len: usize, detail: String },
    /// One line was longer than [`MAX_LINE`] and was skipped; the stream goes on.
    #[error("event line longer than {MAX_LINE} bytes skipped")]
    LineTooLong,
}

impl EventStreamError {
    /// Whether the stream can still be read after this error.
    #[must_use]
    pub fn is_recoverable(&self) -> bool {
        !matches!(self, Self::Disconnected(_))
    }
}

#[derive(Deserialize)]
struct WireEvent {
    #[serde(rename = "Type", default)]
    typ: String,
    #[serde(rename = "Action", default)]
    action: String,
    #[serde(rename = "Actor", default)]
    actor: WireActor,
    #[serde(default)]
    id: String,
    #[serde(rename = "timeNano", default)]
    time_nano: i64,
    #[serde(default)]
    time: i64,
}

#[derive(Deserialize, Default)]
struct WireActor {
    #[serde(rename = "ID", default)]
    id: String,
    #[serde(rename = "Attributes", default)]
    attributes: HashMap<String, String>,
}

/// Parses one line of the stream.
pub fn parse_line(line: &[u8]) -> Result<RawEvent, EventStreamError> {
    let wire: WireEvent =
        serde_json::from_slice(line).map_err(|e| EventStreamError::Malformed {
            len: line.len(),
            detail: e.to_string(),
        })?;
    let mut id = if wire.actor.id.is_empty() {
        wire.id
    } else {
        wire.actor.id
    };
    // Podman 4.3 sends volume events, and image `pull`s, with an empty id and the name in the
    // attributes: a volume's name is its id, and an image is found by the name it was pulled
    // as. Never for a container: a name taken for an id would make a phantom row.
    if id.is_empty() && !wire.typ.eq_ignore_ascii_case("container") {
        id = wire
            .actor
            .attributes
            .get("name")
            .cloned()
            .unwrap_or_default();
    }
    if id.is_empty() || wire.action.is_empty() {
        return Err(EventStreamError::Malformed {
            len: line.len(),
            detail: "event without id or action".to_owned(),
        });
    }
    Ok(RawEvent {
        typ: wire.typ.to_lowercase(),
        action: wire.action,
        id,
        attributes: wire.actor.attributes,
        time_nano: if wire.time_nano != 0 {
            wire.time_nano
        } else {
            wire.time.saturating_mul(1_000_000_000)
        },
    })
}

/// Splits a byte stream into lines, skipping (and reporting) lines over [`MAX_LINE`].
#[derive(Debug, Default)]
pub struct LineSplitter {
    buf: BytesMut,
    /// Inside an oversized line: drop bytes until the next newline.
    skipping: bool,
}

impl LineSplitter {
    pub fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete item, if the buffer holds one.
    pub fn next_item(&mut self) -> Option<Result<RawEvent, EventStreamError>> {
        Some(self.next_line()?.and_then(|line| parse_line(&line)))
    }

    /// The next complete non-blank line (without its line ending), if the buffer holds one:
    /// the stream's JSON documents (events, stats samples) one at a time.
    pub fn next_line(&mut self) -> Option<Result<bytes::Bytes, EventStreamError>> {
        loop {
            let Some(pos) = self.buf.iter().position(|b| *b == b'\n') else {
                if self.buf.len() > MAX_LINE {
                    // Keep memory bounded: forget the oversized prefix, remember to drop the
                    // rest of the line when its newline arrives.
                    self.buf.advance(self.buf.len());
                    self.skipping = true;
                }
                return None;
            };
            let mut line = self.buf.split_to(pos + 1).freeze();
            if std::mem::take(&mut self.skipping) {
                return Some(Err(EventStreamError::LineTooLong));
            }
            line.truncate(line.len() - 1);
            if line.ends_with(b"\r") {
                line.truncate(line.len() - 1);
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if line.len() > MAX_LINE {
                return Some(Err(EventStreamError::LineTooLong));
            }
            return Some(Ok(line));
        }
    }
}

/// An open `/events` stream.
#[derive(Debug)]
pub struct EventStream {
    endpoint: Endpoint,
    /// The engine's clock when it opened the stream (its `Date` header), and our instant then.
    opened: (Option<i64>, std::time::Instant),
    body: Incoming,
    lines: LineSplitter,
    driver: tokio::task::JoinHandle<()>,
}

impl Drop for EventStream {
    fn drop(&mut self) {
        // The connection task would otherwise keep the socket open until the engine closes it.
        self.driver.abort();
    }
}

/// Options of the stream request.
#[derive(Debug, Clone, Default)]
pub struct EventsQuery {
    /// Replay events since this engine time (nanoseconds), to fill a gap after a reconnect.
    pub since_nanos: Option<i64>,
    /// Only these event types (`container`, `pod`); all when empty.
    pub types: Vec<&'static str>,
}

impl EventsQuery {
    fn path(&self, api_version: &str) -> String {
        let mut query = Vec::new();
        if let Some(since) = self.since_nanos {
            // Both engines accept `seconds.nanoseconds`.
            query.push(format!(
                "since={}.{:09}",
                since.div_euclid(1_000_000_000),
                since.rem_euclid(1_000_000_000)
            ));
        }
        if !self.types.is_empty() {
            let filters = serde_json::json!({ "type": self.types });
            query.push(format!("filters={}", percent_encode(&filters.to_string())));
        }
        let mut path = format!("/v{api_version}/events");
        if !query.is_empty() {
            path.push('?');
            path.push_str(&query.join("&"));
        }
        path
    }
}

pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

impl EventStream {
    /// Opens the stream; returns once the engine has answered with its response head, so events
    /// from this moment on will be delivered.
    pub async fn open(
        endpoint: &Endpoint,
        api_version: &str,
        query: &EventsQuery,
    ) -> Result<Self, EngineError> {
        let (response, driver) = http::get(endpoint, &query.path(api_version)).await?;
        let response = match http::check_status(endpoint, response).await {
            Ok(r) => r,
            Err(e) => {
                driver.abort();
                return Err(e);
            }
        };
        let opened = (
            http::engine_time(response.headers()),
            std::time::Instant::now(),
        );
        Ok(Self {
            endpoint: endpoint.clone(),
            opened,
            body: response.into_body(),
            lines: LineSplitter::default(),
            driver,
        })
    }

    /// The engine's clock when the stream opened (whole seconds), if it sent a `Date`.
    #[must_use]
    pub fn engine_opened_at(&self) -> Option<i64> {
        self.opened.0
    }

    /// The engine's clock now, estimated from the stream's `Date` and the time since: good to
    /// about a second, which is what it is for (telling an event from the future).
    #[must_use]
    pub fn engine_now(&self) -> Option<i64> {
        let elapsed = i64::try_from(self.opened.1.elapsed().as_nanos()).unwrap_or(i64::MAX);
        self.opened.0.map(|t| t.saturating_add(elapsed))
    }

    /// The next event or error; `None` never happens: the end of the stream is reported as
    /// [`EventStreamError::Disconnected`], since for a watcher an ended stream is a disconnect.
    pub async fn next(&mut self) -> Result<RawEvent, EventStreamError> {
        loop {
            if let Some(item) = self.lines.next_item() {
                return item;
            }
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.lines.push(&data);
                    }
                }
                Some(Err(e)) => {
                    return Err(EventStreamError::Disconnected(EngineError::Transient {
                        endpoint: self.endpoint.clone(),
                        detail: format!("events stream broke: {e}"),
                    }))
                }
                None => {
                    return Err(EventStreamError::Disconnected(EngineError::Transient {
                        endpoint: self.endpoint.clone(),
                        detail: "events stream ended".to_owned(),
                    }))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PODMAN_DIE: &str = r#"{"status":"die","id":"1da0","from":"localhost/busybox:latest","Type":"container","Action":"die","Actor":{"ID":"1da0","Attributes":{"containerExitCode":"137","exitCode":"137","image":"localhost/busybox:latest","name":"ev1","podId":""}},"scope":"local","time":1795440344,"timeNano":1795440344686503614}"#;

    #[test]
    fn a_podman_event_parses_with_its_attributes() {
        let e = parse_line(PODMAN_DIE.as_bytes()).unwrap();
        assert_eq!(e.typ, "container");
        assert_eq!(e.action, "die");
        assert_eq!(e.id, "1da0");
        assert_eq!(e.attribute("name"), Some("ev1"));
        assert_eq!(e.attribute("exitCode"), Some("137"));
        assert_eq!(e.time_nano, 1_795_440_344_686_503_614);
    }

    #[test]
    fn a_podman_volume_event_is_named_by_its_name_and_a_nameless_container_is_refused() {
        let e = parse_line(br#"{"status":"create","Type":"volume","Action":"create","Actor":{"ID":"","Attributes":{"containerExitCode":"0","image":"","name":"v3","podId":""}},"scope":"local","time":1796226239,"timeNano":1796226239954114688}"#).unwrap();
        assert_eq!((e.typ.as_str(), e.id.as_str()), ("volume", "v3"));
        assert!(parse_line(br#"{"Type":"container","Action":"start","Actor":{"ID":"","Attributes":{"name":"web"}},"timeNano":1}"#).is_err());
    }

    #[test]
    fn lines_split_across_chunks_and_blank_lines_are_skipped() {
        let mut s = LineSplitter::default();
        let (a, b) = PODMAN_DIE.split_at(40);
        s.push(a.as_bytes());
        assert!(s.next_item().is_none());
        s.push(b.as_bytes());
        s.push(b"\n\r\n");
        assert!(s.next_item().unwrap().is_ok());
        assert!(s.next_item().is_none());
    }

    #[test]
    fn garbage_costs_one_error_and_the_next_event_still_parses() {
        let mut s = LineSplitter::default();
        s.push(b"{not json}\n");
        s.push(PODMAN_DIE.as_bytes());
        s.push(b"\n");
        assert!(matches!(
            s.next_item(),
            Some(Err(EventStreamError::Malformed { .. }))
        ));
        assert!(s.next_item().unwrap().is_ok());
    }

    #[test]
    fn a_10_mb_line_is_skipped_with_bounded_memory() {
        let mut s = LineSplitter::default();
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..160 {
            s.push(&chunk);
            assert!(s.next_item().is_none());
            assert!(s.buf.capacity() <= 4 * MAX_LINE, "buffer stays bounded");
        }
        s.push(b"\n");
        s.push(PODMAN_DIE.as_bytes());
        s.push(b"\n");
        assert!(matches!(
            s.next_item(),
            Some(Err(EventStreamError::LineTooLong))
        ));
        assert_eq!(s.next_item().unwrap().unwrap().action, "die");
    }

    #[test]
    fn the_query_carries_since_with_nanoseconds_and_url_encoded_filters() {
        let q = EventsQuery {
            since_nanos: Some(1_795_440_344_000_000_123),
            types: vec!["container"],
        };
        assert_eq!(
            q.path("1.41"),
            "/v1.41/events?since=1795440344.000000123&filters=%7B%22type%22%3A%5B%22container%22%5D%7D"
        );
    }
}
