//! One engine's connection, as a state machine: connect, open the events stream, relist, follow
//! the stream; on any failure, classify it and wait as the class and the reconnect policy say.
//!
//! This is kube-runtime's `watcher` for Docker/Podman: it yields `Init`, `InitApply`,
//! `InitDone` around every (re)list and `Event` for each engine event, and leaves keeping the
//! list to the registry store. Backoff lives outside, in [`crate::reconnect`].
//!
//! The order inside a session matters: the events stream is opened first (its response head has
//! arrived), then containers are listed while stream events are buffered. Nothing can happen
//! between the list and the stream without being seen. Buffered events older than the stream's
//! opening are already reflected in the list: they go out as `History` (for the events page), not
//! applied again, so a container's states are never replayed backwards. "Older" is decided in
//! the engine's time (the `Date` of its events response), never by comparing our clock with its
//! stamps, and a stamp far ahead of the engine's clock is taken as "now" so that it cannot poison
//! the replay cursor.
//!
//! Every step is bounded: connecting and opening the stream, and the list, each within the ping
//! timeout (Retry now and Disable interrupt a hung attempt), the events buffered during the list
//! by count.
//!
//! A session ends, and the engine is `reconnecting`, when the stream ends or breaks, or when the
//! engine stops answering the liveness ping sent every 30 s.

mod open;
pub mod state;

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::container::Container;
use crate::engine::events::{EventStream, EventStreamError, RawEvent};
use crate::engine::{Endpoint, EngineClient, EngineError};
use crate::reconnect::{Backoff, BackoffPolicy, SocketWatch};
pub use open::MAX_BUFFERED_DURING_LIST;
use open::{clamp_to_engine_clock, open_session};
pub use state::{now_rfc3339, AttemptTrigger, EngineState, EngineStatus};

/// What a watcher tells the registry.
#[derive(Debug, Clone)]
pub enum WatchEvent {
    Status(EngineStatus),
    /// A relist begins; the store starts a fresh set.
    Init,
    InitApply(Container),
    /// The relist is complete; the store swaps the fresh set in.
    InitDone,
    /// An engine event to apply.
    Event(RawEvent),
    /// An event older than the last relist, replayed to fill the gap: for history only.
    History(RawEvent),
    /// One line of the stream was unusable (malformed, oversized); the stream goes on.
    StreamError(String),
    /// A whole object from a list-watch source (Kubernetes): its row as it is now, or `None`
    /// once deleted. `event` says what happened (`pod` `added`/`modified`/`terminating`/
    /// `deleted`), for the events page and for action confirmations.
    Object {
        row: Option<Box<Container>>,
        event: RawEvent,
    },
}

/// Commands from the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Skip the timer and try now (the UI's "Retry now").
    RetryNow,
    /// Enable or disable the engine.
    Enable(bool),
}

/// Which engine to watch.
#[derive(Debug, Clone)]
pub struct EngineSpec {
    pub id: String,
    pub endpoint: Endpoint,
}

/// Timings of the watcher. Defaults are the product's; tests shorten them.
#[derive(Debug, Clone)]
pub struct WatcherConfig {
    pub backoff: BackoffPolicy,
    /// Ping interval while connected; a failed ping is a disconnect.
    pub liveness_interval: Duration,
    /// Longest wait for a ping answer.
    pub ping_timeout: Duration,
    /// A ping slower than this marks the engine slow (shown on its badge before it fails).
    pub slow_ping: Duration,
    /// While a watched socket is absent, the only timed attempt (in case the watch missed it).
    pub safety_check: Duration,
    /// After the socket appears, how long to keep re-trying quickly while the engine finishes
    /// starting (dockerd creates its socket before its API answers).
    pub socket_grace: Duration,
    /// Event types to stream.
    pub event_types: Vec<&'static str>,
}

impl Default for WatcherConfig {
    fn default() -> Self {
        Self {
            backoff: BackoffPolicy::default(),
            liveness_interval: Duration::from_secs(30),
            ping_timeout: Duration::from_secs(10),
            slow_ping: Duration::from_secs(1),
            safety_check: Duration::from_secs(300),
            socket_grace: Duration::from_secs(5),
            event_types: vec!["container"],
        }
    }
}

