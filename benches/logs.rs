//! Log following, side by side on the same engine in the same run: `skiff logs -f -t` and the
//! engine's own CLI (`docker logs -f -t`, `podman --url logs -f -t`), two processes following
//! the same container while it prints numbered lines at about 50k lines a second. Each line's
//! arrival is stamped as it is read from each process's stdout; Skiff's added latency is its
//! arrival minus the engine CLI's, per line. Throughput: lines over the span from the first to
//! the last arrival, for each.
//!
//! `cargo bench --bench logs` (`SKIFF_BENCH_LINES`, default 200000; `SKIFF_BENCH_ENGINES`,
//! default `docker,podman`). The figures go to `$SKIFF_BENCH_OUT/logs-<engine>.txt`: lines,
//! received by Skiff and by the engine's CLI, lines/s of each, added latency median and p99 (ms),
//! lines matched.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{Kind, TestEngine};

/// Arrival of each number, by number (index), as seen by one follower.
type Arrivals = Arc<Mutex<Vec<Option<Instant>>>>;

fn follow(mut cmd: Command, lines: usize) -> (Child, Arrivals) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn follower");
    let arrivals: Arrivals = Arc::new(Mutex::new(vec![None; lines + 1]));
    let out = child.stdout.take().expect("piped");
    let seen = arrivals.clone();
    std::thread::spawn(move || {
        for line in BufReader::with_capacity(1 << 16, out).lines() {
            let Ok(line) = line else { return };
            let now = Instant::now();
            // `STAMP N`
            let Some(n) = line
                .rsplit(' ')
                .next()
                .and_then(|n| n.trim().parse::<usize>().ok())
            else {
                continue;
            };
            let mut seen = seen.lock().unwrap();
            if let Some(slot) = seen.get_mut(n) {
                slot.get_or_insert(now);
            }
        }
    });
    (child, arrivals)
}

/// `a - b` in milliseconds, negative when `a` came first.
fn signed_ms(a: &Instant, b: &Instant) -> f64 {
    a.saturating_duration_since(*b).as_secs_f64() * 1e3
        - b.saturating_duration_since(*a).as_secs_f64() * 1e3
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn run(kind: Kind, lines: usize) -> Option<String> {
    let engine = TestEngine::start(kind)?;
    // 500 lines every 10 ms (about 50k/s), after a pause that lets both followers attach.
    let script = format!(
        "sleep 3; i=1; while [ $i -le {lines} ]; do seq $i $((i+499)); i=$((i+500)); usleep 10000; done; sleep 86400"
    );
    engine.run_sh("talker", &[], &script);
    let ours = {
        let mut c = Command::new(env!("CARGO_BIN_EXE_skiff"));
        c.args(["logs", "-f", "-t", "talker", "--host", engine.host()])
            .env("SKIFF_CONFIG_DIR", "/nonexistent-skiff-config");
        c
    };
    let theirs = match kind {
        Kind::Docker => {
            let mut c = Command::new("docker");
            c.args(["-H", engine.host(), "logs", "-f", "-t", "talker"])
                .env("DOCKER_API_VERSION", "1.41");
            c
        }
        Kind::Podman => {
            let mut c = Command::new("podman");
            c.args(["--url", engine.host(), "logs", "-f", "-t", "talker"]);
            c
        }
    };
    let (mut our_child, our_arrivals) = follow(ours, lines);
    let (mut their_child, their_arrivals) = follow(theirs, lines);
    let deadline = Instant::now() + Duration::from_secs(120);
    let complete = |a: &Arrivals| a.lock().unwrap().iter().skip(1).all(Option::is_some);
    while Instant::now() < deadline && !(complete(&our_arrivals) && complete(&their_arrivals)) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = our_child.kill();
    let _ = their_child.kill();
    let ours = our_arrivals.lock().unwrap().clone();
    let theirs = their_arrivals.lock().unwrap().clone();
    let received = |a: &[Option<Instant>]| a.iter().skip(1).filter(|t| t.is_some()).count();
    let span = |a: &[Option<Instant>]| {
        let times: Vec<Instant> = a.iter().flatten().copied().collect();
        let first = times.iter().min()?;
        let last = times.iter().max()?;
        Some((*last - *first).as_secs_f64())
    };
    let rate = |a: &[Option<Instant>]| span(a).map_or(0.0, |s| received(a) as f64 / s.max(1e-9));
    let mut added: Vec<f64> = ours
        .iter()
        .zip(&theirs)
        .filter_map(|(o, t)| Some(signed_ms(o.as_ref()?, t.as_ref()?)))
        .collect();
    added.sort_by(f64::total_cmp);
    let name = kind.as_str();
    let figures = [
        lines as f64,
        received(&ours) as f64,
        received(&theirs) as f64,
        rate(&ours),
        rate(&theirs),
        percentile(&added, 0.5),
        percentile(&added, 0.99),
        added.len() as f64,
    ];
    println!(
        "logs {name}: lines {lines}; received skiff {} / {name} {}; lines/s skiff {:.0} / {name} {:.0}; added latency ms median {:.3} p99 {:.3} (n={})",
        figures[1], figures[2], figures[3], figures[4], figures[5], figures[6], figures[7]
    );
    Some(
        figures
            .iter()
            .map(|f| format!("{f:.3}"))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn main() {
    let lines: usize = std::env::var("SKIFF_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let engines = std::env::var("SKIFF_BENCH_ENGINES").unwrap_or_else(|_| "docker,podman".into());
    for name in engines.split(',') {
        let kind = match name.trim() {
            "docker" => Kind::Docker,
            "podman" => Kind::Podman,
            other => panic!("unknown engine {other:?}"),
        };
        let Some(summary) = run(kind, lines) else {
            continue;
        };
        if let Ok(dir) = std::env::var("SKIFF_BENCH_OUT") {
            std::fs::write(format!("{dir}/logs-{name}.txt"), format!("{summary}\n"))
                .expect("write the summary");
        }
    }
}
