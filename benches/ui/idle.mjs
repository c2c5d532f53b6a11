// What Skiff costs while nothing happens, and how fast it starts: release builds, 1,000 containers
// on a throwaway Podman, side by side with lazydocker and an empty Tauri window in the same run.
//
// 1. Cold start: the release app from exec to the first container rows painted (`skiff:first-rows`
//    mark), N starts through WebDriver; the clock starts before the session request, so the
//    figure includes WebKitWebDriver launching the app (an upper bound). Beside each, a start of
//    the empty Tauri window (`src-tauri/examples/empty_window.rs`) the same way, to its page's
//    first paint: what any Tauri 2 window costs here before it shows anything, the floor of the
//    app's figure.
// 2. Memory: RSS and PSS of each process of the app (backend, WebKit web and network processes),
//    beside the empty Tauri window of `src-tauri/examples/empty_window.rs`: the median of
//    SKIFF_IDLE_MEMORY_STARTS (3) starts of each, taken in turn. And the same empty window whose
//    page changed its line 20 times: what any window that repaints holds over one that painted
//    once (a reference beside the goal's baseline, not instead of it).
// 3. Idle CPU of every process of the app, window shown, then hidden to the tray (a
//    WM_DELETE_WINDOW, as the close button sends), then of `skiff watch`, then of lazydocker under
//    tmux: CPU ms per minute and wake-ups per second from each thread's schedstat, and the
//    Podman service's own CPU in the same minute.
// 4. Engine load: every request each of them sends the engine in that minute, counted at a
//    proxy socket they all reach the engine through.
//
// Run by `make bench` under scripts/headless.sh. Writes $SKIFF_BENCH_OUT/idle.json.
// Environment: SKIFF_IDLE_CONTAINERS (1000), SKIFF_IDLE_SECONDS (60), SKIFF_IDLE_STARTS (10),
// SKIFF_LAZYDOCKER (path; the peer is skipped without it), SKIFF_IDLE_COLD_ONLY=1 (the cold starts
// only, to try a change to start-up), with SKIFF_IDLE_COMPARE=<another skiff-desktop> (the build
// before the change: its starts taken in turn with the app's, in the same run).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Session, startDriver, stopDriver } from "../../tests/e2e/webdriver.mjs";
import { appEnv, createContainers } from "./engine_api.mjs";
import { idleCost, tree, treeMemory } from "./procs.mjs";

