//! `skiff pull`, `skiff rmi`, `skiff prune`, `skiff df`: image and disk-space work on one engine
//! (`--engine`, default: the first one) or, for `prune` and `df`, on every engine.

use std::io::{IsTerminal, Write};

use clap::Args;

use super::stats::{size, DECIMAL};
use super::{table, Outcome};
use crate::engine::{DiscoveredEngine, EngineClient};
use crate::objects::actions::{self, ObjectError, PruneTarget, PullProgress};

/// The engine a command acts on.
#[derive(Debug, Clone, Args)]
pub struct EngineArg {
    /// Engine to act on (its id, as `skiff engines` shows it); default: the first one.
    #[arg(long, value_name = "ID")]
    pub engine: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct PruneArgs {
    /// What to remove: dangling images (every unused one with `-a`), unused volumes, unused
    /// networks, stopped containers.
    #[arg(value_enum)]
    pub what: PruneWhat,
    /// Images: every image no container uses, not only dangling ones.
    #[arg(short, long)]
    pub all: bool,
    #[command(flatten)]
    pub engine: EngineArg,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PruneWhat {
    Images,
    Volumes,
    Networks,
    Containers,
}

impl From<PruneWhat> for PruneTarget {
    fn from(w: PruneWhat) -> Self {
        match w {
            PruneWhat::Images => Self::Images,
            PruneWhat::Volumes => Self::Volumes,
            PruneWhat::Networks => Self::Networks,
            PruneWhat::Containers => Self::Containers,
        }
    }
}

/// The engines a command runs on: the one named, or (`every`) all of them, or the first.
fn chosen<'a>(
    engines: &'a [DiscoveredEngine],
    arg: &EngineArg,
    every: bool,
) -> anyhow::Result<Vec<&'a DiscoveredEngine>> {
    match &arg.engine {
        Some(id) => engines
            .iter()
            .find(|e| &e.id == id)
            .map(|e| vec![e])
            .ok_or_else(|| {
                let known: Vec<&str> = engines.iter().map(|e| e.id.as_str()).collect();
                anyhow::anyhow!("no engine {id}; engines: {}", known.join(", "))
            }),
        None if every => Ok(engines.iter().collect()),
        None => engines
            .first()
            .map(|e| vec![e])
            .ok_or_else(|| anyhow::anyhow!("no engine found (give one with --host)")),
    }
}

async fn connect(engine: &DiscoveredEngine) -> Result<EngineClient, ObjectError> {
    Ok(EngineClient::connect(&engine.id, &engine.endpoint).await?)
}

fn failed(err: &mut dyn Write, engine: &str, e: &ObjectError) -> anyhow::Result<Outcome> {
    writeln!(err, "skiff: {engine}: {}", e.to_string().replace('\n', " "))?;
    Ok(Outcome::Failure)
}

/// The progress line a terminal shows while a pull runs.
fn progress_line(p: &PullProgress) -> String {
    let bar = (p.current_bytes.min(p.total_bytes) * 30)
        .checked_div(p.total_bytes)
        .map(|filled| {
            let filled = usize::try_from(filled).unwrap_or(30);
            format!("[{}{}] ", "=".repeat(filled), " ".repeat(30 - filled))
        })
        .unwrap_or_default();
    format!(
        "{bar}{}/{} · layers {}/{} · {}",
        size(p.current_bytes, 1000.0, &DECIMAL),
        size(p.total_bytes, 1000.0, &DECIMAL),
        p.layers_done,
        p.layers,
        p.status
    )
}

pub(super) async fn pull(
    engines: &[DiscoveredEngine],
    image: &str,
    arg: &EngineArg,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let engine = chosen(engines, arg, false)?[0];
    let terminal = std::io::stdout().is_terminal();
    let mut last = PullProgress::default();
    let pulled = async {
        let client = connect(engine).await?;
        actions::pull(&client, image, |p| {
            if terminal {
                let _ = write!(out, "\r\x1b[2K{}", progress_line(p));
                let _ = out.flush();
            }
            last = p.clone();
        })
        .await
    }
    .await;
    if terminal {
        writeln!(out)?;
    }
    match pulled {
        Ok(id) => {
            writeln!(
                out,
                "{}: pulled {} ({} layers, {}) as {id}",
                engine.id,
                actions::with_tag(image),
                last.layers,
                size(last.total_bytes, 1000.0, &DECIMAL)
            )?;
            Ok(Outcome::Success)
        }
        Err(e) => failed(err, &engine.id, &e),
    }
}

pub(super) async fn tag(
    engines: &[DiscoveredEngine],
    image: &str,
    target: &str,
    arg: &EngineArg,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let engine = chosen(engines, arg, false)?[0];
    match async { actions::tag(&connect(engine).await?, image, target).await }.await {
        Ok(()) => Ok(Outcome::Success),
        Err(e) => failed(err, &engine.id, &e),
    }
}

pub(super) async fn rmi(
    engines: &[DiscoveredEngine],
    image: &str,
    force: bool,
    arg: &EngineArg,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let engine = chosen(engines, arg, false)?[0];
    let removed =
        async { actions::remove_image(&connect(engine).await?, image, force).await }.await;
    match removed {
        Ok(lines) => {
            for line in lines {
                writeln!(out, "{line}")?;
            }
            Ok(Outcome::Success)
        }
        Err(e) => failed(err, &engine.id, &e),
    }
}

pub(super) async fn prune(
    engines: &[DiscoveredEngine],
    args: &PruneArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::Success;
    for engine in chosen(engines, &args.engine, true)? {
        let pruned =
            async { actions::prune(&connect(engine).await?, args.what.into(), args.all).await }
                .await;
        match pruned {
            Ok(report) => writeln!(
                out,
                "{}: removed {} · reclaimed {} ({} bytes)",
                engine.id,
                report.removed.len(),
                size(report.reclaimed_bytes, 1000.0, &DECIMAL),
                report.reclaimed_bytes
            )?,
            Err(e) => outcome = failed(err, &engine.id, &e)?,
        }
    }
    Ok(outcome)
}

pub(super) async fn df(
    engines: &[DiscoveredEngine],
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::Success;
    let mut lines = Vec::new();
    for engine in engines {
        match async { actions::disk_use(&connect(engine).await?).await }.await {
            Ok(l) => lines.extend(l),
            Err(e) => outcome = failed(err, &engine.id, &e)?,
        }
    }
    if json {
        serde_json::to_writer(&mut *out, &lines)?;
        writeln!(out)?;
        return Ok(outcome);
    }
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.engine.clone(),
                l.kind.clone(),
                l.total.to_string(),
                l.active.to_string(),
                size(l.size_bytes, 1000.0, &DECIMAL),
                size(l.reclaimable_bytes, 1000.0, &DECIMAL),
            ]
        })
        .collect();
    table::write(
        out,
        &["ENGINE", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"],
        &rows,
    )?;
    Ok(outcome)
}
