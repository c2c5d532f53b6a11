// The engine's HTTP API over its unix socket, as the window benchmarks drive it (Docker's and
// Podman's compat API, v1.41): one call, containers created in bulk, and the environment of an
// app run against the engine alone.
import http from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * The environment of the app (or any Skiff binary) run against a throwaway engine alone: its
 * settings and data under `work`, no Kubernetes context of this machine, plus `extra` (its
 * `SKIFF_HOST`, …).
 */
export function appEnv(work, extra = {}) {
  return {
    ...process.env,
    SKIFF_CONFIG_DIR: join(work, "config"),
    SKIFF_DATA_DIR: join(work, "data"),
    KUBECONFIG: join(work, "no-kubeconfig"),
    ...extra,
  };
}

/**
 * One API call; resolves with the response's text. A status of 300 or more rejects with the
 * engine's message, unless it is one of `ok` (say 304: already in that state).
 */
export function api(socket, method, path, body, ok = []) {
  return new Promise((done, fail) => {
    const req = http.request({ socketPath: socket, method, path: `/v1.41${path}`, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => (res.statusCode < 300 || ok.includes(res.statusCode) ? done(text) : fail(new Error(`${method} ${path}: ${res.statusCode} ${text.trim()}`))));
    });
    req.on("error", fail).end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * Creates `count` busybox containers named `prefix-0`, `prefix-1`, … running `cmd` (never
 * started), 4 at a time; resolves with their ids in name order. A create that fails is tried
 * again (3 attempts): an engine under load answers 500 now and then. One that failed late may
 * have made the container: its name is then taken (409), and its id is looked up.
 */
export async function createContainers(socket, prefix, count, cmd, log = () => {}) {
  const spec = { Image: "busybox:latest", Cmd: cmd, HostConfig: { NetworkMode: "none" } };
  const one = async (name) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return JSON.parse(await api(socket, "POST", `/containers/create?name=${name}`, spec)).Id;
      } catch (e) {
        const taken = e.message.includes(": 409 ");
        if (taken && attempt > 1) return JSON.parse(await api(socket, "GET", `/containers/${name}/json`)).Id;
        if (taken || attempt === 3) throw e;
        log(`${e.message}; trying again`);
        await sleep(500);
      }
    }
  };
  const ids = [];
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < count) {
      const i = next++;
      ids[i] = await one(`${prefix}-${i}`);
    }
  }));
  return ids;
}