const root = resolve(import.meta.dirname, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const release = join(targetDir, "release");
const app = process.env.SKIFF_APP ?? join(release, "skiff-desktop");
const emptyWindow = join(release, "examples", "empty_window");
const out = process.env.SKIFF_BENCH_OUT ?? join(targetDir, "bench");
const N = Number(process.env.SKIFF_IDLE_CONTAINERS ?? 1000);
const SECONDS = Number(process.env.SKIFF_IDLE_SECONDS ?? 60);
const STARTS = Number(process.env.SKIFF_IDLE_STARTS ?? 10);
const MEMORY_STARTS = Number(process.env.SKIFF_IDLE_MEMORY_STARTS ?? 3);
const lazydocker = process.env.SKIFF_LAZYDOCKER;
const work = mkdtempSync(join(tmpdir(), "skiff-idle-"));
const engines = join(root, "scripts", "engines.sh");
const log = (m) => console.error(`idle: ${m}`);
const pct = (s, p) => [...s].sort((a, b) => a - b)[Math.round((s.length - 1) * p)];

/** A unix socket in front of the engine that counts the HTTP requests passing through it. */
function countingProxy(engineSocket, path) {
  const requests = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(engineSocket);
    let pending = "";
    // The request this connection answers now: its answer's last byte is timed.
    let current = null;
    upstream.on("data", () => current && (current.done = Date.now()));
    client.on("data", (chunk) => {
      pending += chunk.toString("latin1");
      const line = /(GET|POST|PUT|DELETE|HEAD) (\S+) HTTP\/1\.[01]\r\n/g;
      let m;
      let end = 0;
      while ((m = line.exec(pending))) {
        current = { at: Date.now(), method: m[1], path: m[2].split("?")[0], query: m[2].split("?")[1] ?? "" };
        requests.push(current);
        end = line.lastIndex;
      }
      pending = pending.slice(end).slice(-256);
    });
    client.pipe(upstream).pipe(client);
    const close = () => (client.destroy(), upstream.destroy());
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  server.listen(path);
  return {
    server,
    /** The first request since `from` (ms epoch) whose path ends with `suffix` (and whose query
     *  `query` accepts, when given). */
    first(from, suffix, query = () => true) {
      return requests.find((r) => r.at >= from && r.path.endsWith(suffix) && query(r.query));
    },
    /** The requests since `from` (ms epoch), by method and path version-stripped. */
    since(from) {
      const list = requests.filter((r) => r.at >= from);
      const by = {};
      for (const r of list) {
        const key = `${r.method} ${r.path.replace(/^\/v[\d.]+/, "")}`;
        by[key] = (by[key] ?? 0) + 1;
      }
      return { total: list.length, by };
    },
  };
}

/** One GET on the engine's socket; resolves with the time its whole body took (ms). */
function timedGet(socket, path) {
  return new Promise((ok, fail) => {
    const t0 = performance.now();
    http
      .get({ socketPath: socket, path }, (res) => {
        res.on("data", () => {});
        res.on("end", () => (res.statusCode < 300 ? ok(performance.now() - t0) : fail(new Error(`GET ${path}: ${res.statusCode}`))));
      })
      .on("error", fail);
  });
}

/**
 * The engine's own time for the lists a session starts with (containers, images, volumes,
 * networks, pods, asked side by side as Skiff asks them): the part of a cold start that is the
 * engine's. Median of 5.
 */
async function engineLists(socket) {
  const paths = ["/v1.41/containers/json?all=1", "/v1.41/images/json", "/v1.41/volumes", "/v4.0.0/libpod/networks/json", "/v4.0.0/libpod/pods/json"];
  const containers = [];
  const all = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const times = await Promise.all(paths.map((p) => timedGet(socket, p)));
    all.push(performance.now() - t0);
    containers.push(times[0]);
  }
  return { containers_ms_median: pct(containers, 0.5), all_lists_ms_median: pct(all, 0.5) };
}

// The app's settings and data under `work`; only the engine under test (no Kubernetes context or
// other engine of this machine).
const env = (extra = {}) => appEnv(work, extra);

/**
 * `STARTS` cold starts of each of `apps`, taken in turn (A, B, A, B…: a change to start-up
 * against the build before it, in the same minutes of the same machine), by binary.
 */
async function coldStarts(host, proxy, apps) {
  const runs = new Map(apps.map((a) => [a, []]));
  const empty = [];
  for (let i = 0; i < STARTS; i++) {
    for (const a of apps) runs.get(a).push(await coldStart(host, proxy, a, i));
    empty.push(await emptyStart(i));
  }
  const paints = empty.map((r) => r.first_paint_ms);
  const floor = { starts: paints.length, first_paint_median_ms: pct(paints, 0.5), first_paint_max_ms: Math.max(...paints), runs: empty };
  return [
    ...apps.map((a) => {
      const rows = runs.get(a).map((r) => r.first_rows_ms);
      const whole = runs.get(a).map((r) => r.whole_list_ms);
      const firstPaints = runs.get(a).map((r) => r.first_paint_ms).filter((x) => typeof x === "number");
      return {
        app: a, starts: rows.length, median_ms: pct(rows, 0.5), max_ms: Math.max(...rows),
        whole_median_ms: pct(whole, 0.5), whole_max_ms: Math.max(...whole),
        first_paint_median_ms: firstPaints.length ? pct(firstPaints, 0.5) : null, runs: runs.get(a),
      };
    }),
    floor,
  ];
}

/** The page's first paint (WebKit's `first-contentful-paint` entry), in ms since the epoch. */
const FIRST_PAINT = `const p = performance.getEntriesByName("first-contentful-paint")[0];`;

/**
 * One start of the empty Tauri window, as the app's are (WebKitWebDriver launches it): from
 * exec to its page's first paint.
 */