/// Runs a watcher until `shutdown` resolves or the output channel closes.
///
/// Shutdown is passed in (as in mini-redis) so tests and the app end it the same way; dropping
/// the inner future at any await point is safe, it holds no lock and owns its connection.
pub async fn run(
    spec: EngineSpec,
    config: WatcherConfig,
    controls: mpsc::Receiver<Control>,
    out: mpsc::Sender<WatchEvent>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut watcher = Watcher::new(spec, config, controls, out);
    tokio::select! {
        () = shutdown => {}
        () = watcher.run() => {}
    }
}

/// An outage in progress: from the first failure to the next successful connection. Shared by
/// every kind of watcher (engines, Kubernetes contexts): one warn line when it starts, one info
/// line when it ends, attempts only at debug level in between.
#[derive(Debug)]
pub(crate) struct Outage {
    started: Instant,
    attempts: u32,
}

impl Outage {
    /// Counts a failed attempt of `status.engine`, starting an outage in `slot` if none is open
    /// (a session that had connected does not count as an attempt); returns the attempt number.
    pub(crate) fn failed(
        slot: &mut Option<Outage>,
        status: &EngineStatus,
        connected_for: Option<Duration>,
        kind: crate::engine::FailureKind,
        error: &dyn std::fmt::Display,
    ) -> u32 {
        let (engine, endpoint) = (&status.engine, &status.endpoint);
        let outage = if let Some(outage) = slot {
            outage.attempts += 1;
            outage
        } else {
            tracing::warn!(%engine, %endpoint, kind = kind.as_str(), %error, "engine connection lost");
            // The failure of a session that had connected is not an attempt; every later one is.
            slot.insert(Outage {
                started: Instant::now(),
                attempts: u32::from(connected_for.is_none()),
            })
        };
        let attempt = outage.attempts;
        tracing::debug!(%engine, attempt, kind = kind.as_str(), %error, "engine attempt failed");
        attempt
    }

    /// Ends the outage in `slot`, if one is open: one more completed reconnection.
    pub(crate) fn end(slot: &mut Option<Outage>, status: &mut EngineStatus) {
        if let Some(outage) = slot.take() {
            status.reconnects += 1;
            tracing::info!(
                engine = %status.engine,
                attempts = outage.attempts,
                outage_s = outage.started.elapsed().as_secs_f64(),
                "engine connection restored"
            );
        }
    }
}

/// How a session that connected ended without an error.
enum SessionEnd {
    Disabled,
    OutputClosed,
}

struct Failure {
    error: EngineError,
    /// How long the session was connected, when it got that far.
    connected_for: Option<Duration>,
}

impl From<EngineError> for Failure {
    fn from(error: EngineError) -> Self {
        Self {
            error,
            connected_for: None,
        }
    }
}

struct Watcher {
    spec: EngineSpec,
    config: WatcherConfig,
    controls: mpsc::Receiver<Control>,
    controls_open: bool,
    out: mpsc::Sender<WatchEvent>,
    backoff: Backoff,
    status: EngineStatus,
    /// Engine time of the last event seen: where a replay after reconnecting starts.
    cursor: Option<i64>,
    outage: Option<Outage>,
    watch: Option<SocketWatch>,
    enabled: bool,
}

impl Watcher {
    fn new(
        spec: EngineSpec,
        config: WatcherConfig,
        controls: mpsc::Receiver<Control>,
        out: mpsc::Sender<WatchEvent>,
    ) -> Self {
        let status = EngineStatus::new(
            &spec.id,
            &spec.endpoint.to_string(),
            EngineState::Connecting,
        );
        Self {
            backoff: config.backoff.start(),
            spec,
            config,
            controls,
            controls_open: true,
            out,
            status,
            cursor: None,
            outage: None,
            watch: None,
            enabled: true,
        }
    }

    async fn emit(&self, event: WatchEvent) -> bool {
        self.out.send(event).await.is_ok()
    }

    async fn set_state(&mut self, state: EngineState, trigger: Option<AttemptTrigger>) -> bool {
        self.status.enter(state, trigger);
        self.emit(WatchEvent::Status(self.status.clone())).await
    }

