// Writes ui/src/lib/licenses.json: the name, version and license of every third-party package
// that ships in Skiff (Rust crates reachable from the app and the CLI through normal
// dependencies, for Linux x86_64; npm packages bundled into the UI), for the About page.
// `node scripts/licenses.mjs --check` fails when the committed file is out of date (make test).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const out = join(root, "ui/src/lib/licenses.json");
const meta = JSON.parse(
  execFileSync("cargo", ["metadata", "--format-version", "1", "--locked", "--filter-platform", "x86_64-unknown-linux-gnu"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  }),
);
const byId = new Map(meta.packages.map((p) => [p.id, p]));
const nodes = new Map(meta.resolve.nodes.map((n) => [n.id, n]));
const members = new Set(meta.workspace_members);
const seen = new Set();
const queue = [...members];
while (queue.length) {
  const id = queue.pop();
  if (seen.has(id)) continue;
  seen.add(id);
  for (const dep of nodes.get(id)?.deps ?? []) {
    // Normal dependencies only: build scripts, proc macros' own deps at build time and dev
    // dependencies do not ship.
    if (dep.dep_kinds.some((k) => k.kind === null)) queue.push(dep.pkg);
  }
}
const rust = [...seen]
  .filter((id) => !members.has(id))
  .map((id) => byId.get(id))
  .map((p) => ({ name: p.name, version: p.version, license: p.license ?? (p.license_file ? "see license file" : "unknown") }))
  .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));

const lock = JSON.parse(readFileSync(join(root, "ui/package-lock.json"), "utf8"));
// Runtime packages, plus Svelte and what it depends on: a dev dependency by npm's books, but its
// runtime is compiled into the UI bundle.
const bundled = new Set();
const pending = ["svelte"];
while (pending.length) {
  const name = pending.pop();
  const entry = lock.packages[`node_modules/${name}`];
  if (!entry || bundled.has(name)) continue;
  bundled.add(name);
  pending.push(...Object.keys(entry.dependencies ?? {}));
}
const npm = Object.entries(lock.packages)
  .filter(([path, p]) => path.startsWith("node_modules/") && (!p.dev || bundled.has(path.slice(13))))
  .map(([path, p]) => ({ name: path.slice(path.lastIndexOf("node_modules/") + 13), version: p.version, license: p.license ?? "unknown" }))
  .sort((a, b) => a.name.localeCompare(b.name));

const text = JSON.stringify({ rust, npm }, null, 1) + "\n";
if (process.argv.includes("--check")) {
  const current = readFileSync(out, "utf8");
  if (current !== text) {
    console.error("ui/src/lib/licenses.json is out of date: run `node scripts/licenses.mjs`");
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  console.log(`${rust.length} crates, ${npm.length} npm packages`);
}
