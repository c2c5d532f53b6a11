// Snapshots reach the page as a script the shell evaluates, `window.__skiffSnapshot = [token,
// "<JSON>"]`, not as the `snapshot` command's response (`src/ipc/wire.rs` gives the measurements:
// on Linux a 1.4 MB response spent ~40 ms per MB in WebKit's custom-protocol stream). The
// command answers once the script is on its way; the receiver below hands each snapshot to the
// request that carries its token, and ignores any other value (a request of the page before a
// reload, or anything else that assigns the name).
import { SNAPSHOT_RECEIVER as RECEIVER } from "./bindings/contract";
import type { WireSnapshot } from "./bindings/WireSnapshot";

export { RECEIVER };

/** How long a snapshot may take to arrive once the command said it was sent. */
export const ARRIVAL_TIMEOUT_MS = 30_000;

interface Waiting {
  resolve: (w: WireSnapshot) => void;
  reject: (e: unknown) => void;
}

const waiting = new Map<number, Waiting>();
const installedOn = new WeakSet<object>();

function receive(value: unknown): void {
  if (!Array.isArray(value) || value.length !== 2) return;
  const [token, json] = value as [unknown, unknown];
  if (typeof token !== "number" || typeof json !== "string") return;
  const w = waiting.get(token);
  if (!w) return;
  waiting.delete(token);
  try {
    w.resolve(JSON.parse(json) as WireSnapshot);
  } catch (e) {
    w.reject({ kind: "internal", message: `the snapshot could not be read: ${String(e)}` });
  }
}

/** Installs the receiver on `target` (the page's `window`) once: a setter, not a value. */
function install(target: object): void {
  if (installedOn.has(target)) return;
  Object.defineProperty(target, RECEIVER, { configurable: false, enumerable: false, set: receive, get: () => undefined });
  installedOn.add(target);
}

function newToken(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}

/**
 * Asks for a snapshot with `ask(token)` (the command) and resolves with the one the shell sends
 * back with that token. Rejects with the command's error, or when nothing arrived within
 * `timeoutMs` of the command's answer.
 */
export async function delivered(
  ask: (token: number) => Promise<unknown>,
  target: object = globalThis,
  timeoutMs = ARRIVAL_TIMEOUT_MS,
): Promise<WireSnapshot> {
  install(target);
  let token = newToken();
  while (waiting.has(token)) token = newToken();
  const arrived = new Promise<WireSnapshot>((resolve, reject) => waiting.set(token, { resolve, reject }));
  try {
    await ask(token);
  } catch (e) {
    waiting.delete(token);
    throw e;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      waiting.delete(token);
      reject({ kind: "unavailable", message: "the snapshot was sent but did not reach the window" });
    }, timeoutMs);
  });
  try {
    return await Promise.race([arrived, late]);
  } finally {
    clearTimeout(timer);
  }
}
