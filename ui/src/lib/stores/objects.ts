// Pure logic of the Images, Volumes, Networks and Pods pages: one row per object with its users
// derived from the live container rows (so a container created or removed updates the counts at
// once, though the engine sends no image or volume event for it), search, sort, and what a
// prune would remove.
import type { Container, EngineObject, ObjectKind, PruneTarget } from "../ipc";
import { compareExact, compareText, sortChecked } from "./collate";
import { kindOf } from "./registry";

export interface ObjectRow {
  key: string;
  kind: ObjectKind;
  engine: string;
  id: string;
  /** What a user calls it: an image's first tag (or short id), the others' names. */
  name: string;
  object: EngineObject;
  /** Names of the containers that use it (a pod's own, as Podman lists them). */
  users: string[];
}

export type ObjectSort = "name" | "engine" | "size" | "created" | "users";

const shortId = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

function nameOf(o: EngineObject): string {
  if ("tags" in o) return o.tags[0] ?? shortId(o.id);
  if ("name" in o) return o.name;
  return o.id;
}

/** Users of every image, volume and network, by `engine/kind/key`, from the container rows. */
function usersOf(containers: Iterable<Container>): Map<string, string[]> {
  const users = new Map<string, string[]>();
  const add = (k: string, name: string) => {
    const list = users.get(k);
    if (list) list.push(name);
    else users.set(k, [name]);
  };
  for (const c of containers) {
    if (c.image_id) add(`${c.engine}/image/${c.image_id}`, c.name);
    for (const v of c.volumes ?? []) add(`${c.engine}/volume/${v}`, c.name);
    for (const n of c.networks ?? []) add(`${c.engine}/network/${n}`, c.name);
  }
  return users;
}

/** The rows of `kind`, users filled in, filtered by `query` and sorted. */
export function objectRows(
  objects: Iterable<EngineObject>,
  containers: Iterable<Container>,
  kind: ObjectKind,
  query: string,
  sort: ObjectSort,
  descending: boolean,
): ObjectRow[] {
  const users = usersOf(containers);
  const q = query.trim().toLowerCase();
  const rows: ObjectRow[] = [];
  for (const object of objects) {
    if (kindOf(object) !== kind) continue;
    const name = nameOf(object);
    const usedBy =
      kind === "pod"
        ? object.containers
        : (users.get(`${object.engine}/${kind}/${"subnet" in object ? object.name : object.id}`) ?? []);
    const text = [name, object.id, object.engine, ...("tags" in object ? object.tags : [])].join(" ").toLowerCase();
    if (q && !text.includes(q)) continue;
    rows.push({ key: `${object.engine}/${kind}/${object.id}`, kind, engine: object.engine, id: object.id, name, object, users: [...usedBy].sort() });
  }
  const value = (r: ObjectRow): number | string => {
    const o = r.object;
    switch (sort) {
      case "size":
        return "size_bytes" in o ? (o.size_bytes ?? 0) : 0;
      case "created":
        return "created" in o ? (typeof o.created === "number" ? o.created : (o.created ?? "")) : "";
      case "users":
        return r.users.length;
      case "engine":
        return r.engine;
      default:
        return r.name;
    }
  };
  // Each row's value is read once; texts compare in `localeCompare`'s order through
  // `collate.ts`'s keys (a page of 10k images was sorted with ICU's comparison at every pair),
  // checked against the collator itself. The name and key break ties, always ascending.
  const sign = descending ? -1 : 1;
  const keyed = rows.map((row) => ({ row, value: value(row) }));
  type Keyed = (typeof keyed)[number];
  const by = (text: (a: string, b: string) => number) => (x: Keyed, y: Keyed) => {
    const c =
      typeof x.value === "number" && typeof y.value === "number" ? x.value - y.value : text(String(x.value), String(y.value));
    return sign * c || text(x.row.name, y.row.name) || text(x.row.key, y.row.key);
  };
  return sortChecked(keyed, by(compareText), by(compareExact)).map((k) => k.row);
}

/** Networks every engine has and never prunes. */
const BUILTIN_NETWORKS = new Set(["bridge", "host", "none", "podman"]);
const STOPPED = new Set(["exited", "created", "dead"]);

/** What a prune of `target` in `engine` would remove (names), as the engines decide it: dangling
 *  images (`all`: every unused one), unused volumes, unused non-default networks, stopped
 *  containers. Shown in the confirmation before anything is removed. */
export function prunePreview(
  objects: Iterable<EngineObject>,
  containers: Container[],
  engine: string,
  target: PruneTarget,
  all: boolean,
): string[] {
  const mine = containers.filter((c) => c.engine === engine);
  if (target === "containers") return mine.filter((c) => STOPPED.has(c.state)).map((c) => c.name).sort();
  const kind: ObjectKind = target === "images" ? "image" : target === "volumes" ? "volume" : "network";
  return objectRows(objects, mine, kind, "", "name", false)
    .filter((r) => r.engine === engine && r.users.length === 0)
    .filter((r) => {
      const o = r.object;
      if ("tags" in o) return all || o.tags.length === 0;
      if ("subnet" in o) return !BUILTIN_NETWORKS.has(o.name);
      return true;
    })
    .map((r) => r.name);
}
