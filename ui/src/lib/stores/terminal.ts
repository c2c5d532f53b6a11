// The terminal view's logic that needs no xterm.js: acknowledging rendered output (flow
// control) and telling which keys copy and paste.

/** Rendered bytes are acknowledged in one message per this many (the backend pauses at 512 KiB
 *  unacknowledged and resumes below 128 KiB: see `skiff::terminal`). */
export const ACK_EVERY = 64 * 1024;
/** A smaller remainder is acknowledged this long after the last write, so that an interactive
 *  session (a few bytes a keystroke) never drifts to the pause mark. */
export const ACK_IDLE_MS = 100;

/** Counts what xterm.js rendered and acknowledges it in batches. */
export class Acks {
  private pending = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly send: (bytes: number) => void) {}

  /** xterm.js's write callback for `bytes` bytes ran. */
  rendered(bytes: number): void {
    this.pending += bytes;
    if (this.pending >= ACK_EVERY) {
      this.flush();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), ACK_IDLE_MS);
    }
  }

  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending > 0) {
      const bytes = this.pending;
      this.pending = 0;
      this.send(bytes);
    }
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending = 0;
  }
}

export type ClipboardKey = "copy" | "paste" | null;

/** Copy and paste as the platform's terminals do: Cmd+C / Cmd+V on macOS; Ctrl+Shift+C /
 *  Ctrl+Shift+V elsewhere (Ctrl+C is the process's interrupt, so it never copies). */
export function clipboardKey(e: Pick<KeyboardEvent, "type" | "key" | "ctrlKey" | "shiftKey" | "metaKey" | "altKey">, mac: boolean): ClipboardKey {
  if (e.type !== "keydown" || e.altKey) return null;
  const key = e.key.toLowerCase();
  if (key !== "c" && key !== "v") return null;
  const chord = mac ? e.metaKey && !e.ctrlKey : e.ctrlKey && e.shiftKey && !e.metaKey;
  if (!chord) return null;
  return key === "c" ? "copy" : "paste";
}

/** What the status line says about a session that ended. */
export function endingText(ending: { kind: "exited"; code: number } | { kind: "detached" } | { kind: "lost"; message: string }): string {
  switch (ending.kind) {
    case "exited":
      return `Exited with code ${ending.code}`;
    case "detached":
      return "Detached; the process keeps running";
    case "lost":
      return `Disconnected: ${ending.message}`;
  }
}
