//! The Docker/Podman source: an engine's events stream and container list, as one session of
//! the supervisor.
//!
//! The order inside a session matters: the events stream is opened first (its response head has
//! arrived), then containers are listed while stream events are buffered. Nothing can happen
//! between the list and the stream without being seen. Buffered events older than the stream's
//! opening are already reflected in the list: they go out as `History` (for the events page), not
//! applied again, so a container's states are never replayed backwards. "Older" is decided in
//! the engine's time (the `Date` of its events response), never by comparing our clock with its
//! stamps, and a stamp far ahead of the engine's clock is taken as "now" so that it cannot poison
//! the replay cursor (where the next session's `since` starts).
//!
//! Every step is bounded: connecting and opening the stream, and the list, each within the ping
//! timeout, the events buffered during the list by count and bytes.

use std::path::PathBuf;

use futures_util::FutureExt;

use super::open::{clamp_to_engine_clock, open_session, MAX_BUFFERED_BYTES};
use super::source::{Closed, Connected, Ended, Link, Source};
use super::{AttemptTrigger, EngineSpec, WatchEvent, WatcherConfig, MAX_BUFFERED_DURING_LIST};
use crate::engine::events::{EventStream, EventStreamError, RawEvent};
use crate::engine::{DockerActions, Endpoint, EngineClient, EngineError, ErrorInfo};
use crate::objects::{fetch, needs_refresh, Kind, ObjectItem};

/// One Docker or Podman engine.
#[derive(Debug)]
pub struct DockerSource {
    spec: EngineSpec,
    config: WatcherConfig,
    /// Engine time of the last event seen: where a replay after reconnecting starts.
    cursor: Option<i64>,
    /// The session `connect` opened, taken by `follow`.
    opened: Option<Opened>,
    /// The engine's actions, given each session's client (no second client per engine).
    actions: std::sync::Arc<DockerActions>,
    /// A whole list was sent: later sessions list without a first page.
    listed: bool,
}

/// The engine's actions keep the client of the watcher's last session (with an SSH engine's
/// tunnel in it) for as long as the registry lives, which in the app is the whole process. The
/// watcher ending (shutdown) is the end of its sessions: the client goes with it, and the tunnel's
/// `ssh` with the client's last clone.
impl Drop for DockerSource {
    fn drop(&mut self) {
        self.actions.set(None);
    }
}

#[derive(Debug)]
struct Opened {
    client: EngineClient,
    stream: EventStream,
    /// Engine time at which the stream opened: events before it are in the list already.
    start: i64,
}

impl DockerSource {
    #[must_use]
    pub fn new(
        spec: EngineSpec,
        config: WatcherConfig,
        actions: std::sync::Arc<DockerActions>,
    ) -> Self {
        Self {
            spec,
            config,
            cursor: None,
            opened: None,
            actions,
            listed: false,
        }
    }

    /// Checks an event's stamp against the engine's clock and moves the replay cursor.
    async fn take_time(
        &mut self,
        event: &mut RawEvent,
        stream: &EventStream,
        link: &Link,
    ) -> Result<(), Closed> {
        let warning = clamp_to_engine_clock(event, stream.engine_now());
        self.cursor = Some(
            self.cursor
                .map_or(event.time_nano, |c| c.max(event.time_nano)),
        );
        match warning {
            Some(w) => link.send(WatchEvent::StreamError(w)).await,
            None => Ok(()),
        }
    }

