//! Per-name budgets (governor's keyed GCRA) and folding of what was held back.
//!
//! What a budget refuses is counted and added to the next event of that name that passes, as
//! `suppressed: N`; an event identical to the previous one of its name is counted the same way,
//! as `repeats: N`. Nothing is silently lost, and a flapping engine costs a bounded number of
//! events whatever it does.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::{Quota, RateLimiter};

use super::TelemetryEvent;

/// Governor's clock on Tokio's time, so that budgets refill on a paused test clock too.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    type Instant = std::time::Instant;
    fn now(&self) -> Self::Instant {
        tokio::time::Instant::now().into_std()
    }
}

type Limiter = RateLimiter<
    String,
    governor::state::keyed::HashMapStateStore<String>,
    TokioClock,
    governor::middleware::NoOpMiddleware<std::time::Instant>,
>;

/// The default budget: 10 events of one name per hour (bursts of 10 allowed).
pub const PER_HOUR: u32 = 10;

#[derive(Debug)]
pub struct Throttle {
    limiter: Limiter,
    held: HashMap<String, Held>,
    last: HashMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Total refused by budgets (for the health report).
    pub suppressed_total: u64,
}

#[derive(Debug, Default)]
struct Held {
    suppressed: u64,
    repeats: u64,
}

impl Throttle {
    #[must_use]
    pub fn new(per_hour: u32) -> Self {
        let n = NonZeroU32::new(per_hour.max(1)).expect("at least one");
        let quota = Quota::with_period(Duration::from_secs(3600) / n.get())
            .expect("non-zero period")
            .allow_burst(n);
        Self {
            limiter: RateLimiter::hashmap_with_clock(quota, TokioClock),
            held: HashMap::new(),
            last: HashMap::new(),
            suppressed_total: 0,
        }
    }

    /// Decides about one event: `Some` (with held-back counts folded in) when it may be
    /// recorded, `None` when it was counted instead.
    pub fn admit(&mut self, mut event: TelemetryEvent) -> Option<TelemetryEvent> {
        let name = event.name.clone();
        // Only failures are folded when identical; episodes are already one per outage.
        let is_failure = name.ends_with("_failed") || name.ends_with("_error");
        if is_failure && self.last.get(&name) == Some(&event.properties) {
            self.held.entry(name).or_default().repeats += 1;
            return None;
        }
        if self.limiter.check_key(&name).is_err() {
            self.held.entry(name).or_default().suppressed += 1;
            self.suppressed_total += 1;
            return None;
        }
        self.last.insert(name.clone(), event.properties.clone());
        if let Some(held) = self.held.remove(&name) {
            if held.suppressed > 0 {
                event
                    .properties
                    .insert("suppressed".into(), held.suppressed.into());
            }
            if held.repeats > 0 {
                event
                    .properties
                    .insert("repeats".into(), held.repeats.into());
            }
        }
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(name: &str, n: u64) -> TelemetryEvent {
        TelemetryEvent::new(name, json!({"n": n}))
    }

    #[tokio::test(start_paused = true)]
    async fn a_budget_refuses_and_the_next_event_carries_the_count() {
        let mut t = Throttle::new(10);
        let admitted = (0..25).filter(|i| t.admit(ev("x", *i)).is_some()).count();
        assert_eq!(admitted, 10);
        assert_eq!(t.suppressed_total, 15);
        // The budget refills one event every 6 minutes.
        tokio::time::advance(Duration::from_secs(360)).await;
        let next = t.admit(ev("x", 99)).unwrap();
        assert_eq!(next.properties["suppressed"], 15);
    }

    #[tokio::test(start_paused = true)]
    async fn identical_consecutive_events_become_a_count() {
        let mut t = Throttle::new(10);
        assert!(t.admit(ev("e_failed", 1)).is_some());
        assert!(t.admit(ev("e_failed", 1)).is_none());
        assert!(t.admit(ev("e_failed", 1)).is_none());
        let next = t.admit(ev("e_failed", 2)).unwrap();
        assert_eq!(next.properties["repeats"], 2);
    }

    #[tokio::test(start_paused = true)]
    async fn budgets_are_per_name() {
        let mut t = Throttle::new(1);
        assert!(t.admit(ev("a", 1)).is_some());
        assert!(t.admit(ev("b", 1)).is_some());
        assert!(t.admit(ev("a", 2)).is_none());
    }
}
