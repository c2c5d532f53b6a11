// The snapshot as the shell sends it (`src/ipc/wire.rs`): rows as arrays in a fixed column
// order, the texts rows share written once and referred to by index. Turned back into the
// `Snapshot` the rest of the UI knows, here, in the only module that talks to Tauri.
import type { Container } from "./bindings/Container";
import type { Snapshot } from "./bindings/Snapshot";
import type { WireSnapshot } from "./bindings/WireSnapshot";

/**
 * The empty list of every row that has no volumes, networks or ports: one array for all of
 * them instead of one each (10k rows of the benchmark made 30k, ~1.6 ms of a cold page's
 * `fromWire`, `jsc`, medians of 15). Frozen, so that code that ever changed a row's list in
 * place would throw instead of changing every row's; none does (rows are replaced, not edited).
 */
const NONE = Object.freeze([]) as unknown as string[];

export function fromWire(w: WireSnapshot): Snapshot {
  const texts = w.texts;
  const t = (i: number): string => {
    const text = texts[i];
    if (text === undefined) throw new Error(`the snapshot refers to text ${i} of ${texts.length}`);
    return text;
  };
  // A plain loop with indexed reads: this runs once per row over 10k rows in a page just loaded,
  // where the code is not yet compiled, and destructuring an array walks its iterator. The
  // columns after `created` may be left off a row's end, at their defaults (`WireRow`): an empty
  // list is then `NONE`, shared.
  const containers: Container[] = [];
  for (const r of w.rows) {
    const project = r[8] ?? null;
    const pod = r[12] ?? null;
    // Same field order as `Container`: one object shape for every row.
    containers.push({
      id: r[0],
      name: r[1],
      image: t(r[3]),
      image_id: t(r[4]),
      volumes: r[11] ?? NONE,
      networks: r[9] ?? NONE,
      state: t(r[5]),
      status: t(r[6]),
      engine: t(r[2]),
      created: r[7],
      ports: r[10] ?? NONE,
      pod: pod === null ? null : t(pod),
      project: project === null ? null : t(project),
      pending: r[13] ?? false,
      kube: r[14] ?? null,
    });
  }
  return { engines: w.engines, containers, revs: w.revs, objects: w.objects, object_revs: w.object_revs };
}