    /// Lists while buffering the stream (neither may wait for the other), sends the relist, then
    /// the buffered events, then follows the stream. Returns the error that ended it.
    async fn stream(&mut self, opened: Opened, link: &Link) -> Result<EngineError, Closed> {
        let Opened {
            client,
            mut stream,
            start,
        } = opened;
        let endpoint = &self.spec.endpoint;
        let timeout = self.config.ping_timeout;
        let mut buffered = Vec::new();
        let mut buffered_bytes = 0;
        let list = {
            // Bounded in time: a hung engine must not leave a stale list looking "connected".
            let listing = tokio::time::timeout(timeout, async {
                // Side by side: the container rows (what a window waits for) do not queue
                // behind the image, volume and network lists.
                tokio::try_join!(
                    client.list_containers(true),
                    crate::objects::fetch::list_all(&client)
                )
            });
            tokio::pin!(listing);
            // A first session's newest rows, beside the whole list (`WatcherConfig::first_page`).
            // It cannot hold the list up: whichever answers first, the whole list ends the wait,
            // and a page that fails or comes second is dropped.
            let page_size = self.config.first_page.filter(|_| !self.listed);
            let mut page_wanted = page_size.is_some();
            let page = client.list_newest(page_size.unwrap_or(0));
            tokio::pin!(page);
            loop {
                tokio::select! {
                    biased;
                    listed = &mut listing => match listed {
                        Ok(Ok(list)) => break list,
                        Ok(Err(e)) => return Ok(e),
                        Err(_) => return Ok(transient(endpoint, format!("the container list (with the image, volume and network lists) did not arrive within {} s", timeout.as_secs()))),
                    },
                    rows = &mut page, if page_wanted => {
                        page_wanted = false;
                        if let Ok(rows) = rows {
                            // Said first, so that no one takes the page for the whole list.
                            link.update(|s| s.listing = true).await?;
                            link.send(WatchEvent::FirstRows(rows)).await?;
                        }
                    }
                    item = stream.next() => match item {
                        Ok(event) if buffered.len() < MAX_BUFFERED_DURING_LIST
                            && buffered_bytes < MAX_BUFFERED_BYTES => {
                            buffered_bytes += event.approx_bytes();
                            buffered.push(event);
                        }
                        Ok(_) => return Ok(transient(endpoint, format!("more than {MAX_BUFFERED_DURING_LIST} events ({} MiB) arrived while listing; listing again", MAX_BUFFERED_BYTES >> 20))),
                        Err(EventStreamError::Disconnected(e)) => return Ok(e),
                        Err(e) => link.send(WatchEvent::StreamError(e.to_string())).await?,
                    },
                }
            }
        };
        let (containers, objects) = list;
        self.listed = true;
        link.send(WatchEvent::Init).await?;
        for container in containers {
            link.send(WatchEvent::InitApply(container)).await?;
        }
        link.send(WatchEvent::InitDone).await?;
        if link.status().listing {
            link.update(|s| s.listing = false).await?;
        }
        link.send(WatchEvent::Objects(ObjectItem::Init)).await?;
        for object in objects {
            link.send(WatchEvent::Objects(ObjectItem::Apply(Box::new(object))))
                .await?;
        }
        link.send(WatchEvent::Objects(ObjectItem::Done)).await?;
        for mut event in buffered {
            self.take_time(&mut event, &stream, link).await?;
            if event.time_nano < start {
                link.send(WatchEvent::History(event)).await?;
            } else if let Err(e) = self.event(&client, event, link).await? {
                return Ok(e);
            }
        }
        loop {
            match stream.next().await {
                Ok(mut event) => {
                    self.take_time(&mut event, &stream, link).await?;
                    if let Err(e) = self.event(&client, event, link).await? {
                        return Ok(e);
                    }
                }
                Err(EventStreamError::Disconnected(e)) => return Ok(e),
                Err(e) => link.send(WatchEvent::StreamError(e.to_string())).await?,
            }
        }
    }
}

impl DockerSource {
    /// Sends one live event, and for an image, volume, network or pod the engine's answer for
    /// that one object after it (see `registry::objects`). An engine that cannot answer ends the
    /// session (`Ok(Err)`): the relist that follows repairs whatever was missed.
    async fn event(
        &self,
        client: &EngineClient,
        event: RawEvent,
        link: &Link,
    ) -> Result<Result<(), EngineError>, Closed> {
        let refresh = Kind::from_event_type(&event.typ)
            .filter(|kind| needs_refresh(*kind, &event.action))
            .map(|kind| (kind, event.id.clone()));
        link.send(WatchEvent::Event(event)).await?;
        let Some((kind, id)) = refresh else {
            return Ok(Ok(()));
        };
        match tokio::time::timeout(self.config.ping_timeout, fetch::one(client, kind, &id)).await {
            Ok(Ok(object)) => {
                link.send(WatchEvent::Objects(ObjectItem::Refreshed {
                    kind,
                    id,
                    object: object.map(Box::new),
                }))
                .await?;
                Ok(Ok(()))
            }
            Ok(Err(e)) => Ok(Err(e)),
            Err(_) => Ok(Err(transient(
                &self.spec.endpoint,
                format!(
                    "no answer about {kind} {id} within {} s",
                    self.config.ping_timeout.as_secs()
                ),
            ))),
        }
    }
}

impl Source for DockerSource {
    fn watch_path(&self) -> Option<PathBuf> {
        self.spec
            .endpoint
            .socket_path()
            .map(std::path::Path::to_path_buf)
    }