    async fn run(&mut self) {
        let mut trigger = AttemptTrigger::Start;
        loop {
            if !self.enabled {
                self.outage = None;
                if !self.set_state(EngineState::Disabled, None).await {
                    return;
                }
                let Some(next) = self.wait_while_disabled().await else {
                    return;
                };
                trigger = next;
            }
            if self.outage.is_none()
                && !self.set_state(EngineState::Connecting, Some(trigger)).await
            {
                return;
            }
            match self.session(trigger).await {
                Ok(SessionEnd::OutputClosed) => return,
                Ok(SessionEnd::Disabled) => {
                    self.enabled = false;
                }
                Err(failure) => match self.after_failure(failure).await {
                    Some(next) => trigger = next,
                    None => return,
                },
            }
        }
    }

    /// Records a failure, publishes the state, and waits as its class says. Returns what
    /// triggered the next attempt, or `None` when the watcher must end.
    async fn after_failure(&mut self, failure: Failure) -> Option<AttemptTrigger> {
        let Failure {
            mut error,
            connected_for,
        } = failure;
        // A stream that broke because the engine went away reads as a transient I/O error; if
        // the socket is gone too, the truth is that the engine is not running.
        if connected_for.is_some() {
            if let Some(path) = self.spec.endpoint.socket_path().filter(|p| !p.exists()) {
                error = EngineError::SocketMissing {
                    endpoint: self.spec.endpoint.clone(),
                    path: path.display().to_string(),
                };
            }
        }
        if connected_for.is_some_and(|d| d >= self.config.backoff.healthy_after()) {
            self.backoff.reset();
        }
        let kind = error.kind();
        let attempt = Outage::failed(&mut self.outage, &self.status, connected_for, kind, &error);

        let socket = self
            .spec
            .endpoint
            .socket_path()
            .map(std::path::Path::to_path_buf);
        if self.watch.is_none() {
            if let Some(path) = &socket {
                self.watch = SocketWatch::new(path)
                    .inspect_err(|e| tracing::debug!(engine = %self.spec.id, error = %e, "socket watch unavailable; timed retries only"))
                    .ok();
            }
        }

        if !kind.retries() {
            if !self
                .set_state(
                    EngineState::Unavailable {
                        error: error.info(),
                    },
                    None,
                )
                .await
            {
                return None;
            }
            // Only a change of the socket (chmod, chown, recreation) or the user can fix this.
            return self
                .wait(None, WaitFor::SocketChange, AttemptTrigger::Timer)
                .await;
        }

        let absent_and_watched =
            self.watch.is_some() && socket.as_ref().is_some_and(|p| !p.exists());
        let (delay, wait_for, timer_trigger) = if absent_and_watched {
            (
                self.config.safety_check,
                WaitFor::SocketAppear,
                AttemptTrigger::SafetyCheck,
            )
        } else {
            let wait_for = if self.watch.is_some() {
                WaitFor::SocketChange
            } else {
                WaitFor::Nothing
            };
            (self.backoff.next_delay(), wait_for, AttemptTrigger::Timer)
        };
        let state = EngineState::Reconnecting {
            attempt,
            retry_in_ms: Some(delay.as_millis() as u64),
            error: error.info(),
        };
        if !self.set_state(state, None).await {
            return None;
        }
        self.wait(Some(delay), wait_for, timer_trigger).await
    }

