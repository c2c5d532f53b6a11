//! Stream overhead, side by side on the same engine in the same run: the engine's own raw
//! `/events` HTTP stream (read by `curl -N`, a separate process) and Skiff's `skiff watch --json`
//! (another process: discovery, connect, relist, registry, fan-out, JSON lines) subscribed at the
//! same time while a workload of container operations runs (pause / unpause through the engine's
//! API). For each event, the arrival time of each line is taken relative to the event's
//! `timeNano`; Skiff's added latency is its arrival minus the raw stream's, per event.
//!
//! `cargo bench --bench streams` (`SKIFF_BENCH_OPS`, default 500 per engine;
//! `SKIFF_BENCH_ENGINES`, default `docker,podman`). Raw samples go to
//! `$SKIFF_BENCH_OUT/streams-<engine>.csv`, the summary to `streams-<engine>.txt`.
//!
//! A third subscriber, `skiff watch` over SSH (Debian's `openssh-server` on loopback, as in
//! `tests/ssh.rs`; Docker as its CLI reaches it, `docker system dial-stdio`; Podman's socket
//! forwarded), runs at the same time when `sshd` is installed: what SSH adds is its latency minus
//! the local `skiff watch`'s, both from the same events (`streams-<engine>-ssh.txt`).
//!
//! On Podman, every subscriber polls the engine's event log file on its own timer (~250 ms), so
//! the two arrivals differ by chance: its side-by-side difference is not Skiff's cost, and only
//! the end-to-end figures are meaningful there.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::sshd::{Sshd, HOST};
use support::{Kind, TestEngine};

const CONTAINERS: usize = 10;

type Lines = Arc<Mutex<Vec<(i64, String)>>>;

fn now_ns() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_nanos(),
    )
    .expect("fits")
}

/// Spawns `cmd` and stamps each stdout line with its arrival time.
fn follow(mut cmd: Command) -> (Child, Lines) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn subscriber");
    let lines: Lines = Arc::default();
    let out = child.stdout.take().expect("piped");
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            let t = now_ns();
            sink.lock().expect("lock").push((t, line));
        }
    });
    (child, lines)
}

/// `skiff watch --json --host HOST` with its own config and data directories (`config` and
/// `data` under `dirs`, which the caller removes), over SSH with `ssh_config`.
fn skiff_watch(
    host: &str,
    dirs: &std::path::Path,
    ssh_config: Option<&std::path::Path>,
) -> (Child, Lines) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skiff"));
    cmd.args(["watch", "--json", "--host", host])
        .env("SKIFF_CONFIG_DIR", dirs.join("config"))
        .env("SKIFF_DATA_DIR", dirs.join("data"));
    if let Some(config) = ssh_config {
        cmd.env("SKIFF_SSH_CONFIG", config);
    }
    follow(cmd)
}

