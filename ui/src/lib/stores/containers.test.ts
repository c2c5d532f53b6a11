import { describe, expect, it } from "vitest";
import type { Container } from "../ipc";
import { defaultView, groupRows, visibleRows } from "./containers";

function c(name: string, over: Partial<Container> = {}): Container {
  return {
    id: `${name}-id`.padEnd(64, "0"),
    name,
    image: "busybox:latest",
    state: "running",
    status: "Up 1 second",
    engine: "podman",
    created: 0,
    ports: [],
    pod: null,
    project: null,
    pending: false,
    ...over,
  };
}

describe("visibleRows", () => {
  const rows = [c("web"), c("db", { state: "exited" }), c("cache", { image: "redis" })];

  it("filters by a query on name, image or id prefix", () => {
    expect(visibleRows(rows, { ...defaultView, query: "redis" }).map((r) => r.name)).toEqual(["cache"]);
    expect(visibleRows(rows, { ...defaultView, query: "web-id" }).map((r) => r.name)).toEqual(["web"]);
  });

  it("keeps only running containers when asked", () => {
    expect(visibleRows(rows, { ...defaultView, state: "running" }).map((r) => r.name)).toEqual(["cache", "web"]);
    expect(visibleRows(rows, { ...defaultView, state: "stopped" }).map((r) => r.name)).toEqual(["db"]);
  });

  it("sorts by the chosen key in either direction", () => {
    expect(visibleRows(rows, { ...defaultView, descending: true }).map((r) => r.name)).toEqual(["web", "db", "cache"]);
  });
});

describe("groupRows", () => {
  it("groups by engine, then by compose project or pod", () => {
    const groups = groupRows([
      c("a"),
      c("b", { project: "shop" }),
      c("c", { engine: "docker" }),
      c("d", { pod: "pod1" }),
    ]);
    expect(groups.map((g) => g.key)).toEqual(["docker", "podman", "podman / pod1", "podman / shop"]);
  });
});
