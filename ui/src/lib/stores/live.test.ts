import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Container, Delta, Snapshot, Subscriptions } from "../ipc";

// The IPC module is the only one that talks to Tauri: replaced here by a fake shell whose
// events the test fires and whose snapshots it answers.
const shell = vi.hoisted(() => ({
  subs: null as Subscriptions | null,
  snapshots: [] as Snapshot[],
  asked: 0,
  /** While set, a snapshot request waits for it (a snapshot "on its way"). */
  gate: null as Promise<void> | null,
}));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  subscribe: async (subs: Subscriptions) => {
    shell.subs = subs;
    return () => (shell.subs = null);
  },
  snapshot: async () => {
    shell.asked++;
    if (shell.gate) await shell.gate;
    const next = shell.snapshots.shift();
    if (!next) throw { kind: "engine", message: "no snapshot" };
    return next;
  },
}));

import { container } from "./fixtures";
import { LiveRegistry } from "./live.svelte";

const row = (id: string): Container => container("podman", id, id, "running");
const snap = (rev: number, ids: string[]): Snapshot => ({ engines: [], containers: ids.map(row), revs: { podman: rev }, objects: [], object_revs: {} });
const upsert = (rev: number, id: string): Delta => ({ engine: "podman", rev, op: "upsert", container: row(id) });
const ids = (live: LiveRegistry) => live.model.rows().map((c) => c.id).sort();

describe("LiveRegistry", () => {
  beforeEach(() => {
    shell.subs = null;
    shell.snapshots = [];
    shell.asked = 0;
    shell.gate = null;
    performance.clearMarks();
  });

  it("listens before the snapshot, applies what raced it once, and resyncs after a gap", async () => {
    const live = new LiveRegistry();
    shell.snapshots.push(snap(2, ["a", "b"]));
    const started = live.start();
    // Subscribed before the snapshot was asked: a delta racing it is buffered, not lost.
    await vi.waitFor(() => expect(shell.subs).not.toBeNull());
    shell.subs!.onDeltas([upsert(2, "stale")]);
    shell.subs!.onDeltas([upsert(3, "c")]);
    await started;
    expect(live.ready).toBe(true);
    expect(ids(live)).toEqual(["a", "b", "c"]);
    // The cold-start marks: the first run seen (buffered), then applied after the snapshot.
    const at = (mark: string) => performance.getEntriesByName(mark)[0]?.startTime ?? Number.NaN;
    expect(at("skiff:first-run-applied")).toBeGreaterThanOrEqual(at("skiff:first-run"));
    expect(at("skiff:first-run-applied")).toBeGreaterThanOrEqual(at("skiff:snapshot-applied"));

    // A delta from beyond the next rev is a gap: a fresh snapshot replaces the list.
    shell.snapshots.push(snap(9, ["z"]));
    shell.subs!.onDeltas([upsert(7, "x")]);
    await vi.waitFor(() => expect(ids(live)).toEqual(["z"]));
    expect(shell.asked).toBe(2);

    // The bridge fell behind: one more snapshot.
    shell.snapshots.push(snap(12, ["y", "z"]));
    shell.subs!.onLagged();
    await vi.waitFor(() => expect(ids(live)).toEqual(["y", "z"]));
    live.stop();
    expect(shell.subs).toBeNull();
  });

  it("a lag reported while a snapshot is on its way brings one more snapshot after it", async () => {
    const live = new LiveRegistry();
    let open!: () => void;
    shell.gate = new Promise((r) => (open = r));
    shell.snapshots.push(snap(1, ["a"]), snap(5, ["a", "b", "c"]));
    const started = live.start();
    await vi.waitFor(() => expect(shell.asked).toBe(1));
    // The bridge skipped deltas the first snapshot may predate.
    shell.subs!.onLagged();
    shell.subs!.onLagged();
    shell.gate = null;
    open();
    await started;
    await vi.waitFor(() => expect(ids(live)).toEqual(["a", "b", "c"]));
    // Two lags while one snapshot was on its way: one more snapshot, not two.
    expect(shell.asked).toBe(2);
  });

  it("applies a run in order with one render, and a gap inside a run brings a snapshot instead of its rest", async () => {
    const live = new LiveRegistry();
    shell.snapshots.push(snap(1, ["a"]));
    await live.start();
    const before = live.version;
    // An engine's list as the bridge sends it: one run.
    shell.subs!.onDeltas([upsert(2, "b"), upsert(3, "c"), { engine: "podman", rev: 4, op: "remove", id: "a" }]);
    expect(ids(live)).toEqual(["b", "c"]);
    expect(live.version).toBe(before + 1);
    // rev 6 after 4: the rest of the run is not applied on top of the hole.
    shell.snapshots.push(snap(9, ["q"]));
    shell.subs!.onDeltas([upsert(5, "d"), upsert(7, "gap"), upsert(8, "after")]);
    await vi.waitFor(() => expect(ids(live)).toEqual(["q"]));
    expect(shell.asked).toBe(2);
    // An empty run changes nothing.
    const settled = live.version;
    shell.subs!.onDeltas([]);
    expect(live.version).toBe(settled);
  });

  it("says why when the snapshot cannot be taken", async () => {
    const live = new LiveRegistry();
    await live.start();
    expect(live.fatal).toBe("no snapshot");
  });
});
