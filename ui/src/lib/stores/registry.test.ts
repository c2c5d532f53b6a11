import { describe, expect, it } from "vitest";
import type { Container, Delta } from "../ipc";
import { container } from "./fixtures";
import { RegistryModel } from "./registry";

const c = (id: string, state = "running"): Container =>
  container("podman", id, `n-${id}`, state, { image: "busybox" });

const upsert = (rev: number, container: Container): Delta => ({ engine: "podman", rev, op: "upsert", container });

describe("RegistryModel", () => {
  it("applies deltas after the snapshot revision and drops stale ones", () => {
    const m = new RegistryModel();
    m.applySnapshot({ engines: [], containers: [c("a")], revs: { podman: 5 }, objects: [], object_revs: {} });
    expect(m.applyDelta(upsert(5, c("a", "exited")))).toBe("stale");
    expect(m.rows()[0]?.state).toBe("running");
    expect(m.applyDelta(upsert(6, c("a", "exited")))).toBe("applied");
    expect(m.rows()[0]?.state).toBe("exited");
    expect(m.applyDelta({ engine: "podman", rev: 7, op: "remove", id: "a" })).toBe("applied");
    expect(m.rows()).toEqual([]);
  });

  it("reports a gap instead of applying past a missing revision", () => {
    const m = new RegistryModel();
    m.applySnapshot({ engines: [], containers: [], revs: { podman: 1 }, objects: [], object_revs: {} });
    expect(m.applyDelta(upsert(3, c("b")))).toBe("gap");
    expect(m.rows()).toEqual([]);
  });

  it("starts an unknown engine at revision zero", () => {
    const m = new RegistryModel();
    expect(m.applyDelta({ engine: "docker", rev: 1, op: "resync_start", containers: 0 })).toBe("applied");
    expect(m.revs.get("docker")).toBe(1);
  });

  it("keeps objects on their own revision sequence, and a gap there asks for a snapshot", () => {
    const m = new RegistryModel();
    const volume = { id: "data", engine: "podman", driver: "local", mountpoint: "/v", created: null, size_bytes: null, containers: [] };
    m.applySnapshot({ engines: [], containers: [], revs: { podman: 9 }, objects: [volume], object_revs: { podman: 2 } });
    expect(m.objectsOf("volume").map((o) => o.id)).toEqual(["data"]);
    expect(m.applyObjectDelta({ engine: "podman", rev: 2, op: "remove", kind: "volume", id: "data" })).toBe("stale");
    expect(m.applyObjectDelta({ engine: "podman", rev: 3, op: "upsert", kind: "volume", object: { ...volume, id: "more" } })).toBe("applied");
    expect(m.applyObjectDelta({ engine: "podman", rev: 4, op: "remove", kind: "volume", id: "data" })).toBe("applied");
    expect(m.objectsOf("volume").map((o) => o.id)).toEqual(["more"]);
    expect(m.applyObjectDelta({ engine: "podman", rev: 6, op: "remove", kind: "volume", id: "more" })).toBe("gap");
    expect(m.revs.get("podman")).toBe(9);
  });
});
