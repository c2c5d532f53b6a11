// Writes the Markdown report of `make bench` from the files the benchmarks left in each run's
// directory, and compares its figures with the committed docs/benchmarks.md.
// Usage: node scripts/bench-report.mjs ELAPSED_SECONDS RUN_DIR... > report.md
//
// The table shows the first run. Each comparable figure is also kept as a number (`fig`): with two
// runs, their spread is the noise; a figure worse than the committed report's by more than that
// noise (and at least 5 %, the floor one run cannot measure) is listed under "Regressions". The
// numbers travel in an HTML comment at the end of the report, for the next comparison.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

const [elapsed, ...dirs] = process.argv.slice(2);
const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "?";
  }
};
const f = (v, d = 1) => (v === undefined || v === null || Number.isNaN(v) ? "n/a" : v.toFixed(d));
const verdict = (ok) => (ok === null ? "no goal set" : ok ? "**met**" : "**not met**");

/** The rows and comparable figures of one run's directory. */
function build(dir) {
const read = (f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8").trim() : null);
const nums = (f) => read(f)?.split(/\s+/).map(Number) ?? null;
const rows = [];
const row = (figure, value, goal, ok, how) => rows.push(`| ${figure} | ${value} | ${goal} | ${verdict(ok)} | ${how} |`);
const figures = {};
/** A figure to compare between runs and reports; `better`: "lower" or "higher". */
const fig = (key, value, unit, better = "lower") => {
  if (Number.isFinite(value)) figures[key] = { value, unit, better };
};

// 1. Stream overhead.
for (const engine of ["docker", "podman"]) {
  const s = read(`streams-${engine}.txt`)?.split(/\s+/);
  // Absent: the step was not run (SKIFF_BENCH_ONLY); a failed step stops `make bench`.
  if (!s) continue;
  const [, n, ops, , rawP50, rawP99, skP50, skP99, addP50, addP99] = s.map((x, i) => (i === 0 ? x : Number(x)));
  const how = `${ops} pause/unpause operations, ${n} events matched; \`streams-${engine}.csv\``;
  row(`${engine}: engine's raw /events stream, after timeNano`, `median ${f(rawP50, 2)} ms, p99 ${f(rawP99, 2)} ms`, "reference", null, how);
  row(`${engine}: \`skiff watch --json\`, after timeNano`, `median ${f(skP50, 2)} ms, p99 ${f(skP99, 2)} ms (ratio of medians ${f(skP50 / rawP50, 2)})`, "reference", null, how);
  fig(`${engine}.events.watch_p50_ms`, skP50, "ms");
  fig(`${engine}.events.watch_p99_ms`, skP99, "ms");
  if (engine === "docker") {
    fig("docker.events.added_p50_ms", addP50, "ms");
    row("docker: latency Skiff adds (per event, watch − raw)", `median ${f(addP50, 3)} ms, p99 ${f(addP99, 3)} ms`, "median < 1 ms, p99 < 5 ms", addP50 < 1 && addP99 < 5, how);
  } else {
    row("podman: latency Skiff adds (per event, watch − raw)", `median ${f(addP50, 1)} ms, p99 ${f(addP99, 1)} ms`, "none: each subscriber polls Podman's event log on its own ~250 ms timer, so the difference is chance; the end-to-end figure above is what counts", null, how);
  }
}

// 1a. The same events over SSH (a third subscriber in the same run).
for (const engine of ["docker", "podman"]) {
  const s = read(`streams-${engine}-ssh.txt`)?.split(/\s+/);
  if (!s) continue;
  const [, n, sshP50, sshP99, localP50, added] = s.map((x, i) => (i === 0 ? x : Number(x)));
  const how = `${n} events matched; sshd on loopback, ${engine === "docker" ? "\`docker system dial-stdio\`" : "the socket forwarded"}`;
  row(`${engine}: \`skiff watch\` over SSH, after timeNano`, `median ${f(sshP50, 2)} ms, p99 ${f(sshP99, 2)} ms (local: median ${f(localP50, 2)} ms)`, "reference", null, how);
  row(`${engine}: latency SSH adds (median over SSH − median local)`, `${f(added, 2)} ms`, "no goal set (loopback: what the SSH hop itself costs)", null, how);
}

// 1b. Log following.
for (const engine of ["docker", "podman"]) {
  const l = nums(`logs-${engine}.txt`);
  // Absent: the step was not run (SKIFF_BENCH_ONLY); a failed step stops `make bench`.
  if (!l) continue;
  const [lines, ours, theirs, ourRate, theirRate, loadP50, loadP99, n, addP50, addP99, paced, noiseP50, noiseP99] = l;
  const how = `${lines} numbered lines at ~50k/s, followed by both at once; \`logs.log\``;
  fig(`${engine}.logs.lines_per_s`, ourRate, "lines/s", "higher");
  row(`${engine}: lines received, \`skiff logs -f\` / \`${engine} logs -f\``, `${ours} / ${theirs}`, "all, none twice", ours === lines, how);
  row(`${engine}: lines/s sustained, Skiff / the engine's CLI`, `${f(ourRate, 0)} / ${f(theirRate, 0)}`, "reference (the engine's logger limits both)", null, how);
  row(
    `${engine}: Skiff's arrival − the CLI's per line, at ~50k/s`,
    `median ${f(loadP50, 1)} ms, p99 ${f(loadP99, 1)} ms (n=${n})`,
    "none: at this rate the machine is saturated and the order of arrival is the scheduler's (two copies of the engine's CLI differ by medians of −11 to +17 ms here); the paced row below is the latency",
    null,
    how,
  );
  // A report of an older bench has no paced run.
  if (paced === undefined) continue;
  const pacedHow = `${paced} lines at 400/s (20 every 50 ms), followed by Skiff and two copies of \`${engine} logs -f\` at once; noise = the second CLI − the first`;
  const value = `median ${f(addP50, 3)} ms, p99 ${f(addP99, 3)} ms; noise (CLI − CLI): median ${f(noiseP50, 3)} ms, p99 ${f(noiseP99, 3)} ms`;
  if (engine === "docker") {
    fig("docker.logs.added_p50_ms", addP50, "ms");
    row("docker: latency Skiff adds per line (skiff − docker logs), paced", value, "median < 1 ms", addP50 < 1, pacedHow);
  } else {
    row("podman: latency Skiff adds per line (skiff − podman logs), paced", value, "none: every follower of a k8s-file log polls it on its own timer, so the difference is chance", null, pacedHow);
  }
}

// 2. Reconnect.
for (const engine of ["podman", "docker"]) {
  const r = nums(`reconnect-${engine}.txt`);
  // Absent: the step was not run (SKIFF_BENCH_ONLY); a failed step stops `make bench`.
  if (!r) continue;
  const [restarts, c50, c95, r50, r95, bySocket] = r;
  fig(`${engine}.reconnect.connected_p50_ms`, c50, "ms");
  fig(`${engine}.reconnect.resynced_p50_ms`, r50, "ms");
  row(`${engine}: socket answering → \`connected\``, `median ${f(c50)} ms, p95 ${f(c95)} ms; ${bySocket}/${restarts} attempts triggered by the socket watch`, "median < 100 ms, by the socket watch (\"reconnect at once\"; Skiff's own goal)", c50 < 100 && bySocket === restarts, `${restarts} restarts, backoff timer 30 s; \`reconnect-${engine}.csv\``);
  row(`${engine}: socket answering → registry consistent (resync done)`, `median ${f(r50)} ms, p95 ${f(r95)} ms`, "median < 500 ms (Skiff's own goal)", r50 < 500, `same restarts`);
}

// 3. Registry scale.
const store = Object.fromEntries((read("store.txt") ?? "").split("\n").filter(Boolean).map((l) => {
  const [name, median] = l.split(/\s+/);
  return [name, Number(median)];
}));
const ingest = store["ingest_10k_containers/100k_events"];
if (ingest) {
  const perSec = 100_000 / (ingest / 1e9);
  fig("store.ingest_events_per_s", perSec, "events/s", "higher");
  row("Store ingest, 10k containers", `${f(perSec / 1000, 0)}k events/s (100k events in ${f(ingest / 1e6)} ms)`, "≥ 200k events/s, nothing dropped", perSec >= 200_000, "criterion, `cargo bench --bench store`, median");
}
const per = [100, 1000, 10000].map((n) => store[`per_event_cost/${n}`] / 20_000);
if (per.every((v) => v > 0)) {
  fig("store.per_event_10k_us", per[2] / 1000, "µs");
  row("Per-event cost at 100 / 1k / 10k containers", per.map((v) => `${f(v / 1000, 2)} µs`).join(" / "), "flat: 10k within 2× of 100", per[2] / per[0] < 2, "criterion, 20k events per sample, median");
}

// 4. Memory and soak.
for (const l of (read("chaos.txt") ?? "").split("\n").filter(Boolean)) {
  // chaos podman: 100 SIGKILLs with 57 containers made, registry = ps -a after every reconnect; 5m1s in all, slowest restart→equal 1.2s
  const m = l.match(/^chaos (\w+): (\d+) SIGKILLs with (\d+) containers made.*?; (.+) in all, slowest restart→equal (.+)$/);
  if (m) row(`Chaos: ${m[1]} SIGKILLed ${m[2]} times during a workload`, `registry = \`ps -a\` after every reconnect (${m[3]} containers made; slowest restart → equal ${m[5]}; ${m[4]} in all)`, "equal after every reconnect", true, "`tests/chaos.rs`, `SKIFF_CHAOS_KILLS=100`, release build");
}
if (read("chaos.txt") !== null && !read("chaos.txt")) row("Chaos: engines SIGKILLed 100 times", "not measured (the chaos test failed: see the run's log)", "equal after every reconnect", false, "`tests/chaos.rs`");
const soak = nums("soak.txt");
if (soak) {
  const [events, secs, start, warm, end, growth] = soak;
  fig("soak.end_rss_mib", end / 1048576, "MiB");
  row("Soak: RSS over 1M events, 1k churning containers", `start ${f(start / 1048576)} MiB, after warm-up ${f(warm / 1048576)} MiB, end ${f(end / 1048576)} MiB: ${f(growth, 2)} % growth (${events} events in ${f(secs)} s)`, "< 5 % growth after warm-up (first quarter)", growth < 5, "full core: store, fan-out, telemetry, alerts, a JSON consumer; `soak.csv`");
}

// 5. Event → pixel, first paint.
const pixel = read("pixel.json") ? JSON.parse(read("pixel.json")) : null;
if (pixel) {
  const e = pixel.event_to_pixel;
  fig("window.event_to_pixel_p50_ms", e.p50_ms, "ms");
  fig("window.event_to_pixel_p99_ms", e.p99_ms, "ms");
  row("Event → pixel (Docker): timeNano → DOM row update", `p50 ${f(e.p50_ms)} ms, p99 ${f(e.p99_ms)} ms (max ${f(e.max_ms)} ms, n = ${e.n})`, "p99 < 20 ms (release)", e.p99_ms < 20, "MutationObserver in the real window, release build; `pixel.csv`");
  const pp = pixel.event_to_pixel_podman;
  if (pp) {
    row("Event → pixel (Podman), end to end", `p50 ${f(pp.p50_ms)} ms, p99 ${f(pp.p99_ms)} ms (n = ${pp.n})`, "none: Podman delivers events by polling its log file (~125 ms median here), which dominates", null, "same method as Docker");
  }
  const p = pixel.first_paint_10k;
  fig("window.first_paint_10k_render_ms", p.render_ms_median, "ms");
  fig("window.snapshot_10k_ipc_ms", p.snapshot_ms_median, "ms");
  fig("window.first_paint_10k_since_navigation_ms", p.since_navigation_ms_median, "ms");
  row("First paint of 10k rows (snapshot in hand → rows painted)", `median ${f(p.render_ms_median, 0)} ms (max ${f(p.render_ms_max, 0)} ms, ${p.rendered_rows} rows in the DOM: virtualized)`, "< 200 ms", p.render_ms_median < 200, `${p.reloads} reloads with a synthetic engine of 10k containers`);
  const split = p.snapshot_ipc_ms_median === undefined ? "" : `: ${f(p.snapshot_ipc_ms_median, 1)} ms to receive it (the command, the script that carries it, JSON parse), ${f(p.snapshot_apply_ms_median, 1)} ms to apply it`;
  row("Snapshot of 10k rows over IPC (requested → applied)", `median ${f(p.snapshot_ms_median, 1)} ms${split}`, "< 30 ms", p.snapshot_ms_median < 30, "the same reloads, release build");
  row("Navigation → 10k rows painted", `median ${f(p.since_navigation_ms_median, 0)} ms`, "< 250 ms", p.since_navigation_ms_median < 250, "the same reloads, release build (a reload: the page and its scripts are loaded again)");
}

// 6. Container details: stats of 100 containers, the log view in the real window.
const kv = (file) => {
  const text = read(file);
  return text ? Object.fromEntries(text.split(/\s+/).map((p) => p.split("=")).map(([k, v]) => [k, Number.isNaN(Number(v)) ? v : Number(v)])) : null;
};
for (const engine of ["docker", "podman"]) {
  const st = kv(`stats-${engine}.txt`);
  // Absent: the step was not run (SKIFF_BENCH_ONLY); a failed step stops `make bench`.
  if (!st) continue;
  const how = `${st.containers} running containers followed as the list does, ${st.steady_s} s steady; \`stats-${engine}.txt\``;
  fig(`${engine}.stats.skiff_cpu_percent`, st.skiff_cpu_percent, "%");
  row(`${engine}: stats of ${st.containers} containers: Skiff's CPU / the engine's CPU`, `${f(st.skiff_cpu_percent, 2)} % / ${f(st.engine_cpu_percent, 2)} % of a core (engine idle: ${f(st.engine_idle_cpu_percent, 2)} %)`, "reference", null, how);
  row(`${engine}: requests to the engine per second, samples per second`, `${f(st.requests_per_s, 3)} / ${f(st.samples_per_s, 1)}`, "no request after the first; ≤ 1 sample/s a container", st.requests_per_s < 0.1 && st.samples_per_s <= st.containers * 1.05, how);
  if (st.one_request_each_engine_cpu_percent !== undefined) {
    row("podman: engine CPU, one libpod request for all (Skiff) / one request each", `${f(st.engine_cpu_percent, 2)} % / ${f(st.one_request_each_engine_cpu_percent, 2)} %`, "one request where cheaper", st.engine_cpu_percent < st.one_request_each_engine_cpu_percent, how);
  }
}
const lw = read("logs-window.json") ? JSON.parse(read("logs-window.json")) : null;
if (lw) {
  const how = "the real window (release build) under Xvfb, Docker; `benches/ui/logs.mjs`";
  fig("window.log_view_first_paint_ms", lw.first_paint_1m.median_ms, "ms");
  fig("window.log_view_write_to_pixel_p99_ms", lw.follow.write_to_pixel_p99_ms, "ms");
  row("Log view: first lines painted after opening a 1M-line log", `median ${f(lw.first_paint_1m.median_ms, 0)} ms (max ${f(lw.first_paint_1m.max_ms, 0)} ms, ${lw.first_paint_1m.opens} opens)`, "< 300 ms", lw.first_paint_1m.median_ms < 300, how);
  const fo = lw.follow;
  row("Log view following ~10k lines/s: write → pixel", `p50 ${f(fo.write_to_pixel_p50_ms, 0)} ms, p99 ${f(fo.write_to_pixel_p99_ms, 0)} ms (${f(fo.lines_per_s, 0)} lines/s, ${fo.painted_lines} lines painted)`, "p99 < 100 ms", fo.write_to_pixel_p99_ms < 100, how);
  row("Log view following: a click's handler waits", `p50 ${f(fo.click_lag_p50_ms, 1)} ms, p99 ${f(fo.click_lag_p99_ms, 1)} ms (${fo.clicks} clicks)`, "p99 < 50 ms", fo.click_lag_p99_ms < 50, how);
  row("Log view following: lines received / the engine's", `${fo.view_lines} / ${fo.engine_lines}`, "nothing lost", fo.view_lines === fo.engine_lines, how);
  const r = lw.rss_following_1m;
  row("Log view: RSS growth while following 1M lines (backend + web process)", `${f(r.growth_mb, 1)} MB (backend ${f(r.backend_before_kib / 1024, 0)} → ${f(r.backend_after_kib / 1024, 0)} MB, web ${f(r.web_before_kib / 1024, 0)} → ${f(r.web_after_kib / 1024, 0)} MB; ${r.lines_kept} lines kept)`, "< 50 MB", r.growth_mb < 50, how);
}
const tw = read("terminal-window.json") ? JSON.parse(read("terminal-window.json")) : null;
if (tw) {
  const how = `the real window (release build, ${tw.renderer} renderer) under Xvfb, Docker; \`benches/ui/terminal.mjs\``;
  fig("window.terminal_echo_p99_ms", tw.echo_p99_ms, "ms");
  row("Terminal: keystroke → echo in xterm.js's buffer (Skiff's window / `docker exec -it` on a pty)", `p50 ${f(tw.echo_p50_ms, 1)} ms, p99 ${f(tw.echo_p99_ms, 1)} ms / p50 ${f(tw.docker_cli_echo_p50_ms, 1)} ms, p99 ${f(tw.docker_cli_echo_p99_ms, 1)} ms (${tw.keys} keys)`, "p99 < 30 ms", tw.echo_p99_ms < 30, how);
  row("Terminal: `cat` of a 20 MB file, to the end (Skiff's window / `docker exec -t` on a pty nobody renders)", `${f(tw.cat_ms, 0)} ms (${f(tw.cat_mb_per_s, 1)} MB/s) / ${f(tw.docker_cli_cat_ms, 0)} ms`, "reference", null, how);
  row("Terminal: lines received during the `cat` / the file's", `${tw.cat_lines_received} / ${tw.cat_lines}`, "nothing lost", tw.cat_lines_received === tw.cat_lines, how);
  row("Terminal: the page answering a message during the `cat`", `p50 ${f(tw.input_lag_p50_ms, 0)} ms, p99 ${f(tw.input_lag_p99_ms, 0)} ms, max ${f(tw.input_lag_max_ms, 0)} ms`, "answers (no freeze)", tw.input_lag_max_ms < 1000, how);
}

// 7. Idle, start-up and memory: release builds, 1,000 containers on Podman (`benches/ui/idle.mjs`).
const idle = read("idle.json") ? JSON.parse(read("idle.json")) : null;
if (idle) {
  const n = idle.containers;
  const how = `${n} containers on Podman, ${idle.seconds} s each; schedstat of every thread; requests counted at a proxy socket`;
  const cs = idle.cold_start;
  fig("start.cold_first_rows_median_ms", cs.median_ms, "ms");
  const el = idle.engine_lists;
  const engineSide = el ? `; Podman alone answers the session's lists in ${f(el.all_lists_ms_median, 0)} ms (the container list ${f(el.containers_ms_median, 0)} ms)` : "";
  row(`Cold start: exec → first container rows painted, ${n} containers`, `median ${f(cs.median_ms, 0)} ms, max ${f(cs.max_ms, 0)} ms (${cs.starts} starts)${engineSide}`, "median < 500 ms", cs.median_ms < 500, "release binary started by WebKitWebDriver (its launch included); `skiff:first-rows` mark (the newest 50 rows, listed beside the whole list)");
  if (typeof cs.whole_median_ms === "number") {
    fig("start.cold_whole_list_median_ms", cs.whole_median_ms, "ms");
    row(`Cold start: exec → all ${n} rows painted`, `median ${f(cs.whole_median_ms, 0)} ms, max ${f(cs.whole_max_ms, 0)} ms (${cs.starts} starts)`, "reference", null, "the same starts; `skiff:whole-list` mark (no engine still listing)");
  }
  // The floor: an empty Tauri 2 window started the same way, in turn with the app (absent from
  // runs before it was measured).
  const ew = idle.cold_start_empty_window;
  if (ew) {
    fig("start.empty_window_first_paint_median_ms", ew.first_paint_median_ms, "ms");
    const how = "`src-tauri/examples/empty_window.rs`, release build, started by WebKitWebDriver in turn with the app; its page's `first-contentful-paint`";
    row("Cold start of an empty Tauri 2 window: exec → its page's first paint", `median ${f(ew.first_paint_median_ms, 0)} ms, max ${f(ew.first_paint_max_ms, 0)} ms (${ew.starts} starts)`, "reference: the floor of any Tauri 2 window here", null, how);
    fig("start.cold_first_rows_added_ms", cs.median_ms - ew.first_paint_median_ms, "ms");
    const fp = typeof cs.first_paint_median_ms === "number" ? `; the app's own first paint (its shell, before rows) median ${f(cs.first_paint_median_ms, 0)} ms, ${f(cs.first_paint_median_ms - ew.first_paint_median_ms, 0)} ms after the empty window's` : "";
    row("Cold start: what Skiff adds to the empty window's first paint (medians)", `first rows ${f(cs.median_ms - ew.first_paint_median_ms, 0)} ms later${fp}`, "reference", null, "the same starts");
  }
  // Where a start's time goes (medians over the starts; absent from runs before they were timed).
  const med = (k) => {
    const xs = cs.runs.map((r) => r[k]).filter((x) => typeof x === "number");
    return xs.length ? xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] : null;
  };
  if (med("list_answered_ms") !== null) {
    // The first snapshot holds the first rows when the engine's first page came before it.
    const snap = med("snapshot_applied_ms") !== null ? `, the first snapshot asked ${f(med("snapshot_requested_ms"), 0)} and applied ${f(med("snapshot_applied_ms"), 0)}` : "";
    const page = med("page_answered_ms") !== null ? `, first page (50) asked ${f(med("page_asked_ms"), 0)} and answered ${f(med("page_answered_ms"), 0)}` : "";
    row("Cold start, where the time goes (medians, ms after exec)", `page loaded ${f(med("page_load_ms"), 0)}, container list asked ${f(med("list_asked_ms"), 0)} and answered ${f(med("list_answered_ms"), 0)}${page} (at the proxy)${snap}, the first run of events in the page ${f(med("rows_received_ms"), 0)}, the first rows rendered ${f(med("rows_rendered_ms"), 0)} and painted ${f(cs.median_ms, 0)}`, "reference", null, "the same starts; the page's `skiff:snapshot-applied`, `skiff:first-run` and `skiff:first-rows-rendered` marks, the proxy's clock");
  }
  const cpu = (x) => `${f(x.cpu_ms_per_min, 2)} CPU ms/min (${f(x.cpu_percent, 4)} %), ${f(x.wakeups_per_s, 1)} wake-ups/s`;
  const goals = { shown: 0.1, hidden: 0.02, watch: 0.01 };
  const label = { shown: "the window shown", hidden: "the window closed to the tray", watch: "`skiff watch`" };
  for (const k of ["shown", "hidden", "watch"]) {
    const x = idle.idle[k];
    if (!x) continue;
    const procs = Object.entries(x.processes).map(([name, p]) => `${name} ${f(p.cpu_ms_per_min, 2)}`).join(", ");
    // Readings without `threads_ended` summed each process's live threads: a pool thread that
    // ended took its history with it and could bring a process's figure down to zero.
    if (x.threads_ended === undefined) {
      row(`Idle CPU, ${label[k]} (all its processes)`, `not valid: ${cpu(x)}, read as per-process sums (threads that ended during the minute hid the others' work)`, `< ${goals[k]} %`, null, `${how}; re-measure with the per-thread reading`);
    } else {
      fig(`idle.${k}.cpu_ms_per_min`, x.cpu_ms_per_min, "ms/min");
      fig(`idle.${k}.wakeups_per_s`, x.wakeups_per_s, "/s");
      row(`Idle CPU, ${label[k]} (all its processes)`, `${cpu(x)}; per process (ms/min): ${procs}; ${x.threads_ended} threads ended meanwhile`, `< ${goals[k]} %`, x.cpu_percent < goals[k], how);
    }
    row(`Engine requests while idle, ${label[k]}`, `${f(x.engine_requests_per_min, 1)} /min: ${Object.entries(x.engine_requests).map(([r, c]) => `${r} × ${c}`).join(", ") || "none"}; the engine's CPU ${f(x.engine_cpu_percent, 3)} %`, "the liveness pings only", Object.keys(x.engine_requests).every((r) => r.endsWith("/_ping")), how);
  }
  const lz = idle.idle.lazydocker;
  if (lz && lz.threads_ended !== undefined) {
    row("Idle CPU, lazydocker 0.25.2 (peer, same engine, same run)", `${cpu(lz)}; ${f(lz.engine_requests_per_min, 0)} engine requests/min; the engine's CPU ${f(lz.engine_cpu_percent, 2)} %`, "reference", null, `${how}; under tmux 200×50`);
  }
  const alone = idle.idle.engine_alone;
  if (alone) row("The engine's CPU with no client", `${f(alone.cpu_percent, 3)} %`, "reference", null, "the Podman service alone, same minute length");
  const m = idle.memory;
  const procs = (x) => x.processes.map((p) => `${p.name} ${f(p.rssKib / 1024, 0)}/${f(p.pssKib / 1024, 0)}`).join(", ");
  // An empty window that never loaded a page has no web process: nothing to compare with.
  const comparable = m.empty_window?.processes.some((p) => p.name.startsWith("WebKitWebProc"));
  if (m.skiff && m.empty_window && !comparable) {
    row("Memory of an empty Tauri 2 window", `not comparable: ${f(m.empty_window.pss_mib, 0)} MiB PSS without a web process (it showed \`about:blank\`, which WebKit serves without one)`, "reference", null, "`src-tauri/examples/empty_window.rs` now loads a page; re-measure");
  }
  if (m.skiff && m.empty_window && comparable) {
    const added = m.skiff.pss_mib - m.empty_window.pss_mib;
    fig("memory.app_pss_mib", m.skiff.pss_mib, "MiB");
    fig("memory.added_to_empty_window_pss_mib", added, "MiB");
    // Since 2026-12-05 the median of several starts of each, taken in turn (`starts`).
    const of = (k) => (m.starts ? `; the median of ${m.starts[k].length} starts (PSS ${m.starts[k].map((x) => f(x, 0)).join(", ")})` : "");
    const each = m.starts ? "; the median start of each" : "";
    row(`Memory of the app with ${n} containers, window shown (RSS / PSS)`, `${f(m.skiff.rss_mib, 0)} / ${f(m.skiff.pss_mib, 0)} MiB; per process (MiB): ${procs(m.skiff)}${of("skiff")}`, "reference", null, "`smaps_rollup` 15 s after start, release build");
    row("Memory of an empty Tauri 2 window (same dependencies, same run)", `${f(m.empty_window.rss_mib, 0)} / ${f(m.empty_window.pss_mib, 0)} MiB; per process: ${procs(m.empty_window)}${of("empty_window")}`, "reference", null, "`src-tauri/examples/empty_window.rs`, release build, started in turn with the app");
    // The goal is read against the window that has repainted (below) when it was measured: this
    // one paints a second frame in some starts and not in others, ~10 MiB apart.
    const onPlain = !m.empty_window_repainted;
    row(`What Skiff adds to the empty window (PSS), ${n} containers`, `${f(added, 1)} MiB`, onPlain ? "< 40 MiB" : "reference", onPlain ? added < 40 : null, `PSS: shared libraries counted once between the processes${each}${onPlain ? "" : "; the goal is read against the empty window that has repainted (the row below), whose PSS does not depend on whether it painted a second frame"}`);
    // Since 2026-12-05 (evening) each reading also splits its PSS into file pages and the rest.
    if (m.skiff.footprint_mib !== undefined && m.empty_window.footprint_mib !== undefined) {
      const footprint = m.skiff.footprint_mib - m.empty_window.footprint_mib;
      fig("memory.added_footprint_mib", footprint, "MiB");
      row(
        `What Skiff adds to the empty window, split: private footprint / file pages, ${n} containers`,
        `${f(footprint, 1)} MiB / ${f(m.skiff.pss_file_mib - m.empty_window.pss_file_mib, 1)} MiB (the app ${f(m.skiff.footprint_mib, 1)} / ${f(m.skiff.pss_file_mib, 1)}, the empty window ${f(m.empty_window.footprint_mib, 1)} / ${f(m.empty_window.pss_file_mib, 1)})`,
        "reference", null,
        "the same readings' PSS in two parts: anonymous memory, shared buffers and swap (what no file backs), and pages of the binaries' and libraries' files (clean code the kernel can drop and read again)",
      );
    }
  }
  // Since 2026-12-06: the empty window after its page repainted 20 times, a second baseline.
  const repainted = m.empty_window_repainted;
  if (m.skiff && comparable && repainted) {
    const added = m.skiff.pss_mib - repainted.pss_mib;
    fig("memory.added_to_repainted_window_pss_mib", added, "MiB");
    row(
      `What Skiff adds to an empty window that has repainted (PSS), ${n} containers`,
      `${f(added, 1)} MiB (that window ${f(repainted.pss_mib, 1)} MiB, the plain one's median ${f(m.empty_window.pss_mib, 1)}; private footprint ${f(m.skiff.footprint_mib - repainted.footprint_mib, 1)} / file pages ${f(m.skiff.pss_file_mib - repainted.pss_file_mib, 1)}); the median of ${m.starts.empty_window_repainted.length} starts (PSS ${m.starts.empty_window_repainted.map((x) => f(x, 0)).join(", ")})`,
      "< 40 MiB", added < 40,
      "the same empty window, its page changing its line 20 times (`SKIFF_EMPTY_WINDOW_REPAINTS=20`): from its second frame on, WebKit holds a second shared paint buffer and more of the web process's own memory (~10 MiB in all here), which any window that updates holds (Skiff's paints many). The plain empty window paints a second frame in some starts and not in others, so its PSS moves by that much from one start to the next, where this one's does not: since 6 December (night) the goal is read here",
    );
  }
  // Since 2026-12-05 (night): the backend's binary resident, which link-order.txt halves.
  if (m.skiff?.binary_rss_mib !== undefined && m.empty_window?.binary_rss_mib !== undefined) {
    fig("memory.binary_rss_mib", m.skiff.binary_rss_mib, "MiB");
    row(
      "The app's binary resident in its backend (the code a start ran, 64 KiB around each first touch)",
      `${f(m.skiff.binary_rss_mib, 1)} MiB (the empty window's, ${f(m.empty_window.binary_rss_mib, 1)})`,
      "reference", null,
      "`/proc/<pid>/smaps`, the executable's mappings; grows back (~14 MiB) when `src-tauri/link-order.txt` is stale or unused: `scripts/link-order.sh` makes it again",
    );
  }
  if (m.skiff_hidden) {
    fig("memory.closed_to_tray_pss_mib", m.skiff_hidden.pss_mib, "MiB");
    row(`Memory of the app closed to the tray, ${n} containers (RSS / PSS)`, `${f(m.skiff_hidden.rss_mib, 0)} / ${f(m.skiff_hidden.pss_mib, 0)} MiB; per process (MiB): ${procs(m.skiff_hidden)}`, "reference", null, "`smaps_rollup` after a minute closed to the tray, release build");
  }
  // Without `cli`, the reading ran the app's binary as `skiff` (a design since reverted).
  if (m.watch && idle.cli) {
    fig("memory.watch_rss_mib", m.watch.rss_mib, "MiB");
    row(`Memory of \`skiff watch\` with ${n} containers (RSS / PSS)`, `${f(m.watch.rss_mib, 1)} / ${f(m.watch.pss_mib, 1)} MiB`, "reference", null, "release build");
  }
  if (m.lazydocker) row(`Memory of lazydocker with ${n} containers (RSS / PSS)`, `${f(m.lazydocker.rss_mib, 1)} / ${f(m.lazydocker.pss_mib, 1)} MiB`, "reference", null, "peer, same run");
}
const churn = read("churn.json") ? JSON.parse(read("churn.json")) : null;
if (churn) {
  fig("memory.churn_growth_pct", churn.growth_pct, "%");
  row(`Memory under churn through the window: ${churn.minutes} min, ${churn.containers} containers`, `PSS start ${f(churn.pss_start_mib, 0)} MiB, after warm-up ${f(churn.pss_after_warmup_mib, 0)} MiB, end ${f(churn.pss_end_mib, 0)} MiB (max ${f(churn.pss_max_mib, 0)}): ${f(churn.growth_pct, 2)} % growth; ${churn.operations} pause/unpause (${churn.failed} failed)`, churn.minutes >= 60 ? "< 5 % growth after warm-up (first quarter)" : "< 5 % growth after warm-up (the goal is over 1 hour)", churn.minutes >= 60 ? churn.growth_pct < 5 : null, `\`benches/ui/churn.mjs\`: the release app shown, Docker, ${churn.rate_per_s} operations/s; all its processes' PSS every 30 s; \`churn.csv\`${churn.note ? `; ${churn.note}` : ""}`);
}
const size = nums("package.txt");
if (size) {
  const [deb, app, cli] = size;
  fig("package.deb_mb", deb / 1e6, "MB");
  const bins = cli ? `${f(app / 1e6, 1)} MB / ${f(cli / 1e6, 1)} MB` : `${f(app / 1e6, 1)} MB (the CLI a link to it)`;
  row("Package: the .deb / the app binary / the CLI binary", `${f(deb / 1e6, 1)} MB / ${bins}`, "< 10 MB", deb < 10e6, "`make bundle`: release profile (strip, fat LTO, one codegen unit), xz");
}

return { rows, figures };
}

