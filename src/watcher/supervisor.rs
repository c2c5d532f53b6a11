//! The one connection supervisor: it runs a [`Source`] (connect, then stream) again and again,
//! and owns everything around it, the same for every kind of stream:
//!
//! - the status the registry, UI, tray and telemetry read (`connecting → connected →
//!   reconnecting → unavailable`, `disabled`), with its outage bookkeeping;
//! - the wait after a failure, as [`policy::plan`] decides it (backoff, or no timer at all);
//! - the watched file (an engine's socket, a context's kubeconfig): its appearance or change
//!   ends a wait at once;
//! - the user's controls: Retry now (also interrupting a hung connect), Disable, Enable;
//! - the liveness ping while connected, and the slowness mark it sets.
//!
//! No source waits or retries on its own; that is what keeps one policy for every stream.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::policy::{self, Outage, Plan, WakeOn, Watched};
use super::source::{Connected, Ended, Link, Probe, Source};
use super::{AttemptTrigger, Control, EngineState, EngineStatus, WatchEvent, WatcherConfig};
use crate::engine::{ErrorInfo, FailureKind};
use crate::reconnect::{Backoff, SocketWatch};

/// How often a connection is retried during the socket grace period.
const SOCKET_GRACE_RETRY: Duration = Duration::from_millis(25);

/// Runs `source` under supervision until `shutdown` resolves or the registry drops `out`.
/// `status` is its first status (id and endpoint; the state is set here).
///
/// Shutdown is passed in (as in mini-redis) so tests and the app end it the same way; dropping
/// the supervisor at any await point is safe, it holds no lock and its source owns its
/// connection.
pub async fn supervise<S: Source>(
    source: S,
    status: EngineStatus,
    config: WatcherConfig,
    controls: mpsc::Receiver<Control>,
    out: mpsc::Sender<WatchEvent>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut supervisor = Supervisor {
        backoff: config.backoff.start(),
        source,
        config,
        controls: Controls {
            rx: controls,
            open: true,
        },
        link: Link::new(status, out),
        outage: None,
        watch: None,
    };
    tokio::select! {
        () = shutdown => {}
        () = supervisor.run() => {}
    }
}

/// The user's commands; once every sender is gone, simply none arrive.
struct Controls {
    rx: mpsc::Receiver<Control>,
    open: bool,
}

impl Controls {
    async fn next(&mut self) -> Control {
        while self.open {
            match self.rx.recv().await {
                Some(control) => return control,
                None => self.open = false,
            }
        }
        std::future::pending().await
    }
}

/// What the supervisor does next.
enum Next {
    Attempt(AttemptTrigger),
    Failed {
        error: ErrorInfo,
        connected_for: Option<Duration>,
    },
    Disable,
    Stop,
}

/// Why following a connected source stopped.
enum Stopped {
    Ended(Ended),
    /// The liveness ping failed.
    Unresponsive(ErrorInfo),
    Disabled,
}

struct Supervisor<S> {
    source: S,
    config: WatcherConfig,
    controls: Controls,
    link: Link,
    backoff: Backoff,
    outage: Option<Outage>,
    watch: Option<SocketWatch>,
}

impl<S: Source> Supervisor<S> {
    async fn run(&mut self) {
        let mut next = Next::Attempt(AttemptTrigger::Start);
        loop {
            next = match next {
                Next::Attempt(trigger) => self.attempt(trigger).await,
                Next::Failed {
                    error,
                    connected_for,
                } => self.after_failure(error, connected_for).await,
                Next::Disable => self.disabled().await,
                Next::Stop => return,
            };
        }
    }

    /// One session: connect, publish `connected`, follow until it ends.
    async fn attempt(&mut self, trigger: AttemptTrigger) -> Next {
        // During an outage the status stays `reconnecting` (with its attempt count) while the
        // next attempt runs; only a fresh start says `connecting`.
        if self.outage.is_none()
            && self
                .link
                .update(|s| s.enter(EngineState::Connecting, Some(trigger)))
                .await
                .is_err()
        {
            return Next::Stop;
        }
        let (connected, trigger) = match self.connect(trigger).await {
            Ok(c) => c,
            Err(next) => return next,
        };
        let Connected {
            kind,
            version,
            endpoint,
            probe,
        } = connected;
        let outage = &mut self.outage;
        let published = self
            .link
            .update(|s| {
                Outage::end(outage, s);
                s.kind = kind.or(s.kind);
                s.version = version.or(s.version.take());
                if let Some(endpoint) = endpoint {
                    s.endpoint = endpoint;
                }
                s.enter(EngineState::Connected, Some(trigger));
            })
            .await;
        if published.is_err() {
            return Next::Stop;
        }
        self.follow(&probe).await
    }

    /// Connects; "Retry now" starts a hung attempt again (dropping it and its connection) and
    /// "Disable" abandons it. Returns what connected and the trigger of the attempt that did.
    ///
    /// After the watched socket appeared, the engine may still be starting behind it (dockerd
    /// creates its socket before its API answers): for the socket grace period a failure that
    /// retrying can help is retried every 25 ms, quietly (no status, not an attempt of the
    /// outage), so the return is seen the moment the engine answers.
    async fn connect(
        &mut self,
        mut trigger: AttemptTrigger,
    ) -> Result<(Connected, AttemptTrigger), Next> {
        let grace =
            (trigger == AttemptTrigger::Socket).then(|| Instant::now() + self.config.socket_grace);
        loop {
            let opening = self.source.connect(trigger);
            tokio::pin!(opening);
            let quietly = loop {
                tokio::select! {
                    opened = &mut opening => match opened {
                        Ok(connected) => return Ok((connected, trigger)),
                        Err(error) if error.kind.retries() && grace.is_some_and(|g| Instant::now() < g) => break true,
                        Err(error) => return Err(Next::Failed { error, connected_for: None }),
                    },
                    control = self.controls.next() => match control {
                        Control::Enable(false) => return Err(Next::Disable),
                        Control::RetryNow => break false,
                        Control::Enable(true) => {}
                    },
                    () = self.link.closed() => return Err(Next::Stop),
                }
            };
            if quietly {
                tokio::time::sleep(SOCKET_GRACE_RETRY).await;
            } else {
                trigger = AttemptTrigger::User;
            }
        }
    }

