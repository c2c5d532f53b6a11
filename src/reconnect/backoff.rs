//! Capped exponential backoff with jitter.
//!
//! Defaults: first retry after 0.5 s, factor 2, cap 30 s, no maximum number of attempts (a
//! desktop app keeps watching an engine that may come back tomorrow). The sequence restarts from
//! the first delay only after a connection stayed healthy for 60 s: resetting on any success
//! would let an engine that accepts a connection and drops it at once (flapping) be retried at
//! full speed forever, which is the storm this module exists to prevent.
//!
//! Jitter comes from `backon` and only lengthens a delay (up to twice the base); the result is
//! then clamped to the cap. Clamping keeps the cap a promise (at most one attempt per 30 s, so at
//! most ~125 attempts in an hour), at the price of no jitter once the cap is reached, which
//! matters little for one desktop client per engine.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The knobs of the backoff, as settings and environment variables set them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export_to = "BackoffPolicy.ts")]
pub struct BackoffPolicy {
    /// First delay, in milliseconds (`SKIFF_BACKOFF_INITIAL_MS`).
    pub initial_ms: u64,
    /// Cap of every delay, in milliseconds (`SKIFF_BACKOFF_MAX_MS`).
    pub max_ms: u64,
    pub factor: f32,
    /// How long a connection must stay up before the sequence starts over, in milliseconds.
    pub healthy_after_ms: u64,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            initial_ms: 500,
            max_ms: 30_000,
            factor: 2.0,
            healthy_after_ms: 60_000,
        }
    }
}

impl BackoffPolicy {
    /// Applies `SKIFF_BACKOFF_INITIAL_MS` / `SKIFF_BACKOFF_MAX_MS` over `self` (settings first,
    /// environment wins, as for every Skiff setting). Unparseable values are ignored with a warning.
    #[must_use]
    pub fn with_env(mut self) -> Self {
        let read = |name: &str| -> Option<u64> {
            let raw = std::env::var(name).ok()?;
            raw.trim()
                .parse()
                .inspect_err(
                    |_| tracing::warn!(%name, %raw, "ignoring: not a number of milliseconds"),
                )
                .ok()
        };
        if let Some(v) = read("SKIFF_BACKOFF_INITIAL_MS") {
            self.initial_ms = v;
        }
        if let Some(v) = read("SKIFF_BACKOFF_MAX_MS") {
            self.max_ms = v;
        }
        self.sanitized()
    }

    /// Keeps the values meaningful: a zero first delay would busy-loop, a cap below the first
    /// delay would be ignored by the builder.
    #[must_use]
    pub fn sanitized(mut self) -> Self {
        self.initial_ms = self.initial_ms.max(10);
        self.max_ms = self.max_ms.max(self.initial_ms);
        if !(self.factor >= 1.0 && self.factor.is_finite()) {
            self.factor = 2.0;
        }
        self
    }

    #[must_use]
    pub fn max(&self) -> Duration {
        Duration::from_millis(self.max_ms)
    }

    #[must_use]
    pub fn healthy_after(&self) -> Duration {
        Duration::from_millis(self.healthy_after_ms)
    }

    #[must_use]
    pub fn start(&self) -> Backoff {
        Backoff::new(*self, None)
    }

    /// A backoff with a fixed jitter seed, for reproducible tests.
    #[must_use]
    pub fn start_seeded(&self, seed: u64) -> Backoff {
        Backoff::new(*self, Some(seed))
    }
}

/// The running sequence of delays for one engine.
#[derive(Debug)]
pub struct Backoff {
    policy: BackoffPolicy,
    builder: ExponentialBuilder,
    delays: ExponentialBackoff,
}

impl Backoff {
    fn new(policy: BackoffPolicy, seed: Option<u64>) -> Self {
        let mut builder = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(policy.initial_ms))
            .with_max_delay(policy.max())
            .with_factor(policy.factor)
            .without_max_times();
        builder = match seed {
            Some(seed) => builder.with_jitter().with_jitter_seed(seed),
            None => builder.with_jitter(),
        };
        Self {
            policy,
            delays: builder.build(),
            builder,
        }
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        // `without_max_times` never ends the iterator; the fallback is only defensive.
        self.delays
            .next()
            .unwrap_or(self.policy.max())
            .min(self.policy.max())
    }

    /// Starts the sequence over. Call only after the connection was healthy for
    /// [`BackoffPolicy::healthy_after`].
    pub fn reset(&mut self) {
        self.delays = self.builder.build();
    }

    #[must_use]
    pub fn policy(&self) -> &BackoffPolicy {
        &self.policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_from_the_initial_value_and_never_pass_the_cap() {
        let mut b = BackoffPolicy::default().start_seeded(7);
        let delays: Vec<Duration> = (0..40).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(500) && delays[0] < Duration::from_secs(1));
        assert!(delays[3] >= Duration::from_secs(4));
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(30)));
        assert_eq!(delays[39], Duration::from_secs(30));
    }

    #[test]
    fn one_hour_of_attempts_stays_under_130() {
        let mut b = BackoffPolicy::default().start_seeded(1);
        let (mut elapsed, mut attempts) = (Duration::ZERO, 0);
        while elapsed < Duration::from_secs(3600) {
            elapsed += b.next_delay();
            attempts += 1;
        }
        assert!(attempts <= 130, "{attempts} attempts");
        assert!(
            attempts >= 110,
            "the cap is reached, not overshot: {attempts}"
        );
    }

    #[test]
    fn reset_starts_over() {
        let mut b = BackoffPolicy::default().start_seeded(3);
        for _ in 0..10 {
            b.next_delay();
        }
        b.reset();
        assert!(b.next_delay() < Duration::from_secs(1));
    }

    #[test]
    fn silly_values_are_sanitized() {
        let p = BackoffPolicy {
            initial_ms: 0,
            max_ms: 5,
            factor: f32::NAN,
            ..BackoffPolicy::default()
        }
        .sanitized();
        assert_eq!(p.initial_ms, 10);
        assert_eq!(p.max_ms, 10);
        assert!((p.factor - 2.0).abs() < f32::EPSILON);
    }
}
