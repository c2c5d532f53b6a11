import { describe, expect, it } from "vitest";
import { ansiPieces, LogRing, matcher, matches, prepend } from "./logs";
import type { LogLine } from "../ipc";

const line = (text: string, stream: "stdout" | "stderr" = "stdout"): LogLine => ({ stream, time: 1, line: text });

describe("LogRing", () => {
  it("keeps the last lines within its caps and counts what it dropped", () => {
    const ring = new LogRing(3, 1000);
    ring.push([line("a"), line("b")]);
    ring.push([line("c"), line("d")]);
    expect(ring.lines.map((l) => l.line)).toEqual(["b", "c", "d"]);
    expect(ring.dropped).toBe(1);
    const small = new LogRing(100, 5);
    small.push([line("abc"), line("def")]);
    expect(small.lines.map((l) => l.line)).toEqual(["def"]);
    expect(small.bytes).toBe(3);
  });
});

describe("search", () => {
  it("finds plain text case-insensitively and regular expressions, and refuses a bad one", () => {
    const lines = [line("Error: disk"), line("ok"), line("error 42")];
    expect(matches(lines, matcher("error", false)!)).toEqual([0, 2]);
    expect(matches(lines, matcher("\\d+$", true)!)).toEqual([2]);
    expect(matcher("(", true)).toBeNull();
    expect(matches(lines, matcher("", false)!)).toEqual([]);
  });
});

describe("ansiPieces", () => {
  it("turns colour codes into classes and drops the codes", () => {
    expect(ansiPieces("\x1b[31mred\x1b[0m plain")).toEqual([
      { text: "red", cls: "fg1" },
      { text: " plain", cls: "" },
    ]);
    expect(ansiPieces("no codes")).toEqual([{ text: "no codes", cls: "" }]);
  });
});

describe("LogRing at scale", () => {
  it("cuts a full ring in steps of 1 % of its cap, never further past it", () => {
    const ring = new LogRing(1000, 1e9);
    let most = 0;
    for (let i = 0; i < 5000; i++) {
      ring.push([line(String(i))]);
      most = Math.max(most, ring.lines.length);
    }
    expect(most).toBeLessThanOrEqual(1010);
    expect(ring.lines.length).toBeGreaterThanOrEqual(1000);
    expect(ring.lines[ring.lines.length - 1]?.line).toBe("4999");
    expect(ring.dropped + ring.lines.length).toBe(5000);
  });
});

describe("prepend", () => {
  it("puts a page before the first line, the newest of it first when the ring is nearly full", () => {
    const ring = new LogRing(4, 1000);
    ring.push([line("c"), line("d")]);
    expect(prepend(ring, [line("a"), line("b")])).toEqual({ added: 2, refused: 0 });
    expect(ring.lines.map((l) => l.line)).toEqual(["a", "b", "c", "d"]);
    const full = new LogRing(3, 1000);
    full.push([line("c"), line("d")]);
    expect(prepend(full, [line("a"), line("b")])).toEqual({ added: 1, refused: 1 });
    expect(full.lines.map((l) => l.line)).toEqual(["b", "c", "d"]);
    const bytes = new LogRing(100, 4);
    bytes.push([line("cd")]);
    expect(prepend(bytes, [line("xxx"), line("ab")])).toEqual({ added: 1, refused: 1 });
    expect(bytes.bytes).toBe(4);
  });
});
