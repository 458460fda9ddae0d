/**
 * Regexes that read their bytes one way (`took=\d{4}ms`, `web(1|2)[0-9]`, `req=[a-z0-9]+\]`): a
 * sequence of byte sets (an ASCII class or character, or a byte of a UTF-8 literal), each taken
 * a number of times, where a set taken a varying number of times shares no byte with what may
 * follow it, so that taking all it can is the only way to match. A candidate line that a byte
 * search found by a needle of the regex is then decided in its bytes, from the place the needle
 * has in every match, instead of decoding the line for the regex: every line of a log
 * may be a candidate for `req=[a-z0-9]+\]`, each ~0.3 µs through a string.
 */
import type { Needle, NeedleFinder } from "./byte_search.ts";

/** What placeOf reads of a needle. */
type Spelled = Pick<Needle, "bytes" | "caseless">;

/** Sets a sequence may have (each a 256-byte table). */
const MAX_ITEMS = 64;
const NEWLINE = 10;
export const MANY = 0x7fffffff;

const encoder = new TextEncoder();

/** One set of a sequence and how many of its bytes it takes (`max`: MANY for no bound). */
export interface Item {
  readonly set: Uint8Array;
  readonly min: number;
  readonly max: number;
}

export class ByteSequence {
  /** Item i's table is `sets[256 * i, 256 * i + 256)`: 1 where byte b may be there. */
  readonly #sets: Uint8Array;
  readonly #min: Int32Array;
  readonly #max: Int32Array;
  /** The fewest bytes a match takes. */
  readonly minWidth: number;
  /** The items before the first whose count varies, each taking one byte: where needles are. */
  readonly #prefix: number;

