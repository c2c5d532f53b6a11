import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ACK_EVERY, ACK_IDLE_MS, Acks, clipboardKey, endingText } from "./terminal";

describe("Acks", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("acknowledges a burst in one message per 64 KiB", () => {
    const sent: number[] = [];
    const acks = new Acks((n) => sent.push(n));
    for (let i = 0; i < 8; i++) acks.rendered(16 * 1024);
    expect(sent).toEqual([ACK_EVERY, ACK_EVERY]);
  });

  it("acknowledges a keystroke's echo once the writes pause", () => {
    const sent: number[] = [];
    const acks = new Acks((n) => sent.push(n));
    acks.rendered(1);
    acks.rendered(2);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(ACK_IDLE_MS);
    expect(sent).toEqual([3]);
    vi.advanceTimersByTime(10 * ACK_IDLE_MS);
    expect(sent).toEqual([3]);
  });

  it("sends nothing after dispose", () => {
    const sent: number[] = [];
    const acks = new Acks((n) => sent.push(n));
    acks.rendered(5);
    acks.dispose();
    vi.advanceTimersByTime(ACK_IDLE_MS);
    expect(sent).toEqual([]);
  });
});

describe("clipboardKey", () => {
  const key = (k: string, mods: Partial<KeyboardEvent> = {}) => ({
    type: "keydown",
    key: k,
    ctrlKey: false,
    shiftKey: false,
    metaKey: false,
    altKey: false,
    ...mods,
  });
  it("leaves Ctrl+C to the process on Linux and Windows", () => {
    expect(clipboardKey(key("c", { ctrlKey: true }), false)).toBeNull();
    expect(clipboardKey(key("C", { ctrlKey: true, shiftKey: true }), false)).toBe("copy");
    expect(clipboardKey(key("V", { ctrlKey: true, shiftKey: true }), false)).toBe("paste");
  });
  it("uses Cmd on macOS", () => {
    expect(clipboardKey(key("c", { metaKey: true }), true)).toBe("copy");
    expect(clipboardKey(key("v", { metaKey: true }), true)).toBe("paste");
    expect(clipboardKey(key("c", { ctrlKey: true }), true)).toBeNull();
  });
});

describe("endingText", () => {
  it("says how a session ended", () => {
    expect(endingText({ kind: "exited", code: 3 })).toBe("Exited with code 3");
    expect(endingText({ kind: "lost", message: "engine gone" })).toBe("Disconnected: engine gone");
  });
});
