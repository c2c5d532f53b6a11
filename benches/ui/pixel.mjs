// Benchmarks in the real Skiff window (under Xvfb, via tauri-driver + WebKitWebDriver):
//
// 1. Event → pixel on Docker: a MutationObserver in the window stamps each row's state change
//    (performance.timeOrigin + performance.now()); the engine's own raw /events stream gives
//    each event's timeNano. Latency = DOM update − timeNano, per event, over ≥ 200 pause /
//    unpause operations sent to the engine's API. Goal: p99 < 50 ms.
// 2. First paint of 10k rows: the app with a synthetic engine of 10,000 containers is reloaded;
//    performance marks give navigation → snapshot requested → snapshot applied → rows painted.
//    Goal: < 200 ms from the snapshot in hand to painted rows (the snapshot request is reported
//    apart: it is the IPC of 10k rows).
//
// Run by `make bench` (scripts/bench.sh) under scripts/headless.sh. Writes
// $SKIFF_BENCH_OUT/pixel.json and pixel.csv.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Session, startDriver, stopDriver } from "../../tests/e2e/webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = join(targetDir, process.env.SKIFF_APP_PROFILE ?? "debug", "skiff-desktop");
const out = process.env.SKIFF_BENCH_OUT ?? join(targetDir, "bench");
const OPS = Number(process.env.SKIFF_PIXEL_OPS ?? 240);
const CONTAINERS = 8;
const engines = join(root, "scripts", "engines.sh");
const work = mkdtempSync(join(tmpdir(), "skiff-pixel-"));
let kind = "docker";
const engine = (...a) => execFileSync(engines, [a[0], kind, work, ...a.slice(1)], { encoding: "utf8" }).trim();
const pct = (s, p) => s[Math.round((s.length - 1) * p)];

async function withApp(env, body) {
  const driver = await startDriver({
    port: 4444,
    nativePort: 4445,
    env: { SKIFF_CONFIG_DIR: join(work, "config"), SKIFF_DATA_DIR: join(work, "data"), ...env },
    logFile: join(out, "pixel-driver.log"),
  });
  const session = await Session.start(driver.base, app);
  try {
    return await body(session);
  } finally {
    await session.close();
    stopDriver(driver);
  }
}

async function eventToPixel(engineKind) {
  kind = engineKind;
  const host = engine("start");
  const socket = host.replace("unix://", "");
  const ids = {};
  for (let i = 0; i < CONTAINERS; i++) {
    const name = `pixel-${i}`;
    ids[name] = engine("cli", "run", "-d", "--name", name, "--network", "none", "busybox:latest", "sleep", "86400");
  }
  const api = (method, path) =>
    execFileSync("curl", ["-sf", "-o", "/dev/null", "--unix-socket", socket, "-X", method, `http://d/v1.41${path}`]);
  // The engine's own stream, for each event's timeNano.
  const raw = spawn("curl", ["-sN", "--unix-socket", socket, "http://d/v1.41/events"]);
  const events = [];
  let buf = "";
  raw.stdout.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const e = JSON.parse(line);
        if (e.Type === "container" && (e.Action === "pause" || e.Action === "unpause")) {
          events.push({ id: e.id ?? e.Actor?.ID, Action: e.Action, timeNano: e.timeNano });
        }
      } catch {
        // not an event line
      }
    }
  });
  try {
    return await withApp({ SKIFF_HOST: host }, async (s) => {
      await s.waitFor("rows", async () => (await s.findAll('[data-testid="container-row"]')).length === CONTAINERS);
      await s.execute(`
        window.__pixel = [];
        const last = new Map();
        const observer = new MutationObserver(() => {
          const t = performance.timeOrigin + performance.now();
          for (const chip of document.querySelectorAll('[data-testid="container-row"] [data-state]')) {
            const name = chip.closest('[data-name]').dataset.name;
            const state = chip.dataset.state;
            if (last.get(name) !== state) {
              last.set(name, state);
              window.__pixel.push({ name, state, t });
            }
          }
        });
        for (const chip of document.querySelectorAll('[data-testid="container-row"] [data-state]'))
          last.set(chip.closest('[data-name]').dataset.name, chip.dataset.state);
        observer.observe(document.querySelector('.list'), { subtree: true, childList: true, attributes: true, characterData: true });
      `);
      const names = Object.keys(ids);
      for (let op = 0; op < OPS; op++) {
        const name = names[Math.floor(op / 2) % names.length];
        api("POST", `/containers/${ids[name]}/${op % 2 === 0 ? "pause" : "unpause"}`);
        // A user-like pace (~30 operations/s) so that each event is its own frame.
        await sleep(30);
      }
      await sleep(1500);
      const dom = await s.execute(`return window.__pixel;`);
      // Match the k-th pause (unpause) of a container to the k-th paused (running) state of its row.
      const byKey = new Map();
      for (const d of dom) {
        const key = `${d.name}/${d.state === "paused" ? "pause" : "unpause"}`;
        if (!byKey.has(key)) byKey.set(key, []);
        byKey.get(key).push(d.t);
      }
      const nameOf = Object.fromEntries(Object.entries(ids).map(([n, id]) => [id, n]));
      const seen = new Map();
      const samples = [];
      for (const e of events) {
        const key = `${nameOf[e.id]}/${e.Action}`;
        const k = seen.get(key) ?? 0;
        seen.set(key, k + 1);
        const t = byKey.get(key)?.[k];
        if (t !== undefined) samples.push({ key, timeNano: e.timeNano, dom: t, ms: t - e.timeNano / 1e6 });
      }
      return samples;
    });
  } finally {
    raw.kill();
    engine("destroy");
  }
}

