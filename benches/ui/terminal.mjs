// The detail view's terminal in the real Skiff window (under Xvfb, via tauri-driver +
// WebKitWebDriver), on Docker, beside Docker's own CLI on a pseudo-terminal:
//
// 1. Keystroke → echo: a key sent through WebDriver into xterm.js's textarea; from the page's
//    keydown to the echoed character parsed into xterm.js's buffer (`onWriteParsed`), one key
//    at a time, 250 keys. Goal: p99 < 30 ms. Beside it, `docker exec -it` on a pty
//    (benches/ui/pty_echo.py): from the key written to the pty to its echo read back.
// 2. `cat` of a 20 MB file (base64 lines): from Enter to the end marker in the buffer; every
//    bytes counted on the way (the lines received are the file's lines, exactly); meanwhile a
//    message posted to the page every 50 ms, timed until its handler ran (the window answering
//    input). Beside it, the same `cat` through `docker exec -t` on a pty to /dev/null speed.
//
// Run by `make bench` with the release build (SKIFF_APP_PROFILE=release); writes
// $SKIFF_BENCH_OUT/terminal-window.json.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Session, startDriver, stopDriver } from "../../tests/e2e/webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = join(targetDir, process.env.SKIFF_APP_PROFILE ?? "debug", "skiff-desktop");
const out = process.env.SKIFF_BENCH_OUT ?? join(targetDir, "bench");
const KEYS = Number(process.env.SKIFF_BENCH_KEYS ?? 250);
const engines = join(root, "scripts", "engines.sh");
const work = mkdtempSync(join(tmpdir(), "skiff-termbench-"));
const engine = (...a) =>
  execFileSync(engines, [a[0], "docker", work, ...a.slice(1)], { encoding: "utf8", maxBuffer: 1 << 30 }).trim();
const pct = (s, p) => s[Math.round((s.length - 1) * p)];
const sorted = (a) => [...a].sort((x, y) => x - y);
const round = (v) => Math.round(v * 10) / 10;
const log = (m) => console.error(`${new Date().toISOString()} terminal.mjs: ${m}`);
const screen = `document.querySelector('[data-testid="terminal"] .screen').skiff`;

