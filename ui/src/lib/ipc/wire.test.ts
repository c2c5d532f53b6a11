import { describe, expect, it } from "vitest";
import type { WireSnapshot } from "./bindings/WireSnapshot";
import { fromWire } from "./wire";

describe("fromWire", () => {
  it("rebuilds every field of every row from the shared texts", () => {
    const wire: WireSnapshot = {
      engines: [],
      texts: ["podman", "busybox", "", "running", "Up 1 hour", "web"],
      rows: [
        ["a", "alpha", 0, 1, 2, 3, 4, 1700000000, ["8080/tcp"], null, 5, false, ["data"], ["net"], null],
        ["b", "beta", 0, 1, 2, 3, 4, 1700000001, [], 5, null, true, [], [], null],
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

  it("says so when a row refers to a text it was not sent", () => {
    const wire: WireSnapshot = {
      engines: [],
      texts: ["podman"],
      rows: [["a", "alpha", 0, 7, 0, 0, 0, 1, [], null, null, false, [], [], null]],
      revs: {},
      objects: [],
      object_revs: {},
    };
    expect(() => fromWire(wire)).toThrow("the snapshot refers to text 7 of 1");
  });
});
