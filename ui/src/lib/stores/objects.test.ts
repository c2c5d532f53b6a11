import { describe, expect, it } from "vitest";
import type { EngineObject } from "../ipc";
import { container } from "./fixtures";
import { objectRows, prunePreview } from "./objects";

const image = (id: string, tags: string[], size = 10): EngineObject => ({ id, engine: "docker", tags, size_bytes: size, created: 1, containers: [] });
const volume = (id: string): EngineObject => ({ id, engine: "docker", driver: "local", mountpoint: `/v/${id}`, created: null, size_bytes: null, containers: [] });
const network = (name: string): EngineObject => ({ id: `${name}-id`, name, engine: "docker", driver: "bridge", subnet: null, containers: [] });

const objects = [image("sha256:a", ["web:1"], 30), image("sha256:b", [], 20), image("sha256:c", ["old:1"], 10), volume("data"), volume("spare"), network("bridge"), network("front"), network("unused")];
const containers = [
  container("docker", "1", "web", "running", { image_id: "sha256:a", volumes: ["data"], networks: ["front"] }),
  container("docker", "2", "job", "exited", { image_id: "sha256:a" }),
  container("podman", "3", "other", "running", { image_id: "sha256:c", volumes: ["spare"] }),
];

describe("objectRows", () => {
  it("derives users from the container rows of the same engine", () => {
    const rows = objectRows(objects, containers, "image", "", "name", false);
    expect(rows.map((r) => [r.name, r.users])).toEqual([
      ["b", []],
      ["old:1", []],
      ["web:1", ["job", "web"]],
    ]);
    expect(objectRows(objects, containers, "volume", "", "name", false).map((r) => r.users.length)).toEqual([1, 0]);
    expect(objectRows(objects, containers, "network", "", "users", true)[0]?.name).toBe("front");
  });

  it("searches names, tags and ids, and sorts by size", () => {
    expect(objectRows(objects, containers, "image", "OLD", "name", false).map((r) => r.id)).toEqual(["sha256:c"]);
    expect(objectRows(objects, containers, "image", "", "size", true).map((r) => r.id)).toEqual(["sha256:a", "sha256:b", "sha256:c"]);
  });

  it("sorts in localeCompare's order, ties by name then key, whatever the direction", () => {
    const names = ["web-10", "Web-2", "web_2", "API", "api", "zeta", "Éclair", "eclair", "b.1", "B-1", "2x", "10x", "", "web-10"];
    const many = names.map((n, i) => image(`sha256:${String(i).padStart(2, "0")}`, n ? [n] : [], i % 3));
    const expected = (sort: "name" | "size", descending: boolean) =>
      objectRows(many, [], "image", "", sort, descending)
        .slice()
        .sort((a, b) => {
          const va = sort === "size" ? ("size_bytes" in a.object ? (a.object.size_bytes ?? 0) : 0) : a.name;
          const vb = sort === "size" ? ("size_bytes" in b.object ? (b.object.size_bytes ?? 0) : 0) : b.name;
          const c = typeof va === "number" && typeof vb === "number" ? va - vb : String(va).localeCompare(String(vb));
          return (descending ? -c : c) || a.name.localeCompare(b.name) || a.key.localeCompare(b.key);
        })
        .map((r) => r.key);
    for (const sort of ["name", "size"] as const) {
      for (const descending of [false, true]) {
        const got = objectRows(many, [], "image", "", sort, descending).map((r) => r.key);
        expect(got).toEqual(expected(sort, descending));
      }
    }
    // The two "web-10" images tie on value and name: the key decides, ascending either way.
    const tied = objectRows(many, [], "image", "web-10", "name", true).map((r) => r.id);
    expect(tied).toEqual(["sha256:00", "sha256:13"]);
  });
});

describe("prunePreview", () => {
  it("names what the engine would remove and nothing in use", () => {
    expect(prunePreview(objects, containers, "docker", "images", false)).toEqual(["b"]);
    expect(prunePreview(objects, containers, "docker", "images", true)).toEqual(["b", "old:1"]);
    expect(prunePreview(objects, containers, "docker", "volumes", false)).toEqual(["spare"]);
    expect(prunePreview(objects, containers, "docker", "networks", false)).toEqual(["unused"]);
    expect(prunePreview(objects, containers, "docker", "containers", false)).toEqual(["job"]);
  });
});