const runs = dirs.map(build);
const { rows } = runs[0];

// Each figure: the runs' mean, and their spread (|a − b| / mean) when there are two.
const figures = {};
for (const [key, first] of Object.entries(runs[0].figures)) {
  const values = runs.map((r) => r.figures[key]?.value).filter(Number.isFinite);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const spread = values.length > 1 && mean !== 0 ? (Math.max(...values) - Math.min(...values)) / Math.abs(mean) : null;
  figures[key] = { ...first, value: mean, values, spread };
}

const committedText = sh("git", ["show", "HEAD:docs/benchmarks.md"]);
// The committed report's figures (the HTML comment at its end), if it has them.
const committed = (() => {
  const text = committedText;
  const m = text.match(/<!-- figures (\{.*\}) -->/s);
  return m ? JSON.parse(m[1]) : null;
})();
const FLOOR = 0.05;
const noiseRows = [];
const regressions = [];
for (const [key, x] of Object.entries(figures)) {
  const before = committed?.[key];
  const noise = Math.max(FLOOR, x.spread ?? 0, before?.spread ?? 0);
  let change = null;
  let worse = false;
  if (before && before.value !== 0) {
    change = (x.value - before.value) / Math.abs(before.value);
    worse = x.better === "lower" ? change > noise : -change > noise;
  }
  const pc = (v) => (v === null ? "n/a" : `${v >= 0 ? "+" : ""}${f(v * 100, 1)} %`);
  noiseRows.push(`| \`${key}\` | ${x.values.map((v) => f(v, 3)).join(" / ")} ${x.unit} | ${x.spread === null ? "one run" : f(x.spread * 100, 1) + " %"} | ${before ? `${f(before.value, 3)} ${x.unit}` : "n/a"} | ${pc(change)} | ${worse ? "**worse**" : change === null ? "" : "within noise or better"} |`);
  if (worse) regressions.push(`- \`${key}\`: ${f(before.value, 3)} → ${f(x.value, 3)} ${x.unit} (${pc(change)}; noise ${f(noise * 100, 1)} %)`);
}

