import { describe, expect, it, vi } from "vitest";

// Tauri's `invoke`, replaced by a fake shell that records each `set_compositing` it is sent.
const shell = vi.hoisted(() => ({ sent: [] as boolean[], release: null as (() => void) | null }));
vi.mock("@tauri-apps/api/core", () => ({
  invoke: async (cmd: string, args: { on: boolean }) => {
    expect(cmd).toBe("set_compositing");
    shell.sent.push(args.on);
    // The first call waits until the test lets it answer (a call "in flight").
    if (shell.sent.length === 1) await new Promise<void>((ok) => (shell.release = ok));
  },
  Channel: class {},
}));

import { holdCompositing } from "./index";

describe("holdCompositing", () => {
  it("turns the compositor on for the first holder, off after the last release, and folds what waited", async () => {
    const first = holdCompositing();
    const second = holdCompositing();
    await vi.waitFor(() => expect(shell.sent).toEqual([true]));
    shell.release!();
    const [a, b] = await Promise.all([first, second]);
    // The second hold waited for the first call and sent "on" once more at most.
    expect(shell.sent.every((on) => on)).toBe(true);
    const before = shell.sent.length;
    a();
    a(); // a second release of the same hold is nothing
    await Promise.resolve();
    expect(shell.sent.length).toBe(before);
    b();
    await vi.waitFor(() => expect(shell.sent.at(-1)).toBe(false));
    expect(shell.sent.filter((on) => !on)).toHaveLength(1);
  });
});
