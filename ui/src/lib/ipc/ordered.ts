// One call in flight at a time, in the order they were made.
//
// Tauri carries each `invoke` as a request of its own, handled by a task of its own: two calls in
// flight can reach the backend in either order. For a terminal's keys that reorders what the
// user typed (seen under load: `ls /⏎` ran as `ls⏎/`). So a stream of calls whose order matters
// goes through `inOrder`: while one call is in flight, the next ones wait, joined into one batch
// where `join` allows (keys typed meanwhile are sent together, a newer size replaces an older).

interface Batch<T> {
  item: T;
  waiters: { ok: () => void; fail: (e: unknown) => void }[];
}

/**
 * Returns a function that sends `item`s through `send` one at a time, in order. `join(a, b)`
 * merges a waiting item with a newer one, or returns `null` to keep them apart. Each returned
 * promise settles with the call that carried its item.
 */
export function inOrder<T>(send: (item: T) => Promise<void>, join: (a: T, b: T) => T | null): (item: T) => Promise<void> {
  const waiting: Batch<T>[] = [];
  let busy = false;

  async function drain(): Promise<void> {
    busy = true;
    while (waiting.length > 0) {
      const batch = waiting.shift()!;
      try {
        await send(batch.item);
        for (const w of batch.waiters) w.ok();
      } catch (e) {
        // A failed call fails its own items only: later ones are still sent (the backend
        // answers them for themselves, e.g. "the terminal has ended").
        for (const w of batch.waiters) w.fail(e);
      }
    }
    busy = false;
  }

  return (item: T) =>
    new Promise<void>((ok, fail) => {
      const last = waiting.at(-1);
      const joined = last ? join(last.item, item) : null;
      if (last && joined !== null) {
        last.item = joined;
        last.waiters.push({ ok, fail });
      } else {
        waiting.push({ item, waiters: [{ ok, fail }] });
      }
      if (!busy) void drain();
    });
}

/** Typed keys and pastes: joined while the total stays under `limit` characters. */
export const joinText =
  (limit: number) =>
  (a: string, b: string): string | null =>
    a.length + b.length <= limit ? a + b : null;
