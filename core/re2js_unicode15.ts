/**
 * re2js 2.10 made to read Unicode as Go 1.25 does (Unicode 15.0), where re2js has Unicode 17.0
 * tables and V8's case mappings: the code points assigned since 15.0 (NEWER, recorded from the Go
 * dgrep by tools/record_unicode15.ts) are in no property but `Cn` (and `C`) and fold to nothing,
 * every other code point folds to the ones of its orbit that are not newer, and the two code points
 * whose category changed since (MOVED) are where Go has them. Applied to re2js's parser internals
 * (`Parser.unicodeTable`, `Unicode.simpleFold`) when re2js_matcher.ts loads it.
 */

/** The code points unassigned in Unicode 15.0 and assigned by 17.0 (hex, `lo-hi` or one). */
const NEWER = `
88f 897 c5c cdc 1acf-1add 1ae0-1aeb 1b4e-1b4f 1b7f 1c89-1c8a 20c1 2427-2429 2b96 2ffc-2fff
31e4-31e5 31ef a7cb-a7cf a7d2 a7d4 a7da-a7dc a7f1 fbc3-fbd2 fd90-fd91 fdc8-fdce 105c0-105f3
10940-10959 10d40-10d65 10d69-10d85 10d8e-10d8f 10ec2-10ec7 10ed0-10ed8 10efa-10efc 11380-11389
1138b 1138e 11390-113b5 113b7-113c0 113c2 113c5 113c7-113ca 113cc-113d5 113d7-113d8 113e1-113e2
116d0-116e3 11b60-11b67 11bc0-11be1 11bf0-11bf9 11db0-11ddb 11de0-11de9 11f5a 13460-143fa
16100-16139 16d40-16d79 16ea0-16eb8 16ebb-16ed3 16ff2-16ff6 187f8-187ff 18cff 18d09-18d1e
18d80-18df2 1cc00-1ccfc 1cd00-1ceb3 1ceba-1ced0 1cee0-1cef0 1e5d0-1e5fa 1e5ff 1e6c0-1e6de
1e6e0-1e6f5 1e6fe-1e6ff 1f6d8 1f777-1f77a 1f8b2-1f8bb 1f8c0-1f8c1 1f8d0-1f8d8 1fa54-1fa57
1fa89-1fa8a 1fa8e-1fa8f 1fabe 1fac6 1fac8 1facd 1fadc 1fadf 1fae9-1faea 1faef 1fbcb-1fbef 1fbfa
2b73a-2b73f 2cea2-2cead 2ebf0-2ee5d 323b0-33479
`;

/** Categories Go has a code point in that re2js does not, and the other way round. */
const MOVED: Record<string, { readonly add?: number; readonly remove?: number }> = {
  Ll: { add: 0x295 }, // ʕ: Ll in 15.0, Lo since 16.0
  LC: { add: 0x295 },
  Lo: { remove: 0x295 },
  Mn: { add: 0x1171e }, // AHOM SIGN MEDIAL RA: Mn in 15.0, Mc since 16.0
  Mc: { remove: 0x1171e },
};

/** Sorted, disjoint [lo, hi] pairs. */
type Ranges = readonly number[];

let newer: Ranges | null = null;

/** NEWER as sorted [lo, hi] pairs. */
export function newerRanges(): Ranges {
  return newer ??= NEWER.trim().split(/\s+/).flatMap((r) => {
    const [lo, hi = lo] = r.split("-").map((h) => parseInt(h, 16));
    return [lo!, hi!];
  });
}

/** Whether `c` was assigned after Unicode 15.0. */
export function isNewer(c: number): boolean {
  const r = newerRanges();
  return c >= r[0]! && inRanges(r, c); // most text is below the first (U+088F)
}

/** A table of re2js: [lo, hi, stride] entries through getLo/getHi/getStride. */
export interface RangeTable {
  readonly length: number;
  getLo(i: number): number;
  getHi(i: number): number;
  getStride(i: number): number;
}

/** The code points of a table as sorted [lo, hi] pairs. */
export function tableRanges(table: RangeTable): number[] {
  const pairs: number[] = [];
  for (let i = 0; i < table.length; i++) {
    const lo = table.getLo(i);
    const hi = table.getHi(i);
    const stride = table.getStride(i);
    if (stride === 1) pairs.push(lo, hi);
    else for (let c = lo; c <= hi; c += stride) pairs.push(c, c);
  }
  return combine(pairs, [], true);
}

