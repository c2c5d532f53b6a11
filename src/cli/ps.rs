//! `skiff ps`: one list across engines.

use std::io::Write;

use super::Outcome;
use crate::container::Container;
use crate::engine::list_everywhere;

pub(super) async fn run(
    engines: &crate::app::Targets,
    all: bool,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let (mut list, pods) = futures_util::join!(
        list_everywhere(&engines.engines, all),
        crate::kubernetes::list_everywhere(&engines.contexts, all)
    );
    list.containers.extend(pods.containers);
    list.failures.extend(pods.failures);
    // A context found by default (not asked for) that cannot be reached only warns.
    let failed = list
        .failures
        .iter()
        .any(|f| engines.contexts_asked || !crate::kubernetes::is_kube(&f.engine));
    let outcome = if failed {
        Outcome::Failure
    } else {
        Outcome::Success
    };
    for failure in &list.failures {
        writeln!(
            err,
            "skiff: cannot reach engine {}: {}",
            failure.engine,
            failure.error.message.replace('\n', " ")
        )?;
    }
    let rows = list.containers;

    if json {
        serde_json::to_writer(&mut *out, &rows)?;
        writeln!(out)?;
    } else if outcome == Outcome::Success || !rows.is_empty() {
        write_table(&rows, out)?;
    }
    Ok(outcome)
}

fn write_table(rows: &[Container], out: &mut dyn Write) -> std::io::Result<()> {
    let headers = ["ENGINE", "CONTAINER ID", "NAME", "IMAGE", "STATE", "STATUS"];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|c| {
            vec![
                c.engine.clone(),
                c.short_id().to_owned(),
                c.name.clone(),
                c.image.clone(),
                c.state.clone(),
                c.status.clone(),
            ]
        })
        .collect();
    super::table::write(out, &headers, &cells)
}
