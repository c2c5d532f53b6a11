import { describe, expect, it } from "vitest";
import { inOrder, joinText } from "./ordered";

/** A backend whose calls finish in the order the test releases them, not the order made. */
function backend() {
  const received: string[] = [];
  const inFlight: { item: string; done: (e?: Error) => void }[] = [];
  const send = (item: string) =>
    new Promise<void>((ok, fail) => {
      received.push(item);
      inFlight.push({ item, done: (e) => (e ? fail(e) : ok()) });
    });
  return { received, inFlight, send };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("inOrder", () => {
  it("sends one call at a time, in order, joining what is typed while one is in flight", async () => {
    const b = backend();
    const type = inOrder(b.send, joinText(1024));
    const sent = ["l", "s", " ", "/", "\r"].map((k) => type(k));
    await tick();
    // Only the first key is in flight; the others wait, joined into one batch.
    expect(b.received).toEqual(["l"]);
    b.inFlight.shift()!.done();
    await tick();
    expect(b.received).toEqual(["l", "s /\r"]);
    b.inFlight.shift()!.done();
    await Promise.all(sent);
    expect(b.received.join("")).toBe("ls /\r");
  });

  it("keeps batches apart past the limit, and a failed call fails only its own items", async () => {
    const b = backend();
    const type = inOrder(b.send, joinText(3));
    const first = type("ab");
    const second = type("cd");
    const third = type("e");
    await tick();
    b.inFlight.shift()!.done(new Error("ended"));
    await expect(first).rejects.toThrow("ended");
    await tick();
    // "cd" and "e" joined (3 characters), sent after the failure, in order.
    expect(b.received).toEqual(["ab", "cde"]);
    b.inFlight.shift()!.done();
    await expect(second).resolves.toBeUndefined();
    await expect(third).resolves.toBeUndefined();
  });

  it("a newer size replaces an older one that has not been sent", async () => {
    const b = backend();
    const resize = inOrder(b.send, (_old, newer: string) => newer);
    void resize("24x80");
    void resize("30x100");
    void resize("40x120");
    await tick();
    b.inFlight.shift()!.done();
    await tick();
    expect(b.received).toEqual(["24x80", "40x120"]);
  });
});
