// End-to-end smoke test of the real Skiff window: the names of containers created in a
// throwaway Podman engine appear in the DOM of the app started under Xvfb via tauri-driver.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { Session, startDriver, stopDriver } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = join(targetDir, "debug", "skiff-desktop");
const engines = join(root, "scripts", "engines.sh");

let work, host, driver, session;

function engine(...args) {
  return execFileSync(engines, [args[0], "podman", work, ...args.slice(1)], { encoding: "utf8" }).trim();
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), "skiff-e2e-"));
  host = engine("start");
  for (const name of ["e2e-alpha", "e2e-beta"]) {
    engine("cli", "create", "--name", name, "--network", "none", "busybox:latest", "sleep", "86400");
  }
  engine("cli", "start", "e2e-alpha");
  driver = await startDriver({
    port: 4444,
    nativePort: 4445,
    env: { SKIFF_HOST: host, SKIFF_CONFIG_DIR: join(work, "config"), SKIFF_DATA_DIR: join(work, "data") },
    logFile: join(targetDir, "e2e", "driver.log"),
  });
  session = await Session.start(driver.base, app);
});

after(async () => {
  await session?.close();
  if (driver) stopDriver(driver);
  try {
    engine("destroy");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test("containers created in Podman appear in the window", async () => {
  const names = await session.waitFor("both container rows", async () => {
    const rows = await session.findAll('[data-testid="container-row"]');
    const names = await Promise.all(rows.map((r) => session.attribute(r, "data-name")));
    return names.includes("e2e-alpha") && names.includes("e2e-beta") ? names : null;
  });
  assert.ok(names.includes("e2e-alpha"));
  const chips = await session.findAll('[data-name="e2e-alpha"] [data-state]');
  assert.equal(await session.attribute(chips[0], "data-state"), "running");
  await session.screenshot(join(targetDir, "e2e", "containers.png"));
});

async function rowState(name) {
  const chips = await session.findAll(`[data-name="${name}"] [data-state]`);
  if (!chips.length) return null;
  return {
    state: await session.attribute(chips[0], "data-state"),
    text: await session.text(chips[0]),
  };
}

test("a container started with the engine's own CLI appears without any user action", async () => {
  engine("cli", "run", "-d", "--name", "e2e-live", "--network", "none", "busybox:latest", "sleep", "86400");
  const s = await session.waitFor("e2e-live running", async () => (await rowState("e2e-live"))?.state === "running");
  assert.ok(s);
});

test("Stop from the UI shows pending, then exited", async () => {
  await session.execute(
    `document.querySelector('[data-name="e2e-alpha"] [data-action="stop"]').click();`,
  );
  // Podman waits 10 s for `sleep` (PID 1 ignores SIGTERM) before killing it: pending shows meanwhile.
  await session.waitFor("pending chip", async () => (await rowState("e2e-alpha"))?.text === "pending…", 5000);
  await session.screenshot(join(targetDir, "e2e", "pending.png"));
  await session.waitFor("e2e-alpha exited", async () => {
    const s = await rowState("e2e-alpha");
    return s?.state === "exited" && s.text !== "pending…";
  });
});

test("a killed engine shows a banner with a countdown; when it returns the banner goes and the list is intact", async () => {
  engine("stop");
  const banner = await session.waitFor("reconnect banner", async () => {
    const b = await session.findAll('[data-testid="engine-banner"]');
    return b.length ? b : null;
  });
  assert.match(await session.text(banner[0]), /unreachable|cannot be used/);
  await session.screenshot(join(targetDir, "e2e", "engine-down.png"));
  engine("start");
  await session.waitFor("banner gone", async () => (await session.findAll('[data-testid="engine-banner"]')).length === 0);
  const rows = await session.findAll('[data-testid="container-row"]');
  const names = await Promise.all(rows.map((r) => session.attribute(r, "data-name")));
  for (const n of ["e2e-alpha", "e2e-beta", "e2e-live"]) assert.ok(names.includes(n), `${n} still listed: ${names}`);
});

test("the first-run consent banner sits below the list without hiding it, and leads to the telemetry page", async () => {
  const banner = await session.waitFor("consent banner", async () => {
    const b = await session.findAll('[data-testid="consent-banner"]');
    return b.length ? b : null;
  });
  // Rows are still there and visible next to the banner.
  const rows = await session.findAll('[data-testid="container-row"]');
  assert.ok(rows.length >= 3);
  const overlap = await session.execute(
    `const b = document.querySelector('[data-testid="consent-banner"]').getBoundingClientRect();
     const l = document.querySelector('.list').getBoundingClientRect();
     return b.top < l.bottom && b.bottom > l.top;`,
  );
  assert.equal(overlap, false, "banner does not cover the list");
  await session.screenshot(join(targetDir, "e2e", "consent.png"));
  await session.execute(`document.querySelector('[data-testid="consent-banner"] .link').click();`);
  await session.waitFor("telemetry page", async () => (await session.findAll('[data-testid="telemetry-page"]')).length > 0);
  await session.screenshot(join(targetDir, "e2e", "telemetry.png"));
  assert.ok(banner.length === 1);
});

test("the Health page shows the ping report with the registry and UI handlers", async () => {
  await session.execute(`document.querySelector('a[href="#health"]').click();`);
  const rows = await session.waitFor("handler rows", async () => {
    const r = await session.findAll('[data-testid="handler-row"]');
    return r.length >= 2 ? r : null;
  });
  const names = await Promise.all(rows.map((r) => session.text(r)));
  assert.ok(names.some((n) => n.startsWith("registry:podman")), names.join(" | "));
  assert.ok(names.some((n) => n.startsWith("ui-bridge")), names.join(" | "));
  await session.screenshot(join(targetDir, "e2e", "health.png"));
});

test("a second launch exits 0 and leaves the first window running", async () => {
  const { spawnSync } = await import("node:child_process");
  const second = spawnSync(app, [], {
    env: { ...process.env, SKIFF_HOST: host, SKIFF_CONFIG_DIR: join(work, "config"), SKIFF_DATA_DIR: join(work, "data") },
    timeout: 20000,
    encoding: "utf8",
  });
  assert.equal(second.error, undefined, "the second instance ended by itself");
  assert.equal(second.status, 0, second.stderr);
  await session.execute(`document.querySelector('a[href="#containers"]').click();`);
  const rows = await session.waitFor("rows of the first window", async () => {
    const r = await session.findAll('[data-testid="container-row"]');
    return r.length ? r : null;
  });
  assert.ok(rows.length >= 3, "the first window still answers");
});
