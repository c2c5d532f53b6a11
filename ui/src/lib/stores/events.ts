// The Events page's copy of the registry's recent-events ring and its filter (pure, tested).
import type { EventRecord, HistoryPage } from "../ipc";

/** Records the registry keeps (`skiff::registry::HISTORY`), and so the page. */
export const HISTORY = 1000;

/**
 * The records held after `page` arrived: its records alone when it starts over (`reset`),
 * else those held followed by its records; the newest `max` of them either way. A new array:
 * the page's list is replaced, never changed in place.
 */
export function followHistory(held: EventRecord[], page: HistoryPage, max = HISTORY): EventRecord[] {
  const next = page.reset ? page.records : held.concat(page.records);
  return next.length > max ? next.slice(next.length - max) : next;
}

export interface EventFilter {
  /** Engine id, or "" for all. */
  engine: string;
  /** Matched against action, name and id, case-insensitive. */
  query: string;
  /** Include events replayed from before the last relist. */
  replayed: boolean;
}

export const defaultEventFilter: EventFilter = { engine: "", query: "", replayed: false };

/** Newest first, filtered. The filter's settings are read once, not once per record: `f` is
 *  the page's reactive state, where each read is a tracked lookup (as `containers.ts`'s). */
export function filterEvents(records: EventRecord[], f: EventFilter): EventRecord[] {
  const { engine, replayed } = f;
  const q = f.query.trim().toLowerCase();
  return records
    .filter((r) => (engine === "" || r.engine === engine) && (replayed || !r.replayed))
    .filter((r) => q === "" || [r.action, r.name ?? "", r.id, r.typ].some((v) => v.toLowerCase().includes(q)))
    .sort((a, b) => b.time_ms - a.time_ms);
}
