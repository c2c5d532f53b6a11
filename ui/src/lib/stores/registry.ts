// The UI's copy of the registry: a snapshot plus deltas applied in order.
//
// Each engine's deltas carry a `rev` that increases by one. A delta at or below the known rev is
// stale (already in the snapshot) and dropped; one more than one ahead means something was missed,
// and the caller takes a new snapshot instead of showing a list with holes.
import type { Container, Delta, EngineStatus, Snapshot } from "../ipc";

export type DeltaResult = "applied" | "stale" | "gap";

export const key = (c: { engine: string; id: string }) => `${c.engine}/${c.id}`;

export class RegistryModel {
  containers = new Map<string, Container>();
  engines = new Map<string, EngineStatus>();
  revs = new Map<string, number>();

  applySnapshot(s: Snapshot): void {
    this.containers = new Map(s.containers.map((c) => [key(c), c]));
    this.revs = new Map(Object.entries(s.revs).map(([k, v]) => [k, v ?? 0]));
    for (const status of s.engines) this.engines.set(status.engine, status);
  }

  applyStatus(s: EngineStatus): void {
    this.engines.set(s.engine, s);
  }

  applyDelta(d: Delta): DeltaResult {
    const known = this.revs.get(d.engine) ?? 0;
    if (d.rev <= known) return "stale";
    if (d.rev !== known + 1) return "gap";
    this.revs.set(d.engine, d.rev);
    switch (d.op) {
      case "upsert":
        this.containers.set(key(d.container), d.container);
        break;
      case "remove":
        this.containers.delete(`${d.engine}/${d.id}`);
        break;
      case "resync_start":
      case "resync_done":
        break;
    }
    return "applied";
  }

  rows(): Container[] {
    return [...this.containers.values()];
  }
}
