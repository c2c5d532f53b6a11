// Memory of the real window under churn: the release app shows a Docker engine's containers
// while a churn pauses and unpauses them for SKIFF_CHURN_MINUTES (default 60), and the memory
// (PSS) of all its processes (backend, WebKit web and network) is sampled every 30 s.
//
// The workload: SKIFF_CHURN_CREATED (default 900) never-started containers for a list of 1,000,
// and SKIFF_CHURN_RUNNING (default 100) running ones, of which one is paused or unpaused
// SKIFF_CHURN_RATE times a second (default 10): every operation is an engine event, a delta,
// a row repainted. Growth is measured from the end of the first quarter (the warm-up: WebKit's
// caches and the JIT fill) to the end, each the median of its last three samples. Goal: < 5 %.
//
// Run by `make bench` (scripts/bench.sh) under scripts/headless.sh, once (not per run):
// it takes the hour. Writes $SKIFF_BENCH_OUT/churn.json and churn.csv.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { api, appEnv, createContainers } from "./engine_api.mjs";
import { tree, treeMemory } from "./procs.mjs";

const root = resolve(import.meta.dirname, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = process.env.SKIFF_APP ?? join(targetDir, "release", "skiff-desktop");
const out = process.env.SKIFF_BENCH_OUT ?? join(targetDir, "bench");
const MINUTES = Number(process.env.SKIFF_CHURN_MINUTES ?? 60);
const RUNNING = Number(process.env.SKIFF_CHURN_RUNNING ?? 100);
const CREATED = Number(process.env.SKIFF_CHURN_CREATED ?? 900);
const RATE = Number(process.env.SKIFF_CHURN_RATE ?? 10);
const SAMPLE_MS = 30_000;
const engines = join(root, "scripts", "engines.sh");
const work = mkdtempSync(join(tmpdir(), "skiff-churn-"));
const log = (m) => console.error(`churn: ${m}`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** PSS and RSS of the app's process tree, in MiB, and how many processes it has. */
function sample(pid) {
  const { processes, pss_mib, rss_mib } = treeMemory(pid);
  return { pss_mib, rss_mib, processes: processes.length };
}

async function main() {
  mkdirSync(out, { recursive: true });
  const host = execFileSync(engines, ["start", "docker", work], { encoding: "utf8" }).trim();
  const socket = host.replace("unix://", "");
  let child;
  try {
    log(`creating ${CREATED} containers and starting ${RUNNING}`);
    await createContainers(socket, "idle", CREATED, ["sleep", "1"], log);
    const running = await createContainers(socket, "churn", RUNNING, ["sleep", "86400"], log);
    for (const id of running) await api(socket, "POST", `/containers/${id}/start`);
    child = spawn(app, [], {
      env: appEnv(work, { SKIFF_HOST: host }),
      stdio: ["ignore", "ignore", openSync(join(out, "churn-app.log"), "w")],
    });
    await sleep(20_000);
    if (child.exitCode !== null) throw new Error("the app exited at start (see churn-app.log)");
    const paused = new Set();
    let ops = 0;
    let failed = 0;
    const samples = [{ minute: 0, ops, ...sample(child.pid) }];
    const started = Date.now();
    const end = started + MINUTES * 60_000;
    let nextSample = started + SAMPLE_MS;
    log(`churning ${RATE} operations/s for ${MINUTES} min; PSS at start ${samples[0].pss_mib.toFixed(1)} MiB`);
    while (Date.now() < end) {
      const id = running[ops % running.length];
      const action = paused.has(id) ? "unpause" : "pause";
      try {
        await api(socket, "POST", `/containers/${id}/${action}`);
        if (action === "pause") paused.add(id);
        else paused.delete(id);
      } catch (e) {
        failed++;
        if (failed <= 3) log(e.message);
      }
      ops++;
      const due = started + (ops * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      if (Date.now() >= nextSample) {
        if (child.exitCode !== null) throw new Error("the app exited during the churn (see churn-app.log)");
        samples.push({ minute: (Date.now() - started) / 60_000, ops, ...sample(child.pid) });
        nextSample += SAMPLE_MS;
      }
    }
    samples.push({ minute: (Date.now() - started) / 60_000, ops, ...sample(child.pid) });
    const warm = samples.filter((s) => s.minute <= MINUTES / 4).slice(-3);
    const last = samples.slice(-3);
    const warmPss = median(warm.map((s) => s.pss_mib));
    const endPss = median(last.map((s) => s.pss_mib));
    const result = {
      minutes: MINUTES, rate_per_s: RATE, operations: ops, failed, containers: CREATED + RUNNING,
      pss_start_mib: samples[0].pss_mib, pss_after_warmup_mib: warmPss, pss_end_mib: endPss,
      pss_max_mib: Math.max(...samples.map((s) => s.pss_mib)),
      growth_pct: ((endPss - warmPss) / warmPss) * 100, samples,
    };
    writeFileSync(join(out, "churn.json"), JSON.stringify(result, null, 1));
    writeFileSync(join(out, "churn.csv"), ["minute,operations,pss_mib,rss_mib", ...samples.map((s) => `${s.minute.toFixed(2)},${s.ops},${s.pss_mib.toFixed(1)},${s.rss_mib.toFixed(1)}`)].join("\n") + "\n");
    console.log(
      `churn: ${ops} pause/unpause operations (${failed} failed) over ${MINUTES} min on ${CREATED + RUNNING} containers; ` +
      `PSS start ${result.pss_start_mib.toFixed(1)} MiB, after warm-up ${warmPss.toFixed(1)} MiB, end ${endPss.toFixed(1)} MiB, ` +
      `max ${result.pss_max_mib.toFixed(1)} MiB: growth ${result.growth_pct.toFixed(2)} % (goal < 5 %)`,
    );
  } finally {
    if (child && child.exitCode === null) for (const p of tree(child.pid).reverse()) try { process.kill(p, "SIGTERM"); } catch { /* gone */ }
    await sleep(2000);
    try {
      execFileSync(engines, ["destroy", "docker", work]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
}

await main();
