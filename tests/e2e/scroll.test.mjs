// Scrolling the container list the way a user does, with the mouse wheel, in the real window.
// WebKit paints the list's scroller into the page's own layer (`src-tauri/src/webkit_features.rs`
// turns its separate scrolling layer off): this checks that a wheel turn still moves the list,
// its virtual rows follow, and the header stays on top.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { Session, startDriver, stopDriver } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = join(targetDir, "debug", "skiff-desktop");
const ROWS = 3000;

let work, driver, session;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "skiff-e2e-scroll-"));
  driver = await startDriver({
    port: 4444,
    nativePort: 4445,
    // No engine: the synthetic one fills the list (grouped in projects of 20).
    env: {
      SKIFF_HOST: "tcp://127.0.0.1:1",
      SKIFF_SYNTHETIC_CONTAINERS: String(ROWS),
      SKIFF_CONFIG_DIR: join(work, "config"),
      SKIFF_DATA_DIR: join(work, "data"),
      SKIFF_LOG_DIR: join(work, "logs"),
      KUBECONFIG: join(work, "no-kubeconfig"),
    },
    logFile: join(targetDir, "e2e", "driver-scroll.log"),
  });
  session = await Session.start(driver.base, app);
  await session.appBuilt();
});

after(async () => {
  await session?.close();
  if (driver) stopDriver(driver);
  rmSync(work, { recursive: true, force: true });
});

/** The list's scroll offset, its middle in the viewport, its header's top, and the rows shown. */
const LIST = `
  const s = document.querySelector('[role="grid"][aria-label="Containers"]');
  const box = s.getBoundingClientRect();
  const rows = [...s.querySelectorAll('[data-testid="container-row"]')]
    .filter((r) => { const b = r.getBoundingClientRect(); return b.bottom > box.top + 30 && b.top < box.bottom; })
    .map((r) => r.dataset.name);
  return { top: s.scrollTop, x: Math.round(box.left + box.width / 2), y: Math.round(box.top + box.height / 2),
    header: s.querySelector('thead th').getBoundingClientRect().top - box.top, rows };`;

test("the container list scrolls with the mouse wheel: later rows show and the header stays on top", async () => {
  await session.waitFor(`${ROWS} rows listed`, async () =>
    (await session.execute(`return document.querySelector('.summary')?.textContent ?? ""`)).includes(`${ROWS} total`),
  60000);
  const start = await session.execute(LIST);
  assert.equal(start.top, 0);
  assert.ok(start.rows.length > 5, `rows on screen at the top: ${start.rows.length}`);

  for (let i = 0; i < 5; i++) await session.wheel(start.x, start.y, 600);
  const moved = await session.waitFor("the list scrolled by the wheel", async () => {
    const now = await session.execute(LIST);
    return now.top >= 1000 ? now : null;
  }, 10000);
  // The rows on screen are others: the virtual window followed the scroll, none of the first
  // screen's rows is still in view.
  assert.ok(moved.rows.length > 5, `rows on screen after the scroll: ${moved.rows.length}`);
  assert.deepEqual(moved.rows.filter((n) => start.rows.includes(n)), []);
  // The sticky header is where it was, at the top of the list.
  assert.ok(Math.abs(moved.header - start.header) < 1, `header at ${start.header} then ${moved.header}`);
  await session.screenshot(join(targetDir, "e2e", "containers-scrolled.png"));

  // And back to the top with the wheel.
  for (let i = 0; i < 5; i++) await session.wheel(start.x, start.y, -1000);
  const back = await session.waitFor("the list back at the top", async () => {
    const now = await session.execute(LIST);
    return now.top === 0 ? now : null;
  }, 10000);
  assert.deepEqual(back.rows, start.rows);
});
