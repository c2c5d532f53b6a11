//! `skiff ps` against real engines: it lists exactly what the engine's own `ps -a` lists.

mod support;

use std::process::Command;

use support::{skiff, Kind, TestEngine};

fn ps_json_matches_engine_ps(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    let running = engine.create("ps-running", true);
    let _stopped = engine.create("ps-created", false);

    let out = skiff(&["ps", "--all", "--json", "--host", engine.host()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("a JSON array");
    let mut listed: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    listed.sort();
    assert_eq!(listed, engine.ps_all());

    let row = rows.iter().find(|r| r["id"] == running.as_str()).unwrap();
    assert_eq!(row["name"], "ps-running", "no leading slash");
    assert_eq!(row["state"], "running");
    assert_eq!(row["engine"], kind.as_str());
    assert!(row["image"].as_str().unwrap().contains("busybox"));
    assert!(row["status"].as_str().unwrap().starts_with("Up"));

    // Without --all only the running one is listed.
    let out = skiff(&["ps", "--json", "--host", engine.host()]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], running.as_str());
}

#[test]
fn ps_json_lists_what_podman_ps_lists() {
    ps_json_matches_engine_ps(Kind::Podman);
}

#[test]
fn ps_json_lists_what_docker_ps_lists() {
    ps_json_matches_engine_ps(Kind::Docker);
}

#[test]
fn ps_merges_engines_in_one_table() {
    let (Some(podman), Some(docker)) = (
        TestEngine::start(Kind::Podman),
        TestEngine::start(Kind::Docker),
    ) else {
        return;
    };
    podman.create("from-podman", true);
    docker.create("from-docker", true);
    let out = skiff(&["ps", "--host", podman.host(), "--host", docker.host()]);
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.starts_with("ENGINE"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("podman") && l.contains("from-podman")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("docker") && l.contains("from-docker")),
        "{table}"
    );
}

#[test]
fn an_unreachable_engine_is_one_clear_line_and_exit_code_1() {
    let out = skiff(&["ps", "--host", "unix:///nonexistent/skiff/docker.sock"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("unix:///nonexistent/skiff/docker.sock"),
        "{stderr}"
    );
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"));
}

#[test]
fn a_bad_host_url_is_rejected_before_connecting() {
    let out = skiff(&["ps", "--host", "ftp://example"]);
    assert_eq!(out.status.code(), Some(2), "clap usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported endpoint scheme"));
}

#[test]
fn a_stopped_engine_is_reported_as_not_running() {
    let Some(engine) = TestEngine::start(Kind::Podman) else {
        return;
    };
    engine.stop();
    let out = skiff(&["ps", "--host", engine.host()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(engine.host()), "{stderr}");
    assert!(stderr.contains("is the engine running"), "{stderr}");
}

#[test]
fn cli_stop_exits_after_the_engine_confirms_and_a_second_stop_is_already_done() {
    let Some(engine) = TestEngine::start(Kind::Docker) else {
        return;
    };
    engine.create("to-stop", true);
    let out = skiff(&["stop", "to-stop", "--host", engine.host()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.ends_with(": exited\n"), "{stdout}");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("warning"),
        "confirmed by the event, not the fallback"
    );
    let state = engine.cli(&["inspect", "-f", "{{.State.Status}}", "to-stop"]);
    assert_eq!(state, "exited");
    let again = skiff(&["stop", "to-stop", "--host", engine.host()]);
    assert!(again.status.success());
    let missing = skiff(&["stop", "no-such-container", "--host", engine.host()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no container named"));
}

#[test]
fn watch_json_prints_engine_resync_and_container_lines() {
    let Some(engine) = TestEngine::start(Kind::Podman) else {
        return;
    };
    engine.create("watched", true);
    let out = Command::new("timeout")
        .args(["--preserve-status", "-s", "INT", "3"])
        .arg(env!("CARGO_BIN_EXE_skiff"))
        .args(["watch", "--json", "--host", engine.host()])
        .env("SKIFF_CONFIG_DIR", "/nonexistent-skiff-config")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "interrupt ends watch cleanly");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let engine_line = &lines[0];
    let keys: Vec<&str> = engine_line
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "type",
            "engine",
            "state",
            "attempt",
            "retry_in_ms",
            "error",
            "at"
        ]
    );
    assert_eq!(lines[1]["state"], "connected");
    assert_eq!(
        lines[2],
        serde_json::json!({"type": "resync", "engine": "podman", "phase": "start", "containers": 1})
    );
    assert_eq!(lines[3]["type"], "container");
    assert_eq!(lines[3]["op"], "upsert");
    assert_eq!(lines[3]["container"]["name"], "watched");
    assert_eq!(lines[3]["container"]["state"], "running");
    assert_eq!(lines[4]["phase"], "done");
}

#[test]
fn ping_exits_0_when_engines_are_connected_and_1_with_the_state_of_one_that_is_not() {
    let (Some(podman), Some(docker)) = (
        TestEngine::start(Kind::Podman),
        TestEngine::start(Kind::Docker),
    ) else {
        return;
    };
    podman.create("pinged", true);
    let out = skiff(&[
        "ping",
        "--json",
        "--host",
        podman.host(),
        "--host",
        docker.host(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["healthy"], true);
    assert_eq!(report["engines"].as_array().unwrap().len(), 2);
    let handler = report["handlers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "registry:podman")
        .unwrap();
    // Status, Init, one InitApply, InitDone: every item the watcher sent was handled.
    assert!(handler["processed"].as_u64().unwrap() >= 4, "{handler}");
    assert_eq!(handler["queue_depth"], 0);
    assert!(report["process"]["rss_bytes"].as_u64().unwrap() > 1_000_000);

    docker.stop();
    let out = skiff(&[
        "ping",
        "--json",
        "--host",
        podman.host(),
        "--host",
        docker.host(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let down = report["engines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "docker")
        .unwrap();
    assert_eq!(down["state"], "reconnecting");
    assert_eq!(down["error"]["kind"], "not_running");
}

/// `skiff inspect NAME` prints the engine's own inspect document, one object, for a container it
/// resolves by name; an unknown name fails with the reason and prints nothing on stdout.
fn inspect_prints_the_engines_own_document(kind: Kind) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    let id = engine.create("inspected", true);
    let out = skiff(&["inspect", "inspected", "--host", engine.host()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert!(doc.is_object(), "{doc}");
    assert_eq!(doc["Id"], id.as_str());
    assert_eq!(doc["Name"], "/inspected");
    assert_eq!(doc["State"]["Status"], "running");
    if kind == Kind::Docker {
        // The same endpoint and API version as the docker CLI: the same document.
        let theirs: Vec<serde_json::Value> =
            serde_json::from_str(&engine.cli(&["inspect", &id])).unwrap();
        // dockerd builds the ulimits from a map: their order differs from one answer to the next.
        let ordered = |mut d: serde_json::Value| {
            if let Some(u) = d["HostConfig"]["Ulimits"].as_array_mut() {
                u.sort_by_key(|l| l["Name"].as_str().unwrap_or_default().to_owned());
            }
            d
        };
        assert_eq!(ordered(doc.clone()), ordered(theirs[0].clone()));
    }
    let out = skiff(&["inspect", "no-such-container", "--host", engine.host()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("inspect no-such-container: no container named"),
        "{stderr}"
    );
}

#[test]
fn inspect_prints_podmans_own_document() {
    inspect_prints_the_engines_own_document(Kind::Podman);
}

#[test]
fn inspect_prints_dockers_own_document() {
    inspect_prints_the_engines_own_document(Kind::Docker);
}
