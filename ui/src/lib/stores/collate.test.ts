import { describe, expect, it } from "vitest";
import { collationKey, compareExact, compareText, sortByText, sortChecked } from "./collate";

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
});
