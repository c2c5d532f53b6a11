// The installed Skiff under Xvfb: its window loads the UI (nav and brand present), driven by
// WebDriver through tauri-driver like the end-to-end tests, but on the packaged binary.
// Usage (under scripts/headless.sh): node tests/package/window.mjs /usr/bin/skiff-desktop SCREENSHOT
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session, startDriver, stopDriver } from "../e2e/webdriver.mjs";

const [app, screenshot] = process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), "skiff-package-"));
const driver = await startDriver({
  port: 4444,
  nativePort: 4445,
  env: { SKIFF_HOST: "tcp://127.0.0.1:1", SKIFF_CONFIG_DIR: join(work, "config"), SKIFF_DATA_DIR: join(work, "data"), SKIFF_LOG_DIR: join(work, "logs") },
  logFile: join(work, "driver.log"),
});
let session;
try {
  session = await Session.start(driver.base, app);
  const pages = await session.waitFor("the navigation", async () => {
    const links = await session.findAll("nav a");
    return links.length ? Promise.all(links.map((l) => session.text(l))) : null;
  });
  assert.deepEqual(pages, ["Containers", "Images", "Volumes", "Networks", "Pods", "Events", "Health", "Telemetry", "Settings", "About"]);
  const title = await session.execute("return document.title;");
  assert.equal(title, "Skiff");
  // The unreachable endpoint is reported with its reason: the core runs inside the packaged app.
  const banner = await session.waitFor("the engine banner", async () => {
    const text = await session.execute(`return document.querySelector("main")?.innerText ?? "";`);
    return text.includes("connection refused") && !text.includes("Connecting…") ? text : null;
  });
  assert.match(banner, /Retry now|next try/);
  // Let a frame paint what the DOM now holds before the picture is taken.
  await new Promise((r) => setTimeout(r, 1500));
  if (screenshot) await session.screenshot(screenshot);
  // The release build writes its daily log file.
  const logs = readdirSync(join(work, "logs"));
  assert.equal(logs.length, 1, `${logs}`);
  assert.match(readFileSync(join(work, "logs", logs[0]), "utf8"), /skiff-desktop starting/);
  console.log(`window ok: ${pages.join(", ")}; log file ${logs[0]}`);
} finally {
  await session?.close();
  stopDriver(driver);
  rmSync(work, { recursive: true, force: true });
}
