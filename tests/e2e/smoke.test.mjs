// End-to-end smoke test of the real Skiff window: the names of containers created in a
// throwaway Podman engine appear in the DOM of the app started under Xvfb via tauri-driver.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { Session, startDriver, stopDriver } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = join(targetDir, "debug", "skiff-desktop");
const engines = join(root, "scripts", "engines.sh");

let work, host, driver, session, notifier;

function engine(...args) {
  return execFileSync(engines, [args[0], "podman", work, ...args.slice(1)], { encoding: "utf8" }).trim();
}

/** Polls `check` (synchronous; a throw counts as false) every 100 ms for up to 10 s. */
async function until(what, check) {
  for (let i = 0; i < 100; i++) {
    try {
      if (check()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), "skiff-e2e-"));
  host = engine("start");
  for (const name of ["e2e-alpha", "e2e-beta"]) {
    engine("cli", "create", "--name", name, "--network", "none", "busybox:latest", "sleep", "86400");
  }
  engine("cli", "start", "e2e-alpha");
  // "Open log folder" runs the desktop's opener (xdg-open on Linux); this one records what it
  // was asked to open instead of starting a file manager that Xvfb does not have.
  mkdirSync(join(work, "bin"));
  writeFileSync(join(work, "bin", "xdg-open"), `#!/bin/sh\necho "$1" >> "${join(work, "opened")}"\n`);
  chmodSync(join(work, "bin", "xdg-open"), 0o755);
  // Docker contexts for the Settings page to list (SKIFF_HOST means none is connected to).
  writeFileSync(join(work, "config.json"), JSON.stringify({ currentContext: "lab" }));
  for (const [dir, name, host] of [["a", "lab", "ssh://me@lab-box"], ["b", "ci", "tcp://10.0.0.5:2375"]]) {
    mkdirSync(join(work, "contexts", "meta", dir), { recursive: true });
    writeFileSync(join(work, "contexts", "meta", dir, "meta.json"), JSON.stringify({ Name: name, Endpoints: { docker: { Host: host } } }));
  }
  // A real notification server on the session bus (Debian's dunst, drawing on Xvfb): the
  // outage's alerts reach it through the notification plugin's D-Bus calls.
  notifier = spawn("dunst", [], { stdio: "ignore" });
  await until("dunst owns org.freedesktop.Notifications", () =>
    execFileSync("gdbus", ["call", "--session", "--dest", "org.freedesktop.DBus", "--object-path", "/",
      "--method", "org.freedesktop.DBus.NameHasOwner", "org.freedesktop.Notifications"], { encoding: "utf8" }).includes("true"));
  driver = await startDriver({
    port: 4444,
    nativePort: 4445,
    env: {
      SKIFF_HOST: host,
      SKIFF_CONFIG_DIR: join(work, "config"),
      SKIFF_DATA_DIR: join(work, "data"),
      SKIFF_LOG_DIR: join(work, "logs"),
      DOCKER_CONFIG: work,
      PATH: `${join(work, "bin")}:${process.env.PATH}`,
    },
    logFile: join(targetDir, "e2e", "driver.log"),
  });
  session = await Session.start(driver.base, app);
  await session.appBuilt();
});

