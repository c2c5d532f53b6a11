import { describe, expect, it } from "vitest";
import type { Container, StatsSample } from "../ipc";
import { formatBytes, formatPercent, StatsHistory, statsPause, statsTargets, targetsKey } from "./stats";

const row = (id: string, state: string, kube = false): Container =>
  ({ id, engine: "e", name: id, state, kube: kube ? { namespace: "d" } : null }) as unknown as Container;

const sample = (over: Partial<StatsSample>): StatsSample => ({
  id: "a",
  name: "a",
  engine: "e",
  cpu_percent: 0,
  mem_bytes: 0,
  mem_limit_bytes: 0,
  net_rx_bytes: 0,
  net_tx_bytes: 0,
  block_read_bytes: 0,
  block_write_bytes: 0,
  pids: 0,
  ...over,
});

describe("stats targets", () => {
  it("are the running rows of engines, not stopped ones or pods", () => {
    const t = statsTargets([row("a", "running"), row("b", "exited"), row("c", "running", true), row("d", "running")]);
    expect(t).toEqual([
      { engine: "e", id: "a" },
      { engine: "e", id: "d" },
    ]);
  });
  it("have a key that ignores order", () => {
    expect(targetsKey([{ engine: "e", id: "b" }, { engine: "e", id: "a" }])).toBe(
      targetsKey([{ engine: "e", id: "a" }, { engine: "e", id: "b" }]),
    );
    expect(targetsKey([{ engine: "e", id: "a" }])).not.toBe(targetsKey([{ engine: "f", id: "a" }]));
  });
});

describe("formatting", () => {
  it("writes sizes in binary units", () => {
    expect(formatBytes(900)).toBe("900 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(512 * 1024 * 1024)).toBe("512 MiB");
    expect(formatBytes(23.5 * 1024 ** 3)).toBe("23.5 GiB");
  });
  it("writes percentages", () => {
    expect(formatPercent(0.1234)).toBe("0.12 %");
    expect(formatPercent(150)).toBe("150.0 %");
  });
});

describe("StatsHistory", () => {
  it("turns counters into per-second rates and keeps the last samples only", () => {
    const h = new StatsHistory(2);
    h.push(sample({ net_rx_bytes: 1000, cpu_percent: 5 }), 0);
    expect(h.netRx.values).toEqual([]);
    h.push(sample({ net_rx_bytes: 3000, cpu_percent: 6 }), 2000);
    expect(h.netRx.values).toEqual([1000]);
    h.push(sample({ net_rx_bytes: 3000, cpu_percent: 7 }), 3000);
    expect(h.cpu.values).toEqual([6, 7]);
    expect(h.netRx.values).toEqual([1000, 0]);
    // A restarted container's counters start again: no negative rate.
    h.push(sample({ net_rx_bytes: 10 }), 4000);
    expect(h.netRx.last).toBe(0);
  });
});

describe("stats pause", () => {
  it("is none while the engine answers and the container runs", () => {
    expect(statsPause("podman", true, true, true)).toBeNull();
    expect(statsPause("podman", true, true, false)).toBeNull();
  });
  it("names the unreachable engine first: a container of a lost engine may still run", () => {
    expect(statsPause("podman", false, true, true)).toMatch(/^podman is not reachable: the charts show the last samples/);
    expect(statsPause("podman", false, false, false)).toBe("podman is not reachable: stats appear when it is back.");
  });
  it("tells a stopped container's frozen charts from no charts yet", () => {
    expect(statsPause("podman", true, false, true)).toMatch(/^Not running: the charts show its last samples/);
    expect(statsPause("podman", true, false, false)).toBe("Not running: stats appear when the container runs.");
  });
});