fn api(socket: &str, method: &str, path: &str) {
    let status = Command::new("curl")
        .args([
            "-sf",
            "-o",
            "/dev/null",
            "--unix-socket",
            socket,
            "-X",
            method,
        ])
        .arg(format!("http://d/v1.41{path}"))
        .status()
        .expect("curl");
    assert!(status.success(), "{method} {path} failed");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Summary {
    n: usize,
    raw: (f64, f64),
    skiff: (f64, f64),
    added: (f64, f64),
}

fn summarize(raw: &mut [f64], skiff: &mut [f64], added: &mut [f64]) -> Summary {
    for v in [&mut *raw, &mut *skiff, &mut *added] {
        v.sort_by(f64::total_cmp);
    }
    let pair = |v: &[f64]| (percentile(v, 0.5), percentile(v, 0.99));
    Summary {
        n: raw.len(),
        raw: pair(raw),
        skiff: pair(skiff),
        added: pair(added),
    }
}

fn run(kind: Kind, ops: usize) {
    let Some(engine) = TestEngine::start(kind) else {
        return;
    };
    let ids: Vec<String> = (0..CONTAINERS)
        .map(|i| engine.create(&format!("stream-{i}"), true))
        .collect();
    let socket = engine.socket_path().display().to_string();

    let mut raw_cmd = Command::new("curl");
    raw_cmd
        .args(["-sN", "--unix-socket", &socket])
        .arg("http://d/v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D");
    let (mut raw_child, raw_lines) = follow(raw_cmd);
    // Removed when the run ends (dropped with it), so runs leave nothing in /tmp.
    let local_dirs = tempfile::tempdir().expect("a temporary directory");
    let ssh_dirs = tempfile::tempdir().expect("a temporary directory");
    let (mut skiff_child, skiff_lines) = skiff_watch(engine.host(), local_dirs.path(), None);
    let sshd = Sshd::start(Some(engine.host()));
    let mut over_ssh = sshd.as_ref().map(|sshd| {
        let url = match kind {
            Kind::Docker => format!("ssh://{HOST}"),
            Kind::Podman => format!("ssh://{HOST}{socket}"),
        };
        skiff_watch(&url, ssh_dirs.path(), Some(&sshd.config("ssh_config")))
    });

    // Both subscribed: Skiff printed its first resync, and a warm-up event reached both.
    let ready = |lines: &Lines, needle: &str| {
        lines
            .lock()
            .expect("lock")
            .iter()
            .any(|(_, l)| l.contains(needle))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let ssh_synced = || over_ssh.as_ref().is_none_or(|(_, l)| ready(l, "\"done\""));
    while !ready(&skiff_lines, "\"done\"") || !ssh_synced() {
        assert!(
            std::time::Instant::now() < deadline,
            "skiff watch never synced"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    api(&socket, "POST", &format!("/containers/{}/pause", ids[0]));
    api(&socket, "POST", &format!("/containers/{}/unpause", ids[0]));
    std::thread::sleep(Duration::from_secs(1));
    let (raw_skip, skiff_skip) = (
        raw_lines.lock().expect("lock").len(),
        skiff_lines.lock().expect("lock").len(),
    );
    let ssh_skip = over_ssh
        .as_ref()
        .map_or(0, |(_, l)| l.lock().expect("lock").len());

    let started = std::time::Instant::now();
    for op in 0..ops {
        let id = &ids[(op / 2) % CONTAINERS];
        let verb = if op % 2 == 0 { "pause" } else { "unpause" };
        api(&socket, "POST", &format!("/containers/{id}/{verb}"));
    }
    let workload_s = started.elapsed().as_secs_f64();
    // Podman's subscribers poll every ~250 ms: give the last events time to arrive.
    std::thread::sleep(Duration::from_secs(2));
    let _ = raw_child.kill();
    let _ = skiff_child.kill();
    let _ = raw_child.wait();
    let _ = skiff_child.wait();
    if let Some((child, _)) = &mut over_ssh {
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(sshd);

    let (mut raw_lat, mut skiff_lat, mut added, csv) =
        matched(kind, &raw_lines, raw_skip, &skiff_lines, skiff_skip);
    assert!(
        !raw_lat.is_empty(),
        "no matched events on {}",
        kind.as_str()
    );
    let s = summarize(&mut raw_lat, &mut skiff_lat, &mut added);
    report(kind, ops, workload_s, &s, csv);
    if let Some((_, ssh_lines)) = &over_ssh {
        let (mut raw_lat, mut ssh_lat, mut added, _) =
            matched(kind, &raw_lines, raw_skip, ssh_lines, ssh_skip);
        if ssh_lat.is_empty() {
            println!("{}: over SSH, no event matched", kind.as_str());
            return;
        }
        let ssh = summarize(&mut raw_lat, &mut ssh_lat, &mut added);
        report_ssh(kind, &s, &ssh);
    }
}

/// `skiff watch` over SSH beside the local one, both against the same raw events.
fn report_ssh(kind: Kind, local: &Summary, ssh: &Summary) {
    let over_local = ssh.skiff.0 - local.skiff.0;
    println!(
        "{}: skiff watch over SSH: {} events matched, median {:.3} ms, p99 {:.3} ms after \
         timeNano; SSH adds (median over SSH − median local) {over_local:.3} ms.",
        kind.as_str(),
        ssh.n,
        ssh.skiff.0,
        ssh.skiff.1,
    );
    if let Some(dir) = std::env::var_os("SKIFF_BENCH_OUT") {
        let line = format!(
            "{} {} {:.3} {:.3} {:.3} {over_local:.3}\n",
            kind.as_str(),
            ssh.n,
            ssh.skiff.0,
            ssh.skiff.1,
            local.skiff.0
        );
        std::fs::write(
            std::path::Path::new(&dir).join(format!("streams-{}-ssh.txt", kind.as_str())),
            line,
        )
        .expect("txt");
    }
}

/// Matches the k-th `action` of a container in the raw stream to the k-th upsert with the
/// matching state in Skiff's; returns the latencies (raw, skiff, added; ms) and the CSV.
fn matched(
    kind: Kind,
    raw_lines: &Lines,
    raw_skip: usize,
    skiff_lines: &Lines,
    skiff_skip: usize,
) -> (Vec<f64>, Vec<f64>, Vec<f64>, String) {
    // Raw events: (id, action) → the k-th (timeNano, arrival).
    let mut raw: HashMap<(String, String), Vec<(i64, i64)>> = HashMap::new();
    for (t, line) in raw_lines.lock().expect("lock").iter().skip(raw_skip) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(id), Some(action), Some(nano)) = (
            v["id"].as_str().or(v["Actor"]["ID"].as_str()),
            v["Action"].as_str().or(v["status"].as_str()),
            v["timeNano"].as_i64(),
        ) else {
            continue;
        };
        raw.entry((id.to_owned(), action.to_owned()))
            .or_default()
            .push((nano, *t));
    }
    // Skiff's upserts: (id, pause|unpause by the new state) → the k-th arrival.
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let (mut raw_lat, mut skiff_lat, mut added) = (Vec::new(), Vec::new(), Vec::new());
    let mut csv = String::from("engine,id,action,time_nano,raw_arrival_ns,skiff_arrival_ns\n");
    for (t, line) in skiff_lines.lock().expect("lock").iter().skip(skiff_skip) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(id), Some(state)) = (
            v["container"]["id"].as_str(),
            v["container"]["state"].as_str(),
        ) else {
            continue;
        };
        let action = match state {
            "paused" => "pause",
            "running" => "unpause",
            _ => continue,
        };
        let key = (id.to_owned(), action.to_owned());
        let k = seen.entry(key.clone()).or_default();
        if let Some(&(nano, raw_t)) = raw.get(&key).and_then(|v| v.get(*k)) {
            raw_lat.push((raw_t - nano) as f64 / 1e6);
            skiff_lat.push((t - nano) as f64 / 1e6);
            added.push((t - raw_t) as f64 / 1e6);
            let _ = writeln!(csv, "{},{id},{action},{nano},{raw_t},{t}", kind.as_str());
        }
        *k += 1;
    }
    (raw_lat, skiff_lat, added, csv)
}

fn report(kind: Kind, ops: usize, workload_s: f64, s: &Summary, csv: String) {
    let line = format!(
        "{} {} {ops} {workload_s:.1} {:.3} {:.3} {:.3} {:.3} {:.3} {:.3}",
        kind.as_str(),
        s.n,
        s.raw.0,
        s.raw.1,
        s.skiff.0,
        s.skiff.1,
        s.added.0,
        s.added.1
    );
    println!(
        "{}: {ops} operations in {workload_s:.1} s, {} events matched. Engine's raw stream: \
         median {:.3} ms, p99 {:.3} ms after timeNano. skiff watch: median {:.3} ms, p99 {:.3} \
         ms (ratio of medians {:.2}). Added by Skiff: median {:.3} ms, p99 {:.3} ms.",
        kind.as_str(),
        s.n,
        s.raw.0,
        s.raw.1,
        s.skiff.0,
        s.skiff.1,
        s.skiff.0 / s.raw.0,
        s.added.0,
        s.added.1
    );
    if let Some(dir) = std::env::var_os("SKIFF_BENCH_OUT") {
        let dir = std::path::Path::new(&dir);
        std::fs::write(dir.join(format!("streams-{}.csv", kind.as_str())), csv).expect("csv");
        std::fs::write(
            dir.join(format!("streams-{}.txt", kind.as_str())),
            line + "\n",
        )
        .expect("txt");
    }
}

fn main() {
    let ops: usize = std::env::var("SKIFF_BENCH_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let engines = std::env::var("SKIFF_BENCH_ENGINES").unwrap_or_else(|_| "docker,podman".into());
    for name in engines.split(',') {
        match name.trim() {
            "docker" => run(Kind::Docker, ops),
            "podman" => run(Kind::Podman, ops),
            other => eprintln!("unknown engine {other}"),
        }
    }
}
