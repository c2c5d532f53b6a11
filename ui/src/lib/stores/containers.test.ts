import { describe, expect, it } from "vitest";
import type { Container } from "../ipc";
import { defaultView, groupRows, lines, moveSelection, publishedPort, visibleRows, visibleWindow } from "./containers";
import { container } from "./fixtures";

function c(name: string, over: Partial<Container> = {}): Container {
  return container("podman", `${name}-id`.padEnd(64, "0"), name, "running", {
    image: "busybox:latest",
    status: "Up 1 second",
    ...over,
  });
}

const row = (name: string) => c(name);

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

  it("reads the view's filter once per list, not once per row, and leaves its input as it was", () => {
    // The page's view is reactive state, where every read is tracked: count them.
    const reads = { query: 0, state: 0 };
    const view = {
      ...defaultView,
      get query() {
        reads.query++;
        return " WEB ";
      },
      get state() {
        reads.state++;
        return "running" as const;
      },
    };
    const many = Array.from({ length: 500 }, (_, i) => c(`web-${i}`));
    const input = [...many].reverse();
    expect(visibleRows(input, view)).toHaveLength(500);
    expect(reads).toEqual({ query: 1, state: 1 });
    expect(input[0]?.name).toBe("web-499");
    // The whole list, unfiltered, is a copy too.
    const all = visibleRows(input, defaultView);
    expect(all).not.toBe(input);
    expect(all[0]?.name).toBe("web-0");
    expect(input[0]?.name).toBe("web-499");
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

  it("groups pods by context, then namespace, and finds them by namespace", () => {
    const pod = (name: string, namespace: string) =>
      c(name, {
        engine: "k8s:dev",
        state: "pending",
        kube: { namespace, phase: "Pending", node: null, owner: null, restarts: 0, ready: "0/1", containers: [] },
      });
    const rows = [pod("web", "shop"), pod("db", "data"), c("local")];
    expect(groupRows(rows).map((g) => g.key)).toEqual(["k8s:dev / data", "k8s:dev / shop", "podman"]);
    expect(visibleRows(rows, { ...defaultView, query: "shop" }).map((r) => r.name)).toEqual(["web"]);
  });
});

describe("virtualized list", () => {
  it("renders only the visible window plus overscan", () => {
    expect(visibleWindow(10_000, 0, 600, 34, 10)).toEqual({ start: 0, end: 28, padTop: 0, padBottom: (10_000 - 28) * 34 });
    const w = visibleWindow(10_000, 34 * 5000, 600, 34, 10);
    expect([w.start, w.end]).toEqual([4990, 5028]);
    expect(w.padTop + (w.end - w.start) * 34 + w.padBottom).toBe(10_000 * 34);
    expect(visibleWindow(5, 0, 600, 34)).toEqual({ start: 0, end: 5, padTop: 0, padBottom: 0 });
    // Scrolled past the end (list shrank): nothing beyond the count.
    const past = visibleWindow(3, 10_000, 600, 34);
    expect(past.end).toBe(3);
    expect(past.start).toBeLessThanOrEqual(past.end);
  });

  it("flattens groups into header and row lines", () => {
    const a = { ...row("a"), engine: "podman" };
    const b = { ...row("b"), engine: "docker" };
    expect(lines(groupRows([a, b])).map((l) => (l.kind === "group" ? `#${l.group.key}` : l.row.name))).toEqual([
      "#docker",
      "b",
      "#podman",
      "a",
    ]);
  });

  it("moves the selection within bounds", () => {
    const rows = [row("a"), row("b"), row("c")];
    const key = (n: string) => `podman/${rows.find((r) => r.name === n)?.id}`;
    expect(moveSelection(rows, null, 1)).toBe(key("a"));
    expect(moveSelection(rows, null, -1)).toBe(key("c"));
    expect(moveSelection(rows, key("a"), 1)).toBe(key("b"));
    expect(moveSelection(rows, key("c"), 5)).toBe(key("c"));
    expect(moveSelection([], null, 1)).toBe(null);
  });
});

describe("publishedPort", () => {
  it("reads the host side of a published mapping only", () => {
    expect(publishedPort("0.0.0.0:8080->80/tcp")).toBe(8080);
    expect(publishedPort("[::]:8443->443/tcp")).toBe(8443);
    expect(publishedPort("80/tcp")).toBeNull();
  });
});
