//! A compose project as one row: start, stop, restart and remove act on every container of a
//! project made by the engine's own compose (Debian's docker-compose on Docker, podman-compose
//! on Podman), each confirmed by its event; a Podman pod starts and stops through libpod, and
//! its object follows.

mod support;

use std::time::Duration;

use skiff::engine::Action;
use skiff::objects::pods::{self, PodAction};
use skiff::objects::Object;
use skiff::registry::Registry;
use support::registry::watching;
use support::{eventually, Kind, TestEngine};

/// The states of the project's containers as the engine says them, by name.
fn states(engine: &TestEngine) -> Vec<(String, String)> {
    let out = engine.cli(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
    let mut rows: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| l.split_once(' '))
        // Docker says `running`; Podman 4.3 says `Up 3 seconds ago` for the same.
        .map(|(n, s)| {
            let s = s.to_lowercase();
            let s = if s.starts_with("up") {
                "running".to_owned()
            } else {
                s
            };
            (n.to_owned(), s)
        })
        .filter(|(n, _)| n.starts_with("shop_"))
        .collect();
    rows.sort();
    rows
}

async fn all_are(engine: &TestEngine, state: &str, what: &str) {
    eventually(
        Duration::from_secs(30),
        || {
            let s = states(engine);
            s.len() == 2 && s.iter().all(|(_, st)| st.starts_with(state))
        },
        || format!("{what}: {:?}", states(engine)),
    )
    .await;
}

async fn a_project_acts_as_one(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Docker here has no bridge; podman-compose puts its containers on a project network.
    let network = if kind == Kind::Docker {
        "    network_mode: none\n"
    } else {
        ""
    };
    let service =
        |name: &str| format!("  {name}:\n    image: busybox\n    command: sleep 600\n{network}");
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        format!(
            "version: \"3\"\nservices:\n{}{}",
            service("web"),
            service("worker")
        ),
    )
    .unwrap();
    engine.compose(dir.path(), &["-p", "shop", "up", "-d"]);
    let (registry, _stop) = watching(&engine);
    eventually(
        Duration::from_secs(20),
        || registry.project_members(kind.as_str(), "shop").len() == 2,
        || {
            format!(
                "members: {:?}",
                registry.project_members(kind.as_str(), "shop")
            )
        },
    )
    .await;
    all_are(&engine, "running", "up").await;

    let engine_id = kind.as_str();
    assert_eq!(
        registry
            .act_on_project(engine_id, "shop", Action::Stop)
            .await
            .unwrap(),
        2
    );
    all_are(&engine, "exited", "after stop").await;
    assert!(registry
        .project_members(engine_id, "shop")
        .iter()
        .all(|c| c.state == "exited" && !c.pending));
    registry
        .act_on_project(engine_id, "shop", Action::Start)
        .await
        .unwrap();
    all_are(&engine, "running", "after start").await;
    registry
        .act_on_project(engine_id, "shop", Action::Restart)
        .await
        .unwrap();
    all_are(&engine, "running", "after restart").await;
    registry
        .act_on_project(engine_id, "shop", Action::Remove)
        .await
        .unwrap();
    assert!(states(&engine).is_empty(), "{:?}", states(&engine));
    assert!(registry.project_members(engine_id, "shop").is_empty());
    let e = registry
        .act_on_project(engine_id, "shop", Action::Start)
        .await
        .unwrap_err();
    assert!(e.message.contains("no compose project"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_a_compose_project_acts_as_one() {
    a_project_acts_as_one(Kind::Docker).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podman_a_compose_project_acts_as_one() {
    a_project_acts_as_one(Kind::Podman).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_podman_pod_stops_and_starts_and_its_row_follows() {
    let Some(engine) = TestEngine::start(Kind::Podman) else {
        return;
    };
    engine.cli(&["pod", "create", "--infra=false", "--name", "crew"]);
    engine.cli(&[
        "run", "-d", "--pod", "crew", "--name", "member", "busybox", "sleep", "600",
    ]);
    let (registry, _stop) = watching(&engine);
    let status = |registry: &Registry| {
        registry
            .snapshot()
            .objects
            .into_iter()
            .find_map(|o| match o {
                Object::Pod(p) if p.name == "crew" => Some(p.status),
                _ => None,
            })
    };
    eventually(
        Duration::from_secs(20),
        || status(&registry).as_deref() == Some("Running"),
        || format!("{:?}", status(&registry)),
    )
    .await;
    let client = registry.engine_client("podman").unwrap();
    pods::act(&client, "crew", PodAction::Stop).await.unwrap();
    eventually(
        Duration::from_secs(30),
        || status(&registry).as_deref() == Some("Exited"),
        || format!("{:?}", status(&registry)),
    )
    .await;
    let member = engine.cli(&["inspect", "-f", "{{.Id}}", "member"]);
    let state = |registry: &Registry| registry.container("podman", &member).map(|c| c.state);
    eventually(
        Duration::from_secs(20),
        || state(&registry).as_deref() == Some("exited"),
        || format!("{:?}", state(&registry)),
    )
    .await;
    pods::act(&client, "crew", PodAction::Start).await.unwrap();
    eventually(
        Duration::from_secs(30),
        || status(&registry).as_deref() == Some("Running"),
        || format!("{:?}", status(&registry)),
    )
    .await;
    pods::act(&client, "crew", PodAction::Remove).await.unwrap();
    eventually(
        Duration::from_secs(30),
        || status(&registry).is_none(),
        || format!("{:?}", status(&registry)),
    )
    .await;
    assert!(
        engine.ps_all().is_empty(),
        "the pod's containers went with it"
    );
    // A Docker engine has no pods: refused with the reason, not sent.
}