async function emptyStart(i) {
  const driver = await startDriver({ port: 4444, nativePort: 4445, env: env({}), logFile: join(out, "idle-driver.log") });
  try {
    const s = await Session.start(driver.base, emptyWindow);
    try {
      const m = await s.waitFor("the empty page painted", () =>
        s.execute(`${FIRST_PAINT} return p ? { painted: performance.timeOrigin + p.startTime, origin: performance.timeOrigin } : null;`),
      30000);
      const exec = execEpochMs(driver.child.pid, emptyWindow);
      const run = { first_paint_ms: Math.round(m.painted - exec), page_load_ms: Math.round(m.origin - exec) };
      log(`start ${i + 1} of the empty window: ${JSON.stringify(run)}`);
      return run;
    } finally {
      await s.close();
    }
  } finally {
    stopDriver(driver);
    await gone(emptyWindow);
  }
}

async function coldStart(host, proxy, app, i) {
  const driver = await startDriver({ port: 4444, nativePort: 4445, env: env({ SKIFF_HOST: host }), logFile: join(out, "idle-driver.log") });
  try {
    const t0 = Date.now();
    const s = await Session.start(driver.base, app);
    try {
      const m = await s.waitFor("first rows", () =>
        s.execute(`
          const at = (n) => { const e = performance.getEntriesByName(n)[0]; return e && performance.timeOrigin + e.startTime; };
          const nav = performance.getEntriesByType("navigation")[0];
          // A build before the first page makes no whole-list mark: its first rows are the whole.
          // The mark follows the summary's "total" by a frame, so it is given 3 s first.
          const summary = document.querySelector('.summary')?.textContent ?? "";
          const old = summary.endsWith(" total") && performance.timeOrigin + performance.now() - at("skiff:first-rows") > 3000;
          const whole = at("skiff:whole-list") ?? (old ? at("skiff:first-rows") : undefined);
          ${FIRST_PAINT}
          return at("skiff:first-rows") && at("skiff:rows-painted") && whole ? {
            rows: at("skiff:first-rows"), painted: p && performance.timeOrigin + p.startTime, ui: at("skiff:rows-painted"), origin: performance.timeOrigin,
            loaded: performance.timeOrigin + nav.domContentLoadedEventEnd,
            requested: at("skiff:snapshot-requested"), applied: at("skiff:snapshot-applied"),
            received: at("skiff:first-run"), runApplied: at("skiff:first-run-applied"),
            rendered: at("skiff:first-rows-rendered"), whole,
            count: document.querySelector('.summary')?.textContent ?? "" } : null;`),
      60000);
      // The app's own exec time, from its start time in /proc (10 ms ticks since boot): the
      // figure without WebKitWebDriver's part. The session request's time bounds it above.
      const exec = execEpochMs(driver.child.pid, app);
      const from = (t) => Math.round(t - exec);
      // The container list through the proxy, asked and answered, on the same clock: the whole
      // one, and the first page (`limit=`) the window asks beside it.
      const list = proxy.first(t0, "/containers/json", (q) => !q.includes("limit="));
      const page = proxy.first(t0, "/containers/json", (q) => q.includes("limit="));
      const run = {
        first_rows_ms: m.rows - exec, first_paint_ms: m.painted && from(m.painted), first_rows_since_request_ms: m.rows - t0, exec_after_request_ms: exec - t0,
        page_load_ms: from(m.origin), dom_loaded_ms: from(m.loaded), snapshot_requested_ms: from(m.requested),
        snapshot_applied_ms: from(m.applied), ui_ready_ms: from(m.ui), summary: m.count,
        list_asked_ms: list && from(list.at), list_answered_ms: list?.done && from(list.done),
        rows_received_ms: m.received && from(m.received), rows_applied_ms: m.runApplied && from(m.runApplied),
        rows_rendered_ms: m.rendered && from(m.rendered), whole_list_ms: from(m.whole),
        page_asked_ms: page && from(page.at), page_answered_ms: page?.done && from(page.done),
      };
      log(`start ${i + 1} of ${app}: ${JSON.stringify(run)}`);
      return run;
    } finally {
      await s.close();
    }
  } finally {
    stopDriver(driver);
    await gone(app);
  }
}

