// The About page's license list must match what ships: regenerated from `cargo metadata` and the
// npm lockfile and compared with the committed file.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { expect, it } from "vitest";

it("ui/src/lib/licenses.json is up to date", () => {
  const script = resolve(__dirname, "../../scripts/licenses.mjs");
  expect(() => execFileSync("node", [script, "--check"], { stdio: "pipe" })).not.toThrow();
}, 60_000);
