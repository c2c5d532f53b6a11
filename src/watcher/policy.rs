//! The decision after a failure, as a pure function of the failure, the policy and the clock
//! (kube-runtime's `StreamBackoff` split: the loop asks, this answers), and the outage
//! bookkeeping it reads. Unit-tested on a paused clock below; the supervisor only carries the
//! answer out.

use std::time::Duration;

use tokio::time::Instant;

use super::{AttemptTrigger, EngineState, EngineStatus, WatcherConfig};
use crate::engine::ErrorInfo;
use crate::reconnect::Backoff;

/// What is known of the watched file (socket, kubeconfig) when a failure arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watched {
    /// No file, or it cannot be watched: timers and the user only.
    Unwatched,
    Present,
    Absent,
}

/// What wakes the supervisor before its timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeOn {
    Nothing,
    /// The watched file appears.
    Appear,
    /// The watched file appears, changes or goes.
    Change,
}

/// What to do after a failure: publish `state`, then wait for `delay` (forever when `None`),
/// or less when `wake_on` happens or the user acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub state: EngineState,
    pub delay: Option<Duration>,
    pub wake_on: WakeOn,
    /// What the next attempt is recorded as when the timer runs out.
    pub timer_trigger: AttemptTrigger,
}

/// The plan after `error`, the `attempt`-th failure of an outage. `connected_for` is how long
/// the session was connected, if it got that far: a connection that stayed healthy long enough
/// starts the backoff over; one that flaps does not (the storm this exists to prevent).
pub fn plan(
    error: ErrorInfo,
    attempt: u32,
    connected_for: Option<Duration>,
    watched: Watched,
    backoff: &mut Backoff,
    config: &WatcherConfig,
) -> Plan {
    if connected_for.is_some_and(|d| d >= config.backoff.healthy_after()) {
        backoff.reset();
    }
    let watching = watched != Watched::Unwatched;
    if !error.kind.retries() {
        // Only a change of the file (chmod, chown, a refreshed kubeconfig) or the user can fix
        // this: no timer at all.
        return Plan {
            state: EngineState::Unavailable { error },
            delay: None,
            wake_on: if watching {
                WakeOn::Change
            } else {
                WakeOn::Nothing
            },
            timer_trigger: AttemptTrigger::Timer,
        };
    }
    let (delay, wake_on, timer_trigger) = match watched {
        // The engine is not there: its socket appearing is the signal; the timer is only a
        // safety net in case the watch missed it.
        Watched::Absent => (
            config.safety_check,
            WakeOn::Appear,
            AttemptTrigger::SafetyCheck,
        ),
        Watched::Present => (backoff.next_delay(), WakeOn::Change, AttemptTrigger::Timer),
        Watched::Unwatched => (backoff.next_delay(), WakeOn::Nothing, AttemptTrigger::Timer),
    };
    Plan {
        state: EngineState::Reconnecting {
            attempt,
            retry_in_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
            error,
        },
        delay: Some(delay),
        wake_on,
        timer_trigger,
    }
}

/// An outage in progress: from the first failure to the next successful connection. One warn
/// line when it starts, one info line when it ends, attempts only at debug level in between.
#[derive(Debug)]
pub struct Outage {
    started: Instant,
    attempts: u32,
}

impl Outage {
    /// Counts a failed attempt of `status.engine`, starting an outage in `slot` if none is open
    /// (a session that had connected does not count as an attempt); returns the attempt number.
    pub fn failed(
        slot: &mut Option<Outage>,
        status: &EngineStatus,
        connected_for: Option<Duration>,
        error: &ErrorInfo,
    ) -> u32 {
        let (engine, endpoint, kind) = (&status.engine, &status.endpoint, error.kind.as_str());
        let message = &error.message;
        let outage = if let Some(outage) = slot {
            outage.attempts += 1;
            outage
        } else {
            tracing::warn!(%engine, %endpoint, kind, error = %message, "engine connection lost");
            slot.insert(Outage {
                started: Instant::now(),
                attempts: u32::from(connected_for.is_none()),
            })
        };
        let attempt = outage.attempts;
        tracing::debug!(%engine, attempt, kind, error = %message, "engine attempt failed");
        attempt
    }

    /// Ends the outage in `slot`, if one is open: one more completed reconnection.
    pub fn end(slot: &mut Option<Outage>, status: &mut EngineStatus) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::FailureKind;
    use crate::reconnect::BackoffPolicy;

    fn error(kind: FailureKind) -> ErrorInfo {
        ErrorInfo {
            kind,
            message: format!("{kind:?}"),
            remedy: None,
        }
    }

    fn config() -> WatcherConfig {
        WatcherConfig {
            backoff: BackoffPolicy {
                initial_ms: 100,
                max_ms: 1_000,
                factor: 2.0,
                healthy_after_ms: 60_000,
            },
            ..WatcherConfig::default()
        }
    }

    fn delay_ms(p: &Plan) -> u64 {
        u64::try_from(p.delay.expect("a timer").as_millis()).unwrap()
    }

