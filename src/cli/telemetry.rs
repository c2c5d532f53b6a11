//! `skiff telemetry show|enable|disable`: what leaves the machine, and the consent switch.

use std::io::Write;

use super::Outcome;
use crate::settings::{data_dir, Settings};
use crate::telemetry::outbox::Outbox;

pub(super) fn show(json: bool, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let settings = Settings::load()?;
    let dir = data_dir()?;
    let outbox = Outbox::open(&dir);
    let enabled = crate::telemetry::consent(settings.telemetry);
    if json {
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({
                "enabled": enabled,
                "queued": outbox.queued(),
                "sent": outbox.sent(),
            }),
        )?;
        writeln!(out)?;
        return Ok(Outcome::Success);
    }
    writeln!(
        out,
        "Telemetry is {}. Outbox: {}",
        if enabled { "on" } else { "off" },
        dir.join("telemetry-outbox.jsonl").display()
    )?;
    for (title, events) in [
        ("Waiting to be sent", outbox.queued()),
        ("Sent (most recent last)", outbox.sent()),
    ] {
        writeln!(out, "\n{title}: {}", events.len())?;
        for e in events {
            writeln!(
                out,
                "  {}  {}  {}",
                e.at,
                e.name,
                serde_json::Value::Object(e.properties.clone())
            )?;
        }
    }
    Ok(Outcome::Success)
}

pub(super) fn set(enabled: bool, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let mut settings = Settings::load()?;
    settings.telemetry = Some(enabled);
    let path = settings.save()?;
    writeln!(
        out,
        "Telemetry {} ({})",
        if enabled { "enabled" } else { "disabled" },
        path.display()
    )?;
    Ok(Outcome::Success)
}
