// Sorting texts in the order `localeCompare` gives, without paying `localeCompare` for each
// comparison.
//
// Why: the container list is sorted again after every change, and a sort of n rows compares
// ~n·log2(n) pairs. ICU's comparison cost ~0.4–0.7 µs a pair in the release window: 50–100 ms
// for 10k rows, ~5 ms for 1,000, on every event. Names are almost always printable ASCII; for
// those, each character's place in the collation is read once from the collator itself, and a
// text's key (its characters replaced by their places) compares as a plain string, in the
// collator's order at its first level (letters without case, digits, punctuation). Texts equal
// at that level (differing only in case) and texts outside printable ASCII go to the collator.
//
// Why the result is still the collator's order, whatever the locale: after sorting with the
// keys, each adjacent pair is checked with the collator (n − 1 comparisons); if any is out of
// order (a locale whose rules join letters, as Czech's "ch"), the list is sorted again with the
// collator alone.
const collator = new Intl.Collator();

/** Place of each printable ASCII character at the collator's first level; 0 outside it. */
let places: Uint8Array | null = null;

function placesOf(): Uint8Array {
  if (places) return places;
  const table = new Uint8Array(128);
  const chars: string[] = [];
  for (let c = 0x20; c < 0x7f; c++) chars.push(String.fromCharCode(c));
  chars.sort(collator.compare);
  const base = new Intl.Collator(undefined, { sensitivity: "base" });
  let place = 1;
  chars.forEach((ch, i) => {
    if (i > 0 && base.compare(chars[i - 1]!, ch) !== 0) place++;
    table[ch.charCodeAt(0)] = place;
  });
  places = table;
  return table;
}

/**
 * The place of each printable ASCII character (`' '` to `'~'`, in code order) in this page's
 * collator: what the shell orders a snapshot's names by (`src/ipc/order.rs`).
 */
export function namePlaces(): number[] {
  return Array.from(placesOf().subarray(0x20, 0x7f));
}

/** Keys of texts seen, cleared when it grows past this (names churn over days). */
const CACHE_LIMIT = 50_000;
const keys = new Map<string, string | null>();

/** The text's first-level key, or `null` when it holds anything outside printable ASCII. */
export function collationKey(text: string): string | null {
  const known = keys.get(text);
  if (known !== undefined) return known;
  const table = placesOf();
  const codes: number[] = [];
  let key: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const place = c < 128 ? table[c]! : 0;
    if (place === 0) break;
    codes.push(0x20 + place);
  }
  // One flat string (not a chain of concatenations, which each comparison would walk).
  if (codes.length === text.length) key = String.fromCharCode(...codes);
  if (keys.size >= CACHE_LIMIT) keys.clear();
  keys.set(text, key);
  return key;
}

/** `a.localeCompare(b)`'s sign, by keys where both have one. */
export function compareText(a: string, b: string): number {
  return compareKeyed(a, collationKey(a), b, collationKey(b));
}

function compareKeyed(a: string, ka: string | null, b: string, kb: string | null): number {
  if (a === b) return 0;
  if (ka !== null && kb !== null && ka !== kb) return ka < kb ? -1 : 1;
  return collator.compare(a, b);
}

/** The collator's own comparison (the check, and the fallback). */
export const compareExact = collator.compare;

/**
 * Sorts `items` in place with `fast`, then checks each adjacent pair with `exact`; sorts again
 * with `exact` if a pair is out of its order. Returns `items`.
 */
export function sortChecked<T>(items: T[], fast: (a: T, b: T) => number, exact: (a: T, b: T) => number): T[] {
  items.sort(fast);
  for (let i = 1; i < items.length; i++) {
    if (exact(items[i - 1]!, items[i]!) > 0) return items.sort(exact);
  }
  return items;
}

interface Keyed<T> {
  item: T;
  a: string;
  ka: string | null;
  b: string;
  kb: string | null;
}

/**
 * Tail items (after the longest prefix already in order) that are inserted one by one instead of
 * sorting the whole list: each costs ~log2(n) comparisons and a move of the array's rest.
 */
const FEW_TO_INSERT = 64;

/**
 * Sorts `items` in place by the text `first` gives, then by `then`'s, each in `localeCompare`'s
 * order (reversed when `descending`); items equal in both keep their order.
 *
 * Why it looks at the order first: the list is sorted again after every change, and its input
 * is almost always sorted already (the snapshot arrives in the page's name order, see
 * `namePlaces`, and a change of state or status moves no name). One pass with the collator
 * (n − 1 comparisons, the check a keyed sort ends with anyway) then replaces the keys and the
 * sort: on a page just loaded, where no key is known yet, the keys alone took 14 ms of a 10k-row
 * snapshot in the release window. When only a few items at the end are out of place (a container
 * created), they are inserted where they belong. Otherwise each item's keys are looked up once,
 * not at each comparison, and the list is sorted by them (`sortChecked`).
 *
 * The result is the same whichever way is taken: the order of `exact`, ties in their input order.
 */
export function sortByText<T>(items: T[], first: (item: T) => string, then: (item: T) => string, descending = false): T[] {
  const sign = descending ? -1 : 1;
  const exact = (x: T, y: T) => sign * (collator.compare(first(x), first(y)) || collator.compare(then(x), then(y)));
  let sorted = 1;
  while (sorted < items.length && exact(items[sorted - 1]!, items[sorted]!) <= 0) sorted++;
  if (sorted >= items.length) return items;
  if (items.length - sorted <= FEW_TO_INSERT) return insertInOrder(items, sorted, exact);
  const keyed: Keyed<T>[] = items.map((item) => {
    const a = first(item);
    const b = then(item);
    return { item, a, ka: collationKey(a), b, kb: collationKey(b) };
  });
  sortChecked(
    keyed,
    (x, y) => sign * (compareKeyed(x.a, x.ka, y.a, y.ka) || compareKeyed(x.b, x.kb, y.b, y.kb)),
    (x, y) => sign * (collator.compare(x.a, y.a) || collator.compare(x.b, y.b)),
  );
  for (let i = 0; i < keyed.length; i++) items[i] = keyed[i]!.item;
  return items;
}

/**
 * Sorts `items`, whose first `sorted` are in `exact`'s order, by inserting each of the others
 * after the last item not greater than it: a stable sort's result.
 */
function insertInOrder<T>(items: T[], sorted: number, exact: (a: T, b: T) => number): T[] {
  const rest = items.splice(sorted);
  for (const item of rest) {
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (exact(items[mid]!, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    items.splice(lo, 0, item);
  }
  return items;
}
