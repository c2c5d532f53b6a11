//! `skiff stats [--no-stream] [--json] [NAME_OR_ID…]`: resource use as `docker stats` shows it,
//! for the named containers or every running one. Each container's stream follows restarts of
//! the container and of its engine (see `crate::container_stats`); an interrupt ends it (exit 0).

use std::collections::BTreeMap;
use std::io::Write;

use tokio::sync::mpsc;

use super::Outcome;
use crate::app::Plan;
use crate::container_stats::{Sample, StatsError, StatsFollow};
use crate::shutdown::Shutdown;

pub(super) async fn run(
    plan: &Plan,
    targets: &[String],
    no_stream: bool,
    json: bool,
    shutdown: Shutdown,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let (registry, _sources) = super::synced_registry(plan).await;
    let snapshot = registry.snapshot();
    let mut chosen = Vec::new();
    let mut outcome = Outcome::Success;
    if targets.is_empty() {
        // Every running container of a Docker or Podman engine (pods have no stats here).
        chosen.extend(
            snapshot
                .containers
                .iter()
                .filter(|c| c.state == "running" && c.kube.is_none())
                .map(|c| (c.engine.clone(), c.id.clone(), c.name.clone())),
        );
    }
    for target in targets {
        match registry.resolve(None, target) {
            Ok((engine, id)) => {
                let name = snapshot
                    .containers
                    .iter()
                    .find(|c| c.engine == engine && c.id == id)
                    .map_or_else(|| target.clone(), |c| c.name.clone());
                chosen.push((engine, id, name));
            }
            Err(e) => {
                writeln!(err, "skiff: stats {target}: {e}")?;
                outcome = Outcome::Failure;
            }
        }
    }
    let (tx, mut rx) = mpsc::channel::<Result<Sample, (String, StatsError)>>(256);
    for (engine, id, name) in &chosen {
        let mut follow = StatsFollow::new(registry.clone(), engine, id, name);
        let tx = tx.clone();
        let shutdown = shutdown.clone();
        let name = name.clone();
        tokio::spawn(async move {
            let mut send = |sample| {
                tx.try_send(Ok(sample))
                    .map_err(|_| std::io::Error::other("the printer fell behind"))
            };
            if let Err(e) = follow.run(&mut send, !no_stream, shutdown).await {
                let _ = tx.send(Err((name, e))).await;
            }
        });
    }
    drop(tx);
    let order: Vec<String> = chosen.iter().map(|(_, id, _)| id.clone()).collect();
    let mut latest: BTreeMap<String, Sample> = BTreeMap::new();
    let terminal = !json && !no_stream && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let mut redraw = tokio::time::interval(std::time::Duration::from_secs(1));
    redraw.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            item = rx.recv() => match item {
                Some(Ok(sample)) if json => {
                    serde_json::to_writer(&mut *out, &sample)?;
                    out.write_all(b"\n")?;
                    out.flush()?;
                }
                Some(Ok(sample)) => {
                    latest.insert(sample.id.clone(), sample);
                }
                Some(Err((name, e))) => {
                    writeln!(err, "skiff: stats {name}: {e}")?;
                    outcome = Outcome::Failure;
                }
                None => break,
            },
            _ = redraw.tick(), if !json && !no_stream => {
                if terminal {
                    // As `docker stats`: the table in place.
                    out.write_all(b"\x1b[2J\x1b[H")?;
                }
                write_table(out, &order, &latest)?;
                out.flush()?;
            }
        }
    }
    if !json && no_stream {
        write_table(out, &order, &latest)?;
    }
    Ok(outcome)
}

fn write_table(
    out: &mut dyn Write,
    order: &[String],
    latest: &BTreeMap<String, Sample>,
) -> std::io::Result<()> {
    let headers = [
        "CONTAINER ID",
        "NAME",
        "CPU %",
        "MEM USAGE / LIMIT",
        "MEM %",
        "NET I/O",
        "BLOCK I/O",
        "PIDS",
    ];
    let mut rows = Vec::new();
    for s in order.iter().filter_map(|id| latest.get(id)) {
        let mem_percent = if s.mem_limit_bytes == 0 {
            0.0
        } else {
            s.mem_bytes as f64 / s.mem_limit_bytes as f64 * 100.0
        };
        rows.push(vec![
            s.id.chars().take(12).collect(),
            s.name.clone(),
            format!("{:.2}%", s.cpu_percent),
            format!(
                "{} / {}",
                size(s.mem_bytes, 1024.0, &BINARY),
                size(s.mem_limit_bytes, 1024.0, &BINARY)
            ),
            format!("{mem_percent:.2}%"),
            format!(
                "{} / {}",
                size(s.net_rx_bytes, 1000.0, &DECIMAL),
                size(s.net_tx_bytes, 1000.0, &DECIMAL)
            ),
            format!(
                "{} / {}",
                size(s.block_read_bytes, 1000.0, &DECIMAL),
                size(s.block_write_bytes, 1000.0, &DECIMAL)
            ),
            s.pids.to_string(),
        ]);
    }
    super::table::write(out, &headers, &rows)
}

const BINARY: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
pub(super) const DECIMAL: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];

/// `docker stats`' sizes (go-units): four significant digits, trailing zeros dropped.
pub(super) fn size(bytes: u64, base: f64, units: &[&str; 5]) -> String {
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= base && unit + 1 < units.len() {
        value /= base;
        unit += 1;
    }
    format!("{}{}", four_digits(value), units[unit])
}

/// C's `%.4g` for values below 10 000.
fn four_digits(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = usize::try_from((3 - magnitude).max(0)).unwrap_or(0);
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_docker_stats_writes_them() {
        assert_eq!(size(0, 1000.0, &DECIMAL), "0B");
        assert_eq!(size(606_208, 1024.0, &BINARY), "592KiB");
        assert_eq!(size(25_276_502_016, 1024.0, &BINARY), "23.54GiB");
        assert_eq!(size(1_500, 1000.0, &DECIMAL), "1.5kB");
        assert_eq!(size(999, 1000.0, &DECIMAL), "999B");
        assert_eq!(size(123_456_789, 1000.0, &DECIMAL), "123.5MB");
    }
}
