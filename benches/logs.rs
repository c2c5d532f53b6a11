//! Log following, side by side on the same engine in the same run: `skiff logs -f -t` and the
//! engine's own CLI (`docker logs -f -t`, `podman --url logs -f -t`), two processes following
//! the same container while it prints numbered lines at about 50k lines a second. Each line's
//! arrival is stamped as it is read from each process's stdout. Throughput: lines over the span
//! from the first to the last arrival, for each. Latency: a second container prints 400 lines a
//! second, followed by Skiff and two copies of the engine's CLI; Skiff's added latency is its
//! arrival minus the first CLI's, per line, and the second CLI's minus the first's is the noise.
//!
//! `cargo bench --bench logs` (`SKIFF_BENCH_LINES`, default 200000; `SKIFF_BENCH_ENGINES`,
//! default `docker,podman`). The figures go to `$SKIFF_BENCH_OUT/logs-<engine>.txt`: lines,
//! received by Skiff and by the engine's CLI, lines/s of each, Skiff − CLI at that rate median
//! and p99 (ms) and lines matched; paced: added latency median and p99 (ms), lines matched, and
//! the noise (CLI − CLI) median and p99 (ms).

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

/// The container's script: `lines` numbered lines, `burst` at a time every `pause_us`, after a
/// pause that lets the followers attach.
fn talker_script(lines: usize, burst: usize, pause_us: u32) -> String {
    format!(
        "sleep 3; i=1; while [ $i -le {lines} ]; do seq $i $((i+{})); i=$((i+{burst})); usleep {pause_us}; done; sleep 86400",
        burst - 1
    )
}

/// Follows `name` with Skiff and with `clis` copies of the engine's CLI, all at once, until
/// each has every line (or 120 s); the arrivals of each, Skiff's first.
fn follow_all(
    kind: Kind,
    engine: &TestEngine,
    name: &str,
    lines: usize,
    clis: usize,
) -> Vec<Vec<Option<Instant>>> {
    let mut ours = Command::new(env!("CARGO_BIN_EXE_skiff"));
    ours.args(["logs", "-f", "-t", name, "--host", engine.host()])
        .env("SKIFF_CONFIG_DIR", "/nonexistent-skiff-config");
    let theirs = || match kind {
        Kind::Docker => {
            let mut c = Command::new("docker");
            c.args(["-H", engine.host(), "logs", "-f", "-t", name])
                .env("DOCKER_API_VERSION", "1.41");
            c
        }
        Kind::Podman => {
            let mut c = Command::new("podman");
            c.args(["--url", engine.host(), "logs", "-f", "-t", name]);
            c
        }
    };
    let mut followers = vec![follow(ours, lines)];
    followers.extend((0..clis).map(|_| follow(theirs(), lines)));
    let deadline = Instant::now() + Duration::from_secs(120);
    let complete = |a: &Arrivals| a.lock().unwrap().iter().skip(1).all(Option::is_some);
    while Instant::now() < deadline && !followers.iter().all(|(_, a)| complete(a)) {
        std::thread::sleep(Duration::from_millis(100));
    }
    followers
        .into_iter()
        .map(|(mut child, arrivals)| {
            let _ = child.kill();
            let _ = child.wait();
            let a = arrivals.lock().unwrap().clone();
            a
        })
        .collect()
}

/// `a − b` per line both received, in ms, sorted.
fn differences(a: &[Option<Instant>], b: &[Option<Instant>]) -> Vec<f64> {
    let mut d: Vec<f64> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some(signed_ms(x.as_ref()?, y.as_ref()?)))
        .collect();
    d.sort_by(f64::total_cmp);
    d
}

/// Lines in the paced run: 20 every 50 ms (400 a second), 10 s.
const PACED_LINES: usize = 4_000;

fn run(kind: Kind, lines: usize) -> Option<String> {
    let engine = TestEngine::start(kind)?;
    // Throughput: 500 lines every 10 ms (about 50k/s), Skiff beside the engine's CLI. At this
    // rate the two cores here are saturated (the engine's logger, two followers, the talker),
    // and when a line reaches each follower is mostly the scheduler's choice: measured here,
    // two copies of `docker logs` differed by medians of −11 to +17 ms from run to run.
    engine.run_sh("talker", &[], &talker_script(lines, 500, 10_000));
    let fast = follow_all(kind, &engine, "talker", lines, 1);
    let (ours, theirs) = (&fast[0], &fast[1]);
    let received = |a: &[Option<Instant>]| a.iter().skip(1).filter(|t| t.is_some()).count();
    let span = |a: &[Option<Instant>]| {
        let times: Vec<Instant> = a.iter().flatten().copied().collect();
        let first = times.iter().min()?;
        let last = times.iter().max()?;
        Some((*last - *first).as_secs_f64())
    };
    let rate = |a: &[Option<Instant>]| span(a).map_or(0.0, |s| received(a) as f64 / s.max(1e-9));
    let loaded = differences(ours, theirs);
    // Latency: 400 lines a second, which leaves the machine idle between bursts, followed by
    // Skiff and two copies of the engine's CLI at once. Skiff's added latency is its arrival
    // minus the first CLI's; the second CLI's minus the first's is the method's own noise (an
    // A/A comparison): an added latency below it is no difference.
    engine.run_sh("paced", &[], &talker_script(PACED_LINES, 20, 50_000));
    let paced = follow_all(kind, &engine, "paced", PACED_LINES, 2);
    let added = differences(&paced[0], &paced[1]);
    let noise = differences(&paced[2], &paced[1]);
    let name = kind.as_str();
    let figures = [
        lines as f64,
        received(ours) as f64,
        received(theirs) as f64,
        rate(ours),
        rate(theirs),
        percentile(&loaded, 0.5),
        percentile(&loaded, 0.99),
        loaded.len() as f64,
        percentile(&added, 0.5),
        percentile(&added, 0.99),
        added.len() as f64,
        percentile(&noise, 0.5),
        percentile(&noise, 0.99),
    ];
    println!(
        "logs {name}: lines {lines}; received skiff {} / {name} {}; lines/s skiff {:.0} / {name} {:.0}; at that rate skiff − {name} ms median {:.3} p99 {:.3} (n={}); \
         paced at 400 lines/s: added latency ms median {:.3} p99 {:.3} (n={}), {name} − {name} (noise) median {:.3} p99 {:.3}",
        figures[1], figures[2], figures[3], figures[4], figures[5], figures[6], figures[7], figures[8],
        figures[9], figures[10], figures[11], figures[12]
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
