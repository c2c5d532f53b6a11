//! `skiff ping`: connect, complete the initial sync through this process's own handlers (at most
//! 5 s), report health. Exit code 0 when every enabled engine is connected and no handler is over
//! its queue threshold, 1 otherwise (like `hammer ping`).

use std::io::Write;

use super::Outcome;
use crate::app::Plan;
use crate::health::{self, ProcessProbe};
use crate::telemetry::Telemetry;

pub(super) async fn run(plan: &Plan, json: bool, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let mut probe = ProcessProbe::new();
    let (registry, trigger) = super::synced(plan, true).await;
    let report = health::ping(&registry, &Telemetry::disabled(), &mut probe);
    drop(trigger);
    if json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{}",
            if report.healthy {
                "healthy"
            } else {
                "NOT healthy"
            }
        )?;
        for e in &report.engines {
            let detail = e.error.as_ref().map_or_else(String::new, |err| {
                format!(" ({}: {})", err.kind.as_str(), err.message)
            });
            writeln!(
                out,
                "  engine {:<14} {:<13} {}{}",
                e.id,
                e.state,
                e.version.clone().unwrap_or_default(),
                detail
            )?;
        }
        for h in &report.handlers {
            writeln!(
                out,
                "  handler {:<22} processed {:<6} errors {:<3} queue {} (max {})",
                h.name, h.processed, h.errors, h.queue_depth, h.max_queue_depth
            )?;
        }
        writeln!(
            out,
            "  process rss {:.1} MiB, cpu {:.1} %, up {} s",
            report.process.rss_bytes as f64 / 1_048_576.0,
            report.process.cpu_percent,
            report.process.uptime_s
        )?;
    }
    Ok(if report.healthy {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}