/** a ∖ b of sorted [lo, hi] pairs, or a ∪ b of [lo, hi] pairs in any order. */
export function combine(a: Ranges, b: Ranges, union: boolean): number[] {
  const out: number[] = [];
  if (union) {
    const all: [number, number][] = [];
    for (let i = 0; i < a.length; i += 2) all.push([a[i]!, a[i + 1]!]);
    for (let i = 0; i < b.length; i += 2) all.push([b[i]!, b[i + 1]!]);
    all.sort((x, y) => x[0] - y[0]);
    for (const [lo, hi] of all) {
      if (out.length > 0 && out[out.length - 1]! + 1 >= lo) {
        out[out.length - 1] = Math.max(out[out.length - 1]!, hi);
      } else out.push(lo, hi);
    }
    return out;
  }
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let lo = a[i]!;
    const hi = a[i + 1]!;
    while (j < b.length && b[j + 1]! < lo) j += 2;
    for (let k = j; k < b.length && b[k]! <= hi && lo <= hi; k += 2) {
      if (b[k]! > lo) out.push(lo, b[k]! - 1);
      lo = Math.max(lo, b[k + 1]! + 1);
    }
    if (lo <= hi) out.push(lo, hi);
  }
  return out;
}

/** Go's code points of the category or script `name` (re2js's name), from re2js's table. */
export function goRanges(name: string, table: RangeTable): number[] {
  const unassigned = name === "Cn" || name === "C";
  let ranges = combine(tableRanges(table), newerRanges(), unassigned);
  const moved = MOVED[name];
  if (moved?.add !== undefined) ranges = combine(ranges, [moved.add, moved.add], true);
  if (moved?.remove !== undefined) ranges = combine(ranges, [moved.remove, moved.remove], false);
  return ranges;
}

/** What of re2js's internals this needs (see re2js_matcher.ts). */
export interface Re2jsUnicodeInternals {
  readonly Parser: {
    unicodeTable(name: string): { tab: RangeTable; fold: RangeTable | null; sign: number } | null;
  };
  readonly Unicode: { simpleFold(r: number): number };
  readonly UnicodeRangeTable: new (data: Uint32Array, isStride1: boolean) => RangeTable;
}

/** Makes re2js's parser read `\p{…}` and fold as Go 1.25 does (see the module comment). */
export function useUnicode15(internals: Re2jsUnicodeInternals): void {
  const { Parser, Unicode, UnicodeRangeTable } = internals;
  const cache = new Map<RangeTable, RangeTable>();
  const goTable = (name: string, table: RangeTable): RangeTable => {
    let table15 = cache.get(table);
    if (table15 === undefined) {
      table15 = new UnicodeRangeTable(Uint32Array.from(goRanges(name, table)), true);
      cache.set(table, table15);
    }
    return table15;
  };
  const simpleFold = Unicode.simpleFold.bind(Unicode);
  const fold15 = (r: number) => {
    if (isNewer(r)) return r;
    let f = simpleFold(r);
    while (f !== r && isNewer(f)) f = simpleFold(f);
    return f;
  };
  Unicode.simpleFold = fold15;
  const unicodeTable = Parser.unicodeTable.bind(Parser);
  Parser.unicodeTable = (name: string) => {
    const found = unicodeTable(name);
    if (found === null || name === "Any" || name === "Ascii") return found;
    // "Assigned" is Cn negated; "Lc" is LC.
    const table = name === "Assigned" ? "Cn" : name === "Lc" ? "LC" : name;
    const tab = goTable(table, found.tab);
    // Go has no fold table for LC: (?i)\p{LC} is LC.
    let fold = table === "LC" ? null : found.fold;
    if (fold !== null && fold !== found.tab) {
      let fold15Table = cache.get(fold);
      if (fold15Table === undefined) {
        const ranges = goFoldRanges(tableRanges(fold), tableRanges(tab), fold15);
        fold15Table = new UnicodeRangeTable(Uint32Array.from(ranges), true);
        cache.set(fold, fold15Table);
      }
      fold = fold15Table;
    } else if (fold !== null) fold = tab;
    return { tab, fold, sign: found.sign };
  };
}

/**
 * Go's fold table of a table: the code points outside it whose orbit (by `fold`, Go's) reaches it.
 * `candidates` (re2js's fold table) holds them all, and some more: those whose only partner in the
 * table was assigned after Unicode 15.0 (ƛ, whose upper case came in 16.0).
 */
export function goFoldRanges(
  candidates: Ranges,
  table: Ranges,
  fold: (r: number) => number,
): number[] {
  const kept: number[] = [];
  for (let i = 0; i < candidates.length; i += 2) {
    for (let c = candidates[i]!; c <= candidates[i + 1]!; c++) {
      if (isNewer(c) || inRanges(table, c)) continue;
      for (let f = fold(c); f !== c; f = fold(f)) {
        if (inRanges(table, f)) {
          kept.push(c, c);
          break;
        }
      }
    }
  }
  return combine(kept, [], true);
}

function inRanges(r: Ranges, c: number): boolean {
  let lo = 0;
  let hi = r.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (c < r[2 * mid]!) hi = mid - 1;
    else if (c > r[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}
