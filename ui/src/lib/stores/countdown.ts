// The reconnect banner's "next try in N s", and when that text next changes.
//
// Why not a tick every second: the page is repainted at each change of the text, and while an
// engine is down the banner is on screen for as long as the outage lasts. Measured in the
// release window under Xvfb (software GL), one change a second kept WebKit's web process at
// ~9 % of a core (46 of 500 ticks in 5 s, with 10 rows) and ~25 % with 10k rows. Seconds are
// shown one by one only for the last 5; above, in steps of 5 s: with the 30 s cap of the
// backoff, 11 changes per attempt instead of 30.

import type { EngineStatus } from "../ipc";

/** When the engine's next try is due (ms since the epoch), or `null` when none is planned. */
export function retryAt(status: EngineStatus): number | null {
  return status.state === "reconnecting" && status.retry_in_ms !== null ? Date.parse(status.at) + status.retry_in_ms : null;
}

/** Below this many milliseconds, every second is shown. */
const FINE_MS = 5_000;
const STEP_MS = 5_000;

/** The seconds shown for `remainingMs` until the next try. */
export function shownSeconds(remainingMs: number): number {
  if (remainingMs <= 0) return 0;
  if (remainingMs <= FINE_MS) return Math.ceil(remainingMs / 1000);
  return (Math.ceil(remainingMs / STEP_MS) * STEP_MS) / 1000;
}

/**
 * Milliseconds until `shownSeconds` changes, or `null` once it shows 0 (the next status, which
 * the try brings, changes the banner).
 */
export function nextChangeMs(remainingMs: number): number | null {
  if (remainingMs <= 0) return null;
  const unit = remainingMs <= FINE_MS ? 1000 : STEP_MS;
  // The value changes when the time left goes below the next lower multiple of the unit.
  const below = (Math.ceil(remainingMs / unit) - 1) * unit;
  return remainingMs - below;
}