    /// Waits for the timer, the socket, or the user. `None` means the output closed.
    async fn wait(
        &mut self,
        delay: Option<Duration>,
        wait_for: WaitFor,
        timer_trigger: AttemptTrigger,
    ) -> Option<AttemptTrigger> {
        let sleep = async {
            match delay {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        let watch = self.watch.as_mut();
        let socket = async move {
            match (watch, wait_for) {
                (Some(w), WaitFor::SocketAppear) => w.appeared().await,
                (Some(w), WaitFor::SocketChange) => w.changed().await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            () = sleep => Some(timer_trigger),
            () = socket => Some(AttemptTrigger::Socket),
            control = self.controls.recv(), if self.controls_open => match control {
                Some(Control::RetryNow | Control::Enable(true)) => Some(AttemptTrigger::User),
                Some(Control::Enable(false)) => {
                    self.enabled = false;
                    Some(AttemptTrigger::User)
                }
                None => {
                    self.controls_open = false;
                    // Nobody can send controls any more; keep waiting on the rest.
                    Box::pin(self.wait(delay, wait_for, timer_trigger)).await
                }
            },
            () = self.out.closed() => None,
        }
    }

    async fn wait_while_disabled(&mut self) -> Option<AttemptTrigger> {
        loop {
            tokio::select! {
                control = self.controls.recv(), if self.controls_open => match control {
                    Some(Control::Enable(true)) => {
                        self.enabled = true;
                        return Some(AttemptTrigger::Start);
                    }
                    Some(_) => {}
                    None => self.controls_open = false,
                },
                () = self.out.closed() => return None,
            }
        }
    }

    /// Connects and opens the stream, bounded by the ping timeout; "Retry now" starts the attempt
    /// again and "Disable" abandons it, even while an engine hangs.
    async fn open(
        &mut self,
        mut trigger: AttemptTrigger,
    ) -> Result<Result<(EngineClient, EventStream), SessionEnd>, Failure> {
        loop {
            let opening = open_session(&self.spec, &self.config, trigger, self.cursor);
            tokio::pin!(opening);
            loop {
                tokio::select! {
                    opened = &mut opening => return Ok(Ok(opened?)),
                    control = self.controls.recv(), if self.controls_open => match control {
                        Some(Control::Enable(false)) => return Ok(Err(SessionEnd::Disabled)),
                        Some(Control::RetryNow) => break,
                        Some(Control::Enable(true)) => {}
                        None => self.controls_open = false,
                    },
                    () = self.out.closed() => return Ok(Err(SessionEnd::OutputClosed)),
                }
            }
            // "Retry now": the hung attempt is dropped (its connection with it), a new one starts.
            trigger = AttemptTrigger::User;
        }
    }

    async fn session(&mut self, trigger: AttemptTrigger) -> Result<SessionEnd, Failure> {
        let started_local = now_nanos();
        let (client, mut stream) = match self.open(trigger).await? {
            Ok(opened) => opened,
            Err(end) => return Ok(end),
        };
        // The engine's clock decides what is history: events stamped before the stream opened
        // (a replay of the gap) are in the list already. Comparing our clock with the engine's
        // stamps would misfile every event of an engine whose clock is off (a VM after sleep, a
        // remote host). Only an engine that sends no `Date` falls back to our clock.
        let session_start = stream.engine_opened_at().unwrap_or(started_local);

        Outage::end(&mut self.outage, &mut self.status);
        self.status.kind = Some(client.kind());
        self.status.version = Some(client.version().to_owned());
        if !self.set_state(EngineState::Connected, Some(trigger)).await {
            return Ok(SessionEnd::OutputClosed);
        }
        let connected_at = Instant::now();
        let failed = |error: EngineError| Failure {
            error,
            connected_for: Some(connected_at.elapsed()),
        };

        // List while buffering the stream: neither may wait for the other. The list is bounded
        // in time (a hung engine must not leave a stale list looking "connected") and so is the
        // buffer.
        let mut buffered = Vec::new();
        let mut buffered_bytes = 0;
        let list = {
            let listing =
                tokio::time::timeout(self.config.ping_timeout, client.list_containers(true));
            tokio::pin!(listing);
            loop {
                tokio::select! {
                    biased;
                    listed = &mut listing => break match listed {
                        Ok(list) => list.map_err(failed)?,
                        Err(_) => return Err(failed(EngineError::Transient {
                            endpoint: self.spec.endpoint.clone(),
                            detail: format!("the container list did not arrive within {} s", self.config.ping_timeout.as_secs()),
                        })),
                    },
                    item = stream.next() => match item {
                        Ok(event) if buffered.len() < MAX_BUFFERED_DURING_LIST
                            && buffered_bytes < open::MAX_BUFFERED_BYTES => {
                            buffered_bytes += event.approx_bytes();
                            buffered.push(event);
                        }
                        Ok(_) => return Err(failed(EngineError::Transient {
                            endpoint: self.spec.endpoint.clone(),
                            detail: format!("more than {MAX_BUFFERED_DURING_LIST} events ({} MiB) arrived while listing; listing again", open::MAX_BUFFERED_BYTES >> 20),
                        })),
                        Err(EventStreamError::Disconnected(e)) => return Err(failed(e)),
                        Err(e) => if !self.emit(WatchEvent::StreamError(e.to_string())).await {
                            return Ok(SessionEnd::OutputClosed);
                        },
                    },
                }
            }
        };
        let mut ok = self.emit(WatchEvent::Init).await;
        for container in list {
            ok = ok && self.emit(WatchEvent::InitApply(container)).await;
        }
        ok = ok && self.emit(WatchEvent::InitDone).await;
        for mut event in buffered {
            ok = ok && self.take_time(&mut event, &stream).await;
            let item = if event.time_nano < session_start {
                WatchEvent::History(event)
            } else {
                WatchEvent::Event(event)
            };
            ok = ok && self.emit(item).await;
        }
        if !ok {
            return Ok(SessionEnd::OutputClosed);
        }

        self.follow(&client, &mut stream, connected_at).await
    }

    /// Checks an event's stamp against the engine's clock and moves the replay cursor.
    async fn take_time(&mut self, event: &mut RawEvent, stream: &EventStream) -> bool {
        let warning = clamp_to_engine_clock(event, stream.engine_now());
        self.cursor = Some(
            self.cursor
                .map_or(event.time_nano, |c| c.max(event.time_nano)),
        );
        match warning {
            Some(w) => self.emit(WatchEvent::StreamError(w)).await,
            None => true,
        }
    }

    /// Follows the live stream until it fails, the engine stops answering pings, or the user
    /// disables the engine.
    async fn follow(
        &mut self,
        client: &EngineClient,
        stream: &mut EventStream,
        connected_at: Instant,
    ) -> Result<SessionEnd, Failure> {
        let failed = |error: EngineError| Failure {
            error,
            connected_for: Some(connected_at.elapsed()),
        };
        let mut liveness = tokio::time::interval_at(
            Instant::now() + self.config.liveness_interval,
            self.config.liveness_interval,
        );
        liveness.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                item = stream.next() => match item {
                    Ok(mut event) => {
                        if !self.take_time(&mut event, stream).await || !self.emit(WatchEvent::Event(event)).await {
                            return Ok(SessionEnd::OutputClosed);
                        }
                    }
                    Err(EventStreamError::Disconnected(e)) => return Err(failed(e)),
                    Err(e) => {
                        if !self.emit(WatchEvent::StreamError(e.to_string())).await {
                            return Ok(SessionEnd::OutputClosed);
                        }
                    }
                },
                _ = liveness.tick() => {
                    let sent = Instant::now();
                    let answered = tokio::time::timeout(self.config.ping_timeout, client.docker().ping()).await;
                    match answered {
                        Ok(Ok(_)) => {
                            // Only a change of slowness is a status: a steady engine says nothing.
                            let took = sent.elapsed();
                            let slow = (took > self.config.slow_ping).then_some(took.as_millis() as u64);
                            if slow.is_some() != self.status.slow_ping_ms.is_some() {
                                self.status.slow_ping_ms = slow;
                                self.status.at = now_rfc3339();
                                if !self.emit(WatchEvent::Status(self.status.clone())).await {
                                    return Ok(SessionEnd::OutputClosed);
                                }
                            }
                        }
                        Ok(Err(e)) => return Err(failed(EngineError::from_bollard(&self.spec.endpoint, &e))),
                        Err(_) => return Err(failed(EngineError::Transient {
                            endpoint: self.spec.endpoint.clone(),
                            detail: format!("no answer to a liveness ping within {} s", self.config.ping_timeout.as_secs()),
                        })),
                    }
                }
                control = self.controls.recv(), if self.controls_open => match control {
                    Some(Control::Enable(false)) => return Ok(SessionEnd::Disabled),
                    Some(_) => {}
                    None => self.controls_open = false,
                },
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum WaitFor {
    Nothing,
    SocketAppear,
    SocketChange,
}

fn now_nanos() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}
