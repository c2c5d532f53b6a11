// The UI's copy of the registry: a snapshot plus deltas applied in order.
//
// Each engine's deltas carry a `rev` that increases by one. A delta at or below the known rev is
// stale (already in the snapshot) and dropped; one more than one ahead means something was missed,
// and the caller takes a new snapshot instead of showing a list with holes.
import type { Container, Delta, EngineObject, EngineStatus, ObjectDelta, ObjectKind, Snapshot } from "../ipc";

export type DeltaResult = "applied" | "stale" | "gap";

export const key = (c: { engine: string; id: string }) => `${c.engine}/${c.id}`;

/** The kind of an object (an image's id starts with `sha256:`; the others by their fields). */
export function kindOf(o: EngineObject): ObjectKind {
  if ("tags" in o) return "image";
  if ("mountpoint" in o) return "volume";
  if ("subnet" in o) return "network";
  return "pod";
}

export const objectKey = (engine: string, kind: ObjectKind, id: string) => `${engine}/${kind}/${id}`;

export class RegistryModel {
  containers = new Map<string, Container>();
  engines = new Map<string, EngineStatus>();
  revs = new Map<string, number>();
  /** Images, volumes, networks and pods, by `objectKey`; their revs are a sequence of their own. */
  objects = new Map<string, EngineObject>();
  objectRevs = new Map<string, number>();

  applySnapshot(s: Snapshot): void {
    this.containers = new Map(s.containers.map((c) => [key(c), c]));
    this.revs = new Map(Object.entries(s.revs).map(([k, v]) => [k, v ?? 0]));
    this.objects = new Map(s.objects.map((o) => [objectKey(o.engine, kindOf(o), o.id), o]));
    this.objectRevs = new Map(Object.entries(s.object_revs).map(([k, v]) => [k, v ?? 0]));
    for (const status of s.engines) this.engines.set(status.engine, status);
  }

  applyObjectDelta(d: ObjectDelta): DeltaResult {
    const known = this.objectRevs.get(d.engine) ?? 0;
    if (d.rev <= known) return "stale";
    if (d.rev !== known + 1) return "gap";
    this.objectRevs.set(d.engine, d.rev);
    if (d.op === "upsert") this.objects.set(objectKey(d.engine, d.kind, d.object.id), d.object);
    else if (d.op === "remove") this.objects.delete(objectKey(d.engine, d.kind, d.id));
    return "applied";
  }

  /** The objects of one kind. */
  objectsOf(kind: ObjectKind): EngineObject[] {
    return [...this.objects.values()].filter((o) => kindOf(o) === kind);
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
