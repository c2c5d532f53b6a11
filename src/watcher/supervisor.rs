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

#[cfg(test)]
mod tests {
    //! The loop itself, on a paused clock, with a scripted source: the real sources are tested
    //! against real engines (`tests/reconnect.rs`, `tests/kubernetes.rs`, `tests/faults.rs`).

    use std::collections::VecDeque;
    use std::sync::Arc;

    use futures_util::FutureExt;
    use parking_lot::Mutex;

    use super::*;
    use crate::reconnect::BackoffPolicy;

    #[derive(Default)]
    struct Log {
        attempts: Vec<AttemptTrigger>,
        forgotten: usize,
    }

    /// Connects as scripted (an empty script hangs), then lists nothing and streams forever.
    struct Scripted {
        connects: VecDeque<Result<(), FailureKind>>,
        probe_fails: bool,
        log: Arc<Mutex<Log>>,
    }

    impl Source for Scripted {
        fn watch_path(&self) -> Option<std::path::PathBuf> {
            None
        }

        async fn connect(&mut self, trigger: AttemptTrigger) -> Result<Connected, ErrorInfo> {
            self.log.lock().attempts.push(trigger);
            match self.connects.pop_front() {
                Some(Ok(())) => {
                    let fails = self.probe_fails;
                    Ok(Connected {
                        kind: None,
                        version: Some("1".to_owned()),
                        endpoint: None,
                        probe: Box::new(move || {
                            async move {
                                if fails {
                                    Err(error(FailureKind::Transient))
                                } else {
                                    Ok(())
                                }
                            }
                            .boxed()
                        }),
                    })
                }
                Some(Err(kind)) => Err(error(kind)),
                None => std::future::pending().await,
            }
        }

        async fn follow(&mut self, link: &Link) -> Ended {
            if link.send(WatchEvent::Init).await.is_err()
                || link.send(WatchEvent::InitDone).await.is_err()
            {
                return Ended::Closed;
            }
            std::future::pending().await
        }

        fn forget(&mut self) {
            self.log.lock().forgotten += 1;
        }
    }

    fn error(kind: FailureKind) -> ErrorInfo {
        ErrorInfo {
            kind,
            message: kind.as_str().to_owned(),
            remedy: None,
        }
    }

    struct Run {
        controls: mpsc::Sender<Control>,
        out: mpsc::Receiver<WatchEvent>,
        log: Arc<Mutex<Log>>,
    }

    fn start(connects: Vec<Result<(), FailureKind>>, probe_fails: bool) -> Run {
        let log = Arc::new(Mutex::new(Log::default()));
        let (controls, controls_rx) = mpsc::channel(4);
        let (out_tx, out) = mpsc::channel(64);
        let config = WatcherConfig {
            backoff: BackoffPolicy {
                initial_ms: 100,
                max_ms: 1_000,
                factor: 2.0,
                healthy_after_ms: 60_000,
            },
            ..WatcherConfig::default()
        };
        let source = Scripted {
            connects: connects.into(),
            probe_fails,
            log: log.clone(),
        };
        let status = EngineStatus::new("e", "scripted://", EngineState::Connecting);
        tokio::spawn(supervise(
            source,
            status,
            config,
            controls_rx,
            out_tx,
            std::future::pending(),
        ));
        Run { controls, out, log }
    }

