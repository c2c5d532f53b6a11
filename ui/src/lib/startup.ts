// When the page is built at start: once the first snapshot is in the model, or after
// `BUILD_WAIT_MS`, whichever comes first.
//
// Why wait at all: in a fresh web process the page's first layout costs far more than any later
// one (~140 ms here, debug backend, 1,000 containers on Podman: styles, fonts, the table), and a
// frame that follows one already shown comes a WebKit frame later (~200 ms apart here while the
// process warms up). Built before the snapshot, the page paid both for an empty list and then
// again for the rows; built after it, the first layout and the first frame already hold the
// rows. The snapshot itself is the registry as it stands (a few ms of IPC), never the engines'
// lists, so a slow engine does not hold the page back: the wait only bounds a shell that is slow
// to answer.

/** The longest the page waits for the first snapshot before it is built without it. */
export const BUILD_WAIT_MS = 250;

/**
 * Resolves when `started` settles or `waitMs` has passed. Never rejects: a failed start is
 * shown by the page (which awaits `started` itself), so the page must be built anyway.
 */
export function readyToBuild(started: Promise<unknown>, waitMs = BUILD_WAIT_MS): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
  });
  const settled = started.then(
    () => undefined,
    () => undefined,
  );
  return Promise.race([settled, waited]).finally(() => clearTimeout(timer));
}
