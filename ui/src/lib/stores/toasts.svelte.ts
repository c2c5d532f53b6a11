// Short messages in the corner (an action that failed, Podman started), each gone after 6 s.
// One list per window, handed down through Svelte's context (no module-level singleton).
import { getContext, setContext } from "svelte";

export interface Toast {
  id: number;
  text: string;
}

const SHOWN_MS = 6000;
const KEY = Symbol("toasts");

export class Toasts {
  items = $state<Toast[]>([]);
  private next = 0;

  show(text: string): void {
    const id = ++this.next;
    this.items = [...this.items, { id, text }];
    setTimeout(() => (this.items = this.items.filter((t) => t.id !== id)), SHOWN_MS);
  }
}

/** Creates the window's toasts and makes them available to every component below. */
export function provideToasts(): Toasts {
  return setContext(KEY, new Toasts());
}

/** The toasts provided by an ancestor (the App). */
export function useToasts(): Toasts {
  const toasts = getContext<Toasts | undefined>(KEY);
  if (!toasts) throw new Error("useToasts() outside the App");
  return toasts;
}
