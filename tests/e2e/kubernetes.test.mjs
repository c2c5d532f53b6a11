// End-to-end: the pods of the current kubeconfig context in the real window, against a real
// Kubernetes API server (scripts/kube.sh): grouped by context and namespace, and deleted from the
// UI after a confirmation that names the namespace.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { Session, startDriver, stopDriver } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = join(targetDir, "debug", "skiff-desktop");
const kubeSh = join(root, "scripts", "kube.sh");

let work, kubeconfig, driver, session;

/** A request to the API server as the cluster admin, through curl with the test CA. */
function api(method, path, body) {
  const d = join(work, "kube");
  const token = readFileSync(join(d, "tokens.csv"), "utf8").split("\n").find((l) => l.includes(",admin,")).split(",")[0];
  const port = readFileSync(join(d, "apiserver.port"), "utf8").trim();
  const args = ["-sf", "--cacert", join(d, "ca.crt"), "-H", `Authorization: Bearer ${token}`, "-X", method];
  if (body) args.push("-H", "Content-Type: application/json", "-d", JSON.stringify(body));
  return JSON.parse(execFileSync("curl", [...args, `https://127.0.0.1:${port}${path}`], { encoding: "utf8" }));
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), "skiff-e2e-kube-"));
  kubeconfig = execFileSync(kubeSh, ["start", work], { encoding: "utf8" }).trim();
  api("POST", "/api/v1/namespaces", { metadata: { name: "team" } });
  api("POST", "/api/v1/namespaces/team/pods", {
    metadata: { name: "e2e-pod" },
    spec: { containers: [{ name: "app", image: "busybox:latest" }] },
  });
  driver = await startDriver({
    port: 4444,
    nativePort: 4445,
    env: {
      KUBECONFIG: kubeconfig,
      SKIFF_CONFIG_DIR: join(work, "config"),
      SKIFF_DATA_DIR: join(work, "data"),
      SKIFF_LOG_DIR: join(work, "logs"),
    },
    logFile: join(targetDir, "e2e", "driver-kube.log"),
  });
  session = await Session.start(driver.base, app);
  await session.appBuilt();
});

after(async () => {
  await session?.close();
  if (driver) stopDriver(driver);
  try {
    execFileSync(kubeSh, ["stop", work]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test("pods of the current context appear grouped by namespace, and Delete asks before deleting", async () => {
  const row = await session.waitFor("the pod row", async () => {
    const rows = await session.findAll('[data-testid="container-row"][data-name="e2e-pod"]');
    return rows.length ? rows[0] : null;
  });
  assert.equal(await session.attribute(row, "data-engine"), "k8s:admin");
  const headers = await session.execute(
    `return [...document.querySelectorAll("tr.group")].map((g) => g.innerText.replace(/\\s+/g, " ").trim());`,
  );
  assert.ok(headers.some((h) => h.startsWith("k8s:admin / team")), headers.join(" | "));
  const chip = (await session.findAll('[data-name="e2e-pod"] [data-state]'))[0];
  assert.equal(await session.attribute(chip, "data-state"), "pending");
  // Only Delete is offered for a pod.
  const actions = await session.execute(
    `return [...document.querySelectorAll('[data-name="e2e-pod"] [data-action]')].map((b) => b.dataset.action);`,
  );
  assert.deepEqual(actions, ["remove"]);
  await session.screenshot(join(targetDir, "e2e", "kubernetes.png"));

  await session.execute(
    `window.confirm = (m) => { window.__asked = m; return true; };
     document.querySelector('[data-name="e2e-pod"] [data-action="remove"]').click();`,
  );
  const asked = await session.waitFor("the confirmation", async () => session.execute("return window.__asked ?? null;"));
  assert.equal(asked, "Delete pod e2e-pod in namespace team?");
  await session.waitFor("the row gone", async () =>
    (await session.findAll('[data-testid="container-row"][data-name="e2e-pod"]')).length === 0 ? true : null,
  );
  const left = api("GET", "/api/v1/namespaces/team/pods");
  assert.equal(left.items.length, 0, "deleted in the cluster too");
});