let driver, s;
try {
  const host = engine("start");
  engine("cli", "run", "-d", "--name", "term", "--network", "none", "busybox:latest", "sleep", "86400");
  // 20 MB of base64 lines (76 characters each), and how many lines it has.
  engine("cli", "exec", "term", "sh", "-c", "head -c 15000000 /dev/urandom | base64 > /tmp/big");
  const lines = Number(engine("cli", "exec", "term", "sh", "-c", "wc -l < /tmp/big"));
  const bytes = Number(engine("cli", "exec", "term", "sh", "-c", "wc -c < /tmp/big"));
  driver = await startDriver({
    port: 4444,
    nativePort: 4445,
    env: { SKIFF_HOST: host, SKIFF_CONFIG_DIR: join(work, "config"), SKIFF_DATA_DIR: join(work, "data") },
    logFile: join(out, "terminal-window-driver.log"),
  });
  s = await Session.start(driver.base, app);
  await s.waitFor("term row", async () => (await s.findAll('[data-name="term"]')).length > 0, 60000);
  await s.execute(`document.querySelector('[data-name="term"] td.name').click();`);
  await s.waitFor("the detail view", async () => (await s.findAll('[data-testid="tab-terminal"]')).length > 0);
  await s.execute(`document.querySelector('[data-testid="tab-terminal"]').click();`);
  await s.waitFor("the shell", async () => (await s.execute(`return ${screen}?.text() ?? "";`)).includes("#"));
  const renderer = await s.execute(`return document.querySelector('[data-testid="terminal"]').dataset.renderer;`);
  const [area] = await s.findAll('[data-testid="terminal"] textarea.xterm-helper-textarea');

  // 1. Keystroke → echo.
  await s.execute(`
    const area = document.querySelector('[data-testid="terminal"] textarea.xterm-helper-textarea');
    window.__echo = { samples: [], pending: null };
    area.addEventListener("keydown", () => { window.__echo.pending = performance.now(); }, true);
    ${screen}.onParsed(() => {
      const e = window.__echo;
      if (e.pending !== null) { e.samples.push(performance.now() - e.pending); e.pending = null; }
    });`);
  for (let i = 0; i < KEYS; i++) {
    if (i > 0 && i % 50 === 0) {
      await s.sendKeys(area, "\u0015"); // Ctrl-U: a fresh line every 50 keys
      await sleep(100);
      await s.execute(`window.__echo.samples.pop();`);
    }
    const before = await s.execute(`return window.__echo.samples.length;`);
    await s.sendKeys(area, String.fromCharCode(97 + (i % 26)));
    await s.waitFor("the echo", async () => (await s.execute(`return window.__echo.samples.length;`)) > before, 5000);
  }
  const echo = sorted(await s.execute(`return window.__echo.samples;`));
  await s.sendKeys(area, "\u0015");
  log(`echo p50 ${round(pct(echo, 0.5))} ms p99 ${round(pct(echo, 0.99))} ms over ${echo.length} keys (${renderer})`);

  // 2. cat 20 MB, counting lines, and the page's answer to messages meanwhile.
  await sleep(300);
  await s.execute(`
    window.__cat = { newlines: 0, bytes: 0, lags: [], done: null, t0: 0 };
    ${screen}.tap((b) => {
      const c = window.__cat;
      c.bytes += b.length;
      for (let i = 0; i < b.length; i++) if (b[i] === 10) c.newlines++;
    });
    const ch = new MessageChannel();
    ch.port1.onmessage = (m) => window.__cat.lags.push(performance.now() - m.data);
    window.__catProbe = setInterval(() => ch.port2.postMessage(performance.now()), 50);
    ${screen}.onParsed(() => {
      const c = window.__cat;
      if (c.done === null && c.t0 && ${screen}.lastLines(3).includes("END-OF-CAT")) c.done = performance.now() - c.t0;
    });
    document.querySelector('[data-testid="terminal"] textarea.xterm-helper-textarea')
      .addEventListener("keydown", (e) => { if (e.key === "Enter" && !window.__cat.t0) window.__cat.t0 = performance.now(); }, true);`);
  await s.sendKeys(area, "cat /tmp/big; echo END-OF-CAT\uE007");
  const catMs = await s.waitFor("the end of the cat", async () => s.execute(`return window.__cat.done;`), 300000);
  await sleep(300);
  const cat = await s.execute(`clearInterval(window.__catProbe); return window.__cat;`);
  // Newlines from the Enter on: the echoed command's (1), the file's lines, the marker's (1).
  const received = cat.newlines - 2;
  const lags = sorted(cat.lags);
  log(`cat ${bytes} bytes in ${round(catMs)} ms; ${received}/${lines} lines; message lag p50 ${round(pct(lags, 0.5))} p99 ${round(pct(lags, 0.99))} max ${round(lags.at(-1))} ms`);
  await s.screenshot(join(out, "terminal-cat.png"));

  // Docker's own CLI on a pty, for the same two figures.
  const dockerCli = JSON.parse(
    execFileSync("python3", [join(root, "benches/ui/pty_echo.py"), String(KEYS), "--", engines, "cli", "docker", work, "exec", "-it", "term", "sh"], { encoding: "utf8", maxBuffer: 1 << 30 }),
  );
  log(`docker exec -it: echo p50 ${dockerCli.p50} p99 ${dockerCli.p99} ms; cat ${dockerCli.cat_ms} ms`);

  const result = {
    engine: "docker",
    renderer,
    keys: echo.length,
    echo_p50_ms: round(pct(echo, 0.5)),
    echo_p99_ms: round(pct(echo, 0.99)),
    cat_bytes: bytes,
    cat_lines: lines,
    cat_lines_received: received,
    cat_ms: round(catMs),
    cat_mb_per_s: round(bytes / 1e6 / (catMs / 1000)),
    input_lag_p50_ms: round(pct(lags, 0.5)),
    input_lag_p99_ms: round(pct(lags, 0.99)),
    input_lag_max_ms: round(lags.at(-1)),
    docker_cli_echo_p50_ms: dockerCli.p50,
    docker_cli_echo_p99_ms: dockerCli.p99,
    docker_cli_cat_ms: dockerCli.cat_ms,
  };
  writeFileSync(join(out, "terminal-window.json"), JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
  if (received !== lines) {
    log(`LOST: ${lines - received} lines`);
    process.exitCode = 1;
  }
} finally {
  await s?.close();
  if (driver) stopDriver(driver);
  try {
    engine("destroy");
  } catch {}
  rmSync(work, { recursive: true, force: true });
}
