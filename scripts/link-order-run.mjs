// One start of the app for scripts/link-order.sh: 1,000 containers on a throwaway Podman (the
// start `make bench` times and weighs), the window shown, SECONDS of idle (its rows painted in
// the first one), then the quit a session's end sends (SIGTERM, which the app handles:
// quit.rs), so an instrumented binary writes its profile on the way out.
// Usage: node scripts/link-order-run.mjs <binary> [seconds]   (under scripts/headless.sh)
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { appEnv, createContainers } from "../benches/ui/engine_api.mjs";
import { tree } from "../benches/ui/procs.mjs";

const root = resolve(import.meta.dirname, "..");
const [binary, seconds = "100"] = process.argv.slice(2);
if (!binary) throw new Error("usage: link-order-run.mjs <binary> [seconds]");
const N = Number(process.env.SKIFF_LINK_ORDER_CONTAINERS ?? 1000);
const work = mkdtempSync(join(tmpdir(), "skiff-link-order-"));
const engines = join(root, "scripts", "engines.sh");
const log = (m) => console.error(`link-order: ${m}`);

// File locks: the containers go with `work`, not one by one (see engines.sh).
const host = execFileSync(engines, ["start", "podman", work], {
  encoding: "utf8",
  env: { ...process.env, SKIFF_PODMAN_LOCK_TYPE: "file" },
}).trim();
try {
  log(`creating ${N} containers on Podman`);
  await createContainers(host.replace("unix://", ""), "order", N, ["sleep", "1"], log);
  const logFile = join(work, "app.log");
  const child = spawn(binary, [], {
    env: appEnv(work, { SKIFF_HOST: host }),
    stdio: ["ignore", "ignore", openSync(logFile, "w")],
  });
  const exited = new Promise((done) => child.on("exit", (code, signal) => done({ code, signal })));
  log(`started ${binary} (pid ${child.pid}); quitting it in ${seconds} s`);
  await sleep(Number(seconds) * 1000);
  if (child.exitCode !== null) throw new Error(`the app exited early:\n${readFileSync(logFile, "utf8")}`);
  // WebKit's processes first would make the backend see its page crash; the backend alone quits
  // the app as a session's end does, and takes them with it.
  process.kill(child.pid, "SIGTERM");
  const end = await Promise.race([exited, sleep(30000).then(() => null)]);
  if (!end) {
    for (const p of tree(child.pid).reverse()) process.kill(p, "SIGKILL");
    throw new Error("the app did not quit within 30 s of SIGTERM: no profile");
  }
  log(`quit: ${JSON.stringify(end)}`);
} finally {
  execFileSync(engines, ["stop", "podman", work], { stdio: "ignore" });
  rmSync(work, { recursive: true, force: true });
}
