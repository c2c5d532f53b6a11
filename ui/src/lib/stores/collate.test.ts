import { describe, expect, it } from "vitest";
import { collationKey, compareExact, compareText, namePlaces, sortByText, sortChecked } from "./collate";

/** A seeded generator, so a failure names its case. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function texts(seed: number, n: number, alphabet: string): string[] {
  const r = random(seed);
  return Array.from({ length: n }, () =>
    Array.from({ length: 1 + Math.floor(r() * 8) }, () => alphabet[Math.floor(r() * alphabet.length)]).join(""),
  );
}

const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join("");

describe("compareText", () => {
  it("orders every pair of printable ASCII texts as localeCompare does", () => {
    // Few characters each, from all of printable ASCII: punctuation against digits, letters
    // against their capitals, prefixes, empty-ish texts.
    const list = [...texts(1, 400, printable), ...texts(2, 200, "aA_-. 1"), "", " ", "a", "A", "a-b", "a_b", "a1b"];
    const wrong: string[] = [];
    for (const a of list) {
      for (const b of list) {
        if (Math.sign(compareText(a, b)) !== Math.sign(a.localeCompare(b))) wrong.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it("keys only printable ASCII; other texts go to the collator", () => {
    expect(collationKey("web-1")).not.toBeNull();
    expect(collationKey("café")).toBeNull();
    expect(collationKey("tab\there")).toBeNull();
    expect(Math.sign(compareText("café", "cafe"))).toBe(Math.sign("café".localeCompare("cafe")));
    expect(Math.sign(compareText("Zürich", "zebra"))).toBe(Math.sign("Zürich".localeCompare("zebra")));
  });
});

describe("namePlaces", () => {
  it("gives each printable ASCII character its place in the collator, a letter's capital the same", () => {
    const places = namePlaces();
    expect(places).toHaveLength(95);
    const at = (ch: string) => places[ch.charCodeAt(0) - 0x20]!;
    expect(places.every((p) => p > 0)).toBe(true);
    expect(at("a")).toBe(at("A"));
    expect(at("_")).toBeLessThan(at("-"));
    expect(at("9")).toBeLessThan(at("a"));
    expect(at("a")).toBeLessThan(at("b"));
    // Names compared place by place order as the collator orders them (`src/ipc/order.rs`).
    const chars = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i));
    const sign = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    const wrong = chars.flatMap((a) =>
      chars.filter((b) => sign(at(a) - at(b)) !== (a.toLowerCase() === b.toLowerCase() ? 0 : sign(a.localeCompare(b)))).map((b) => a + b),
    );
    expect(wrong).toEqual([]);
  });
});

describe("sortChecked", () => {
  it("gives the collator's order for names as engines and compose make them", () => {
    const names = [...texts(3, 2000, "abcxyz019-_."), ...texts(4, 300, "ABCabc ü/é")];
    const fast = sortChecked([...names], compareText, compareExact);
    expect(fast).toEqual([...names].sort(compareExact));
    // Printable ASCII names need the collator only for the check: one comparison a pair.
    const ascii = texts(5, 2000, "abcxyz019-_.ABC");
    let exactCalls = 0;
    const counted = (a: string, b: string) => (exactCalls++, compareExact(a, b));
    expect(sortChecked([...ascii], compareText, counted)).toEqual([...ascii].sort(compareExact));
    expect(exactCalls).toBe(ascii.length - 1);
  });

  it("sorts again with the exact comparison when the fast one got a pair wrong", () => {
    let exactCalls = 0;
    const exact = (a: number, b: number) => (exactCalls++, a - b);
    const wrong = (a: number, b: number) => b - a; // the reverse order: every pair is wrong
    expect(sortChecked([3, 1, 2], wrong, exact)).toEqual([1, 2, 3]);
    expect(exactCalls).toBeGreaterThan(1);
  });
});

describe("sortByText", () => {
  it("sorts by the first text, then the second, reversed when descending, ties kept in order", () => {
    const rows = [
      { image: "redis", name: "b", n: 1 },
      { image: "Redis", name: "a", n: 2 },
      { image: "nginx", name: "web_1", n: 3 },
      { image: "nginx", name: "web-1", n: 4 },
      { image: "nginx", name: "web-1", n: 5 },
      { image: "café", name: "x", n: 6 },
    ];
    const expected = [...rows].sort((a, b) => a.image.localeCompare(b.image) || a.name.localeCompare(b.name));
    expect(sortByText([...rows], (r) => r.image, (r) => r.name).map((r) => r.n)).toEqual(expected.map((r) => r.n));
    const down = [...rows].sort((a, b) => -(a.image.localeCompare(b.image) || a.name.localeCompare(b.name)));
    expect(sortByText([...rows], (r) => r.image, (r) => r.name, true).map((r) => r.n)).toEqual(down.map((r) => r.n));
    // The two equal rows keep their order both ways.
    const equal = (order: number[]) => order.filter((n) => n === 4 || n === 5);
    expect(equal(sortByText([...rows], (r) => r.image, (r) => r.name, true).map((r) => r.n))).toEqual([4, 5]);
  });

  it("gives the same order whether its input is sorted, nearly sorted or not at all", () => {
    const r = random(6);
    const names = texts(7, 600, "abcxyzABC019-_. é");
    // Names and images drawn from fewer texts than rows: equal rows, whose input order must stay.
    const rows = names.map((_, n) => ({ name: names[Math.floor(r() * 450)]!, image: names[Math.floor(r() * 40)]!, n }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    const sorted = [...rows].sort(byName);
    const inputs: [string, typeof rows][] = [
      ["sorted", sorted],
      ["a few at the end", [...sorted.slice(0, 550).sort(byName), ...rows.slice(550)]],
      ["many at the end", [...rows.slice(0, 300).sort(byName), ...rows.slice(300)]],
      ["one moved to the start", [sorted[400]!, ...sorted.filter((_, i) => i !== 400)]],
      ["reversed", [...sorted].reverse()],
      ["random", rows],
    ];
    for (const [what, input] of inputs) {
      for (const descending of [false, true]) {
        const expected = [...input].sort((a, b) => (descending ? -1 : 1) * (a.image.localeCompare(b.image) || byName(a, b)));
        const got = sortByText([...input], (x) => x.image, (x) => x.name, descending);
        expect(got.map((x) => x.n), `${what}, descending: ${descending}`).toEqual(expected.map((x) => x.n));
        const expectedByName = [...input].sort((a, b) => (descending ? -1 : 1) * byName(a, b));
        const gotByName = sortByText([...input], (x) => x.name, (x) => x.name, descending);
        expect(gotByName.map((x) => x.n), `by name, ${what}, descending: ${descending}`).toEqual(expectedByName.map((x) => x.n));
      }
    }
  });

  it("only reads a list already in order: one comparison a pair, no keys", () => {
    const names = [...new Set(texts(8, 3000, "abcxyz019-_."))].sort((a, b) => a.localeCompare(b));
    let reads = 0;
    const name = (s: string) => (reads++, s);
    const out = sortByText([...names], name, name);
    expect(out).toEqual(names);
    // Two reads a comparison, one comparison a pair; a keyed sort reads each text once more.
    expect(reads).toBe(2 * (names.length - 1));
  });
});
