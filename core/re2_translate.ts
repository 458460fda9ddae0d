/**
 * RE2 patterns translated into JavaScript regex sources that match exactly the same lines, for
 * V8's irregexp (core/irregexp_matcher.ts); null where no exact translation is known, and re2js
 * runs the pattern (core/re2js_matcher.ts).
 */

/**
 * A JavaScript source (for `new RegExp(source)` without flags) that matches exactly the strings
 * the RE2 pattern matches (a line, or a line with its "\n": see `newlineExact`), or null when no
 * exact translation is known (then re2js runs the pattern). The pattern must be valid RE2 (see
 * compileRe2).
 *
 * Translated: flags `(?imsU)` and flag groups `(?i:…)`, `(?-i)` (`(?i)` becomes classes such as
 * `[eE]`, with Go's k/K/U+212A and s/S/U+017F folds; `(?s)` a `.` that takes "\n"; `(?m)` a `^`
 * that also matches after "\n"; `(?U)` changes nothing whether a line matches), `(?P<name>`,
 * `\A`, `\z`, `\Q…\E`, `\x{…}`, octal escapes, `\a`, RE2's ASCII `\s`, POSIX classes, a
 * literal `{`. `.`, negated classes, `\D`, `\S`, `\W` take a whole surrogate pair, as RE2 takes
 * one code point. Null for: `\p`, a class with only some characters beyond U+FFFF, and (with
 * `(?i)`) a non-ASCII letter when no FoldOrbit tells its fold (core/matcher.ts gives re2js's, Go's
 * Unicode 15.0 orbits), or a range of more than 256 such characters.
 */
export function irregexpSource(pattern: string): string | null {
  return irregexpTranslation(pattern)?.source ?? null;
}

/**
 * `irregexpSource`, and whether the source must be run line by line: when it repeats anything
 * without bound before more pattern (`a.*b`, `\d+ms`). V8 counts no backtracking inside a
 * one-character loop, so its linear fallback never comes, and such a loop costs up to quadratic
 * time in the text searched: 1.8 s for `a.*b` on 40,000 `a`s, ~20 min on a 1 MB line or on a
 * 1 MB batch (`a[^~]*~` crosses lines). Line by line, short lines bound it.
 *
 * `loopsCrossLines`: whether an unbounded repeat of the source may match "\n" (`[^~]*`, `\s+`,
 * `(?:a|\n)*`); false only when every one provably cannot (`.*`, `\d+`, `[a-z]*`, `(?:ab)+`).
 * Without such a loop, no attempt of a whole-text search runs a loop past its line, so searching
 * a stretch of lines at once costs what searching them one by one does (see IrregexpMatcher).
 */
export interface IrregexpTranslation {
  readonly source: string;
  readonly lineByLine: boolean;
  readonly loops: number;
  readonly loopsCrossLines: boolean;
  /**
   * Whether a line may match differently with its "\n" (see MatcherOptions.withNewline): the
   * pattern has an atom that may match "\n", or `$`, `\z`, `\B` or a `(?m)` anchor. When false,
   * a line matches with its "\n" exactly when it does without.
   */
  readonly newlineSensitive: boolean;
  /**
   * Whether `source` is exact on a line with its "\n" too: not so for `(?m)$` (translated `$`,
   * exact only on a line without one), which V8's linear engine cannot express there.
   */
  readonly newlineExact: boolean;
  /**
   * For a search of a whole text of lines with flags "gm": `source` with `(?m)^` as `^` (V8's
   * linear engine takes no lookbehind with "gm"; "m" makes `^` match after "\r", U+2028 and
   * U+2029 too, so a hit of an anchored source is checked on its line).
   */
  readonly globalSource: string;
  /**
   * `globalSource` when lines are matched with their "\n": `$` and `\z` (which match after a
   * line's "\n", where the next line starts) as `(?:^|$)`, and `\B` (which matches there too) as
   * `(?:\B|^)`. It finds every match of a line, and some where none is: hits are checked.
   */
  readonly newlineGlobalSource: string;
  /**
   * Whether the pattern selects the same lines in the Latin-1 reading of a line's bytes (one
   * character per byte) as in its UTF-8 decoding, where the bytes hold none of `latin1Unless`.
   * Each non-ASCII character (or invalid sequence, U+FFFD) of the text is a non-empty run of bytes
   * above 0x7f there, and neither reading has a word character or a line break in such a run. So
   * a pattern qualifies when it cannot count those runs' length: every character it consumes is
   * ASCII, except in unbounded loops at its top level (`ERROR.*lock`, `a[^x]+b`) of a set holding
   * every non-ASCII character (`.`, `[^x]`, `\D`, `\S`, `\W`), at most one of them a `+` (`.+.+`
   * needs two characters, where one 2-byte character has two bytes), or a few characters beyond
   * U+00FF (`latin1Unless`: Go folds `(?i)` k and s to U+212A and U+017F; `€`): bytes that lack
   * them hold no such character, and the Latin-1 reading has none. It has no `\B` (true inside
   * such a run). Not so for `é` (U+00E9 is also the Latin-1 reading of a lone byte 0xE9), `a.b`,
   * `.{2,}`, `[^é]+`.
   */
  readonly asciiOnly: boolean;
  /** See `asciiOnly`: ascending code points, all beyond U+00FF. */
  readonly latin1Unless: readonly number[];
  /**
   * For a pattern `A.*B.*C…` (`.+` too) whose loops are all such, at its top level, with no `|`
   * and every part but the last of one width (no `?`, no `{n,m}`, no set with characters beyond
   * U+FFFF): the parts' sources, and for each loop whether it is a `+`. A line (without "\n")
   * matches exactly when each part matches at or after the end of the leftmost match of the part
   * before (one character later after a `+`): the earliest ends leave the most room to what
   * follows. Searches without a loop, in linear time on a line of any length, where irregexp on
   * the whole source is not (see `lineByLine`).
   */
  readonly dotSplit:
    | { readonly parts: readonly string[]; readonly plus: readonly boolean[] }
    | null;
}