  private constructor(
    items: readonly Item[],
    /** A match starts at the line's start (`^`), ends at its end (`$`). */
    readonly atStart: boolean,
    readonly atEnd: boolean,
  ) {
    this.#sets = new Uint8Array(256 * items.length);
    items.forEach((item, i) => this.#sets.set(item.set, 256 * i));
    this.#min = Int32Array.from(items, (item) => item.min);
    this.#max = Int32Array.from(items, (item) => item.max);
    this.minWidth = items.reduce((sum, item) => sum + item.min, 0);
    const varying = items.findIndex((item) => item.min !== 1 || item.max !== 1);
    this.#prefix = varying < 0 ? items.length : varying;
  }

  /**
   * What decides the candidate lines of one batch (SequenceLines): here, so that a selector gets it
   * from the sequence it was given and loads none of this module for a pattern that has none.
   */
  lines(
    needles: readonly PlacedNeedle[],
    bytes: Uint8Array,
    budget: { left: number },
    finder: NeedleFinder,
  ): SequenceLines {
    return new SequenceLines(this, needles, bytes, budget, finder);
  }

  /**
   * The sequence a JavaScript regex source (core/re2_translate.ts's) spells, else null:
   * characters, escaped punctuation, `\d`, `\w`, classes of ASCII characters and groups of
   * one-character branches, each with a count (`{n}`, `{n,}`, `{n,m}`, `?`, `*`, `+`: not after a
   * character of several bytes); a varying count only where its set shares no byte with the sets
   * after it up to the first that takes one. Nothing that may match "\n" counts it (a line holds
   * none). It may start with `^` and end with `$`, the line's start and end.
   */
  static of(source: string): ByteSequence | null {
    const atStart = source.startsWith("^");
    const atEnd = /(?:^|[^\\])(?:\\\\)*\$$/.test(source);
    const items = sequenceItems(source.slice(atStart ? 1 : 0, atEnd ? -1 : undefined));
    if (items === null || items.length === 0 || items.length > MAX_ITEMS) return null;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.min === item.max) continue;
      // No byte it takes may start what follows: the sets up to the first that takes one.
      for (let j = i + 1; j < items.length; j++) {
        const next = items[j]!;
        if (item.set.some((b, byte) => b === 1 && next.set[byte] === 1)) return null;
        if (next.min > 0) break;
      }
    }
    return new ByteSequence(items, atStart, atEnd);
  }

  /**
   * Where every match holds one of `needles` (all of one length), as an offset from its start:
   * the first place within the items before the first whose count varies where the items' sets
   * spell nothing but those needles (a caseless needle: its letters in either case). Null when
   * there is none. A needle that merely fits a place is not enough: `[ab]x\d+ax` matches `bx5ax`,
   * whose `ax` is not at 0.
   */
  placeOf(needles: readonly Spelled[]): number | null {
    const k = needles[0]?.bytes.length ?? 0;
    if (k === 0 || needles.some((n) => n.bytes.length !== k)) return null;
    // Caseless needles of a group would spell a case of each: not listed (none are made).
    if (needles.length > 1 && needles.some((n) => n.caseless)) return null;
    for (let at = 0; at + k <= this.#prefix; at++) {
      if (
        needles.length === 1 ? this.#spellsOnly(needles[0]!, at) : this.#spellsAmong(needles, at)
      ) {
        return at;
      }
    }
    return null;
  }

  /** Whether each set from `at` holds only the needle's byte (and its other case, caseless). */
  #spellsOnly(needle: Spelled, at: number): boolean {
    for (let j = 0; j < needle.bytes.length; j++) {
      const want = needle.bytes[j]!;
      const other = needle.caseless && want >= 0x61 && want <= 0x7a ? want - 0x20 : want;
      const set = this.#sets.subarray(256 * (at + j), 256 * (at + j) + 256);
      for (let b = 0; b < 256; b++) if (set[b] === 1 && b !== want && b !== other) return false;
    }
    return true;
  }

  /** Whether every string the sets from `at` spell is one of the (plain) needles. */
  #spellsAmong(needles: readonly Spelled[], at: number): boolean {
    let spelled: number[][] = [[]];
    for (let j = 0; j < needles[0]!.bytes.length; j++) {
      const set = this.#sets.subarray(256 * (at + j), 256 * (at + j) + 256);
      const bytes: number[] = [];
      for (let b = 0; b < 256; b++) if (set[b] === 1) bytes.push(b);
      if (spelled.length * bytes.length > needles.length) return false;
      spelled = spelled.flatMap((s) => bytes.map((b) => [...s, b]));
    }
    return spelled.every((s) => needles.some((n) => n.bytes.every((b, j) => b === s[j])));
  }

  /**
   * The longest run of the items before the first whose count varies that each take one given
   * byte (`svc=` of `svc=\w+ req=\w`), with where it is in a match; null when none. Every match
   * holds it there: a needle for SequenceLines where the one a byte search looks for is not in
   * that part (` req=`).
   */
  prefixLiteral(): { bytes: Uint8Array; at: number } | null {
    let best: { bytes: Uint8Array; at: number } | null = null;
    for (let i = 0; i < this.#prefix;) {
      let j = i;
      const run: number[] = [];
      for (let only; j < this.#prefix && (only = this.#onlyByte(j)) >= 0; j++) run.push(only);
      if (run.length > (best?.bytes.length ?? 0)) best = { bytes: Uint8Array.from(run), at: i };
      i = j + 1;
    }
    return best;
  }

  /** The one byte item `i`'s set holds, or -1. */
  #onlyByte(i: number): number {
    const set = this.#sets.subarray(256 * i, 256 * i + 256);
    const only = set.indexOf(1);
    return only >= 0 && set.indexOf(1, only + 1) < 0 ? only : -1;
  }

  /**
   * Whether a match starts at `bytes[at]` and ends by `stop` (the line's end; at it with `$`);
   * counts the bytes it looks at off `budget.left`.
   */
  matchesAt(bytes: Uint8Array, at: number, stop: number, budget: { left: number }): boolean {
    const sets = this.#sets;
    const min = this.#min;
    const max = this.#max;
    let pos = at;
    for (let i = 0; i < min.length; i++) {
      const table = 256 * i;
      const most = max[i]!;
      let taken = 0;
      while (taken < most && pos < stop && sets[table + bytes[pos]!] === 1) {
        pos++;
        taken++;
      }
      budget.left -= taken + 1;
      if (taken < min[i]!) return false;
    }
    return !this.atEnd || pos === stop;
  }
}

