import { describe, expect, it } from "vitest";
import type { EventRecord } from "../ipc";
import { defaultEventFilter, filterEvents, followHistory, HISTORY } from "./events";
import { rate, Series, sparkPoints } from "./series";

const ev = (engine: string, action: string, name: string, time_ms: number, replayed = false): EventRecord => ({
  engine,
  typ: "container",
  action,
  id: `${time_ms}`.padStart(12, "0"),
  name,
  time_ms,
  replayed,
});

describe("following the history", () => {
  const times = (rs: EventRecord[]) => rs.map((r) => r.time_ms);

  it("appends each page after the records held, and starts over on a reset", () => {
    const held = [ev("podman", "start", "a", 1)];
    const next = followHistory(held, { seq: 3, reset: false, records: [ev("podman", "stop", "a", 2), ev("docker", "die", "b", 3)] });
    expect(times(next)).toEqual([1, 2, 3]);
    expect(next).not.toBe(held);
    expect(times(held)).toEqual([1]);
    const over = followHistory(next, { seq: 9, reset: true, records: [ev("podman", "start", "c", 9)] });
    expect(times(over)).toEqual([9]);
    expect(times(followHistory(over, { seq: 9, reset: false, records: [] }))).toEqual([9]);
  });

  it("keeps the newest HISTORY records", () => {
    const full = Array.from({ length: HISTORY }, (_, i) => ev("podman", "start", "x", i));
    const next = followHistory(full, { seq: HISTORY + 2, reset: false, records: [ev("podman", "die", "x", HISTORY), ev("podman", "die", "x", HISTORY + 1)] });
    expect(next.length).toBe(HISTORY);
    expect(next[0]!.time_ms).toBe(2);
    expect(next.at(-1)!.time_ms).toBe(HISTORY + 1);
    const big = followHistory([], { seq: 5, reset: true, records: full }, 3);
    expect(times(big)).toEqual([HISTORY - 3, HISTORY - 2, HISTORY - 1]);
  });
});

describe("events filter", () => {
  const records = [ev("podman", "start", "web", 1), ev("docker", "die", "db", 3), ev("podman", "stop", "web", 2, true)];

  it("lists newest first without replayed events by default", () => {
    expect(filterEvents(records, defaultEventFilter).map((r) => r.time_ms)).toEqual([3, 1]);
  });
  it("filters by engine and text, and can include replayed events", () => {
    expect(filterEvents(records, { engine: "podman", query: "", replayed: true }).map((r) => r.time_ms)).toEqual([2, 1]);
    expect(filterEvents(records, { engine: "", query: "DB", replayed: false }).map((r) => r.name)).toEqual(["db"]);
    expect(filterEvents(records, { engine: "", query: "nothing", replayed: true })).toEqual([]);
  });
  it("reads the filter's settings once per list, not once per record", () => {
    // The page's filter is reactive state, where every read is tracked: count them.
    const reads = { engine: 0, replayed: 0 };
    const f = {
      query: "",
      get engine() {
        reads.engine++;
        return "podman";
      },
      get replayed() {
        reads.replayed++;
        return true;
      },
    };
    const many = Array.from({ length: 300 }, (_, i) => ev("podman", "start", `c${i}`, i));
    expect(filterEvents(many, f)).toHaveLength(300);
    expect(reads).toEqual({ engine: 1, replayed: 1 });
  });
});

describe("series", () => {
  it("keeps a fixed number of values", () => {
    const s = new Series(3);
    [1, 2, 3, 4].forEach((v) => s.push(v));
    expect(s.values).toEqual([2, 3, 4]);
    expect(s.last).toBe(4);
  });
  it("computes rates and survives counter resets", () => {
    expect(rate(undefined, 10, 2)).toBe(0);
    expect(rate(10, 30, 2)).toBe(10);
    expect(rate(30, 5, 2)).toBe(0);
  });
  it("scales points into the box", () => {
    expect(sparkPoints([0, 10], 100, 20)).toBe("0.0,19.0 100.0,1.0");
    expect(sparkPoints([], 100, 20)).toBe("");
  });
});