/** Waits `settleMs`, then measures `SECONDS` of idle of `child`'s tree and of the engine. */
async function idleOf(label, child, proxy, enginePid, settleMs) {
  await sleep(settleMs);
  const from = Date.now();
  const [cost, engine] = await Promise.all([
    idleCost([child.pid], SECONDS, sleep),
    idleCost([enginePid], SECONDS, sleep),
  ]);
  const requests = proxy.since(from);
  const perMin = (requests.total * 60) / cost.seconds;
  log(`${label}: ${cost.cpu_ms_per_min.toFixed(2)} CPU ms/min, ${cost.wakeups_per_s.toFixed(1)} wake-ups/s, ` +
    `${perMin.toFixed(1)} engine requests/min; engine ${engine.cpu_percent.toFixed(3)} %`);
  return { ...cost, engine_requests_per_min: perMin, engine_requests: requests.by, engine_cpu_percent: engine.cpu_percent };
}

/** When `binary` under the driver `root` was exec'd, in ms since the epoch (10 ms resolution). */
function execEpochMs(root, binary) {
  const pid = tree(root).find((p) => {
    try {
      return readlinkSync(`/proc/${p}/exe`) === binary;
    } catch {
      return false;
    }
  });
  if (pid === undefined) throw new Error("the app's process was not found under the driver");
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const startTicks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  const uptimeS = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  return Date.now() - (uptimeS - startTicks / 100) * 1000;
}

/** Waits until no process runs `binary` (the single-instance lock goes with the last one). */
async function gone(binary) {
  for (let i = 0; i < 200; i++) {
    try {
      execFileSync("pgrep", ["-f", `^${binary}`]);
    } catch {
      return;
    }
    await sleep(100);
  }
  throw new Error(`${binary} is still running`);
}

/** Spawns `binary` with its output in a log file; fails if it is gone after `settleMs`. */
async function started(label, binary, args, extraEnv, settleMs) {
  const logFile = join(out, `idle-${label}.log`);
  const child = spawn(binary, args, { env: env(extraEnv), stdio: ["ignore", "ignore", openSync(logFile, "w")] });
  child.on("error", (e) => log(`${label}: ${e.message}`));
  await sleep(settleMs);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    throw new Error(`${label} exited early (see ${logFile})`);
  }
  return child;
}

function stop(child) {
  for (const p of tree(child.pid).reverse()) {
    try {
      process.kill(p, "SIGTERM");
    } catch {
      // gone
    }
  }
}