/** A needle of a sequence and where it is in a match (ByteSequence.placeOf). */
export interface PlacedNeedle {
  readonly needle: Needle;
  readonly place: number;
}

/**
 * Decides the candidate lines of one batch, asked in ascending order: whether the line
 * `bytes[start, stop)` (without its "\n") holds a match of `sequence`, tried wherever one of the
 * needles occurs, from the place it has in a match (every match holds one of them there). The
 * needles are found by the byte search (`finder`: one call into its module per line and needle,
 * then one per further occurrence in the line). `budget.left` counts the bytes compared, and a
 * line is left undecided (null) once it is spent: an input made to meet the needle everywhere
 * costs no more than its budget (the caller asks the regex instead).
 */
export class SequenceLines {
  constructor(
    private readonly sequence: ByteSequence,
    private readonly needles: readonly PlacedNeedle[],
    private readonly bytes: Uint8Array,
    private readonly budget: { left: number },
    private readonly finder: NeedleFinder,
  ) {}

  holdsMatch(start: number, stop: number): boolean | null {
    const { sequence, needles, bytes, budget, finder } = this;
    const last = stop - sequence.minWidth;
    if (sequence.atStart) { // one place to try: no needle to look for
      const matches = start <= last && sequence.matchesAt(bytes, start, stop, budget);
      return budget.left < 0 ? null : matches;
    }
    for (let n = 0; n < needles.length; n++) {
      const { needle, place } = needles[n]!;
      for (
        let at = finder.find(needle, start, stop);
        at >= 0;
        at = finder.find(needle, at + 1, stop)
      ) {
        const from = at - place;
        if (from < start || from > last) continue;
        const matches = sequence.matchesAt(bytes, from, stop, budget);
        if (budget.left < 0) return null;
        if (matches) return true;
      }
    }
    return false;
  }
}

/**
 * The items of `source`, or null when it is not a sequence of sets with counts as
 * ByteSequence.of reads them (whatever the sets share).
 */
export function sequenceItems(source: string): Item[] | null {
  const items: Item[] = [];
  for (let i = 0; i < source.length;) {
    const atom = parseAtom(source, i);
    if (atom === null) return null;
    i = atom.next;
    const count = parseCount(source, i);
    if (count === null) return null;
    i = count.next;
    if (count.min === 1 && count.max === 1) {
      for (const set of atom.sets) items.push({ set, min: 1, max: 1 });
    } else if (count.min === count.max) {
      for (let t = 0; t < count.min; t++) {
        for (const set of atom.sets) items.push({ set, min: 1, max: 1 });
        if (items.length > MAX_ITEMS) return null;
      }
    } else if (atom.sets.length === 1) {
      items.push({ set: atom.sets[0]!, min: count.min, max: count.max });
    } else return null; // a varying count of a character of several bytes
    if (items.length > MAX_ITEMS) return null;
  }
  return items;
}

/** The count after an atom (1 when none), and where it ends; null for one not read here. */
function parseCount(source: string, i: number): { min: number; max: number; next: number } | null {
  const c = source[i];
  if (c === "?") return { min: 0, max: 1, next: i + 1 };
  if (c === "*") return { min: 0, max: MANY, next: i + 1 };
  if (c === "+") return { min: 1, max: MANY, next: i + 1 };
  if (c !== "{") return { min: 1, max: 1, next: i };
  const m = /^\{(\d{1,3})(,(\d{0,3}))?\}/.exec(source.slice(i, i + 9));
  if (m === null) return null;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === "" ? MANY : Number(m[3]);
  if (max < min || min > MAX_ITEMS) return null;
  if (/^[?+]/.test(source[i + m[0].length] ?? "")) return null; // lazy or possessive
  return { min, max, next: i + m[0].length };
}

