// Live stats in the window: which containers a view shows (so only those are followed), the
// latest sample of each for the list's columns, and a short history of one container for the
// detail view's charts. Pure and tested; the ipc module does the talking.
import type { Container, ContainerRef, StatsSample } from "../ipc";
import { rate, Series } from "./series";

/** The rows stats make sense for: running containers of an engine (pods have none here). */
export function statsTargets(rows: Container[]): ContainerRef[] {
  return rows.filter((c) => c.state === "running" && !c.kube).map((c) => ({ engine: c.engine, id: c.id }));
}

/** A stable key for a set of targets, to tell a real change from a re-render. */
export function targetsKey(targets: ContainerRef[]): string {
  return targets
    .map((t) => `${t.engine}/${t.id}`)
    .sort()
    .join(",");
}

/** `1.2 GiB`, `512 MiB`, `900 B`, as `docker stats` writes sizes (binary units). */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}

export function formatPercent(p: number): string {
  return `${p.toFixed(p < 10 ? 2 : 1)} %`;
}

/**
 * Why one container's charts are not live, or `null` when they are: while its engine is
 * unreachable or it does not run, no sample comes, and the last one drawn is not its use now.
 * `drawn`: whether charts are on screen (they stay, as the minute before) or none came yet.
 */
export function statsPause(engine: string, reachable: boolean, running: boolean, drawn: boolean): string | null {
  if (!reachable) {
    return drawn
      ? `${engine} is not reachable: the charts show the last samples and go on when it is back.`
      : `${engine} is not reachable: stats appear when it is back.`;
  }
  if (!running) {
    return drawn
      ? "Not running: the charts show its last samples and go on when it runs again."
      : "Not running: stats appear when the container runs.";
  }
  return null;
}

/** One container's recent samples, as series for charts (the last `size` seconds). */
export class StatsHistory {
  readonly cpu: Series;
  readonly mem: Series;
  readonly netRx: Series;
  readonly netTx: Series;
  readonly blockRead: Series;
  readonly blockWrite: Series;
  readonly pids: Series;
  last: StatsSample | null = null;
  private lastAt = 0;

  constructor(size = 60) {
    this.cpu = new Series(size);
    this.mem = new Series(size);
    this.netRx = new Series(size);
    this.netTx = new Series(size);
    this.blockRead = new Series(size);
    this.blockWrite = new Series(size);
    this.pids = new Series(size);
  }

  /** Adds a sample taken at `at` (ms); counters (network, block I/O) become per-second rates. */
  push(s: StatsSample, at: number) {
    const prev = this.last;
    const seconds = prev ? (at - this.lastAt) / 1000 : 0;
    this.cpu.push(s.cpu_percent);
    this.mem.push(s.mem_bytes);
    this.pids.push(s.pids);
    if (prev) {
      this.netRx.push(rate(prev.net_rx_bytes, s.net_rx_bytes, seconds));
      this.netTx.push(rate(prev.net_tx_bytes, s.net_tx_bytes, seconds));
      this.blockRead.push(rate(prev.block_read_bytes, s.block_read_bytes, seconds));
      this.blockWrite.push(rate(prev.block_write_bytes, s.block_write_bytes, seconds));
    }
    this.last = s;
    this.lastAt = at;
  }
}
