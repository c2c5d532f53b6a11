//! `skiff images|volumes|networks|pods [--json]`: one list of a kind across engines, with who
//! uses each object (from the same moment's container list).

use std::io::Write;

use futures_util::future::join_all;

use super::stats::{size, DECIMAL};
use super::{table, Outcome};
use crate::engine::listing::within_list_timeout;
use crate::engine::{DiscoveredEngine, EngineClient, EngineError, EngineKind};
use crate::objects::{fetch, users, Kind, Object};

/// One engine's objects of `kind`, users filled in; a Docker engine has no pods (empty).
async fn list_one(engine: &DiscoveredEngine, kind: Kind) -> Result<Vec<Object>, EngineError> {
    let listing = async {
        let client = EngineClient::connect(&engine.id, &engine.endpoint).await?;
        if kind == Kind::Pod && client.kind() != EngineKind::Podman {
            return Ok(Vec::new());
        }
        let containers = client.list_containers(true).await?;
        let mut objects: Vec<Object> = fetch::list(&client, kind)
            .await?
            .into_iter()
            .map(Object::bounded)
            .collect();
        users::fill(&mut objects, &containers);
        Ok(objects)
    };
    within_list_timeout(engine, listing).await
}

pub(super) async fn run(
    engines: &[DiscoveredEngine],
    kind: Kind,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let results = join_all(engines.iter().map(|e| list_one(e, kind))).await;
    let mut objects = Vec::new();
    let mut outcome = Outcome::Success;
    for (engine, result) in engines.iter().zip(results) {
        match result {
            Ok(list) => objects.extend(list),
            Err(e) => {
                outcome = Outcome::Failure;
                writeln!(
                    err,
                    "skiff: cannot reach engine {}: {}",
                    engine.id,
                    e.to_string().replace('\n', " ")
                )?;
            }
        }
    }
    objects.sort_by(|a, b| (a.engine(), a.name()).cmp(&(b.engine(), b.name())));
    if json {
        serde_json::to_writer(&mut *out, &objects)?;
        writeln!(out)?;
    } else if outcome == Outcome::Success || !objects.is_empty() {
        let (headers, rows) = rows(kind, &objects);
        table::write(out, headers, &rows)?;
    }
    Ok(outcome)
}

/// The table of a kind: its headers and one row per object.
fn rows(kind: Kind, objects: &[Object]) -> (&'static [&'static str], Vec<Vec<String>>) {
    let headers: &[&str] = match kind {
        Kind::Image => &[
            "ENGINE",
            "IMAGE ID",
            "TAGS",
            "SIZE",
            "CREATED",
            "CONTAINERS",
        ],
        Kind::Volume => &[
            "ENGINE",
            "VOLUME NAME",
            "DRIVER",
            "MOUNTPOINT",
            "CONTAINERS",
        ],
        Kind::Network => &[
            "ENGINE",
            "NETWORK ID",
            "NAME",
            "DRIVER",
            "SUBNET",
            "CONTAINERS",
        ],
        Kind::Pod => &["ENGINE", "POD ID", "NAME", "STATUS", "CONTAINERS"],
    };
    let short = |id: &str| {
        id.trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect::<String>()
    };
    let rows = objects
        .iter()
        .map(|o| match o {
            Object::Image(i) => vec![
                i.engine.clone(),
                short(&i.id),
                if i.tags.is_empty() {
                    "<none>".to_owned()
                } else {
                    i.tags.join(", ")
                },
                size(i.size_bytes, 1000.0, &DECIMAL),
                chrono::DateTime::from_timestamp(i.created, 0)
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                i.containers.len().to_string(),
            ],
            Object::Volume(v) => vec![
                v.engine.clone(),
                v.id.clone(),
                v.driver.clone(),
                v.mountpoint.clone(),
                v.containers.len().to_string(),
            ],
            Object::Network(n) => vec![
                n.engine.clone(),
                short(&n.id),
                n.name.clone(),
                n.driver.clone(),
                n.subnet.clone().unwrap_or_default(),
                n.containers.len().to_string(),
            ],
            Object::Pod(p) => vec![
                p.engine.clone(),
                short(&p.id),
                p.name.clone(),
                p.status.clone(),
                p.containers.len().to_string(),
            ],
        })
        .collect();
    (headers, rows)
}
