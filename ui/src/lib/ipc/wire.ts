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
  const containers = w.rows.map(([id, name, engine, image, imageId, state, status, created, ports, pod, project, pending, volumes, networks, kube]): Container => {
    // Same field order as `Container`: one object shape for every row.
    return {
      id,
      name,
      image: t(image),
      image_id: t(imageId),
      volumes,
      networks,
      state: t(state),
      status: t(status),
      engine: t(engine),
      created,
      ports,
      pod: pod === null ? null : t(pod),
      project: project === null ? null : t(project),
      pending,
      kube,
    };
  });
  return { engines: w.engines, containers, revs: w.revs, objects: w.objects, object_revs: w.object_revs };
}
