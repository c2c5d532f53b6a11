//! A container's log as the engine serves it (`GET /containers/{id}/logs`), and its stats
//! stream: the requests, and the bodies as raw chunks. Reading those chunks (demultiplexing, timestamps, lines, resuming after a
//! break) is `crate::container_logs`' work; this module only asks.
//!
//! Skiff always asks with `timestamps=1`, whatever the user wants to see: a stamp on every
//! message is what lets a follow resume where it stopped after the engine or the container
//! restarted, and the CLI strips it again when the user did not ask for it (the rest of each
//! message is the engine's bytes, untouched).
//!
//! Both engines are asked through the Docker-compatible endpoint. Podman's libpod endpoint frames
//! the same messages, without the newline its compat endpoint adds, so neither tells a full line
//! from a partial one (Podman 4 loses that in its API; its remote CLI prints what the compat
//! endpoint sends, and so does Skiff).

use std::fmt::Write as _;

use futures_util::stream::BoxStream;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{EngineClient, EngineError};

/// How many of the last messages to start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "LogTail.ts")]
pub enum Tail {
    /// The whole log (`docker logs`' default).
    All,
    /// The last N messages (the window opens with 1000).
    Last(u64),
}

impl Tail {
    fn param(self) -> String {
        match self {
            Self::All => "all".to_owned(),
            Self::Last(n) => n.to_string(),
        }
    }
}

/// What part of a log to read. Times are engine time, nanoseconds since the epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    pub follow: bool,
    pub tail: Tail,
    /// Messages stamped at or after this time.
    pub since: Option<i64>,
    /// Messages stamped at or before this time (Docker and Podman; Kubernetes has no such
    /// filter).
    pub until: Option<i64>,
    /// Kubernetes: the pod's container (default: its only one).
    pub container: Option<String>,
    /// Kubernetes: the log of the container's previous run (after a crash).
    pub previous: bool,
}

impl Default for LogQuery {
    fn default() -> Self {
        Self {
            follow: false,
            tail: Tail::All,
            since: None,
            until: None,
            container: None,
            previous: false,
        }
    }
}

/// How the body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Docker's stream format: an 8-byte header (stream, size) before every message.
    Multiplexed,
    /// A container with a TTY: one stream, its bytes as they are.
    Raw,
}

/// A streamed body's chunks as they arrive; dropping it closes the connection.
pub type ByteStream = BoxStream<'static, std::io::Result<bytes::Bytes>>;

/// An open log: its framing and its chunks as they arrive. Dropping it closes the connection.
pub struct LogBody {
    pub framing: Framing,
    /// The engine's clock when it answered (its `Date`), nanoseconds since the epoch.
    pub engine_time: Option<i64>,
    pub chunks: ByteStream,
}

impl std::fmt::Debug for LogBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogBody")
            .field("framing", &self.framing)
            .finish_non_exhaustive()
    }
}

/// `1796159984.000000042`: the `since`/`until` form both engines parse (Podman keeps the seconds).
fn unix_param(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000);
    format!("{secs}.{frac:09}")
}

impl LogQuery {
    /// The request path for container `id` at API version `api`.
    #[must_use]
    pub fn path(&self, api: &str, id: &str) -> String {
        let mut path = format!(
            "/v{api}/containers/{}/logs?stdout=1&stderr=1&timestamps=1&follow={}&tail={}",
            super::events::percent_encode(id),
            u8::from(self.follow),
            self.tail.param(),
        );
        if let Some(since) = self.since {
            let _ = write!(path, "&since={}", unix_param(since));
        }
        if let Some(until) = self.until {
            let _ = write!(path, "&until={}", unix_param(until));
        }
        path
    }
}

impl EngineClient {
    /// Opens the log of container `id`; `tty` (its `Config.Tty`) says how the body is framed.
    /// Returns once the engine answered with its head (bounded, as every request); the body
    /// streams for as long as the engine sends it.
    pub async fn logs(
        &self,
        id: &str,
        query: &LogQuery,
        tty: bool,
    ) -> Result<LogBody, EngineError> {
        let path = query.path(&self.api_version(), id);
        let (response, driver) = super::http::get(self.endpoint(), &path).await?;
        let response = match super::http::check_status(self.endpoint(), response).await {
            Ok(response) => response,
            Err(e) => {
                driver.abort();
                return Err(e);
            }
        };
        Ok(LogBody {
            framing: if tty {
                Framing::Raw
            } else {
                Framing::Multiplexed
            },
            engine_time: super::http::engine_time(response.headers()),
            chunks: super::http::body_chunks(response, driver),
        })
    }

    /// Whether container `id` has a TTY (its log is then one raw stream).
    pub async fn has_tty(&self, id: &str) -> Result<bool, EngineError> {
        let document = self.inspect(id).await?;
        Ok(document["Config"]["Tty"].as_bool().unwrap_or(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_asks_for_timestamps_and_both_streams() {
        let q = LogQuery {
            follow: true,
            tail: Tail::Last(1000),
            since: Some(1_796_159_984_000_000_042),
            ..LogQuery::default()
        };
        assert_eq!(
            q.path("1.41", "abc"),
            "/v1.41/containers/abc/logs?stdout=1&stderr=1&timestamps=1&follow=1&tail=1000&since=1796159984.000000042"
        );
        let q = LogQuery::default();
        assert!(q.path("1.41", "a b").contains("/containers/a%20b/logs"));
        assert!(q.path("1.41", "x").ends_with("&follow=0&tail=all"));
    }

    #[test]
    fn times_before_1970_are_written_as_engines_parse_them() {
        assert_eq!(unix_param(-1), "-1.999999999");
        assert_eq!(unix_param(0), "0.000000000");
    }
}
