import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BUILD_WAIT_MS, readyToBuild } from "./startup";

describe("readyToBuild", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** Whether `p` has settled after the microtasks queued so far ran. */
  async function settled(p: Promise<unknown>): Promise<boolean> {
    let done = false;
    void p.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    return done;
  }

  it("builds as soon as the first snapshot is in, and leaves no timer behind", async () => {
    let start!: () => void;
    const ready = readyToBuild(new Promise<void>((r) => (start = r)));
    expect(await settled(ready)).toBe(false);
    start();
    expect(await settled(ready)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("builds without it once the wait is over", async () => {
    const ready = readyToBuild(new Promise<void>(() => {}));
    await vi.advanceTimersByTimeAsync(BUILD_WAIT_MS - 1);
    expect(await settled(ready)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(ready)).toBe(true);
  });

  it("builds when the start failed: the page shows the failure", async () => {
    const failed = Promise.reject(new Error("no shell"));
    failed.catch(() => {});
    const ready = readyToBuild(failed);
    expect(await settled(ready)).toBe(true);
    await expect(ready).resolves.toBeUndefined();
  });
});