after(async () => {
  await session?.close();
  if (driver) stopDriver(driver);
  notifier?.kill();
  try {
    engine("destroy");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test("containers created in Podman appear in the window", async () => {
  await open("containers", "container-row");
  const names = await session.waitFor("both container rows", async () => {
    const rows = await session.findAll('[data-testid="container-row"]');
    const names = await Promise.all(rows.map((r) => session.attribute(r, "data-name")));
    return names.includes("e2e-alpha") && names.includes("e2e-beta") ? names : null;
  });
  assert.ok(names.includes("e2e-alpha"));
  const chips = await session.findAll('[data-name="e2e-alpha"] [data-state]');
  assert.equal(await session.attribute(chips[0], "data-state"), "running");
  // WebKit's screenshot is the last frame it composited: give the rows one to be painted in.
  await new Promise((r) => setTimeout(r, 500));
  await session.screenshot(join(targetDir, "e2e", "containers.png"));
});

/** Shows `page` (each test opens the page it needs: none relies on where another one left off). */
async function open(page, testid) {
  await session.execute(`document.querySelector('a[href="#${page}"]').click();`);
  await session.waitFor(`${page} page`, async () => (await session.findAll(`[data-testid="${testid}"]`)).length > 0);
}

/** A running container of its own for a test, created with the engine's CLI. */
function runContainer(name) {
  engine("cli", "run", "-d", "--name", name, "--network", "none", "busybox:latest", "sleep", "86400");
}

async function rowState(name) {
  const chips = await session.findAll(`[data-name="${name}"] [data-state]`);
  if (!chips.length) return null;
  return {
    state: await session.attribute(chips[0], "data-state"),
    text: await session.text(chips[0]),
  };
}

test("a container started with the engine's own CLI appears without any user action", async () => {
  await open("containers", "container-row");
  runContainer("e2e-live");
  const s = await session.waitFor("e2e-live running", async () => (await rowState("e2e-live"))?.state === "running");
  assert.ok(s);
});

test("a click on a row opens the container: its log follows, search finds lines, Inspect shows its document, Stats its charts, Escape goes back", async () => {
  await open("containers", "container-row");
  engine(
    "cli", "run", "-d", "--name", "e2e-talker", "--network", "none", "busybox:latest", "sh", "-c",
    "i=0; while true; do echo line $i; echo oops $i >&2; i=$((i+1)); sleep 0.2; done",
  );
  await session.waitFor("e2e-talker running", async () => (await rowState("e2e-talker"))?.state === "running");
  // The list's CPU and memory columns fill in for the running rows on screen.
  const mem = await session.waitFor("the row's memory column", async () => {
    const text = await session.execute(`return document.querySelector('[data-name="e2e-talker"] [data-testid="row-mem"]')?.textContent ?? "";`);
    return /\d (B|KiB|MiB|GiB)$/.test(text) ? text : null;
  }, 15000);
  assert.ok(mem);
  const cpu = await session.execute(`return document.querySelector('[data-name="e2e-talker"] [data-testid="row-cpu"]').textContent;`);
  assert.match(cpu, /^\d+\.\d+ %$/);
  await new Promise((r) => setTimeout(r, 500));
  await session.screenshot(join(targetDir, "e2e", "list-stats.png"));
  await session.execute(`document.querySelector('[data-name="e2e-talker"] td.name').click();`);
  await session.waitFor("the detail view", async () => (await session.findAll('[data-testid="detail-name"]')).length > 0);
  const count = async () => Number(await session.execute(`return document.querySelector('[data-testid="log-lines"]')?.dataset.count ?? 0;`));
  // Lines arrive while the view is open: it follows.
  const first = await session.waitFor("log lines", async () => ((await count()) >= 6 ? await count() : null));
  await session.waitFor("more log lines, followed", async () => (await count()) > first + 4);
  const stderr = await session.findAll('[data-testid="log-line"].stderr');
  assert.ok(stderr.length > 0, "stderr lines are told apart");
  // Search: matches counted, the current one highlighted.
  await session.execute(`
    const input = document.querySelector('[data-testid="log-search"]');
    input.value = "oops 1";
    input.dispatchEvent(new Event("input", { bubbles: true }));`);
  await session.waitFor("search matches", async () => {
    const text = await session.execute(`return document.querySelector('[data-testid="log-matches"]').textContent;`);
    return /\/ [1-9]/.test(text) ? text : null;
  });
  // WebKit's screenshot is the last frame it composited: give the followed view one to settle.
  await new Promise((r) => setTimeout(r, 500));
  await session.screenshot(join(targetDir, "e2e", "logs.png"));
  await session.execute(`document.querySelector('[data-testid="tab-inspect"]').click();`);
  const doc = await session.waitFor("the inspect document", async () => {
    const text = await session.execute(`return document.querySelector('[data-testid="inspect-document"]')?.textContent ?? "";`);
    return text.includes('"Id"') ? text : null;
  });
  assert.ok(doc.includes("e2e-talker"));
  await session.screenshot(join(targetDir, "e2e", "inspect.png"));
  await session.execute(`document.querySelector('[data-testid="tab-stats"]').click();`);
  const charts = await session.waitFor("the stats charts", async () => {
    const n = await session.execute(`return document.querySelectorAll('[data-testid="stats-charts"] [data-testid="sparkline"]').length;`);
    return n > 0 ? n : null;
  }, 15000);
  assert.equal(charts, 7, "CPU, memory, network in/out, block read/write, PIDs");
  // A few samples drawn before the picture.
  await new Promise((r) => setTimeout(r, 3000));
  await session.screenshot(join(targetDir, "e2e", "stats.png"));
  await session.execute(`window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));`);
  await session.waitFor("back to the list", async () => (await session.findAll('[data-testid="container-row"]')).length > 0);
});

test("a log view opens on the last 1000 lines and pages back to the first, each line once", async () => {
  await open("containers", "container-row");
  engine(
    "cli", "run", "-d", "--name", "e2e-pages", "--network", "none", "busybox:latest", "sh", "-c",
    "i=0; while [ $i -lt 2500 ]; do echo page line $i; i=$((i+1)); done; sleep 86400",
  );
  await session.waitFor("e2e-pages running", async () => (await rowState("e2e-pages"))?.state === "running");
  await session.execute(`document.querySelector('[data-name="e2e-pages"] td.name').click();`);
  const count = async () => Number(await session.execute(`return document.querySelector('[data-testid="log-lines"]')?.dataset.count ?? 0;`));
  await session.waitFor("the last 1000 lines", async () => (await count()) === 1000);
  for (const expected of [2000, 2500]) {
    await session.execute(`document.querySelector('[data-testid="log-older"]').click();`);
    await session.waitFor(`${expected} lines`, async () => (await count()) === expected);
  }
  // The first line of the log is the first one held: scroll to the top and read it.
  await session.execute(`document.querySelector('[data-testid="log-lines"]').scrollTop = 0;`);
  // (The scroll re-renders the visible lines on its event: wait for it.)
  await session.waitFor("the log's first line on top", async () => {
    const t = await session.execute(`return document.querySelector('[data-testid="log-line"]')?.textContent ?? "";`);
    return t.trim() === "page line 0";
  }, 5000);
  await session.execute(`document.querySelector('[data-testid="log-older"]').click();`);
  await session.waitFor("no more pages offered", async () => (await session.findAll('[data-testid="log-older"]')).length === 0);
  assert.equal(await count(), 2500, "each line once");
  await session.execute(`window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));`);
  await session.waitFor("back to the list", async () => (await session.findAll('[data-testid="container-row"]')).length > 0);
});

/** The text of the detail view's terminal, as xterm.js's buffer holds it. */
async function terminalText() {
  return session.execute(`return document.querySelector('[data-testid="terminal"] .screen')?.skiff?.text() ?? "";`);
}

/** Types `text` into the terminal through WebDriver, as keystrokes into xterm.js's textarea. */
async function typeInTerminal(text) {
  const [area] = await session.findAll('[data-testid="terminal"] textarea.xterm-helper-textarea');
  await session.sendKeys(area, text);
}

test("the Terminal tab opens a shell: typed keys run, the answer shows, the size follows the window", async () => {
  await open("containers", "container-row");
  runContainer("e2e-shell");
  await session.waitFor("e2e-shell running", async () => (await rowState("e2e-shell"))?.state === "running");
  await session.execute(`document.querySelector('[data-name="e2e-shell"] td.name').click();`);
  await session.waitFor("the detail view", async () => (await session.findAll('[data-testid="tab-terminal"]')).length > 0);
  try {
    await terminalChecks();
  } finally {
    // Back to the list however it went: the next tests start from the container list.
    await session.execute(`document.querySelector('[data-testid="detail-back"]')?.click();`);
  }
  await session.waitFor("back to the list", async () => (await session.findAll('[data-testid="container-row"]')).length > 0);
});

async function terminalChecks() {
  await session.execute(`document.querySelector('[data-testid="tab-terminal"]').click();`);
  await session.waitFor("the shell open", async () =>
    (await session.execute(`return document.querySelector('[data-testid="terminal"]')?.dataset.state;`)) === "open");
  const shell = await session.execute(`return document.querySelector('[data-testid="terminal-command"]').textContent;`);
  assert.equal(shell, "sh", "busybox has sh and no bash");
  await session.waitFor("the prompt", async () => (await terminalText()).includes("#"));
  await typeInTerminal("echo $((6*7))\uE007");
  await session.waitFor("42 in the terminal", async () => (await terminalText()).split("\n").some((l) => l.trim() === "42"), 10000);

  // The pane's size is the shell's: read it, resize the window, read the new one.
  const size = async () => {
    const text = await terminalText();
    const sizes = [...text.matchAll(/^(\d+) (\d+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    return sizes.at(-1);
  };
  await typeInTerminal("clear; stty size\uE007");
  const before = await session.waitFor("stty size", size, 10000);
  const rect = await session.windowRect();
  await session.setWindowSize(rect.width - 200, rect.height - 150);
  // The pane is fitted on its next frame, then the engine is told.
  await new Promise((r) => setTimeout(r, 1000));
  await typeInTerminal("clear; stty size\uE007");
  const after = await session.waitFor("a new stty size", async () => {
    const s = await size();
    return s && s !== before ? s : null;
  }, 10000);
  const [rowsBefore, colsBefore] = before.split(" ").map(Number);
  const [rowsAfter, colsAfter] = after.split(" ").map(Number);
  assert.ok(rowsAfter < rowsBefore && colsAfter < colsBefore, `${before} → ${after}`);
  await typeInTerminal("printf '\\033[32mgreen\\033[0m café\\n'; ls /\uE007");
  await session.waitFor("the colour line", async () => (await terminalText()).includes("green café"), 20000);
  await session.setWindowSize(rect.width, rect.height);
  await new Promise((r) => setTimeout(r, 1000));
  await session.screenshot(join(targetDir, "e2e", "terminal.png"));

  // The shell's end: its exit code shown, and a Reopen.
  await typeInTerminal("exit 7\uE007");
  const ended = await session.waitFor("the ending", async () =>
    session.execute(`return document.querySelector('[data-testid="terminal-ending"]')?.textContent ?? "";`), 10000);
  assert.match(ended, /Exited with code 7/);
  const reopen = await session.execute(`return document.querySelector('[data-testid="terminal-open"]').textContent;`);
  assert.match(reopen, /Reopen/);
}

test("Stop from the UI shows pending, then exited", async () => {
  await open("containers", "container-row");
  runContainer("e2e-stop");
  await session.waitFor("e2e-stop running", async () => (await rowState("e2e-stop"))?.state === "running");
  await session.execute(
    `document.querySelector('[data-name="e2e-stop"] [data-action="stop"]').click();`,
  );
  // Podman waits 10 s for `sleep` (PID 1 ignores SIGTERM) before killing it: pending shows meanwhile.
  await session.waitFor("pending chip", async () => (await rowState("e2e-stop"))?.text === "pending…", 5000);
  await session.screenshot(join(targetDir, "e2e", "pending.png"));
  await session.waitFor("e2e-stop exited", async () => {
    const s = await rowState("e2e-stop");
    return s?.state === "exited" && s.text !== "pending…";
  });
});

test("a killed engine shows a banner with a countdown; when it returns the banner goes and the list is intact", async () => {
  await open("containers", "container-row");
  // A container's Stats tab, open when the engine goes: its charts stay, greyed, and give no
  // value as the current one.
  await session.execute(`document.querySelector('[data-name="e2e-talker"] td.name').click();`);
  await session.waitFor("the detail view", async () => (await session.findAll('[data-testid="detail-name"]')).length > 0);
  await session.execute(`document.querySelector('[data-testid="tab-stats"]').click();`);
  await session.waitFor("the stats charts", async () => (await session.findAll('[data-testid="stats-charts"] [data-testid="sparkline"]')).length > 0, 15000);
  const values = () =>
    session.execute(`return [...document.querySelectorAll('[data-testid="sparkline"] strong')].map((v) => v.textContent);`);
  assert.ok((await values()).every((v) => v !== "—"), "live values while the engine answers");
  engine("stop");
  const paused = await session.waitFor("the charts paused", async () => {
    const note = await session.findAll('[data-testid="stats-paused"]');
    return note.length ? session.text(note[0]) : null;
  });
  assert.match(paused, /is not reachable: the charts show the last samples/);
  assert.deepEqual(new Set(await values()), new Set(["—"]));
  assert.equal((await session.findAll('[data-testid="detail-unreachable"]')).length, 1, "the header says its state is the last known");
  await new Promise((r) => setTimeout(r, 500));
  await session.screenshot(join(targetDir, "e2e", "stats-paused.png"));
  await session.execute(`window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));`);
  const banner = await session.waitFor("reconnect banner", async () => {
    const b = await session.findAll('[data-testid="engine-banner"]');
    return b.length ? b : null;
  });
  assert.match(await session.text(banner[0]), /unreachable|cannot be used/);
  // Its rows stay listed, but their CPU and memory are no longer live: not shown.
  await session.waitFor("no stats while the engine is down", async () => {
    const cells = await session.execute(
      `return [...document.querySelectorAll('[data-name="e2e-talker"] [data-testid="row-cpu"], [data-name="e2e-talker"] [data-testid="row-mem"]')].map((c) => c.textContent);`,
    );
    return cells.length === 2 && cells.every((t) => t === "");
  }, 5000);
  await session.screenshot(join(targetDir, "e2e", "engine-down.png"));
  engine("start");
  await session.waitFor("banner gone", async () => (await session.findAll('[data-testid="engine-banner"]')).length === 0);
  const rows = await session.findAll('[data-testid="container-row"]');
  const names = await Promise.all(rows.map((r) => session.attribute(r, "data-name")));
  for (const n of ["e2e-alpha", "e2e-beta"]) assert.ok(names.includes(n), `${n} still listed: ${names}`);
  // The outage is on the Health page's alert log: one "unavailable" and one "back" (shown as
  // desktop notifications when the desktop has a notification service), newest first.
  await open("health", "handler-row");
  const alerts = await session.waitFor("alert log", async () => {
    const items = await session.findAll('[data-testid="alerts"] li');
    return items.length >= 2 ? Promise.all(items.map((i) => session.attribute(i, "class"))) : null;
  });
  const kinds = alerts.map((c) => c.split(" ").find((k) => k.startsWith("engine_")));
  assert.deepEqual(kinds, ["engine_recovered", "engine_down"], "newest first, one pair per outage");
  // Both were shown on the desktop: the server answered each Notify, and has both.
  const texts = await Promise.all((await session.findAll('[data-testid="alerts"] li')).map((i) => session.text(i)));
  for (const t of texts) assert.doesNotMatch(t, /not shown/, t);
  const counts = execFileSync("dunstctl", ["count"], { encoding: "utf8" }).match(/\d+/g).map(Number);
  assert.equal(counts.reduce((a, b) => a + b, 0), 2, "dunst received the two alerts");
});

test("the first-run consent banner sits below the list without hiding it, and leads to the telemetry page", async () => {
  await open("containers", "container-row");
  const banner = await session.waitFor("consent banner", async () => {
    const b = await session.findAll('[data-testid="consent-banner"]');
    return b.length ? b : null;
  });
  // Rows are still there and visible next to the banner.
  const rows = await session.findAll('[data-testid="container-row"]');
  assert.ok(rows.length >= 2);
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
  await open("health", "handler-row");
  const rows = await session.waitFor("handler rows", async () => {
    const r = await session.findAll('[data-testid="handler-row"]');
    return r.length >= 2 ? r : null;
  });
  const names = await Promise.all(rows.map((r) => session.text(r)));
  assert.ok(names.some((n) => n.startsWith("registry:podman")), names.join(" | "));
  assert.ok(names.some((n) => n.startsWith("ui-bridge")), names.join(" | "));
  assert.ok(names.some((n) => n.startsWith("tray")), names.join(" | "));
  assert.ok(names.some((n) => n.startsWith("notifications")), names.join(" | "));
  await session.waitFor("charts", async () => (await session.findAll('[data-testid="sparkline"]')).length === 3);
  await session.screenshot(join(targetDir, "e2e", "health.png"));
});

test("a crash shows once on the Health page with the container's last log lines, and Clear empties the list", async () => {
  engine("cli", "run", "-d", "--name", "e2e-crasher", "--network", "none", "busybox:latest", "sh", "-c", "echo about to fail; sleep 2; exit 7");
  await open("health", "handler-row");
  const alerts = () => session.execute(`return document.querySelector('[data-testid="container-alerts"]')?.textContent ?? "";`);
  const text = await session.waitFor("the crash alert", async () => {
    const t = await alerts();
    return t.includes("e2e-crasher") ? t : null;
  });
  assert.match(text, /e2e-crasher crashed \(exit 7\)/);
  assert.ok(text.includes("about to fail"), `the last log lines: ${text}`);
  const handlers = await session.execute(`return document.querySelector('[data-testid="handlers"]')?.textContent ?? document.body.textContent;`);
  assert.ok(handlers.includes("rule:crashed"), "the rule is a handler on the page");
  // Open the log lines for the screenshot.
  await session.execute(`document.querySelector('[data-testid="container-alerts"] details')?.setAttribute("open", "");
    document.querySelector('[data-testid="container-alerts"]').scrollIntoView({ block: "center" });`);
  await new Promise((r) => setTimeout(r, 2500));
  const again = await alerts();
  assert.equal(again.split("e2e-crasher crashed").length - 1, 1, "one alert for one crash");
  await session.screenshot(join(targetDir, "e2e", "alerts.png"));
  await session.execute(`document.querySelector('[data-testid="clear-container-alerts"]').click();`);
  await session.waitFor("the list cleared", async () => (await alerts()) === "");
});

test("the Events page lists engine events, filterable", async () => {
  runContainer("e2e-events");
  await open("events", "events-page");
  // The rows' texts as the page holds them: only those on screen (the list is virtualized).
  const eventRows = () => session.execute(`return [...document.querySelectorAll('[data-testid="event-row"]')].map((r) => r.textContent);`);
  const texts = await session.waitFor("event rows", async () => ((await eventRows()).length ? eventRows() : null));
  assert.ok(texts.length >= 1);
  await session.execute(
    `const i = document.querySelector('[data-testid="events-page"] input[type="search"]');
     i.value = "e2e-events"; i.dispatchEvent(new Event("input", { bubbles: true }));`,
  );
  const filtered = await session.waitFor("filtered rows", async () => {
    const t = await eventRows();
    return t.some((x) => x.includes("start")) && t.every((x) => x.includes("e2e-events")) ? t : null;
  });
  assert.ok(filtered.length >= 1);
  // Followed, not asked for: an event while the page is open appears in it.
  engine("cli", "pause", "e2e-events");
  await session.waitFor("the pause, live", async () => (await eventRows()).some((x) => x.includes("pause")));
  // Paused, the list holds still while records keep arriving, and the button counts them.
  const pause = (await session.findAll('[data-testid="events-pause"]'))[0];
  await session.click(pause);
  const held = await eventRows();
  engine("cli", "unpause", "e2e-events");
  const label = await session.waitFor("the new records counted", async () => {
    const t = await session.text(pause);
    return /^Resume \(\d+ new\)$/.test(t) ? t : null;
  });
  assert.deepEqual(await eventRows(), held, `the list held still (${label})`);
  await session.screenshot(join(targetDir, "e2e", "events.png"));
  await session.click(pause);
  await session.waitFor("the unpause, after resuming", async () => (await eventRows()).some((x) => x.includes("unpause")));
  assert.equal(await session.text(pause), "Pause");
});

/** The texts of the object rows on screen (their whole cells: a cut cell shows an ellipsis). */
async function objectRows() {
  return session.execute(`return [...document.querySelectorAll('[data-testid="object-row"]')].map((r) => r.textContent);`);
}

test("the Images and Volumes pages follow the engine live, and a prune names what goes before removing it", async () => {
  await open("images", "object-row");
  const images = await session.waitFor("the busybox row with its containers", async () => {
    const t = await objectRows();
    return t.some((x) => x.includes("busybox") && x.includes("e2e-alpha")) ? t : null;
  });
  assert.ok(images.length >= 1);
  engine("cli", "tag", "busybox:latest", "e2e-tag:1");
  await session.waitFor("the new tag", async () => (await objectRows()).some((x) => x.includes("e2e-tag:1")));
  // Tag from the window: the form names the image, the row shows the tag once the engine has it.
  await session.execute(`document.querySelector('[data-testid="object-row"] [data-testid="tag"]').click();`);
  await session.waitFor("the tag form", async () => (await session.findAll('[data-testid="tag-input"]')).length === 1);
  await session.execute(
    `const i = document.querySelector('[data-testid="tag-input"]');
     i.value = "e2e-from-window:2"; i.dispatchEvent(new Event("input", { bubbles: true }));
     i.form.requestSubmit();`,
  );
  await session.waitFor("the window's tag", async () => (await objectRows()).some((x) => x.includes("e2e-from-window:2")));
  await new Promise((r) => setTimeout(r, 300));
  await session.screenshot(join(targetDir, "e2e", "images.png"));

  engine("cli", "volume", "create", "e2e-vol");
  await open("volumes", "object-row");
  await session.waitFor("the volume", async () => (await objectRows()).some((x) => x.includes("e2e-vol")));
  // Create one from the window.
  await session.execute(
    `const i = document.querySelector('[data-testid="volume-name"]');
     i.value = "e2e-made"; i.dispatchEvent(new Event("input", { bubbles: true }));
     i.form.requestSubmit();`,
  );
  await session.waitFor("the volume made in the window", async () => (await objectRows()).some((x) => x.includes("e2e-made")));
  await session.execute(`document.querySelector('[data-testid="prune"]').click();`);
  const confirm = await session.waitFor("the confirmation", async () => {
    const c = await session.findAll('[data-testid="prune-confirm"]');
    return c.length ? session.text(c[0]) : null;
  });
  assert.match(confirm, /e2e-vol/);
  assert.match(confirm, /e2e-made/);
  assert.deepEqual(JSON.parse(engine("cli", "volume", "ls", "--format", "json")).map((v) => v.Name).filter((n) => n === "e2e-vol"), ["e2e-vol"], "nothing removed before the confirmation");
  await session.execute(`document.querySelector('[data-testid="prune-confirm-button"]').click();`);
  await session.waitFor("the volume gone", async () => !(await objectRows()).some((x) => x.includes("e2e-vol")));
});

test("a compose project's row stops and starts all its containers", async () => {
  const dir = join(work, "shop");
  mkdirSync(dir, { recursive: true });
  const service = (name) => `  ${name}:\n    image: busybox\n    command: sleep 86400\n`;
  writeFileSync(join(dir, "docker-compose.yml"), `version: "3"\nservices:\n${service("web")}${service("worker")}`);
  execFileSync(engines, ["compose", "podman", work, "-p", "e2eshop", "up", "-d"], { cwd: dir, encoding: "utf8" });
  await open("containers", "container-row");
  await session.waitFor("the project's rows running", async () => {
    const states = await Promise.all(["e2eshop_web_1", "e2eshop_worker_1"].map(rowState));
    return states.every((s) => s?.state === "running");
  });
  const click = (action) =>
    session.execute(`document.querySelector('[data-testid="group-actions"][data-group="e2eshop"] [data-action="${action}"]').click();`);
  await click("stop");
  await session.waitFor("both exited", async () => {
    const states = await Promise.all(["e2eshop_web_1", "e2eshop_worker_1"].map(rowState));
    return states.every((s) => s?.state === "exited");
  });
  await session.screenshot(join(targetDir, "e2e", "project.png"));
  await click("start");
  await session.waitFor("both running again", async () => {
    const states = await Promise.all(["e2eshop_web_1", "e2eshop_worker_1"].map(rowState));
    return states.every((s) => s?.state === "running");
  });
});

test("the Settings page validates, saves to settings.json and applies the theme", async () => {
  await session.execute(`document.querySelector('a[href="#settings"]').click();`);
  await session.waitFor("settings form", async () => (await session.findAll('[data-testid="save-settings"]')).length > 0);
  // A hostile or mistyped endpoint is refused with the field named; nothing is written.
  await session.execute(`[...document.querySelectorAll('[data-testid="settings-page"] button')].find(b => b.textContent === "Add endpoint").click();`);
  await session.waitFor("endpoint row", async () => (await session.findAll('[data-testid="endpoint-row"]')).length === 1);
  await session.execute(
    `const [name, url] = document.querySelectorAll('[data-testid="endpoint-row"] input');
     name.value = "../evil"; name.dispatchEvent(new Event("input", { bubbles: true }));
     url.value = "ftp://nowhere"; url.dispatchEvent(new Event("input", { bubbles: true }));
     document.querySelector('[data-testid="save-settings"]').click();`,
  );
  const refused = await session.waitFor("validation message", async () => {
    const s = await session.findAll('[data-testid="settings-status"]');
    return s.length ? session.text(s[0]) : null;
  });
  assert.match(refused, /endpoints\[0\]\.name/);
  const file = join(work, "config", "settings.json");
  const written = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")).endpoints.length : 0;
  assert.equal(written, 0, "nothing invalid was written");
  // The user's Docker contexts are listed, the current one switched on; switch the other on.
  const tools = await session.waitFor("the contexts", async () => {
    const rows = await session.execute(
      `return [...document.querySelectorAll('[data-testid="tool-engine"]')].map(r => [r.dataset.name, r.querySelector("input").checked]);`,
    );
    return rows.length ? rows : null;
  });
  assert.deepEqual(tools, [["lab", true], ["ci", false]]);
  await session.execute(`document.querySelector('[data-testid="tool-engine"][data-name="ci"] input').click();`);
  await session.execute(`document.querySelector('[data-testid="tool-engine"]').scrollIntoView({ block: "center" });`);
  await new Promise((r) => setTimeout(r, 300));
  await session.screenshot(join(targetDir, "e2e", "settings-engines.png"));
  // Remove it, pick the dark theme and the debug log level, save.
  await session.execute(
    `document.querySelector('[data-testid="endpoint-row"] button').click();
     document.querySelector('input[name="theme"][value="dark"]').click();
     const level = document.querySelector('[data-testid="log-level"]');
     level.value = "debug";
     level.dispatchEvent(new Event("change", { bubbles: true }));`,
  );
  await session.execute(`document.querySelector('[data-testid="save-settings"]').click();`);
  await session.waitFor("saved", async () => {
    const s = await session.findAll('[data-testid="settings-status"]');
    return s.length && (await session.text(s[0])).startsWith("Saved") ? true : null;
  });
  const saved = JSON.parse(readFileSync(join(work, "config", "settings.json"), "utf8"));
  assert.equal(saved.theme, "dark");
  assert.equal(saved.log_level, "debug");
  assert.deepEqual(saved.tool_engines, { ci: true }, "only the switch that differs from the tool's choice");
  assert.equal(await session.execute(`return document.documentElement.dataset.theme;`), "dark");
  // The level took effect without a restart: the log file says so.
  const logs = join(work, "logs");
  await session.waitFor("level change in the log file", async () =>
    readdirSync(logs).some((f) => readFileSync(join(logs, f), "utf8").includes('log level changed level="debug"')),
  );
  await session.screenshot(join(targetDir, "e2e", "settings.png"));
  await session.execute(`document.querySelector('a[href="#containers"]').click();`);
  await session.waitFor("rows", async () => (await session.findAll('[data-testid="container-row"]')).length > 0);
  await session.screenshot(join(targetDir, "e2e", "containers-dark.png"));
});

test("the About page shows the version, the commit and the licenses of what ships", async () => {
  await session.execute(`document.querySelector('a[href="#about"]').click();`);
  const info = await session.waitFor("build info", async () => {
    const dl = await session.findAll('[data-testid="build-info"]');
    return dl.length ? session.text(dl[0]) : null;
  });
  const commit = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  assert.match(info, /0\.1\.0/);
  assert.ok(info.includes(commit), `${info} names ${commit}`);
  const groups = await session.findAll('[data-testid="about-page"] .licenses li');
  assert.ok(groups.length >= 5, `${groups.length} license groups`);
  // The log folder: shown, opened with the desktop's opener, holding today's file.
  const logs = join(work, "logs");
  assert.equal(await session.text((await session.findAll('[data-testid="log-folder"]'))[0]), logs);
  await session.execute(`document.querySelector('[data-testid="open-log-folder"]').click();`);
  const opened = await session.waitFor("the opener ran", async () =>
    existsSync(join(work, "opened")) ? readFileSync(join(work, "opened"), "utf8").trim() : null,
  );
  assert.equal(opened, logs);
  // One file a day: a run across midnight has the next day's too, and the start is in the first.
  const files = readdirSync(logs).sort();
  assert.ok(files.length === 1 || files.length === 2, `daily log files: ${files.join(", ")}`);
  for (const f of files) assert.match(f, /^skiff\.\d{4}-\d{2}-\d{2}\.log$/);
  assert.match(readFileSync(join(logs, files[0]), "utf8"), /skiff-desktop starting/);
  await session.screenshot(join(targetDir, "e2e", "about.png"));
  await session.execute(`document.querySelector('a[href="#containers"]').click();`);
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
  assert.ok(rows.length >= 2, "the first window still answers");
});