export function irregexpTranslation(
  pattern: string,
  foldOrbit: FoldOrbit | null = null,
): IrregexpTranslation | null {
  try {
    const translator = new Translator(pattern, foldOrbit);
    const out = translator.translate();
    const marked = (text: string, end: string, notBoundary: string, multiLineStart: string) =>
      text.replaceAll(END_MARK, end).replaceAll(NOT_BOUNDARY_MARK, notBoundary)
        .replaceAll(MULTILINE_START_MARK, multiLineStart);
    const single = (text: string) => marked(text, "$", "\\B", "(?:^|(?<=\\n))");
    return {
      source: single(out),
      lineByLine: translator.loopBeforeMore(),
      loops: translator.loops,
      loopsCrossLines: translator.loopsCrossLines,
      newlineSensitive: translator.newlineSensitive,
      newlineExact: translator.newlineExact,
      globalSource: marked(out, "$", "\\B", "^"),
      newlineGlobalSource: marked(out, "(?:^|$)", "(?:\\B|^)", "^"),
      asciiOnly: translator.asciiOnly,
      latin1Unless: translator.latin1Unless,
      dotSplit: translator.dotSplit(single),
    };
  } catch (err) {
    if (err === UNTRANSLATABLE) return null;
    throw err;
  }
}

/**
 * What the Translator emits for `$`/`\z`, `\B` and `(?m)^`, replaced in each source (control
 * characters: a literal one is always emitted as `\uXXXX`).
 */
const END_MARK = "\u0001";
const NOT_BOUNDARY_MARK = "\u0002";
const MULTILINE_START_MARK = "\u0003";

const UNTRANSLATABLE = new Error("no exact irregexp translation");

function untranslatable(): never {
  throw UNTRANSLATABLE;
}

/** Sorted, merged, inclusive code point ranges: [lo0, hi0, lo1, hi1, …]. */
type Ranges = number[];

const MAX_RUNE = 0x10ffff;
const KELVIN = 0x212a;
const LONG_S = 0x17f;
const BMP: Ranges = [0, 0xd7ff, 0xe000, 0xffff];
const ASTRAL: Ranges = [0x10000, MAX_RUNE];
const ANY: Ranges = [0, MAX_RUNE];
const ANY_BUT_NEWLINE: Ranges = [0, 9, 11, MAX_RUNE];
const NON_ASCII: Ranges = [0x80, MAX_RUNE];
/** Characters beyond U+00FF a pattern read as Latin-1 may name (each is a byte search a batch). */
const MAX_LATIN1_UNLESS = 4;
/** One character beyond U+FFFF in JavaScript's UTF-16 text (the text never holds a lone half). */
const SURROGATE_PAIR = "[\\ud800-\\udbff][\\udc00-\\udfff]";

