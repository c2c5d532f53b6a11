// A minimal W3C WebDriver client over fetch, enough to drive the real Skiff window through
// tauri-driver + WebKitWebDriver. No npm dependency: the protocol is a handful of JSON requests.
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdirSync, openSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, application, env = {}) {
    const res = await request(base, "POST", "/session", {
      capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application, env } } },
    });
    return new Session(base, res.sessionId);
  }

  cmd(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async findAll(css) {
    const els = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return els.map((e) => Object.values(e)[0]);
  }

  async attribute(el, name) {
    return this.cmd("GET", `/element/${el}/attribute/${name}`);
  }

  async text(el) {
    return this.cmd("GET", `/element/${el}/text`);
  }

  async click(el) {
    return this.cmd("POST", `/element/${el}/click`, {});
  }

  /** Types `text` into element `el` as keystrokes (WebDriver's element send keys; `\uE007` is
   *  Enter). */
  async sendKeys(el, text) {
    return this.cmd("POST", `/element/${el}/value`, { text });
  }

  /** Resizes the window (its outer size, in CSS pixels). */
  async setWindowSize(width, height) {
    return this.cmd("POST", "/window/rect", { width, height });
  }

  async windowRect() {
    return this.cmd("GET", "/window/rect");
  }

  async execute(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Polls `probe` until it returns a truthy value; fails with `what` after `timeoutMs`. */
  async waitFor(what, probe, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      try {
        last = await probe();
        if (last) return last;
      } catch (e) {
        last = e;
      }
      await sleep(200);
    }
    throw new Error(`timed out waiting for ${what} (last: ${last})`);
  }

  /**
   * Waits until Skiff's page is built. The page is built once its first snapshot is in, up to
   * 250 ms after its script starts (`ui/src/lib/startup.ts`), so a session that has just started
   * can find the document loaded and the app not yet in it.
   */
  async appBuilt() {
    await this.waitFor("the app built", () => this.execute("return document.getElementById('app')?.childElementCount > 0;"));
  }

  /** Turns the mouse wheel by `deltaY` pixels with the pointer at (`x`, `y`) of the viewport:
   *  a W3C wheel action, which WebKitWebDriver delivers as the window's own scroll event. */
  async wheel(x, y, deltaY) {
    await this.cmd("POST", "/actions", {
      actions: [{ type: "wheel", id: "wheel", actions: [{ type: "scroll", origin: "viewport", x, y, deltaX: 0, deltaY }] }],
    });
    await this.cmd("DELETE", "/actions");
  }

  async screenshot(path) {
    const b64 = await this.cmd("GET", "/screenshot");
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.from(b64, "base64"));
  }

  async close() {
    await this.cmd("DELETE", "").catch(() => {});
  }
}

async function request(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok || (json.value && json.value.error)) {
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.value ?? json)}`);
  }
  return json.value;
}

/** Starts tauri-driver on a free-ish port and waits until it answers. */
export async function startDriver({ port, nativePort, env, logFile }) {
  // The driver's (and the app's) output goes to a file: a grandchild holding the test runner's
  // stdout open would keep `node --test` waiting after the tests end.
  mkdirSync(dirname(logFile), { recursive: true });
  const log = openSync(logFile, "a");
  const child = spawn(
    "tauri-driver",
    ["--port", String(port), "--native-port", String(nativePort), "--native-driver", "/usr/bin/WebKitWebDriver"],
    { env: { ...process.env, ...env }, stdio: ["ignore", log, log] },
  );
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/status`);
      if (res.ok) return { child, base };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill();
  throw new Error("tauri-driver did not start");
}

/** Every descendant pid of `pid` (the driver, WebKitWebDriver, the app), deepest first. */
export function descendants(pid) {
  let out = [];
  let children = [];
  try {
    children = execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean)
      .map(Number);
  } catch {
    // no children
  }
  for (const c of children) out = out.concat(descendants(c), [c]);
  return out;
}

/** Stops the driver and everything it started (the app included), by pid. */
export function stopDriver(driver) {
  const pids = descendants(driver.child.pid);
  driver.child.kill();
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}
