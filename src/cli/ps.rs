//! `skiff ps`: one list across engines.

use std::fmt::Write as _;
use std::io::Write;

use futures_util::future::join_all;

use super::Outcome;
use crate::container::Container;
use crate::engine::{DiscoveredEngine, EngineClient, EngineError};

pub(super) async fn run(
    engines: &[DiscoveredEngine],
    all: bool,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    // Engines are asked concurrently: one slow engine must not delay the others' rows.
    let results = join_all(engines.iter().map(|e| async move {
        let client = EngineClient::connect(&e.id, &e.endpoint).await?;
        client.list_containers(all).await
    }))
    .await;

    let mut rows: Vec<Container> = Vec::new();
    let mut outcome = Outcome::Success;
    for (engine, result) in engines.iter().zip(results) {
        match result {
            Ok(list) => rows.extend(list),
            Err(e) => {
                outcome = Outcome::Failure;
                writeln!(err, "skiff: cannot reach engine {}: {}", engine.id, one_line(&e))?;
            }
        }
    }

    if json {
        serde_json::to_writer(&mut *out, &rows)?;
        writeln!(out)?;
    } else if outcome == Outcome::Success || !rows.is_empty() {
        write_table(&rows, out)?;
    }
    Ok(outcome)
}

fn one_line(e: &EngineError) -> String {
    e.to_string().replace('\n', " ")
}

fn write_table(rows: &[Container], out: &mut dyn Write) -> std::io::Result<()> {
    let headers = ["ENGINE", "CONTAINER ID", "NAME", "IMAGE", "STATE", "STATUS"];
    let cells: Vec<[&str; 6]> = rows
        .iter()
        .map(|c| [c.engine.as_str(), c.short_id(), &c.name, &c.image, &c.state, &c.status])
        .collect();
    let mut widths = headers.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, row: &[&str; 6]| -> std::io::Result<()> {
        let mut text = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<w$}   ");
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &headers)?;
    for row in &cells {
        line(out, row)?;
    }
    Ok(())
}