async function main() {
  mkdirSync(out, { recursive: true });
  // File locks under `work`: its 1,000 containers are deleted with the directory, not removed
  // one by one, and shm locks left behind would exhaust the machine's 2048 (engines.sh).
  const host = execFileSync(engines, ["start", "podman", work], {
    encoding: "utf8",
    env: { ...process.env, SKIFF_PODMAN_LOCK_TYPE: "file" },
  }).trim();
  const socket = host.replace("unix://", "");
  const enginePid = Number(readFileSync(join(work, "podman", "pid"), "utf8"));
  log(`creating ${N} containers on Podman`);
  await createContainers(socket, "idle", N, ["sleep", "1"], log);
  mkdirSync(join(work, "proxy"));
  const proxySocket = join(work, "proxy", "podman.sock");
  const proxy = countingProxy(socket, proxySocket);
  const viaProxy = `unix://${proxySocket}`;
  const result = { containers: N, seconds: SECONDS, app, cli: join(release, "skiff") };

  log("the engine's own list times");
  result.engine_lists = await engineLists(socket);
  log(`cold start: ${STARTS} starts`);
  if (process.env.SKIFF_IDLE_COLD_ONLY === "1") {
    const other = process.env.SKIFF_IDLE_COMPARE;
    const starts = await coldStarts(viaProxy, proxy, other ? [app, other] : [app]);
    result.cold_start = starts[0];
    result.cold_start_empty_window = starts.at(-1);
    if (other) result.cold_start_compared = starts[1];
    proxy.server.close();
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  [result.cold_start, result.cold_start_empty_window] = await coldStarts(viaProxy, proxy, [app]);

  // Memory: the empty window and the app on its own (no WebDriver), started in turn
  // MEMORY_STARTS times each, read 15 s after each start; the median start of each is the
  // figure. The same build's web process differs by up to ~15 MiB from one start to the next
  // (it is flat within a start: 15, 30 and 45 s read alike; for the plain empty window ~10 MiB of
  // it is whether its page painted a second frame, which the repainted one always has), so one
  // start of each could show a difference that is not there. The app's last start stays for the
  // idle minutes.
  const starts = { skiff: [], empty_window: [], empty_window_repainted: [] };
  const emptyWindowMemory = async (label, extraEnv) => {
    const empty = await started(label, emptyWindow, [], extraEnv, 15000);
    const memory = treeMemory(empty.pid);
    stop(empty);
    await gone(emptyWindow);
    return memory;
  };
  let desktop;
  for (let i = 0; i < MEMORY_STARTS; i++) {
    starts.empty_window.push(await emptyWindowMemory("empty-window", {}));
    // Its 20 repaints take 10 s: done before the reading.
    starts.empty_window_repainted.push(
      await emptyWindowMemory("empty-window-repainted", { SKIFF_EMPTY_WINDOW_REPAINTS: "20" }),
    );
    desktop = await started("app", app, [], { SKIFF_HOST: viaProxy }, 15000);
    starts.skiff.push(treeMemory(desktop.pid));
    if (i < MEMORY_STARTS - 1) {
      stop(desktop);
      await gone(app);
    }
  }
  const median = (list) => [...list].sort((a, b) => a.pss_mib - b.pss_mib)[Math.floor((list.length - 1) / 2)];
  result.memory = {
    ...Object.fromEntries(Object.entries(starts).map(([k, list]) => [k, median(list)])),
    starts: Object.fromEntries(Object.entries(starts).map(([k, list]) => [k, list.map((m) => m.pss_mib)])),
  };
  log(`memory (PSS, MiB): ${Object.entries(result.memory.starts).map(([k, list]) => `${k} ${list.map((x) => x.toFixed(1)).join(", ")}`).join("; ")}`);

  // The app's idle: shown, then hidden to the tray.
  result.idle = { shown: await idleOf("window shown", desktop, proxy, enginePid, 5000) };
  execFileSync("/usr/bin/python3", [join(import.meta.dirname, "close_window.py"), "Skiff"]);
  result.idle.hidden = await idleOf("window hidden to the tray", desktop, proxy, enginePid, 5000);
  result.memory.skiff_hidden = treeMemory(desktop.pid);
  stop(desktop);
  await gone(app);

  const watch = await started("watch", join(release, "skiff"), ["watch", "--json", "--host", viaProxy], {}, 10000);
  result.idle.watch = await idleOf("skiff watch", watch, proxy, enginePid, 0);
  result.memory.watch = treeMemory(watch.pid);
  stop(watch);

  const empty = await started("empty-window", emptyWindow, [], {}, 15000);
  result.idle.empty_window = await idleOf("empty Tauri window", empty, proxy, enginePid, 0);
  stop(empty);

  if (lazydocker) {
    // tmux gives it the terminal it needs; its pane's process is lazydocker itself.
    const session = `skiff-idle-${process.pid}`;
    execFileSync("tmux", ["new-session", "-d", "-s", session, "-x", "200", "-y", "50", `DOCKER_HOST=${viaProxy} exec ${lazydocker}`]);
    try {
      const pid = Number(execFileSync("tmux", ["list-panes", "-t", session, "-F", "#{pane_pid}"], { encoding: "utf8" }).trim());
      result.idle.lazydocker = await idleOf("lazydocker", { pid }, proxy, enginePid, 15000);
      result.memory.lazydocker = treeMemory(pid);
    } finally {
      execFileSync("tmux", ["kill-session", "-t", session]);
    }
  }
  // The engine alone, nobody attached: its own baseline.
  result.idle.engine_alone = await idleOf("engine alone", { pid: enginePid }, proxy, enginePid, 2000);

  proxy.server.close();
  writeFileSync(join(out, "idle.json"), JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result, null, 2));
}

try {
  await main();
} finally {
  try {
    execFileSync(engines, ["stop", "podman", work], { stdio: "ignore" });
  } catch {
    // already stopped
  }
  rmSync(work, { recursive: true, force: true });
}
