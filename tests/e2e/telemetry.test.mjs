// End-to-end: telemetry consent in the real window, against a real HTTP collector on loopback that
// counts what arrives. Started with consent already given (this once crashed the app at every
// start), switched off (nothing more is sent, not even what is queued) and on again (the same
// telemetry resumes), withdrawn from a terminal with `skiff telemetry disable` while the app runs,
// and, in a second run, given through the first-run banner's "Share".
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Session, startDriver, stopDriver } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = join(targetDir, "debug", "skiff-desktop");
const cli = join(targetDir, "debug", "skiff");
const SEND_MS = 300;

let work, server, driver, session;
/** What the collector received, and how it answers (200, or 500 to keep events queued). */
const sink = { events: [], status: 500 };

function env() {
  return {
    SKIFF_HOST: `unix://${join(work, "no-engine.sock")}`,
    SKIFF_CONFIG_DIR: join(work, "config"),
    SKIFF_DATA_DIR: join(work, "data"),
    SKIFF_LOG_DIR: join(work, "logs"),
    KUBECONFIG: join(work, "no-kubeconfig"),
    SKIFF_TELEMETRY_URL: `http://127.0.0.1:${server.address().port}/v1/events`,
    SKIFF_TELEMETRY_SEND_MS: String(SEND_MS),
  };
}

async function launch() {
  driver = await startDriver({ port: 4444, nativePort: 4445, env: env(), logFile: join(targetDir, "e2e", "driver-telemetry.log") });
  session = await Session.start(driver.base, app);
  await session.appBuilt();
}

async function quit() {
  await session?.close();
  if (driver) stopDriver(driver);
  session = driver = undefined;
  await sleep(500);
}

const names = () => sink.events.map((e) => e.name);

async function openTelemetryPage() {
  // Away and back: the page reads the report when it opens.
  await session.execute(`document.querySelector('a[href="#health"]').click();`);
  await session.execute(`document.querySelector('a[href="#telemetry"]').click();`);
  return session.waitFor("telemetry page", async () => (await session.findAll('[data-testid="telemetry-consent"]'))[0]);
}

/** Consent on (from a terminal, as a user could) and the collector refusing: events queue up. */
async function consentOnAndRefused() {
  sink.status = 500;
  execFileSync(cli, ["telemetry", "enable"], { env: { ...process.env, ...env() } });
  await session.waitFor("the app's telemetry on", async () => {
    await openTelemetryPage();
    return await consentChecked();
  }, 10000);
}

const consentChecked = () => session.execute(`return document.querySelector('[data-testid="telemetry-consent"]').checked;`);
const clickConsent = () => session.execute(`document.querySelector('[data-testid="telemetry-consent"]').click();`);

before(async () => {
  work = mkdtempSync(join(tmpdir(), "skiff-e2e-telemetry-"));
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (sink.status === 200) sink.events.push(...JSON.parse(body).events);
      res.writeHead(sink.status).end();
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  mkdirSync(join(work, "config"));
  writeFileSync(join(work, "config", "settings.json"), JSON.stringify({ telemetry: true }));
  await launch();
});

after(async () => {
  await quit();
  server?.close();
  rmSync(work, { recursive: true, force: true });
});

test("started with consent given, the app runs and shows why its collector refuses", async () => {
  sink.status = 500;
  const rows = await session.waitFor("engine banner", async () => (await session.findAll('[data-testid="engine-banner"]')).length > 0);
  assert.ok(rows);
  await openTelemetryPage();
  assert.equal(await consentChecked(), true);
  const reason = await session.waitFor("collector error", async () => {
    await openTelemetryPage();
    const e = await session.findAll('[data-testid="telemetry-sink-error"]');
    return e.length ? session.text(e[0]) : null;
  });
  assert.match(reason, /500/);
  await session.screenshot(join(targetDir, "e2e", "telemetry-refused.png"));
});

test("switched off, nothing is sent, not even what is queued; switched on, it is sent once", async () => {
  await consentOnAndRefused();
  sink.events = [];
  await clickConsent();
  await session.waitFor("consent saved off", async () => JSON.parse(readFileSync(join(work, "config", "settings.json"), "utf8")).telemetry === false);
  sink.status = 200;
  await sleep(SEND_MS * 8);
  assert.deepEqual(names(), [], "nothing sent while consent is off");
  await openTelemetryPage();
  assert.equal(await consentChecked(), false);
  const queued = await session.execute(`return document.querySelector('[data-testid="telemetry-page"]').innerText;`);
  assert.match(queued, /Waiting to be sent \([1-9]\d*\)/, "the queued events are still shown");
  await clickConsent();
  await session.waitFor("app_started arrives", async () => names().includes("app_started"), 10000);
  await sleep(SEND_MS * 4);
  assert.deepEqual(names().filter((n) => n === "app_started"), ["app_started"], "one owner, one start event");
  await openTelemetryPage();
  await session.waitFor("error cleared", async () => (await session.findAll('[data-testid="telemetry-sink-error"]')).length === 0);
});

test("`skiff telemetry disable` in a terminal reaches the running app within seconds", async () => {
  await consentOnAndRefused();
  execFileSync(cli, ["telemetry", "disable"], { env: { ...process.env, ...env() } });
  const off = await session.waitFor(
    "the app's telemetry off",
    async () => {
      await openTelemetryPage();
      const text = await session.execute(`return document.querySelector('[data-testid="telemetry-page"]').innerText;`);
      return /enabled\s+false/.test(text) && !(await consentChecked()) ? text : null;
    },
    10000,
  );
  assert.ok(off);
  await session.screenshot(join(targetDir, "e2e", "telemetry-off.png"));
});

test("a first run answered with the banner's Share starts telemetry without restarting", async () => {
  await quit();
  rmSync(join(work, "config", "settings.json"));
  sink.events = [];
  sink.status = 200;
  await launch();
  await session.waitFor("consent banner", async () => (await session.findAll('[data-testid="consent-banner"]')).length > 0);
  await session.execute(`document.querySelector('[data-testid="consent-banner"] button.primary').click();`);
  await session.waitFor("banner gone", async () => (await session.findAll('[data-testid="consent-banner"]')).length === 0);
  await session.waitFor("app_started arrives after Share", async () => names().includes("app_started"), 10000);
  assert.equal(JSON.parse(readFileSync(join(work, "config", "settings.json"), "utf8")).telemetry, true);
  // The window is alive: a page switch still works.
  await openTelemetryPage();
  assert.equal(await consentChecked(), true);
});
