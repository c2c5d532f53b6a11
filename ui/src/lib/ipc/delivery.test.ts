import { afterEach, describe, expect, it, vi } from "vitest";
import type { WireSnapshot } from "./bindings/WireSnapshot";
import { delivered, RECEIVER } from "./delivery";

const wire = (rev: number): WireSnapshot => ({ engines: [], texts: [], rows: [], revs: { podman: rev }, objects: [], object_revs: {} });

/** Stands for the page's `window`, as the shell's script assigns to it. */
const page = () => ({}) as Record<string, unknown>;

describe("delivered", () => {
  afterEach(() => vi.useRealTimers());

  it("resolves with the snapshot sent with its own token, whatever arrives before it", async () => {
    const w = page();
    const got = delivered(async (token) => {
      w[RECEIVER] = [token ^ 1, JSON.stringify(wire(1))]; // another request's
      w[RECEIVER] = "not a snapshot";
      w[RECEIVER] = [token, JSON.stringify(wire(2))];
    }, w);
    await expect(got).resolves.toEqual(wire(2));
    // The receiver is a setter: nothing is left on the page.
    expect(w[RECEIVER]).toBeUndefined();
  });

  it("takes a snapshot that arrives after the command answered", async () => {
    const w = page();
    let send: () => void = () => {};
    const got = delivered(async (token) => {
      send = () => (w[RECEIVER] = [token, JSON.stringify(wire(3))]);
    }, w);
    await Promise.resolve();
    send();
    await expect(got).resolves.toEqual(wire(3));
  });

  it("gives concurrent requests each their own snapshot", async () => {
    const w = page();
    const tokens: number[] = [];
    const a = delivered(async (t) => void tokens.push(t), w);
    const b = delivered(async (t) => void tokens.push(t), w);
    await vi.waitFor(() => expect(tokens).toHaveLength(2));
    w[RECEIVER] = [tokens[1], JSON.stringify(wire(20))];
    w[RECEIVER] = [tokens[0], JSON.stringify(wire(10))];
    await expect(a).resolves.toEqual(wire(10));
    await expect(b).resolves.toEqual(wire(20));
  });

  it("rejects with the command's error, and with a clear one for JSON it cannot read", async () => {
    const w = page();
    const refused = { kind: "unavailable", message: "the snapshot could not be written" };
    await expect(delivered(() => Promise.reject(refused), w)).rejects.toEqual(refused);
    const bad = delivered(async (token) => void (w[RECEIVER] = [token, "{not json"]), w);
    await expect(bad).rejects.toMatchObject({ kind: "internal", message: expect.stringContaining("could not be read") });
  });

  it("rejects when the snapshot never arrives, and ignores it if it comes after", async () => {
    vi.useFakeTimers();
    const w = page();
    let token = -1;
    const got = delivered(async (t) => void (token = t), w, 1000);
    const outcome = got.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await outcome).toMatchObject({ kind: "unavailable", message: expect.stringContaining("did not reach") });
    expect(() => (w[RECEIVER] = [token, JSON.stringify(wire(4))])).not.toThrow();
  });
});
