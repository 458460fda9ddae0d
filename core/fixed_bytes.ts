/**
 * Regexes of a fixed width over bytes (`took=\d{4}ms`, `web(1|2)[0-9]`, `status=5\d\d`): each
 * position takes one byte from a set (an ASCII class or character, or a byte of a UTF-8 literal).
 * A candidate line that a byte search found by a needle of the regex is then decided in its bytes,
 * at the few places the needle puts a match, instead of decoding the line for the regex: a third
 * of the lines of a log are candidates for `web(1|2)[0-9]`, each ~0.3 µs through a string.
 */

/** Positions a pattern may have (each a 256-byte table). */
const MAX_WIDTH = 64;
/** Places a needle may take in a match (see `placesOf`): more, and no FixedBytes is made. */
const MAX_PLACES = 4;
const NEWLINE = 10;

const encoder = new TextEncoder();

export class FixedBytes {
  /** Position i's table is `sets[256 * i, 256 * i + 256)`: 1 where byte b may be there. */
  readonly #sets: Uint8Array;
  readonly width: number;

  private constructor(sets: Uint8Array[]) {
    this.width = sets.length;
    this.#sets = new Uint8Array(256 * sets.length);
    sets.forEach((set, i) => this.#sets.set(set, 256 * i));
  }

  /**
   * The fixed-width pattern a JavaScript regex source (core/re2_translate.ts's) spells, else null:
   * characters, escaped punctuation, `\d`, `\w`, classes of ASCII characters, groups of one-character
   * branches, and `{n}` after any of them; nothing that may match "\n" counts it (a line holds none).
   */
  static of(source: string): FixedBytes | null {
    const sets = parsePositions(source);
    return sets === null || sets.length === 0 || sets.length > MAX_WIDTH
      ? null
      : new FixedBytes(sets);
  }

  /**
   * Where `needle` (bytes) may start in a match: the offsets at which each of its bytes is in
   * the position's set. Null when there are more than MAX_PLACES (or none).
   */
  placesOf(needle: Uint8Array): number[] | null {
    const places: number[] = [];
    for (let at = 0; at + needle.length <= this.width; at++) {
      let fits = true;
      for (let j = 0; j < needle.length && fits; j++) {
        fits = this.#sets[256 * (at + j) + needle[j]!] === 1;
      }
      if (fits) places.push(at);
    }
    return places.length === 0 || places.length > MAX_PLACES ? null : places;
  }

  /** Whether the pattern matches `bytes[at, at + width)` (which must be within the line). */
  matchesAt(bytes: Uint8Array, at: number): boolean {
    const sets = this.#sets;
    for (let i = 0; i < this.width; i++) {
      if (sets[256 * i + bytes[at + i]!] === 0) return false;
    }
    return true;
  }
}

/** A needle of a fixed pattern and where it may start in a match. */
export interface PlacedNeedle {
  readonly bytes: Uint8Array;
  /** The index of the needle's byte searched for first (its rarest: Needle.p1). */
  readonly probe: number;
  readonly places: readonly number[];
}

/**
 * Decides the candidate lines of one batch, asked in ascending order: whether the line
 * `bytes[start, stop)` (without its "\n") holds a match of `pattern`, tried wherever one of the
 * needles occurs, at each place it may take in a match (every match holds one of them at one of
 * those places). Each needle's probe byte is searched for once over the batch, from line to line.
 * `budget.left` counts the positions compared, and a line is left undecided (null) once it is
 * spent: an input made to meet the needle everywhere costs no more than its budget (the caller
 * asks the regex instead).
 */
export class FixedLines {
  /** Per needle: the next place of its probe byte not looked at yet (-1: none up to the end). */
  readonly #next: number[];

  constructor(
    private readonly pattern: FixedBytes,
    private readonly needles: readonly PlacedNeedle[],
    private readonly bytes: Uint8Array,
    private readonly budget: { left: number },
  ) {
    this.#next = needles.map(() => 0);
  }

  holdsMatch(start: number, stop: number): boolean | null {
    const { pattern, needles, bytes, budget } = this;
    const last = stop - pattern.width;
    for (let n = 0; n < needles.length; n++) {
      const needle = needles[n]!;
      const k = needle.bytes.length;
      const probe = needle.probe;
      const b = needle.bytes[probe]!;
      let p = this.#next[n]!;
      if (p >= 0 && p < start + probe) p = bytes.indexOf(b, start + probe);
      for (; p >= 0 && p - probe + k <= stop; p = bytes.indexOf(b, p + 1)) {
        const at = p - probe;
        let holds = true;
        for (let j = 0; j < k && holds; j++) holds = bytes[at + j] === needle.bytes[j];
        if (!holds) continue;
        for (const place of needle.places) {
          const from = at - place;
          if (from < start || from > last) continue;
          budget.left -= pattern.width;
          if (budget.left < 0) return null;
          if (pattern.matchesAt(bytes, from)) {
            this.#next[n] = p; // the same place may start the next line's search
            return true;
          }
        }
      }
      this.#next[n] = p;
    }
    return false;
  }
}

/** The positions' sets of `source`, or null when it is not a fixed pattern (see FixedBytes.of). */
function parsePositions(source: string): Uint8Array[] | null {
  const sets: Uint8Array[] = [];
  for (let i = 0; i < source.length;) {
    const atom = parseAtom(source, i);
    if (atom === null) return null;
    i = atom.next;
    let times = 1;
    const quantifier = /^\{(\d{1,2})\}/.exec(source.slice(i, i + 4));
    if (quantifier !== null) {
      times = Number(quantifier[1]);
      i += quantifier[0].length;
    } else if (/[*+?{]/.test(source[i] ?? "")) return null;
    for (let t = 0; t < times; t++) sets.push(...atom.sets);
    if (sets.length > MAX_WIDTH) return null;
  }
  return sets;
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
