//! Skiff's own process figures for the `ping` report.

use serde::Serialize;
use ts_rs::TS;

/// Skiff's own process, measured with `sysinfo` (refreshing only this process).
#[derive(Debug)]
pub struct ProcessProbe {
    /// `None` where the platform gives no process information: the report says 0.
    system: Option<sysinfo::System>,
    pid: Option<sysinfo::Pid>,
    started: std::time::Instant,
}

/// The `process` part of the ping report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
#[ts(export_to = "ProcessReport.ts")]
pub struct ProcessReport {
    pub rss_bytes: u64,
    /// Since the previous sample (0 on the first).
    pub cpu_percent: f32,
    pub uptime_s: u64,
}

impl Default for ProcessProbe {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessProbe {
    #[must_use]
    pub fn new() -> Self {
        Self {
            system: sysinfo::System::new().ok(),
            pid: sysinfo::get_current_pid().ok(),
            started: std::time::Instant::now(),
        }
    }

    pub fn sample(&mut self) -> ProcessReport {
        let (mut rss_bytes, mut cpu_percent) = (0, 0.0);
        if let (Some(system), Some(pid)) = (self.system.as_mut(), self.pid) {
            system.refresh_processes_specifics(
                sysinfo::ProcessesToUpdate::Some(&[pid]),
                false,
                sysinfo::ProcessRefreshKind::nothing()
                    .with_memory()
                    .with_cpu(),
            );
            if let Some(p) = system.process(pid) {
                rss_bytes = p.memory();
                cpu_percent = p.cpu_usage();
            }
        }
        ProcessReport {
            rss_bytes,
            cpu_percent,
            uptime_s: self.started.elapsed().as_secs(),
        }
    }
}
