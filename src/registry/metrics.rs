//! Handler metrics: every consumer of the registry (each engine's applier, the UI bridge, the
//! tray, telemetry, a CLI watch) is a named handler with cheap atomic counters and a sliding
//! window of event lag (engine `timeNano` → handled).

use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use ts_rs::TS;

/// Lag samples kept per handler (a ring: the window slides, memory stays fixed).
const LAG_WINDOW: usize = 1024;

/// Queue depth above which a handler is reported unhealthy.
pub const QUEUE_THRESHOLD: u64 = 1000;

#[derive(Debug)]
pub struct HandlerMetrics {
    name: String,
    processed: AtomicU64,
    errors: AtomicU64,
    queue_depth: AtomicU64,
    max_queue_depth: AtomicU64,
    resyncs: AtomicU64,
    lags_us: Mutex<VecDeque<u64>>,
}

/// A handler's report, as `ping` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export_to = "HandlerReport.ts")]
pub struct HandlerReport {
    pub name: String,
    pub processed: u64,
    pub errors: u64,
    pub queue_depth: u64,
    pub max_queue_depth: u64,
    /// Times the handler fell more than the fan-out's capacity behind and was resynced from a
    /// snapshot (never a silent drop).
    pub resyncs: u64,
    /// Engine event time to handled, milliseconds, over the last 1024 events.
    pub lag_p50_ms: Option<f64>,
    pub lag_p99_ms: Option<f64>,
}

impl HandlerMetrics {
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            processed: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            queue_depth: AtomicU64::new(0),
            max_queue_depth: AtomicU64::new(0),
            resyncs: AtomicU64::new(0),
            lags_us: Mutex::new(VecDeque::with_capacity(LAG_WINDOW)),
        }
    }

    /// Records the queue depth seen before handling an item.
    pub fn queued(&self, depth: usize) {
        let depth = depth as u64;
        self.queue_depth.store(depth, Ordering::Relaxed);
        self.max_queue_depth.fetch_max(depth, Ordering::Relaxed);
    }

    /// Records one handled item; `engine_time_nano` when it was an engine event.
    pub fn handled(&self, engine_time_nano: Option<i64>) {
        self.processed.fetch_add(1, Ordering::Relaxed);
        if let Some(t) = engine_time_nano {
            let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);
            let lag_us = u64::try_from((now - t) / 1000).unwrap_or(0);
            let mut lags = self.lags_us.lock();
            if lags.len() == LAG_WINDOW {
                lags.pop_front();
            }
            lags.push_back(lag_us);
        }
    }

    /// Records a resync from a snapshot after the handler lagged behind the fan-out.
    pub fn resynced(&self) {
        self.resyncs.fetch_add(1, Ordering::Relaxed);
    }

    pub fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    #[must_use]
    pub fn report(&self) -> HandlerReport {
        let mut lags: Vec<u64> = self.lags_us.lock().iter().copied().collect();
        lags.sort_unstable();
        let pct = |p: f64| -> Option<f64> {
            if lags.is_empty() {
                return None;
            }
            let i = ((lags.len() - 1) as f64 * p).round() as usize;
            Some(lags[i] as f64 / 1000.0)
        };
        HandlerReport {
            name: self.name.clone(),
            processed: self.processed.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            queue_depth: self.queue_depth.load(Ordering::Relaxed),
            max_queue_depth: self.max_queue_depth.load(Ordering::Relaxed),
            resyncs: self.resyncs.load(Ordering::Relaxed),
            lag_p50_ms: pct(0.5),
            lag_p99_ms: pct(0.99),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_percentiles() {
        let m = HandlerMetrics::new("x");
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
        for i in 0..100 {
            m.queued(100 - i);
            m.handled(Some(now - i64::try_from(i).unwrap() * 1_000_000));
        }
        m.queued(0);
        m.error();
        let r = m.report();
        assert_eq!(
            (r.processed, r.errors, r.queue_depth, r.max_queue_depth),
            (100, 1, 0, 100)
        );
        let p50 = r.lag_p50_ms.unwrap();
        assert!((45.0..=60.0).contains(&p50), "{p50}");
        assert!(r.lag_p99_ms.unwrap() >= 98.0);
    }
}