const r = (spec: string): Ranges => {
  const out: Ranges = [];
  for (let i = 0; i < spec.length; i++) {
    const lo = spec.charCodeAt(i);
    if (spec[i + 1] === "-" && i + 2 < spec.length) {
      out.push(lo, spec.charCodeAt(i + 2));
      i += 2;
    } else out.push(lo, lo);
  }
  return normalize(out);
};

/** Go's POSIX classes (ASCII) and Perl classes `\d`, `\s`, `\w`. */
const NAMED_CLASSES: Record<string, Ranges> = {
  alnum: r("0-9A-Za-z"),
  alpha: r("A-Za-z"),
  ascii: r("\x00-\x7f"),
  blank: r("\t "),
  cntrl: r("\x00-\x1f\x7f"),
  digit: r("0-9"),
  graph: r("!-~"),
  lower: r("a-z"),
  print: r(" -~"),
  punct: r("!-/:-@[-`{-~"),
  space: r("\t\n\v\f\r "),
  upper: r("A-Z"),
  word: r("0-9A-Za-z_"),
  xdigit: r("0-9A-Fa-f"),
};
const PERL_CLASSES: Record<string, Ranges> = {
  d: r("0-9"),
  s: r("\t\n\f\r "),
  w: r("0-9A-Za-z_"),
};

function normalize(ranges: Ranges): Ranges {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (out.length > 0 && lo <= out[last]! + 1) out[last] = Math.max(out[last]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

function complement(ranges: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    if (ranges[i]! > next) out.push(next, ranges[i]! - 1);
    next = ranges[i + 1]! + 1;
  }
  if (next <= MAX_RUNE) out.push(next, MAX_RUNE);
  return out;
}

function intersect(a: Ranges, b: Ranges): Ranges {
  return complement(normalize([...complement(a), ...complement(b)]));
}

function contains(ranges: Ranges, c: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) {
    if (ranges[i]! <= c && c <= ranges[i + 1]!) return true;
  }
  return false;
}

/** Characters with a case mapping or fold: their Go fold orbit may hold other characters. */
const CASED = /[\p{Changes_When_Casemapped}\p{Changes_When_Casefolded}]/u;
let casedRanges: Ranges | null = null;

/**
 * Whether [lo, hi] may hold a cased character (the table of U+0080–U+FFFF is built once, in
 * ~10 ms; beyond U+FFFF: assumed).
 */
function hasCased(lo: number, hi: number): boolean {
  if (hi > 0xffff) return true;
  if (casedRanges === null) {
    const ranges: Ranges = [];
    for (let c = 0x80; c <= 0xffff; c++) {
      if (CASED.test(String.fromCharCode(c))) ranges.push(c, c);
    }
    casedRanges = normalize(ranges);
  }
  return intersect([lo, hi], casedRanges).length > 0;
}

/**
 * The code points `(?i)` makes one match, as Go folds (re2js_matcher.ts's foldOrbit); null where
 * they are not known.
 */
export type FoldOrbit = (c: number) => readonly number[] | null;

/** Most non-ASCII code points of a range folded one by one with a FoldOrbit. */
const MAX_FOLDED_RANGE = 256;

/**
 * Go's case folding of a set: ASCII letters gain their other case, k/K gain U+212A and s/S gain
 * U+017F. With `literal`, the set came from the pattern's own characters: a non-ASCII cased one
 * gains its orbit from `orbit`, and without one (or in a range too long) it is untranslatable.
 */
function fold(ranges: Ranges, literal: boolean, orbit: FoldOrbit | null = null): Ranges {
  const out = [...ranges];
  for (let i = 0; i < ranges.length; i += 2) {
    const lo = ranges[i]!;
    const hi = ranges[i + 1]!;
    for (let c = lo; c <= Math.min(hi, 0x7f); c++) {
      const ch = String.fromCharCode(c);
      const other = ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
      if (other !== ch) out.push(other.charCodeAt(0), other.charCodeAt(0));
    }
    if (literal && hi >= 0x80 && hasCased(Math.max(lo, 0x80), hi)) {
      if (orbit === null || hi - Math.max(lo, 0x80) >= MAX_FOLDED_RANGE) untranslatable();
      for (let c = Math.max(lo, 0x80); c <= hi; c++) {
        for (const r of orbit(c) ?? untranslatable()) out.push(r, r);
      }
    }
  }
  const folded = normalize(out);
  const extra: Ranges = [];
  if (contains(folded, 0x6b)) extra.push(KELVIN, KELVIN);
  if (contains(folded, 0x73)) extra.push(LONG_S, LONG_S);
  return normalize([...folded, ...extra]);
}