// A partial run (SKIFF_BENCH_ONLY) keeps the committed report's other rows, marked as such.
const cell = (line) => line.split("|")[1]?.trim();
const measured = new Set(rows.map(cell));
// A committed row this run replaced under a new wording ("First paint of 10k rows: …" by "First
// paint of 10k rows (…)") is dropped too: same words before the first ":" or "(", at least three.
const base = (label) => {
  const b = label.replace(/\s*[(:].*$/, "");
  return b.split(" ").length >= 3 ? b : label;
};
const supersededBases = new Set([...measured].map(base));
// Rows renamed when what they measure changed: the window is closed to the tray, no longer
// hidden (its webview is released).
// The log latency at ~50k/s, now measured paced (the loaded run's difference has its own row).
for (const old of [
  "Idle CPU, the window hidden to the tray",
  "Engine requests while idle, the window hidden to the tray",
  "docker: latency Skiff adds per line (skiff − docker logs)",
  "podman: latency Skiff adds per line (skiff − podman logs)",
]) {
  supersededBases.add(old);
}
// Rows of a measurement no step makes any more: the debug builds' RSS after start ("podman: RSS of
// the desktop backend …"), replaced by the idle step's memory of release builds.
const retired = [/^(podman|docker): RSS of /];
const kept = process.env.SKIFF_BENCH_ONLY
  ? (committedText.split("## Regressions")[0].match(/^\| (?!Figure \|).*\|$/gm) ?? [])
      .filter((l) => !l.startsWith("|---") && !measured.has(cell(l)) && !supersededBases.has(base(cell(l))))
      .filter((l) => !retired.some((r) => r.test(cell(l) ?? "")))
  : [];
const keptSection = kept.length
  ? `\n## Not measured in this run: the committed report's rows
This run measured only: ${process.env.SKIFF_BENCH_ONLY}. The rows below are copied from the report it
replaces (generated ${committedText.match(/ on (\S+), commit/)?.[1] ?? "earlier"}); their "How" says which build they measured.

| Figure | Measured | Goal | Met? | How |
|---|---|---|---|---|
${kept.join("\n")}
`
  : "";

// A partial run also keeps the committed figures of what it did not measure: the next run still
// has them to compare with.
const keptFigures = process.env.SKIFF_BENCH_ONLY ? { ...(committed ?? {}), ...figures } : figures;

const commit = sh("git", ["rev-parse", "--short", "HEAD"]);
const dirty = sh("git", ["status", "--porcelain"]) ? " (with uncommitted changes)" : "";
console.log(`# Skiff benchmarks

Generated by \`make bench\` (\`scripts/bench.sh\`) on ${new Date().toISOString()}, commit \`${commit}\`${dirty}.
Machine: ${sh("uname", ["-srm"])}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${f(totalmem() / 2 ** 30, 0)} GiB RAM;
${sh("podman", ["--version"])}; ${sh("dockerd", ["--version"])}. The whole run took ${Math.round(Number(elapsed) / 60)} min.

Engines are the throwaway ones of \`scripts/engines.sh\` (own storage and sockets, busybox image,
network \`none\`). Figures measured side by side share the engine and the run. Raw samples are the
CSV files beside \`report.md\` in \`target/bench/\`.

Every figure is measured on release builds (the binaries the .deb ships). The table shows run 1
of ${runs.length}; the next section gives every comparable figure of each run.

| Figure | Measured | Goal | Met? | How |
|---|---|---|---|---|
${rows.join("\n")}
${keptSection}
## Regressions
${committed ? (regressions.length ? regressions.join("\n") : "None: no figure got worse than the committed report by more than the noise.") : "Not compared: the committed report has no figures to compare with."}

## Noise: each figure's runs, and the committed report
Spread: (max − min) / mean of the runs. A figure is worse when it moved the wrong way by more than
the larger of this spread, the committed report's, and ${FLOOR * 100} %.

| Figure | Runs | Spread | Committed | Change | |
|---|---|---|---|---|---|
${noiseRows.join("\n")}

## How each figure is measured
- **Stream overhead** (\`cargo bench --bench streams\`): \`curl -N\` on the engine's raw \`/events\` and
  \`skiff watch --json\` run as two processes, subscribed at once, while the engine's API pauses and
  unpauses 10 containers. Each line is stamped on arrival; the k-th pause of a container in the
  raw stream is matched to the k-th \`paused\` upsert in Skiff's stream.
- **Log following** (\`cargo bench --bench logs\`): \`skiff logs -f -t\` and the engine's own
  \`logs -f -t\` run as two processes on one container printing 500 numbered lines every 10 ms
  (throughput); then Skiff and two copies of the engine's CLI on one printing 20 lines every 50 ms
  (latency, with the two CLIs' difference as the noise);
  each line is stamped on arrival; Skiff's added latency is its arrival minus the engine CLI's,
  per line (negative: Skiff's came first).
- **Reconnect** (\`cargo bench --bench reconnect\`): the engine is stopped and started 20 times; a 2 ms
  poller records when its socket first answers \`/_ping\`; the registry's subscriber records
  \`connected\` and the end of the resync.
- **Registry scale** (\`cargo bench --bench store\`): criterion, store of 100 / 1k / 10k containers.
- **Soak** (\`cargo bench --bench soak\`): 1M synthetic events through the full core, RSS sampled
  50 times; the shortened version (200k events) runs in \`make test\`.
- **Event → pixel / first paint** (\`benches/ui/pixel.mjs\`): the real window under Xvfb, driven by
  WebDriver.
- **Stats** (\`cargo bench --bench stats\`): 100 idle containers followed by one core \`Board\` (as
  the list's CPU and memory columns do), 20 s after a 5 s warm-up; CPU from \`/proc/PID/stat\`.
- **Log view** (\`benches/ui/logs.mjs\`): the real window; write → pixel is the DOM time of a line
  minus its engine stamp (Docker stamps a line when it reads it), by a MutationObserver; a click
  is queued on a checkbox every 100 ms and the wait until its handler ran is recorded.
- **Terminal** (\`benches/ui/terminal.mjs\`): keys sent one at a time through WebDriver into
  xterm.js's textarea; each timed from the page's \`keydown\` to the write that carries its echo
  parsed into the buffer (\`onWriteParsed\`). The \`cat\` is timed from Enter's \`keydown\` to
  the marker line after it in the buffer; every newline received is counted. A message is
  posted to the page every 50 ms and timed until its handler ran. \`docker exec -it\` runs on a
  pseudo-terminal read by \`benches/ui/pty_echo.py\` (no rendering: a lower bound).
- **Idle, cold start, memory** (\`benches/ui/idle.mjs\`): 1,000 never-started containers on a
  throwaway Podman, reached through a proxy socket that counts every request. Cold start: the
  release app started by WebKitWebDriver, timed from the session request to the
  \`skiff:first-rows\` mark; in turn with each start, the empty Tauri window started the same way,
  to its page's \`first-contentful-paint\` (the floor: what any Tauri 2 window takes here). Then the app alone (no WebDriver) for a minute shown, a minute
  closed to the tray (a \`WM_DELETE_WINDOW\` from \`benches/ui/close_window.py\`, as the
  close button sends; the webview is released with it), \`skiff watch\`, the empty Tauri window
  (\`src-tauri/examples/empty_window.rs\`) and lazydocker under tmux: CPU time and
  wake-ups (times a thread was put on a CPU) from \`/proc/PID/task/*/schedstat\` of every
  process in the tree; memory from \`smaps_rollup\`.
- **Churn through the window** (\`benches/ui/churn.mjs\`, once per \`make bench\`): the release app
  shows 1,000 containers of a throwaway Docker (900 created, 100 running) while the running ones
  are paused and unpaused 10 times a second for \`SKIFF_CHURN_MINUTES\` (60); the PSS of all its
  processes every 30 s. Growth: from the end of the first quarter to the end, each the median of
  its last three samples.

<!-- figures ${JSON.stringify(keptFigures)} -->
`);
