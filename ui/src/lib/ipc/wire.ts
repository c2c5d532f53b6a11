// The snapshot as the shell sends it (`src/ipc/wire.rs`): rows as arrays in a fixed column
// order, the texts rows share written once and referred to by index. Turned back into the
// `Snapshot` the rest of the UI knows, here, in the only module that talks to Tauri.
import type { Container } from "./bindings/Container";
import type { Snapshot } from "./bindings/Snapshot";
import type { WireSnapshot } from "./bindings/WireSnapshot";

export function fromWire(w: WireSnapshot): Snapshot {
  const texts = w.texts;
  const t = (i: number): string => {
    const text = texts[i];
    if (text === undefined) throw new Error(`the snapshot refers to text ${i} of ${texts.length}`);
    return text;
  };
  // A plain loop with indexed reads: this runs once per row over 10k rows in a page just loaded,
  // where the code is not yet compiled, and destructuring an array walks its iterator.
  const containers: Container[] = [];
  for (const r of w.rows) {
    const pod = r[9];
    const project = r[10];
    // Same field order as `Container`: one object shape for every row.
    containers.push({
      id: r[0],
      name: r[1],
      image: t(r[3]),
      image_id: t(r[4]),
      volumes: r[12],
      networks: r[13],
      state: t(r[5]),
      status: t(r[6]),
      engine: t(r[2]),
      created: r[7],
      ports: r[8],
      pod: pod === null ? null : t(pod),
      project: project === null ? null : t(project),
      pending: r[11],
      kube: r[14],
    });
  }
  return { engines: w.engines, containers, revs: w.revs, objects: w.objects, object_revs: w.object_revs };
}