    #[test]
    fn a_transient_failure_backs_off_capped_and_jittered_and_says_when() {
        let config = config();
        let mut backoff = config.backoff.start_seeded(7);
        let mut delays = Vec::new();
        for attempt in 1..=8 {
            let p = plan(
                error(FailureKind::NotRunning),
                attempt,
                None,
                Watched::Unwatched,
                &mut backoff,
                &config,
            );
            let EngineState::Reconnecting {
                attempt: a,
                retry_in_ms,
                ..
            } = p.state
            else {
                panic!("{p:?}")
            };
            assert_eq!(a, attempt);
            assert_eq!(retry_in_ms, Some(delay_ms(&p)));
            assert_eq!(
                (p.wake_on, p.timer_trigger),
                (WakeOn::Nothing, AttemptTrigger::Timer)
            );
            delays.push(delay_ms(&p));
        }
        assert!(delays[0] >= 100 && delays[0] <= 200, "{delays:?}");
        assert!(delays.iter().all(|d| *d <= 1_000), "capped: {delays:?}");
        assert_eq!(delays[7], 1_000, "the cap is reached: {delays:?}");
        assert!(delays.windows(2).any(|w| w[1] > w[0]), "grows: {delays:?}");
    }

    #[test]
    fn a_failure_retrying_cannot_help_waits_for_the_file_or_the_user_without_a_timer() {
        let config = config();
        let mut backoff = config.backoff.start_seeded(1);
        for (watched, wake) in [
            (Watched::Present, WakeOn::Change),
            (Watched::Absent, WakeOn::Change),
            (Watched::Unwatched, WakeOn::Nothing),
        ] {
            for kind in [FailureKind::PermissionDenied, FailureKind::Incompatible] {
                let p = plan(error(kind), 1, None, watched, &mut backoff, &config);
                assert_eq!(p.state, EngineState::Unavailable { error: error(kind) });
                assert_eq!((p.delay, p.wake_on), (None, wake));
            }
        }
    }

    #[test]
    fn an_absent_socket_waits_for_it_to_appear_with_only_the_safety_check_as_timer() {
        let config = config();
        let mut backoff = config.backoff.start_seeded(1);
        let p = plan(
            error(FailureKind::NotRunning),
            3,
            None,
            Watched::Absent,
            &mut backoff,
            &config,
        );
        assert_eq!(p.delay, Some(config.safety_check));
        assert_eq!(
            (p.wake_on, p.timer_trigger),
            (WakeOn::Appear, AttemptTrigger::SafetyCheck)
        );
        // A present socket that is watched: backoff, and a change of it wakes early.
        let p = plan(
            error(FailureKind::NotRunning),
            4,
            None,
            Watched::Present,
            &mut backoff,
            &config,
        );
        assert!(
            delay_ms(&p) <= 200,
            "the backoff was not advanced by the wait: {p:?}"
        );
        assert_eq!(p.wake_on, WakeOn::Change);
    }

    #[test]
    fn only_a_connection_that_stayed_healthy_starts_the_backoff_over() {
        let config = config();
        let mut backoff = config.backoff.start_seeded(3);
        let fail = |connected_for, backoff: &mut Backoff| {
            delay_ms(&plan(
                error(FailureKind::Transient),
                1,
                connected_for,
                Watched::Unwatched,
                backoff,
                &config,
            ))
        };
        for _ in 0..6 {
            fail(None, &mut backoff);
        }
        // Flapping: connected for a moment, then lost: still at the cap.
        assert_eq!(fail(Some(Duration::from_secs(1)), &mut backoff), 1_000);
        // Healthy for a minute: from the first delay again.
        assert!(fail(Some(Duration::from_secs(60)), &mut backoff) <= 200);
    }

    #[tokio::test(start_paused = true)]
    async fn an_outage_counts_attempts_from_its_first_failure_and_one_reconnect_when_it_ends() {
        let mut status = EngineStatus::new("podman", "unix:///x", EngineState::Connected);
        let mut slot = None;
        let e = error(FailureKind::NotRunning);
        // Lost while connected: that failure is not an attempt; the next ones are.
        assert_eq!(
            Outage::failed(&mut slot, &status, Some(Duration::from_secs(5)), &e),
            0
        );
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(Outage::failed(&mut slot, &status, None, &e), 1);
        assert_eq!(Outage::failed(&mut slot, &status, None, &e), 2);
        let started = slot.as_ref().unwrap().started;
        assert_eq!(started.elapsed(), Duration::from_secs(30));
        Outage::end(&mut slot, &mut status);
        assert!(slot.is_none());
        assert_eq!(status.reconnects, 1);
        // No outage open: ending again counts nothing.
        Outage::end(&mut slot, &mut status);
        assert_eq!(status.reconnects, 1);
        // An outage that starts with a failed connect counts it as attempt 1.
        assert_eq!(Outage::failed(&mut slot, &status, None, &e), 1);
    }
}