    impl Run {
        async fn status(&mut self) -> EngineStatus {
            loop {
                if let WatchEvent::Status(s) = self.out.recv().await.expect("supervisor running") {
                    return s;
                }
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_with_growing_waits_then_one_reconnect_is_counted() {
        let nr = Err(FailureKind::NotRunning);
        let mut run = start(vec![nr, nr, nr, Ok(())], false);
        let first = run.status().await;
        assert_eq!(
            (first.state, first.trigger),
            (EngineState::Connecting, Some(AttemptTrigger::Start))
        );
        let mut waits = Vec::new();
        for want in 1..=3 {
            let s = run.status().await;
            let EngineState::Reconnecting {
                attempt,
                retry_in_ms,
                ..
            } = s.state
            else {
                panic!("{s:?}")
            };
            assert_eq!(attempt, want);
            waits.push(retry_in_ms.unwrap());
        }
        let connected = run.status().await;
        assert_eq!(connected.state, EngineState::Connected);
        assert_eq!(connected.trigger, Some(AttemptTrigger::Timer));
        assert_eq!(connected.reconnects, 1);
        // Capped exponential with jitter: 100–200 ms, then 200–400 ms, then 400–800 ms.
        assert!((100..=200).contains(&waits[0]), "{waits:?}");
        assert!((200..=400).contains(&waits[1]), "{waits:?}");
        assert!((400..=800).contains(&waits[2]), "{waits:?}");
        assert_eq!(
            run.log.lock().attempts,
            [
                AttemptTrigger::Start,
                AttemptTrigger::Timer,
                AttemptTrigger::Timer,
                AttemptTrigger::Timer
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_retrying_cannot_help_waits_for_the_user_only_and_retry_now_skips_any_timer()
    {
        let mut run = start(
            vec![
                Err(FailureKind::PermissionDenied),
                Err(FailureKind::NotRunning),
                Ok(()),
            ],
            false,
        );
        run.status().await;
        let s = run.status().await;
        assert!(matches!(s.state, EngineState::Unavailable { .. }), "{s:?}");
        // A day passes: no attempt, no status.
        tokio::time::sleep(Duration::from_secs(86_400)).await;
        assert!(run.out.try_recv().is_err());
        assert_eq!(run.log.lock().attempts.len(), 1);
        run.controls.send(Control::RetryNow).await.unwrap();
        let s = run.status().await;
        assert!(
            matches!(s.state, EngineState::Reconnecting { attempt: 2, .. }),
            "{s:?}"
        );
        // "Retry now" during a backoff wait: at once, recorded as the user's.
        run.controls.send(Control::RetryNow).await.unwrap();
        let s = run.status().await;
        assert_eq!(
            (s.state, s.trigger),
            (EngineState::Connected, Some(AttemptTrigger::User))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn disabled_clears_the_rows_ignores_everything_but_enable_and_starts_afresh() {
        let mut run = start(vec![Ok(()), Ok(())], false);
        run.status().await;
        assert_eq!(run.status().await.state, EngineState::Connected);
        run.controls.send(Control::Enable(false)).await.unwrap();
        let mut items = Vec::new();
        while items.len() < 5 {
            items.push(run.out.recv().await.unwrap());
        }
        // The session's relist, then Disabled and an empty relist: no stale rows stay.
        assert!(matches!(items[0], WatchEvent::Init) && matches!(items[1], WatchEvent::InitDone));
        assert!(matches!(&items[2], WatchEvent::Status(s) if s.state == EngineState::Disabled));
        assert!(matches!(items[3], WatchEvent::Init) && matches!(items[4], WatchEvent::InitDone));
        assert_eq!(run.log.lock().forgotten, 1);
        run.controls.send(Control::RetryNow).await.unwrap();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(run.out.try_recv().is_err(), "Retry now does not enable");
        run.controls.send(Control::Enable(true)).await.unwrap();
        let s = run.status().await;
        assert_eq!(
            (s.state, s.trigger),
            (EngineState::Connecting, Some(AttemptTrigger::Start))
        );
        assert_eq!(run.status().await.state, EngineState::Connected);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_liveness_ping_ends_the_session_and_forgets_what_the_source_kept() {
        let mut run = start(vec![Ok(()), Ok(())], true);
        run.status().await;
        let connected_at = Instant::now();
        assert_eq!(run.status().await.state, EngineState::Connected);
        let s = run.status().await;
        assert!(
            matches!(s.state, EngineState::Reconnecting { attempt: 0, .. }),
            "{s:?}"
        );
        assert_eq!(
            connected_at.elapsed(),
            Duration::from_secs(30),
            "at the first ping"
        );
        assert_eq!(run.log.lock().forgotten, 1);
        assert_eq!(run.status().await.state, EngineState::Connected);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_now_restarts_a_hung_connect_and_disable_abandons_it() {
        let mut run = start(vec![], false);
        run.status().await;
        run.controls.send(Control::RetryNow).await.unwrap();
        for _ in 0..1000 {
            if run.log.lock().attempts.len() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(
            run.log.lock().attempts,
            [AttemptTrigger::Start, AttemptTrigger::User]
        );
        run.controls.send(Control::Enable(false)).await.unwrap();
        assert_eq!(run.status().await.state, EngineState::Disabled);
        assert_eq!(run.log.lock().attempts.len(), 2);
    }
}