    /// Lets the source stream while pinging the engine and listening to the user.
    async fn follow(&mut self, probe: &Probe) -> Next {
        let connected_at = Instant::now();
        let Self {
            source,
            config,
            controls,
            link,
            ..
        } = self;
        let stopped = {
            let following = source.follow(link);
            tokio::pin!(following);
            let mut liveness = tokio::time::interval_at(
                Instant::now() + config.liveness_interval,
                config.liveness_interval,
            );
            liveness.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    ended = &mut following => break Stopped::Ended(ended),
                    _ = liveness.tick() => match ping(probe, config).await {
                        Ok(took) => {
                            // Only a change of slowness is a status: a steady engine says nothing.
                            let slow = (took > config.slow_ping)
                                .then(|| u64::try_from(took.as_millis()).unwrap_or(u64::MAX));
                            if slow.is_some() != link.status().slow_ping_ms.is_some()
                                && link.update(|s| {
                                    s.slow_ping_ms = slow;
                                    s.at = super::now_rfc3339();
                                }).await.is_err()
                            {
                                break Stopped::Ended(Ended::Closed);
                            }
                        }
                        Err(error) => break Stopped::Unresponsive(error),
                    },
                    control = controls.next() => if control == Control::Enable(false) {
                        break Stopped::Disabled;
                    },
                }
            }
        };
        let connected_for = Some(connected_at.elapsed());
        match stopped {
            Stopped::Ended(Ended::Failed(error)) => Next::Failed {
                error,
                connected_for,
            },
            Stopped::Ended(Ended::Closed) => Next::Stop,
            Stopped::Unresponsive(error) => {
                // The stream may hang on a dead connection until its own timeout: nothing of
                // this session is worth resuming.
                source.forget();
                Next::Failed {
                    error,
                    connected_for,
                }
            }
            Stopped::Disabled => Next::Disable,
        }
    }

    /// Publishes the failure and waits as the policy says.
    async fn after_failure(&mut self, error: ErrorInfo, connected_for: Option<Duration>) -> Next {
        let outage = &mut self.outage;
        let attempt = self
            .link
            .with_status(|s| Outage::failed(outage, s, connected_for, &error));
        let path = self.source.watch_path();
        if self.watch.is_none() {
            if let Some(path) = &path {
                let engine = self.link.with_status(|s| s.engine.clone());
                self.watch = SocketWatch::new(path)
                    .inspect_err(|e| tracing::debug!(%engine, error = %e, "no file watch; timed retries only"))
                    .ok();
            }
        }
        let watched = match (&self.watch, path) {
            (Some(_), Some(path)) if path.exists() => Watched::Present,
            (Some(_), Some(_)) => Watched::Absent,
            _ => Watched::Unwatched,
        };
        let plan = policy::plan(
            error,
            attempt,
            connected_for,
            watched,
            &mut self.backoff,
            &self.config,
        );
        let state = plan.state.clone();
        if self.link.update(|s| s.enter(state, None)).await.is_err() {
            return Next::Stop;
        }
        self.wait(&plan).await
    }

    /// Waits for the timer, the watched file, or the user.
    async fn wait(&mut self, plan: &Plan) -> Next {
        let sleep = async {
            match plan.delay {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        let watch = self.watch.as_mut();
        let file = async move {
            match (watch, plan.wake_on) {
                (Some(w), WakeOn::Appear) => w.appeared().await,
                (Some(w), WakeOn::Change) => w.changed().await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            () = sleep => Next::Attempt(plan.timer_trigger),
            () = file => Next::Attempt(AttemptTrigger::Socket),
            control = self.controls.next() => match control {
                Control::RetryNow | Control::Enable(true) => Next::Attempt(AttemptTrigger::User),
                Control::Enable(false) => Next::Disable,
            },
            () = self.link.closed() => Next::Stop,
        }
    }

    /// Disabled by the user: nothing of the engine stays on screen, and only Enable ends it
    /// (an engine outage meanwhile changes nothing).
    async fn disabled(&mut self) -> Next {
        self.source.forget();
        self.outage = None;
        let cleared = async {
            self.link
                .update(|s| s.enter(EngineState::Disabled, None))
                .await?;
            // An empty relist: the rows of a disabled engine would be stale the moment they
            // stayed. Enabling relists them.
            self.link.send(WatchEvent::Init).await?;
            self.link.send(WatchEvent::InitDone).await
        };
        if cleared.await.is_err() {
            return Next::Stop;
        }
        loop {
            tokio::select! {
                control = self.controls.next() => if control == Control::Enable(true) {
                    return Next::Attempt(AttemptTrigger::Start);
                },
                () = self.link.closed() => return Next::Stop,
            }
        }
    }
}

/// One liveness ping, bounded by the ping timeout; how long the answer took.
async fn ping(probe: &Probe, config: &WatcherConfig) -> Result<Duration, ErrorInfo> {
    let sent = Instant::now();
    match tokio::time::timeout(config.ping_timeout, probe()).await {
        Ok(Ok(())) => Ok(sent.elapsed()),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(ErrorInfo {
            kind: FailureKind::Transient,
            message: format!(
                "no answer to a liveness ping within {} s",
                config.ping_timeout.as_secs()
            ),
            remedy: None,
        }),
    }
}
