// End-to-end smoke test of the real Skiff window: the names of containers created in a
// throwaway Podman engine appear in the DOM of the app started under Xvfb via tauri-driver.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { Session, startDriver } from "./webdriver.mjs";

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
  });
  session = await Session.start(driver.base, app);
});

after(async () => {
  await session?.close();
  driver?.child.kill();
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
