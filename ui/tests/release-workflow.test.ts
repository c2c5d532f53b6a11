// The release workflow cannot run here (no GitHub runners), so its shape is checked instead:
// valid YAML, the structure GitHub Actions requires (a schema check of the parts we use), the
// three platforms with a universal macOS build, the official Tauri action, and signing material
// taken only from secrets. (Outside src/: it runs in Node, not in the webview, so svelte-check
// does not type it against the browser libraries.)
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const path = resolve(__dirname, "../../.github/workflows/release.yml");
const text = readFileSync(path, "utf8");
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const wf: any = parse(text, { strict: true, uniqueKeys: true });

const JOB_KEYS = new Set(["name", "runs-on", "needs", "if", "strategy", "steps", "env", "permissions", "timeout-minutes", "environment", "outputs", "defaults", "concurrency", "continue-on-error", "services", "container"]);
const STEP_KEYS = new Set(["name", "id", "if", "uses", "run", "with", "env", "shell", "working-directory", "continue-on-error", "timeout-minutes"]);

describe("release workflow", () => {
  it("has the top-level structure of a GitHub Actions workflow", () => {
    expect(typeof wf.name).toBe("string");
    expect(Object.keys(wf.on)).toEqual(expect.arrayContaining(["push", "workflow_dispatch"]));
    expect(wf.on.push.tags).toEqual(["v*"]);
    expect(wf.permissions).toEqual({ contents: "write" });
    expect(Object.keys(wf.jobs).length).toBeGreaterThan(0);
  });

  it("has only known job and step keys, and each step either uses an action or runs a command", () => {
    for (const [name, job] of Object.entries<any>(wf.jobs)) {
      for (const key of Object.keys(job)) expect(JOB_KEYS.has(key), `${name}.${key}`).toBe(true);
      expect(job["runs-on"], `${name} runs-on`).toBeTruthy();
      expect(Array.isArray(job.steps)).toBe(true);
      for (const step of job.steps) {
        for (const key of Object.keys(step)) expect(STEP_KEYS.has(key), `${name} step key ${key}`).toBe(true);
        expect(Number("uses" in step) + Number("run" in step), JSON.stringify(step)).toBe(1);
        if (step.uses) expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[\w.-]+$/);
      }
    }
  });

  it("builds Linux, universal macOS and Windows with the official Tauri action", () => {
    const job = wf.jobs.bundle;
    const platforms = job.strategy.matrix.include.map((m: any) => m.platform);
    expect(platforms.some((p: string) => p.startsWith("ubuntu"))).toBe(true);
    expect(platforms).toContain("macos-latest");
    expect(platforms).toContain("windows-latest");
    const mac = job.strategy.matrix.include.find((m: any) => m.platform === "macos-latest");
    expect(mac.args).toContain("universal-apple-darwin");
    const tauri = job.steps.find((s: any) => String(s.uses).startsWith("tauri-apps/tauri-action@"));
    expect(tauri.with.projectPath).toBe("src-tauri");
    expect(tauri.with.releaseDraft).toBe(true);
  });

  it("takes signing material only from secrets", () => {
    const secretNames = ["APPLE_CERTIFICATE", "APPLE_CERTIFICATE_PASSWORD", "APPLE_ID", "APPLE_PASSWORD", "TAURI_SIGNING_PRIVATE_KEY", "WINDOWS_CERTIFICATE"];
    for (const job of Object.values<any>(wf.jobs)) {
      for (const step of job.steps) {
        for (const [k, v] of Object.entries<any>(step.env ?? {})) {
          if (secretNames.some((s) => k.startsWith(s))) expect(v, k).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
        }
      }
    }
    // Every ${{ }} expression is closed, and no secret value is written in the file.
    expect((text.match(/\$\{\{/g) ?? []).length).toBe((text.match(/\}\}/g) ?? []).length);
    expect(text).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY/);
  });
});