async function firstPaint(rows, reloads) {
  return withApp({ SKIFF_HOST: "tcp://127.0.0.1:1", SKIFF_SYNTHETIC_CONTAINERS: String(rows) }, async (s) => {
    await s.waitFor("synthetic rows", async () =>
      (await s.execute(`return document.querySelector('.summary')?.textContent ?? ""`)).includes(`${rows} total`),
    60000);
    const runs = [];
    for (let i = 0; i < reloads; i++) {
      // The marks are read from the page the reload made: polled right after `reload()`, the
      // old page may still answer with its own (it did: the same reload counted twice).
      const before = await s.execute(`return performance.timeOrigin;`);
      await s.execute(`location.reload();`);
      const marks = await s.waitFor("marks", async () => {
        const m = await s.execute(`
          if (performance.timeOrigin === ${before}) return null;
          const get = (n) => performance.getEntriesByName(n)[0]?.startTime;
          const painted = get("skiff:rows-painted");
          return painted === undefined ? null : {
            requested: get("skiff:snapshot-requested"), received: get("skiff:snapshot-received"),
            applied: get("skiff:snapshot-applied"), painted,
            rows: document.querySelectorAll('[data-testid="container-row"]').length,
          };`);
        return m;
      }, 60000);
      runs.push(marks);
    }
    return runs;
  });
}

try {
  const samples = await eventToPixel("docker");
  const ms = samples.map((x) => x.ms).sort((a, b) => a - b);
  // Podman: end to end only (its subscribers poll the event log file on a ~250 ms timer).
  const podmanSamples = await eventToPixel("podman");
  const pms = podmanSamples.map((x) => x.ms).sort((a, b) => a - b);
  const paint = await firstPaint(10_000, 5);
  const render = paint.map((r) => r.painted - r.applied).sort((a, b) => a - b);
  const snapshot = paint.map((r) => r.applied - r.requested).sort((a, b) => a - b);
  const ipc = paint.map((r) => r.received - r.requested).sort((a, b) => a - b);
  const apply = paint.map((r) => r.applied - r.received).sort((a, b) => a - b);
  const total = paint.map((r) => r.painted).sort((a, b) => a - b);
  const result = {
    event_to_pixel: { engine: "docker", n: ms.length, ops: OPS, p50_ms: pct(ms, 0.5), p99_ms: pct(ms, 0.99), max_ms: ms[ms.length - 1] },
    event_to_pixel_podman: { engine: "podman", n: pms.length, ops: OPS, p50_ms: pct(pms, 0.5), p99_ms: pct(pms, 0.99), max_ms: pms[pms.length - 1] },
    first_paint_10k: {
      reloads: paint.length,
      rendered_rows: paint[0].rows,
      snapshot_ms_median: pct(snapshot, 0.5),
      snapshot_ipc_ms_median: pct(ipc, 0.5),
      snapshot_apply_ms_median: pct(apply, 0.5),
      render_ms_median: pct(render, 0.5),
      render_ms_max: render[render.length - 1],
      since_navigation_ms_median: pct(total, 0.5),
    },
  };
  writeFileSync(join(out, "pixel.json"), JSON.stringify(result, null, 2));
  const csv = (rows, engineName) => rows.map((x) => `${engineName},${x.key},${x.timeNano},${x.dom.toFixed(3)},${x.ms.toFixed(3)}`);
  writeFileSync(
    join(out, "pixel.csv"),
    "engine,container_action,time_nano,dom_epoch_ms,latency_ms\n" + [...csv(samples, "docker"), ...csv(podmanSamples, "podman")].join("\n") + "\n",
  );
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}
