import { describe, expect, it } from "vitest";
import type { WireSnapshot } from "./bindings/WireSnapshot";
import { fromWire } from "./wire";

describe("fromWire", () => {
  it("rebuilds every field of every row from the shared texts", () => {
    const wire: WireSnapshot = {
      engines: [],
      texts: ["podman", "busybox", "", "running", "Up 1 hour", "web"],
      rows: [
        ["a", "alpha", 0, 1, 2, 3, 4, 1700000000, 5, ["net"], ["8080/tcp"], ["data"], null, false, null],
        ["b", "beta", 0, 1, 2, 3, 4, 1700000001, null, [], [], [], 5, true],
      ],
      revs: { podman: 3 },
      objects: [],
      object_revs: {},
    };
    const s = fromWire(wire);
    expect(s.revs).toEqual({ podman: 3 });
    expect(s.containers).toEqual([
      { id: "a", name: "alpha", image: "busybox", image_id: "", volumes: ["data"], networks: ["net"], state: "running", status: "Up 1 hour", engine: "podman", created: 1700000000, ports: ["8080/tcp"], pod: null, project: "web", pending: false, kube: null },
      { id: "b", name: "beta", image: "busybox", image_id: "", volumes: [], networks: [], state: "running", status: "Up 1 hour", engine: "podman", created: 1700000001, ports: [], pod: "web", project: null, pending: true, kube: null },
    ]);
  });

  it("fills in the columns a row leaves off its end with their defaults, one frozen empty list for all", () => {
    const kube = { namespace: "default", phase: "Running", node: null, owner: null, restarts: 0, ready: "1/1", containers: [] };
    const wire = {
      engines: [],
      texts: ["docker", "nginx", "", "running", "Up", "web"],
      rows: [
        ["a", "alpha", 0, 1, 2, 3, 4, 1],
        ["b", "beta", 0, 1, 2, 3, 4, 2, 5],
        ["c", "gamma", 0, 1, 2, 3, 4, 3, null, ["bridge"]],
        ["d", "delta", 0, 1, 2, 3, 4, 4, null, [], [], [], null, false, kube],
      ],
      revs: {},
      objects: [],
      object_revs: {},
    } as unknown as WireSnapshot;
    const [a, b, c, d] = fromWire(wire).containers;
    const defaults = { volumes: [], networks: [], ports: [], pod: null, project: null, pending: false, kube: null };
    expect(a).toEqual({ id: "a", name: "alpha", image: "nginx", image_id: "", state: "running", status: "Up", engine: "docker", created: 1, ...defaults });
    expect(b).toMatchObject({ ...defaults, project: "web" });
    expect(c).toMatchObject({ ...defaults, networks: ["bridge"] });
    expect(d).toMatchObject({ ...defaults, kube });
    // The lists left off are one empty list, which nothing can change for every row at once:
    // a change in place throws. A list the row was sent is its own.
    expect(a?.ports).toBe(b?.volumes);
    expect(Object.isFrozen(a?.ports)).toBe(true);
    expect(() => a?.ports.push("0.0.0.0:80->80/tcp")).toThrow(TypeError);
    expect(b?.ports).toEqual([]);
    expect(Object.isFrozen(c?.networks)).toBe(false);
    // The same field order (one object shape) whatever the row left off.
    expect(Object.keys(a ?? {})).toEqual(Object.keys(d ?? {}));
  });

  it("says so when a row refers to a text it was not sent", () => {
    const wire: WireSnapshot = {
      engines: [],
      texts: ["podman"],
      rows: [["a", "alpha", 0, 7, 0, 0, 0, 1]],
      revs: {},
      objects: [],
      object_revs: {},
    };
    expect(() => fromWire(wire)).toThrow("the snapshot refers to text 7 of 1");
  });
});
