import { describe, expect, it } from "vitest";
import { nextChangeMs, shownSeconds } from "./countdown";

describe("countdown", () => {
  it("shows the last 5 seconds one by one, and steps of 5 above", () => {
    expect([30_000, 26_000, 25_000, 20_001, 10_000, 5_001, 5_000, 4_200, 1, 0, -5].map(shownSeconds)).toEqual([
      30, 30, 25, 25, 10, 10, 5, 5, 1, 0, 0,
    ]);
  });

  it("wakes exactly when the shown value changes, and not after 0", () => {
    // Walk a 30 s wait as the page does: each wake-up shows a new value, none is skipped.
    let remaining = 30_000;
    const shown: number[] = [shownSeconds(remaining)];
    for (let wake = nextChangeMs(remaining); wake !== null; wake = nextChangeMs(remaining)) {
      remaining -= wake;
      shown.push(shownSeconds(remaining));
    }
    expect(shown).toEqual([30, 25, 20, 15, 10, 5, 4, 3, 2, 1, 0]);
    expect(nextChangeMs(0)).toBeNull();
    // A wait that does not start on a step: 12.3 s shows 15, then 10 after 2.3 s.
    expect(shownSeconds(12_300)).toBe(15);
    expect(nextChangeMs(12_300)).toBe(2_300);
    expect(shownSeconds(12_300 - 2_300)).toBe(10);
  });
});
