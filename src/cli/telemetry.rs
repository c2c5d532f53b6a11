//! `skiff telemetry show|enable|disable`: what leaves the machine, and the consent switch.

use std::io::Write;

use super::Outcome;
use crate::settings::{data_dir, Settings};
use crate::telemetry::outbox::Outbox;
use crate::telemetry::status::SinkStatus;

pub(super) fn show(json: bool, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let settings = Settings::load()?;
    let dir = data_dir()?;
    let outbox = Outbox::open(&dir);
    let sink = SinkStatus::load(&dir);
    let enabled = crate::telemetry::consent(settings.telemetry);
    if json {
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({
                "enabled": enabled,
                "sink": sink,
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
    match (&sink.url, &sink.last_error) {
        (None, _) => writeln!(
            out,
            "Collector: none configured (events wait in the outbox)"
        )?,
        (Some(url), None) => writeln!(out, "Collector: {url}")?,
        (Some(url), Some(why)) => writeln!(out, "Collector: {url}: not sent: {why}")?,
    }
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
    Settings::update(|s| s.telemetry = Some(enabled))?;
    let path = crate::settings::config_dir()?.join("settings.json");
    writeln!(
        out,
        "Telemetry {} ({})",
        if enabled { "enabled" } else { "disabled" },
        path.display()
    )?;
    Ok(Outcome::Success)
}