/** One atom at `source[i]`: its positions' sets (several for a character of several bytes). */
function parseAtom(source: string, i: number): { sets: Uint8Array[]; next: number } | null {
  const c = source[i]!;
  if (c === "[") {
    const parsed = parseClass(source, i + 1);
    return parsed === null ? null : { sets: [parsed.set], next: parsed.next };
  }
  if (c === "(") {
    if (!source.startsWith("(?:", i)) return null;
    const set = new Uint8Array(256);
    let j = i + 3;
    for (;;) {
      const ch = parseChar(source, j);
      if (ch === null || ch.code >= 0x80) return null;
      set[ch.code] = 1;
      j = ch.next;
      if (source[j] === ")") break;
      if (source[j] !== "|") return null;
      j++;
    }
    set[NEWLINE] = 0;
    return { sets: [set], next: j + 1 };
  }
  if (c === "\\" && (source[i + 1] === "d" || source[i + 1] === "w")) {
    const set = new Uint8Array(256);
    addShorthand(set, source[i + 1]!);
    return { sets: [set], next: i + 2 };
  }
  const ch = parseChar(source, i);
  if (ch === null || ch.code === NEWLINE) return null;
  const text = String.fromCodePoint(ch.code);
  if (text === "\uFFFD" || !text.isWellFormed()) return null;
  const sets = Array.from(encoder.encode(text), (b) => {
    const set = new Uint8Array(256);
    set[b] = 1;
    return set;
  });
  return { sets, next: ch.next };
}

/** A class's set from after its "[" (ASCII members only, not negated), and where it ends. */
function parseClass(source: string, i: number): { set: Uint8Array; next: number } | null {
  if (source[i] === "^") return null;
  const set = new Uint8Array(256);
  while (source[i] !== "]") {
    if (i >= source.length) return null;
    if (source[i] === "\\" && (source[i + 1] === "d" || source[i + 1] === "w")) {
      addShorthand(set, source[i + 1]!);
      i += 2;
      continue;
    }
    const low = parseChar(source, i, true);
    if (low === null) return null;
    i = low.next;
    let high = low;
    if (source[i] === "-" && source[i + 1] !== "]") {
      const end = parseChar(source, i + 1, true);
      if (end === null) return null;
      high = end;
      i = end.next;
    }
    if (high.code >= 0x80 || high.code < low.code) return null;
    for (let b = low.code; b <= high.code; b++) set[b] = 1;
  }
  set[NEWLINE] = 0; // a line holds no "\n": a class that takes one takes none in a line
  return { set, next: i + 1 };
}

function addShorthand(set: Uint8Array, letter: string): void {
  for (let b = 0x30; b <= 0x39; b++) set[b] = 1;
  if (letter === "d") return;
  for (let b = 0x41; b <= 0x5a; b++) set[b] = set[b + 0x20] = 1;
  set[0x5f] = 1;
}

const ESCAPED_CHARACTER: Record<string, number> = { t: 9, r: 13, f: 12, v: 11 };

/**
 * One character at `source[i]`: plain (a whole code point), `\` + punctuation, `\t \r \f \v`,
 * `\xHH` or `\uHHHH` (below 0x80 only: a surrogate pair spelled so is not read); null for anything
 * else (an operator outside a class, `\n`, `\s`, `\b`…).
 */
function parseChar(
  source: string,
  i: number,
  inClass = false,
): { code: number; next: number } | null {
  const c = source[i];
  if (c === undefined) return null;
  if (c !== "\\") {
    if (!inClass && /[.^$*+?()[\]{}|]/.test(c)) return null;
    if (inClass && c === "[") return null;
    const code = source.codePointAt(i)!;
    return { code, next: i + (code > 0xffff ? 2 : 1) };
  }
  const e = source[i + 1];
  if (e === undefined) return null;
  if (/[.+*?^$[\]{}()|\\\/-]/.test(e)) return { code: e.charCodeAt(0), next: i + 2 };
  if (e in ESCAPED_CHARACTER) return { code: ESCAPED_CHARACTER[e]!, next: i + 2 };
  const hex = e === "x" ? /^[0-9a-fA-F]{2}/ : e === "u" ? /^[0-9a-fA-F]{4}/ : null;
  const digits = hex?.exec(source.slice(i + 2, i + 6))?.[0];
  if (digits === undefined) return null;
  const code = parseInt(digits, 16);
  return code < 0x80 ? { code, next: i + 2 + digits.length } : null;
}
