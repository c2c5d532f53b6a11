// Pure list logic (filter, sort, group), kept out of components so it is unit-tested.
import type { Container } from "../ipc";

export type SortKey = "name" | "image" | "state" | "created" | "engine";
export type StateFilter = "all" | "running" | "stopped";

export interface ListView {
  query: string;
  state: StateFilter;
  sort: SortKey;
  descending: boolean;
}

export const defaultView: ListView = { query: "", state: "all", sort: "name", descending: false };

const STOPPED = new Set(["exited", "created", "dead"]);

export function matches(c: Container, view: ListView): boolean {
  if (view.state === "running" && c.state !== "running") return false;
  if (view.state === "stopped" && !STOPPED.has(c.state)) return false;
  const q = view.query.trim().toLowerCase();
  if (!q) return true;
  return (
    c.name.toLowerCase().includes(q) ||
    c.image.toLowerCase().includes(q) ||
    c.id.startsWith(q) ||
    c.engine.toLowerCase().includes(q) ||
    (c.project ?? "").toLowerCase().includes(q) ||
    (c.pod ?? "").toLowerCase().includes(q)
  );
}

function compare(a: Container, b: Container, key: SortKey): number {
  if (key === "created") return a.created - b.created;
  return a[key].localeCompare(b[key]) || a.name.localeCompare(b.name);
}

export function visibleRows(rows: Container[], view: ListView): Container[] {
  const out = rows.filter((c) => matches(c, view));
  out.sort((a, b) => (view.descending ? -1 : 1) * compare(a, b, view.sort));
  return out;
}

export interface Group {
  /** `engine` or `engine / project` or `engine / pod`. */
  key: string;
  engine: string;
  label: string | null;
  rows: Container[];
}

/** Groups sorted rows by engine, then by compose project or pod, keeping the row order. */
export function groupRows(rows: Container[]): Group[] {
  const groups = new Map<string, Group>();
  for (const c of rows) {
    const label = c.project ?? c.pod ?? null;
    const key = label ? `${c.engine} / ${label}` : c.engine;
    let g = groups.get(key);
    if (!g) {
      g = { key, engine: c.engine, label, rows: [] };
      groups.set(key, g);
    }
    g.rows.push(c);
  }
  return [...groups.values()].sort((a, b) => a.key.localeCompare(b.key));
}