    async fn connect(&mut self, _trigger: AttemptTrigger) -> Result<Connected, ErrorInfo> {
        let started_local = now_nanos();
        let (client, stream) = open_session(&self.spec, &self.config, self.cursor)
            .await
            .map_err(|e| e.info())?;
        // The engine's clock decides what is history: events stamped before the stream opened
        // (a replay of the gap) are in the list already. Comparing our clock with the engine's
        // stamps would misfile every event of an engine whose clock is off (a VM after sleep, a
        // remote host). Only an engine that sends no `Date` falls back to our clock.
        let start = stream.engine_opened_at().unwrap_or(started_local);
        self.actions.set(Some(client.clone()));
        let pinged = client.clone();
        let watched = self.spec.endpoint.clone();
        let connected = Connected {
            kind: Some(client.kind()),
            version: Some(client.version().to_owned()),
            endpoint: None,
            probe: Box::new(move || {
                let client = pinged.clone();
                let watched = watched.clone();
                async move {
                    match client.docker().ping().await {
                        Ok(_) => Ok(()),
                        Err(e) => Err(lost(
                            &watched,
                            EngineError::from_bollard(client.endpoint(), &e),
                        )),
                    }
                }
                .boxed()
            }),
        };
        self.opened = Some(Opened {
            client,
            stream,
            start,
        });
        Ok(connected)
    }

    async fn follow(&mut self, link: &Link) -> Ended {
        let Some(opened) = self.opened.take() else {
            return Ended::Failed(
                transient(&self.spec.endpoint, "not connected".to_owned()).info(),
            );
        };
        match self.stream(opened, link).await {
            Ok(error) => Ended::Failed(lost(&self.spec.endpoint, error)),
            Err(Closed) => Ended::Closed,
        }
    }
}

/// The failure of a connected session. A stream that broke because the engine went away reads
/// as a transient I/O error; if the socket is gone too, the truth is that the engine is not
/// running.
///
/// Over SSH, requests go to the local end of the tunnel: that socket refusing or vanishing means
/// `ssh` itself ended (the server or the network went away), not that the engine stopped. It
/// is transient, as when the tunnel cannot be opened; which of the stream or the liveness ping
/// noticed first must not change the answer. The remote socket gone is `ssh`'s own report
/// ([`EngineError::Ssh`]), kept as it is.
fn lost(endpoint: &Endpoint, error: EngineError) -> ErrorInfo {
    if let Endpoint::Ssh(target) = endpoint {
        if matches!(
            error,
            EngineError::Refused { .. } | EngineError::SocketMissing { .. }
        ) {
            return transient(
                endpoint,
                format!("the SSH connection to {} ended", target.host),
            )
            .info();
        }
        return error.info();
    }
    match endpoint.socket_path().filter(|p| !p.exists()) {
        Some(path) => EngineError::SocketMissing {
            endpoint: endpoint.clone(),
            path: path.display().to_string(),
        }
        .info(),
        None => error.info(),
    }
}

fn transient(endpoint: &Endpoint, detail: String) -> EngineError {
    EngineError::Transient {
        endpoint: endpoint.clone(),
        detail,
    }
}

fn now_nanos() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::FailureKind;

    #[test]
    fn a_refused_tunnel_is_the_ssh_connection_ending_and_a_missing_remote_socket_is_not() {
        let ssh: Endpoint = "ssh://box/run/podman/podman.sock".parse().unwrap();
        let local: Endpoint = "unix:///tmp/skiff-ssh-x/engine.sock".parse().unwrap();
        for error in [
            EngineError::Refused {
                endpoint: local.clone(),
            },
            EngineError::SocketMissing {
                endpoint: local.clone(),
                path: "/tmp/skiff-ssh-x/engine.sock".to_owned(),
            },
        ] {
            let info = lost(&ssh, error);
            assert_eq!(info.kind, FailureKind::Transient, "{info:?}");
            assert!(
                info.message.contains("SSH connection to box ended"),
                "{info:?}"
            );
        }
        let remote_gone = EngineError::Ssh(Box::new(crate::engine::error::SshFailure {
            endpoint: ssh.clone(),
            kind: FailureKind::NotRunning,
            detail: "the socket does not exist on box".to_owned(),
            remedy: None,
        }));
        assert_eq!(lost(&ssh, remote_gone).kind, FailureKind::NotRunning);
        // Locally, a refused socket that still exists is the engine's: not running.
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("engine.sock");
        std::fs::write(&sock, b"").unwrap();
        let here: Endpoint = format!("unix://{}", sock.display()).parse().unwrap();
        let info = lost(
            &here,
            EngineError::Refused {
                endpoint: here.clone(),
            },
        );
        assert_eq!(info.kind, FailureKind::NotRunning);
    }
}