function unit(c: number): string {
  return "\\u" + c.toString(16).padStart(4, "0");
}

/** One character of `set` (code points) in JavaScript: a class, plus a surrogate pair if need be. */
function setSource(set: Ranges): string {
  const bmp = intersect(set, BMP);
  const astral = intersect(set, ASTRAL);
  const cls = classOf(bmp);
  if (astral.length === 0) return cls;
  if (astral[0] !== ASTRAL[0] || astral[1] !== ASTRAL[1]) untranslatable(); // only some of them
  return bmp.length === 0 ? `(?:${SURROGATE_PAIR})` : `(?:${cls}|${SURROGATE_PAIR})`;
}

function classOf(ranges: Ranges): string {
  let cls = "[";
  for (let i = 0; i < ranges.length; i += 2) {
    const lo = ranges[i]!;
    const hi = ranges[i + 1]!;
    cls += lo === hi ? unit(lo) : `${unit(lo)}-${unit(hi)}`;
  }
  return cls + "]";
}

/**
 * The one-code-unit class for a set that holds every character beyond U+FFFF (`.`, `[^x]`), or
 * null. It may end inside a surrogate pair, which is harmless right before a literal character
 * (which never matches half a pair) or at the end, and much faster in a loop (`.*`).
 */
function unitClassOf(set: Ranges): string | null {
  if (intersect(set, ASTRAL).length === 0) return null;
  return classOf(normalize([...intersect(set, BMP), 0xd800, 0xdfff]));
}

/** Longest output of a character repeated a fixed number of times written out (see #brace). */
const MAX_WRITTEN_OUT = 256;

/** `[eE]` and the like, by letter (a long `(?i)` pattern repeats them). */
const FOLDED_LETTERS = new Map<number, string>();
/** setSource and unitClassOf by set, for small sets (`.` repeated 4,000 times: 38 → 4 ms). */
const SET_SOURCES = new Map<string, { source: string; unit: string | null }>();

class Translator {
  #i = 0;
  /** Flags `i`, `s` and `m` where the cursor is, and as they were at each open group. */
  #fold = false;
  #dotNewline = false;
  #multiLine = false;
  #savedFlags: [boolean, boolean, boolean][] = [];
  #out = "";
  /** See IrregexpTranslation. */
  #newlineSensitive = false;
  #newlineExact = true;
  /** The last atom emitted, when it has a one-code-unit form (see unitClassOf). */
  #unitAtom: { start: number; source: string } | null = null;
  /** Where the last atom emitted starts in the output, when it matches one character. */
  #charAtom: number | null = null;
  /** Unbounded repeats (`*`, `+`, `{n,}`) emitted, and where the last one ends in the output. */
  #loops = 0;
  #loopEnd = 0;
  /**
   * Whether the atom a quantifier here would repeat may match "\n" (true where no atom is, as
   * after `(` or `|`: conservative); per open group (the pattern itself at the bottom), whether
   * any atom in it may; and whether an unbounded repeat of such an atom was emitted.
   */
  #lastCrosses = true;
  #groupCrosses: boolean[] = [false];
  #loopsCross = false;
  /**
   * See IrregexpTranslation.asciiOnly: no atom so far rules it out; a set holding every non-ASCII
   * character was just emitted at the top level (it must be a `*` or `+` loop); such `+` loops.
   */
  #asciiOnly = true;
  #wideAtom = false;
  #widePlusLoops = 0;
  /** See IrregexpTranslation.latin1Unless. */
  readonly #latin1Unless = new Set<number>();
  /**
   * See IrregexpTranslation.dotSplit: where the last atom (a set of every character but "\n", at
   * the top level) starts in the output; the loop of such an atom, as [start, end) in the output;
   * whether the pattern so far may match strings of more than one length; whether it has a `|`.
   */
  #dotAtomStart: number | null = null;
  #dotLoops: { start: number; end: number; plus: boolean }[] = [];
  /** Whether the part since the last dot loop may match strings of more than one length. */
  #variableWidth = false;
  #alternation = false;

  constructor(private readonly p: string, private readonly orbit: FoldOrbit | null) {}

