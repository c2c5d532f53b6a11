// A log view's lines: a ring capped in lines and bytes (the backend follows the whole log; the
// window keeps the last part of it), and search over what it holds.
import type { LogLine } from "../ipc";

/** Lines a view keeps at most, and bytes (of text) at most. */
export const MAX_LINES = 100_000;
export const MAX_BYTES = 64 * 1024 * 1024;

export class LogRing {
  lines: LogLine[] = [];
  bytes = 0;
  /** Lines dropped from the front since the view opened (for "n earlier lines not kept"). */
  dropped = 0;

  constructor(
    readonly maxLines = MAX_LINES,
    readonly maxBytes = MAX_BYTES,
  ) {}

  push(batch: LogLine[]) {
    for (const l of batch) {
      this.lines.push(l);
      this.bytes += l.line.length;
    }
    // Cutting the front of a 100k-line array moves every line that stays: a full ring following
    // a fast log cuts once it is 1 % over its caps, not at every batch (60 times a second).
    const slack = Math.floor(this.maxLines / 100);
    const over = this.lines.length > this.maxLines + slack || this.bytes > this.maxBytes * 1.01;
    if (!over) return;
    let cut = 0;
    while (this.lines.length - cut > this.maxLines || (this.bytes > this.maxBytes && this.lines.length - cut > 1)) {
      this.bytes -= this.lines[cut]?.line.length ?? 0;
      cut++;
    }
    if (cut > 0) {
      this.lines.splice(0, cut);
      this.dropped += cut;
    }
  }
}

export interface Prepended {
  /** Lines put before the first one. */
  added: number;
  /** Lines of the page left out: the ring was full. */
  refused: number;
}

/** Puts earlier lines (a page back) before the first one, as many as the caps leave room for
 *  (the newest of the page first: they join what the view shows). */
export function prepend(ring: LogRing, page: LogLine[]): Prepended {
  const room = Math.max(0, ring.maxLines - ring.lines.length);
  let bytes = ring.bytes;
  let take = 0;
  for (let i = page.length - 1; i >= 0 && take < room; i--) {
    const size = page[i]?.line.length ?? 0;
    if (bytes + size > ring.maxBytes) break;
    bytes += size;
    take++;
  }
  if (take > 0) {
    ring.lines.unshift(...page.slice(page.length - take));
    ring.bytes = bytes;
  }
  return { added: take, refused: page.length - take };
}

/** A search: plain text (case-insensitive) or a regular expression. `null` for an invalid one. */
export function matcher(query: string, regex: boolean): ((s: string) => boolean) | null {
  if (!query) return () => false;
  if (regex) {
    try {
      const re = new RegExp(query, "i");
      return (s) => re.test(s);
    } catch {
      return null;
    }
  }
  const q = query.toLowerCase();
  return (s) => s.toLowerCase().includes(q);
}

/** Indices of the lines that match. */
export function matches(lines: LogLine[], test: (s: string) => boolean): number[] {
  const found: number[] = [];
  lines.forEach((l, i) => {
    if (test(l.line)) found.push(i);
  });
  return found;
}

/** SGR colour codes (`ESC[31m`…) as spans: the text with the codes removed, and a colour class
 *  per piece. Anything else in an escape sequence is dropped. */
export function ansiPieces(line: string): { text: string; cls: string }[] {
  const pieces: { text: string; cls: string }[] = [];
  let cls = "";
  const re = /\x1b\[([0-9;]*)([A-Za-z])/g;
  let last = 0;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m.index > last) pieces.push({ text: line.slice(last, m.index), cls });
    last = re.lastIndex;
    if (m[2] !== "m") continue;
    for (const code of (m[1] || "0").split(";").map(Number)) {
      if (code === 0 || code === 39) cls = "";
      else if (code >= 30 && code <= 37) cls = `fg${code - 30}`;
      else if (code >= 90 && code <= 97) cls = `fg${code - 90}`;
    }
  }
  if (last < line.length) pieces.push({ text: line.slice(last), cls });
  return pieces;
}