  /** The source, with END_MARK, NOT_BOUNDARY_MARK and MULTILINE_START_MARK in it. */
  translate(): string {
    const p = this.p;
    while (this.#i < p.length) {
      const c = p[this.#i]!;
      const unitAtom = this.#unitAtom;
      this.#unitAtom = null;
      const charAtom = this.#charAtom;
      this.#charAtom = null;
      const dotAtomStart = this.#dotAtomStart;
      this.#dotAtomStart = null;
      if (dotAtomStart !== null && c !== "*" && c !== "+") this.#variableWidth = true;
      if (this.#wideAtom) {
        this.#wideAtom = false;
        if (c === "+") this.#widePlusLoops++;
        else if (c !== "*") this.#asciiOnly = false;
      }
      if (c === "\\") this.#escape();
      else if (c === "[") this.#class();
      else if (c === "(") this.#group();
      else if (c === "{") this.#brace(charAtom);
      else if (c === ".") {
        this.#set(this.#dotNewline ? ANY : ANY_BUT_NEWLINE); // RE2: "\n" only with (?s)
        this.#i++;
      } else if (c === "*" || c === "+") {
        this.#i++;
        const lazy = p[this.#i] === "?";
        const next = p[this.#i + (lazy ? 1 : 0)];
        // Before a literal that is not optional, or at the end: see unitClassOf.
        if (
          unitAtom !== null &&
          (next === undefined ||
            (!"\\.[](){}|*+?^$".includes(next) &&
              !"?*{".includes(p[this.#i + (lazy ? 2 : 1)] ?? "x")))
        ) {
          this.#out = this.#out.slice(0, unitAtom.start) + unitAtom.source;
        }
        this.#out += c;
        const dotLoop = dotAtomStart !== null && !this.#variableWidth;
        this.#loop();
        if (dotLoop) {
          this.#dotLoops.push({ start: dotAtomStart, end: this.#out.length, plus: c === "+" });
          this.#variableWidth = false; // a new part starts
        } else this.#variableWidth = true;
      } else if (c === "^") {
        this.#i++;
        if (this.#multiLine) {
          // At the start, or after the "\n" a line is matched with (see MatcherOptions).
          this.#out += MULTILINE_START_MARK;
          this.#newlineSensitive = true;
        } else this.#out += "^";
        this.#atom(false);
      } else if (c === "$") {
        this.#i++;
        // (?m)$ also matches before a "\n", which a lookahead would say: V8's linear engine has
        // none, so `$` is exact only on a line without its "\n".
        if (this.#multiLine) this.#newlineExact = false;
        this.#end();
      } else if ("|)?".includes(c)) {
        this.#out += c;
        this.#i++;
        if (c === "|" && this.#groupCrosses.length === 1) this.#alternation = true; // top level
        if (c !== ")") this.#variableWidth = true;
        if (c === ")") {
          // A group matches "\n" only through one of its atoms.
          if (this.#groupCrosses.length < 2) untranslatable();
          [this.#fold, this.#dotNewline, this.#multiLine] = this.#savedFlags.pop()!;
          this.#atom(this.#groupCrosses.pop()!);
        } else if (c === "|") this.#lastCrosses = true;
      } else {
        this.#literal(this.#codePoint());
      }
    }
    if (this.#wideAtom) this.#asciiOnly = false; // a wide atom at the end, not a loop
    return this.#out;
  }

  get loops(): number {
    return this.#loops;
  }

  /** Whether an unbounded repeat may match "\n" (see IrregexpTranslation). */
  get loopsCrossLines(): boolean {
    return this.#loopsCross;
  }

  get newlineSensitive(): boolean {
    return this.#newlineSensitive;
  }

  get newlineExact(): boolean {
    return this.#newlineExact;
  }

  get asciiOnly(): boolean {
    return this.#asciiOnly && this.#widePlusLoops <= 1;
  }

  /** IrregexpTranslation.dotSplit, its parts made final by `finish` (the marks replaced). */
  dotSplit(finish: (source: string) => string): { parts: string[]; plus: boolean[] } | null {
    const loops = this.#dotLoops;
    if (loops.length === 0 || loops.length !== this.#loops || this.#alternation) return null;
    const parts: string[] = [];
    let from = 0;
    for (const loop of loops) {
      parts.push(finish(this.#out.slice(from, loop.start)));
      from = loop.end;
    }
    parts.push(finish(this.#out.slice(from)));
    return { parts, plus: loops.map((loop) => loop.plus) };
  }

  get latin1Unless(): number[] {
    return this.#asciiOnly ? [...this.#latin1Unless].sort((a, b) => a - b) : [];
  }

  /**
   * Notes that the pattern may consume one of the non-ASCII characters of `ranges` (see
   * IrregexpTranslation.asciiOnly): a few beyond U+00FF are noted, others rule the Latin-1
   * reading out.
   */
  #nonAscii(ranges: Ranges): void {
    const chars: number[] = [];
    for (let i = 0; i < ranges.length; i += 2) {
      const lo = Math.max(ranges[i]!, 0x80);
      const hi = ranges[i + 1]!;
      if (hi - lo + 1 > MAX_LATIN1_UNLESS) {
        this.#asciiOnly = false;
        return;
      }
      for (let c = lo; c <= hi; c++) chars.push(c);
    }
    if (chars.some((c) => c <= 0xff || c === 0xfffd) || chars.length > MAX_LATIN1_UNLESS) {
      this.#asciiOnly = false;
    } else for (const c of chars) this.#latin1Unless.add(c);
    if (this.#latin1Unless.size > MAX_LATIN1_UNLESS) this.#asciiOnly = false;
  }

  /** Notes an atom (or a group just closed, or an assertion) emitted. */
  #atom(crosses: boolean): void {
    this.#lastCrosses = crosses;
    if (crosses) {
      this.#groupCrosses[this.#groupCrosses.length - 1] = true;
      this.#newlineSensitive = true;
    }
  }

  /** Emits `$` (or `\z`): the end of the string. */
  #end(): void {
    this.#out += END_MARK;
    this.#newlineSensitive = true;
    this.#atom(false);
  }

  /** True unless every unbounded repeat ends the pattern (`ERROR.*`, `id=\d+`): see above. */
  loopBeforeMore(): boolean {
    return this.#loops > 1 || (this.#loops === 1 && !/^\)*$/.test(this.#out.slice(this.#loopEnd)));
  }

  /** Notes an unbounded repeat just emitted (with its lazy `?`, if any). */
  #loop(): void {
    if (this.p[this.#i] === "?") {
      this.#out += "?";
      this.#i++;
    }
    this.#loops++;
    this.#loopEnd = this.#out.length;
    if (this.#lastCrosses) this.#loopsCross = true;
  }

  /** Emits an atom matching one character of `set`. */
  #set(set: Ranges): void {
    const start = this.#out.length;
    const key = set.length <= 64 ? set.join() : null;
    let sources = key === null ? undefined : SET_SOURCES.get(key);
    if (sources === undefined) {
      sources = { source: setSource(set), unit: unitClassOf(set) };
      if (key !== null) {
        if (SET_SOURCES.size >= 256) SET_SOURCES.clear();
        SET_SOURCES.set(key, sources);
      }
    }
    if (set.length > 0 && set[set.length - 1]! >= 0x80) {
      const beyond = intersect(set, NON_ASCII);
      const wide = beyond.length === 2 && beyond[0] === 0x80 && beyond[1] === MAX_RUNE;
      if (wide && this.#groupCrosses.length === 1) this.#wideAtom = true; // at the top level
      else if (wide) this.#asciiOnly = false;
      else this.#nonAscii(beyond);
    }
    this.#out += sources.source;
    this.#unitAtom = sources.unit === null ? null : { start, source: sources.unit };
    this.#charAtom = start;
    const dot = intersect(set, ANY_BUT_NEWLINE);
    if (dot.length === 4 && dot[1] === 9 && dot[2] === 11 && this.#groupCrosses.length === 1) {
      this.#dotAtomStart = start; // its width counts only if no loop follows (see translate)
    } else if (intersect(set, ASTRAL).length > 0) this.#variableWidth = true; // 1 or 2 units
    this.#atom(contains(set, 10));
  }

  /** The character at the cursor (a whole code point), consumed. */
  #codePoint(): number {
    const c = this.p.codePointAt(this.#i)!;
    this.#i += c > 0xffff ? 2 : 1;
    return c;
  }

  #literal(c: number): void {
    if (c >= 0xd800 && c <= 0xdfff) untranslatable();
    const start = this.#out.length;
    this.#atom(c === 10);
    const cased = this.#fold &&
      (c < 0x80 ? /[A-Za-z]/.test(String.fromCharCode(c)) : hasCased(c, c));
    // The orbit's other characters count as much as `c` (`(?i)ā` matches Ā), the Latin-1 rule too.
    if (c >= 0x80) {
      this.#nonAscii(cased ? intersect(fold([c, c], true, this.orbit), NON_ASCII) : [c, c]);
    } else if (this.#fold && /[kKsS]/.test(String.fromCharCode(c))) {
      this.#nonAscii(intersect(fold([c, c], true), NON_ASCII));
    }
    if (cased) {
      let folded = FOLDED_LETTERS.get(c);
      if (folded === undefined) {
        FOLDED_LETTERS.set(c, folded = setSource(fold([c, c], true, this.orbit)));
      }
      this.#out += folded;
    } else if (c > 0xffff) {
      const pair = String.fromCodePoint(c);
      this.#out += `(?:${unit(pair.charCodeAt(0))}${unit(pair.charCodeAt(1))})`;
    } else {
      const ch = String.fromCharCode(c);
      if (/[\\^$.|?*+()[\]{}\/-]/.test(ch)) this.#out += "\\" + ch;
      else if (c < 0x20 || c === 0x7f) this.#out += unit(c);
      else this.#out += ch;
    }
    this.#charAtom = start;
  }

  /**
   * Every group becomes a non-capturing one: a matcher only tests lines, and V8 compiles
   * captures under choices slowly (`(a)?` 800 times: 130 ms; `(?:a)?`: see irregexpCompileMs).
   * Flags (`(?i)`, `(?-s)`) hold until the group they are in ends (past a `|` too), those of a
   * flag group (`(?i:…)`) inside it.
   */
  #group(): void {
    const p = this.p;
    const i = this.#i;
    let length = 1;
    let flags: RegExpExecArray | null = null;
    if (p[i + 1] === "?") {
      const named = /^\(\?P?<[^>]*>/.exec(p.slice(i, i + 300));
      flags = named === null
        ? /^\(\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(p.slice(i, i + 16))
        : null;
      if (named === null && flags === null) untranslatable();
      length = (named ?? flags)![0].length;
    }
    this.#i += length;
    if (flags?.[3] !== ")") {
      this.#out += "(?:";
      this.#groupCrosses.push(false);
      this.#savedFlags.push([this.#fold, this.#dotNewline, this.#multiLine]);
      this.#lastCrosses = true;
    }
    if (flags !== null) {
      // U (ungreedy) changes no line's match, so it needs nothing. A flag both set and cleared
      // (`(?i-i)`) is cleared, as in Go.
      const on = flags[1]!;
      const off = flags[2] ?? "";
      const flag = (f: string, now: boolean) => off.includes(f) ? false : on.includes(f) || now;
      this.#fold = flag("i", this.#fold);
      this.#dotNewline = flag("s", this.#dotNewline);
      this.#multiLine = flag("m", this.#multiLine);
    }
  }

  /**
   * `{n}`, `{n,}`, `{n,m}` repeat (no leading zeros, as in Go); anything else is a literal. A
   * character repeated a fixed number of times is written that many times: irregexp runs `{n}` as
   * a counted loop, 3 to 100 times slower (`\w{8}:` and `[0-9a-f]{6}\.` even backtrack into V8's
   * linear engine), and a literal written out is a literal (`x{3}`: `xxx`).
   */
  #brace(charAtom: number | null): void {
    const m = /^\{(?:0|[1-9]\d*)(?:,(?:0|[1-9]\d*)?)?\}/.exec(this.p.slice(this.#i, this.#i + 20));
    const times = m === null ? null : /^\{(\d+)(?:,\1)?\}$/.exec(m[0]);
    const n = times === null ? 0 : Number(times[1]);
    const atom = charAtom === null ? "" : this.#out.slice(charAtom);
    if (n >= 1 && atom !== "" && atom.length * n <= MAX_WRITTEN_OUT) {
      this.#out += atom.repeat(n - 1);
      this.#i += m![0].length;
      if (this.p[this.#i] === "?") this.#i++; // lazy: the same lines match
      return;
    }
    if (m) {
      this.#out += m[0];
      this.#i += m[0].length;
      if (!/^\{(\d+)(?:,\1)?\}$/.test(m[0])) this.#variableWidth = true;
      if (m[0].endsWith(",}")) this.#loop();
    } else {
      this.#out += "\\{";
      this.#i++;
      this.#atom(false);
    }
  }

  #escape(): void {
    const p = this.p;
    const e = p[this.#i + 1];
    if (e === undefined) untranslatable();
    if (e === "Q") {
      const end = p.indexOf("\\E", this.#i + 2);
      const stop = end < 0 ? p.length : end;
      this.#i += 2;
      while (this.#i < stop) this.#literal(this.#codePoint());
      this.#i = end < 0 ? p.length : end + 2;
      return;
    }
    const perl = PERL_CLASSES[e.toLowerCase()];
    if (perl !== undefined) {
      this.#i += 2;
      if (!this.#fold && (e === "d" || e === "w")) {
        this.#charAtom = this.#out.length;
        this.#out += "\\" + e; // ASCII in both
        this.#atom(false);
      } else {
        // JavaScript's \s also takes \v and Unicode spaces; Go's (?i)\w takes U+017F and U+212A.
        const set = this.#fold ? fold(perl, false) : perl;
        this.#set(e === e.toLowerCase() ? set : complement(set));
      }
      return;
    }
    if (e === "z") {
      this.#i += 2;
      this.#end();
      return;
    }
    const simple: Record<string, string> = { A: "^", b: "\\b", B: NOT_BOUNDARY_MARK };
    if (simple[e] !== undefined) {
      this.#out += simple[e];
      this.#i += 2;
      // \B matches after a line's "\n" (between two non-word characters), \b does not.
      if (e === "B") {
        this.#newlineSensitive = true;
        this.#asciiOnly = false;
      }
      this.#atom(false);
      return;
    }
    this.#literal(this.#escapedChar());
  }

  /** A character escape at the cursor (`\n`, `\x41`, `\x{263a}`, `\.`…), consumed. */
  #escapedChar(): number {
    const p = this.p;
    const e = p[this.#i + 1]!;
    const simple: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
    if (simple[e] !== undefined) {
      this.#i += 2;
      return simple[e];
    }
    if (e === "x") {
      const m = /^\\x(?:\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{2}))/.exec(p.slice(this.#i, this.#i + 20));
      if (m === null) untranslatable();
      this.#i += m[0].length;
      const c = parseInt(m[1] ?? m[2]!, 16);
      return c > MAX_RUNE ? untranslatable() : c;
    }
    const octal = /^\\(?:0[0-7]{0,2}|[1-7][0-7]{1,2})/.exec(p.slice(this.#i, this.#i + 4));
    if (octal !== null) { // RE2: \0 and up to two more digits, or two or three (\1 alone: refused)
      this.#i += octal[0].length;
      return parseInt(octal[0].slice(1), 8);
    }
    const c = e.charCodeAt(0);
    if (c < 0x80 && !/[0-9A-Za-z]/.test(e)) { // punctuation escapes itself
      this.#i += 2;
      return c;
    }
    return untranslatable(); // \p and whatever RE2 refused
  }

  /** A bracketed class: Go's parseClass, folded as Go folds it, emitted by setSource. */
  #class(): void {
    const p = this.p;
    this.#i++;
    const negated = p[this.#i] === "^";
    if (negated) this.#i++;
    const items: Ranges = [];
    let first = true;
    while (first || p[this.#i] !== "]") {
      if (this.#i >= p.length) untranslatable();
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(this.#i, this.#i + 12));
      if (posix) {
        const set = NAMED_CLASSES[posix[2]!];
        if (set === undefined) untranslatable();
        this.#namedClass(items, set, posix[1] === "^");
        this.#i += posix[0].length;
        continue;
      }
      if (p[this.#i] === "\\") {
        const e = p[this.#i + 1] ?? "";
        const set = PERL_CLASSES[e.toLowerCase()];
        if (set !== undefined) {
          this.#namedClass(items, set, e !== e.toLowerCase());
          this.#i += 2;
          continue;
        }
      }
      const lo = this.#classChar();
      let hi = lo;
      if (p[this.#i] === "-" && p[this.#i + 1] !== "]" && this.#i + 1 < p.length) {
        this.#i++;
        hi = this.#classChar();
      }
      items.push(...(this.#fold ? fold([lo, hi], true, this.orbit) : [lo, hi]));
    }
    this.#i++; // the closing ]
    const set = normalize(items);
    this.#set(negated ? complement(set) : set);
  }

  /** Adds a named class (Go folds it, then negates it). */
  #namedClass(items: Ranges, set: Ranges, negated: boolean): void {
    const folded = this.#fold ? fold(set, false) : set;
    items.push(...(negated ? complement(folded) : folded));
  }

  #classChar(): number {
    if (this.p[this.#i] === "\\") return this.#escapedChar();
    return this.#codePoint();
  }
}
