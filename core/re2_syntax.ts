/**
 * A quick proof that RE2 accepts a pattern, so that the common patterns (`[0-9]+ms`,
 * `ERROR|WARN`, `id=\d{4}`, `foo.*bar`, `(?i)error`, `(?P<lvl>WARN|ERROR)`) need not load
 * re2js (~10 ms at the first regex of a process) only to hear that they are fine. It accepts a
 * strict subset of RE2's syntax and says nothing about the rest: a pattern outside it is checked
 * by re2js itself, which gives RE2's error message when there is one.
 */

const META = new Set([..."\\.+*?()|[]{}^$"]);
/** Escapes of a character or a class that RE2 takes anywhere, in a class too. */
const CLASS_ESCAPES = new Set([..."dDsSwWntrf"]);
/** Zero-width escapes (outside classes only). */
const ASSERTION_ESCAPES = new Set([..."bB"]);
const MAX_DEPTH = 100;
/** Loose mode's nesting: RE2 refuses more (and re2js finds that at once). */
const LOOSE_MAX_DEPTH = 1000;
/**
 * RE2 factors the common start of adjacent alternation branches a level at a time: a run of
 * literal characters is one level, a character class (`.`, `[a-z]`, `\d`, a single character) or
 * a fixed repeat of one (`x{3}`) another, and it stops at anything else. `.{5000}X|.{5000}` is
 * 5,000 levels, and RE2 refuses more than 1,000 ("expression nests too deeply"). re2js's parser
 * takes time quadratic in those levels (1 s for 8,000): a pattern past TOO_DEEP is refused here,
 * one up to PLAIN_DEPTH is certainly accepted, and re2js decides the rest (at most ~0.1 s).
 */
const PLAIN_DEPTH = 500;
const TOO_DEEP = 1100;
/** Counted repeats: each count and their sum (RE2's limit per repeat is 1000). */
const MAX_COUNT = 100;
const MAX_COUNTS = 1000;
/**
 * The pattern's length times its largest count: a bound of RE2's size of a pattern, kept far
 * below re2js's limit (1,398,101; "expression too large"), which re2js checks.
 */
const MAX_SIZE = 200_000;
/** `(?flags)` or `(?flags:` as RE2 takes them: letters, and after one `-` at least one more. */
const FLAGS = /^\(\?[imsU]*(?:-[imsU]+)?[:)]/;
/** `(?P<name>` or `(?<name>` with a valid name (Go since 1.22 takes a name used twice). */
const NAMED = /^\(\?P?<[0-9A-Za-z_]+>/;

/** True only when RE2 (Go's regexp/syntax) certainly accepts `pattern`. */
export function isPlainRe2(pattern: string): boolean {
  return plainVerdict(pattern) === "plain";
}

/**
 * "plain": RE2 certainly accepts the pattern; "too deep": it certainly refuses it, nesting the
 * factored alternation too deeply (see TOO_DEEP); "unknown": re2js decides.
 */
export function plainVerdict(pattern: string): "plain" | "too deep" | "unknown" {
  const parser = new PlainParser(pattern, false);
  if (!parser.ok()) {
    // Outside the plain subset (`\pL`, `\x{…}`, `[[:alpha:]]`…) the depth still counts: re2js
    // would take up to a second to find it too deep.
    const loose = new PlainParser(pattern, true);
    return loose.ok() && loose.factorDepth > TOO_DEEP ? "too deep" : "unknown";
  }
  if (parser.factorDepth > TOO_DEEP) return "too deep";
  return parser.factorDepth <= PLAIN_DEPTH ? "plain" : "unknown";
}

/** How RE2's factoring treats a piece of a branch (see TOO_DEEP); `text` is its source. */
interface Piece {
  readonly kind: "literal" | "class" | "other";
  readonly text: string;
}

/** The levels RE2's factoring nests for two adjacent branches. */
function factoredLevels(a: readonly Piece[], b: readonly Piece[]): number {
  let levels = 0;
  let i = 0;
  const same = (j: number) => j < a.length && j < b.length && a[j]!.text === b[j]!.text;
  while (same(i)) {
    const kind = a[i]!.kind;
    if (kind === "other") break;
    levels++;
    i++;
    if (kind === "literal") { while (same(i) && a[i]!.kind === "literal") i++; }
  }
  return levels;
}

/**
 * The plain subset's parser. `loose`: any pattern whose groups and classes are balanced, to count
 * the factoring depth only; what it does not know is a piece that stops the factoring (`other`),
 * so that the depth it finds is never more than RE2's.
 */
class PlainParser {
  #i = 0;
  #counts = 0;
  /** The flags in effect (`withFlags`): set by `(?i)` to the end of the group. */
  #flags = "";

  constructor(private readonly p: string, private readonly loose: boolean) {}

  #maxCount = 1;
  /** Where the pattern's last `:]` is: a `[:` after it opens no named class. */
  #lastColonClose: number | null = null;
  /** The deepest factoring of adjacent branches, with the groups around them. */
  factorDepth = 0;

  ok(): boolean {
    try {
      this.#alternation(0);
      if (this.loose) return this.#i === this.p.length;
      return this.#i === this.p.length && this.p.length * this.#maxCount <= MAX_SIZE;
    } catch {
      return false;
    }
  }

  #alternation(depth: number): void {
    if (depth > (this.loose ? LOOSE_MAX_DEPTH : MAX_DEPTH)) fail();
    let last = this.#sequence(depth, true);
    while (this.p[this.#i] === "|") {
      this.#i++;
      const next = this.#sequence(depth, false);
      this.factorDepth = Math.max(this.factorDepth, depth + factoredLevels(last, next));
      last = next;
    }
  }

  /**
   * A branch, as the pieces RE2's factoring looks at. Flags (`(?i)`) are no piece of RE2's, but
   * they change what the pieces after them are, up to the end of the group, in the next branches
   * too (relevantFlags). The plain subset takes them where they hold for all branches alike: at
   * the start of a group's first branch, or where they change nothing.
   */
  #sequence(depth: number, first: boolean): Piece[] {
    const pieces: Piece[] = [];
    for (;;) {
      const start = this.#i;
      const c = this.p[start];
      if (c === undefined || c === "|" || c === ")") return pieces;
      // `(?flags)`: flags for the rest of the group.
      const flags = c === "(" ? FLAGS.exec(this.p.slice(start, start + 20)) : null;
      if (flags !== null && flags[0].endsWith(")")) {
        const now = withFlags(this.#flags, flags[0]);
        if (!this.loose && !(first && pieces.length === 0) && now !== this.#flags) fail();
        this.#flags = now;
        this.#i += flags[0].length;
        continue;
      }
      const kind = this.#atomKind(c);
      const repeatable = this.#atom(depth);
      const atomEnd = this.#i;
      const quantified = this.#quantifier();
      if (quantified && !repeatable) fail();
      // The flags in effect are part of what a piece is (`a` and `(?i)a` are not the same).
      const source = this.p.slice(start, this.#i);
      const text = relevantFlags(this.#flags, source, atomEnd - start) + "\0" + source;
      const fixed = /^\{(\d+)\}\??$/.test(this.p.slice(atomEnd, this.#i));
      pieces.push({
        kind: kind === "other" || (quantified && !fixed)
          ? "other"
          : quantified || kind === "class"
          ? "class"
          : "literal",
        text,
      });
    }
  }

  /** What an atom starting with `c` is to RE2's factoring, unquantified. */
  #atomKind(c: string): Piece["kind"] {
    if (c === "." || c === "[") return "class";
    if (c === "\\") {
      const e = this.p[this.#i + 1]!;
      if (this.loose && !isPunctuation(e) && !CLASS_ESCAPES.has(e)) return looseEscapeKind(e);
      return ASSERTION_ESCAPES.has(e) ? "other" : CLASS_ESCAPES.has(e) ? "class" : "literal";
    }
    return c === "(" || c === "^" || c === "$" ? "other" : "literal";
  }

  /** Parses one atom; false for an assertion (`^`, `$`, `\b`), which takes no repeat here. */
  #atom(depth: number): boolean {
    const p = this.p;
    const c = p[this.#i]!;
    if (c === "^" || c === "$") {
      this.#i++;
      return false;
    }
    if (c === ".") {
      this.#i++;
      return true;
    }
    if (c === "(") return this.#group(depth);
    if (c === "[") return this.#class();
    if (c === "\\") {
      const e = p[this.#i + 1];
      if (e === undefined) fail();
      this.#i += 2;
      if (ASSERTION_ESCAPES.has(e)) return false;
      if (CLASS_ESCAPES.has(e) || isPunctuation(e)) return true;
      if (!this.loose) fail();
      return this.#looseEscape(e);
    }
    if (this.loose && (c === "{" || c === "}" || c === "]")) {
      this.#i++; // a literal in RE2 where no count follows; an error otherwise, said by re2js
      return true;
    }
    if (META.has(c)) fail(); // a repeat with nothing to repeat, a stray "]", "{" or "}"
    this.#char();
    return true;
  }

  /** A group, or flags (`(?i)`: not repeatable). */
  #group(depth: number): boolean {
    const outer = this.#flags;
    let inner = outer;
    if (this.p[this.#i + 1] === "?") {
      const head = this.p.slice(this.#i, this.#i + 300);
      const flags = FLAGS.exec(head);
      const m = flags ?? NAMED.exec(head) ?? (this.loose ? LOOSE_GROUP.exec(head) : null);
      if (m === null) fail(); // lookarounds, bad flags or names…: re2js decides
      this.#i += m[0].length;
      if (m[0].endsWith(")")) return false;
      if (flags !== null) inner = withFlags(outer, flags[0]); // `(?i:…)`
    } else this.#i++;
    const before = this.#counts;
    this.#flags = inner;
    this.#alternation(depth + 1);
    this.#flags = outer;
    if (this.p[this.#i] !== ")") fail();
    this.#i++;
    // A counted repeat of a group holding counted repeats multiplies them: re2js decides.
    if (this.p[this.#i] === "{" && this.#counts !== before && !this.loose) fail();
    return true;
  }

  /** After `\e` in loose mode: what RE2 takes it for, consumed whole. */
  #looseEscape(e: string): boolean {
    const p = this.p;
    if (e === "A" || e === "z") return false;
    if ((e === "p" || e === "P" || e === "x") && p[this.#i] === "{") {
      const close = p.indexOf("}", this.#i);
      if (close < 0) fail();
      this.#i = close + 1;
    } else if (e === "p" || e === "P") this.#i++;
    else if (e === "x") this.#i += 2;
    else if (e === "Q") {
      const close = p.indexOf("\\E", this.#i);
      this.#i = close < 0 ? p.length : close + 2;
    }
    return true;
  }

  /** A class in loose mode: to its closing `]`, over escapes and `[:name:]`. */
  #looseClass(): boolean {
    const p = this.p;
    this.#i++;
    if (p[this.#i] === "^") this.#i++;
    if (p[this.#i] === "]") this.#i++;
    for (;;) {
      const c = p[this.#i];
      if (c === undefined) fail();
      if (c === "]") break;
      if (c === "\\") {
        const e = p[this.#i + 1];
        this.#i += 2;
        if (e !== undefined && !isPunctuation(e) && !CLASS_ESCAPES.has(e)) this.#looseEscape(e);
      } else if (c === "[" && p[this.#i + 1] === ":") {
        this.#lastColonClose ??= p.lastIndexOf(":]");
        const close = this.#lastColonClose < this.#i + 2 ? -1 : p.indexOf(":]", this.#i + 2);
        this.#i = close < 0 ? this.#i + 1 : close + 2;
      } else this.#i++;
    }
    this.#i++;
    return true;
  }

  #class(): boolean {
    if (this.loose) return this.#looseClass();
    const p = this.p;
    this.#i++;
    if (p[this.#i] === "^") this.#i++;
    if (p[this.#i] === "]") fail(); // `[]a]`: re2js decides
    let items = 0;
    while (p[this.#i] !== "]") {
      const c = p[this.#i];
      if (c === undefined || c === "[" || c === "-") fail();
      if (c === "\\") {
        const e = p[this.#i + 1];
        if (e === undefined || !(CLASS_ESCAPES.has(e) || isPunctuation(e))) fail();
        this.#i += 2;
      } else {
        const lo = this.#char();
        if (p[this.#i] === "-" && p[this.#i + 1] !== "]") {
          this.#i++;
          const next = p[this.#i];
          if (next === undefined || next === "\\" || next === "[" || next === "-") fail();
          if (this.#char() < lo) fail();
        }
      }
      items++;
    }
    if (items === 0) fail();
    this.#i++;
    return true;
  }

  /** A repeat operator, if one follows (with its `?` for non-greedy). */
  #quantifier(): boolean {
    const p = this.p;
    const c = p[this.#i];
    if (c === "*" || c === "+" || c === "?") this.#i++;
    else if (c === "{") {
      const m = /^\{(0|[1-9]\d{0,2})(,(0|[1-9]\d{0,2})?)?\}/.exec(p.slice(this.#i, this.#i + 12));
      if (m === null && this.loose) return false; // a literal "{" in RE2 (the next atom)
      if (m === null) fail(); // a literal "{" in RE2: re2js decides
      const min = Number(m[1]);
      const max = m[3] === undefined ? min : Number(m[3]);
      if (!this.loose && (min > MAX_COUNT || max > MAX_COUNT || max < min)) fail();
      this.#counts += Math.max(min, max);
      this.#maxCount = Math.max(this.#maxCount, min, max);
      if (this.#counts > MAX_COUNTS && !this.loose) fail();
      this.#i += m[0].length;
    } else return false;
    if (p[this.#i] === "?") this.#i++;
    const next = p[this.#i];
    if (next === "*" || next === "+" || next === "?" || next === "{") {
      if (!this.loose) fail(); // `a**`
      this.#quantifier();
    }
    return true;
  }

  /** One literal character (a whole code point); its code. */
  #char(): number {
    const c = this.p.codePointAt(this.#i)!;
    if (c >= 0xd800 && c <= 0xdfff) fail(); // a lone surrogate
    this.#i += c > 0xffff ? 2 : 1;
    return c;
  }
}

/** The flags in effect after `(?spec)` or `(?spec:` (as FLAGS takes them), as sorted letters. */
function withFlags(flags: string, spec: string): string {
  const [on = "", off = ""] = spec.slice(2, -1).split("-");
  const set = new Set([...flags, ...on]);
  for (const f of off) set.delete(f);
  return [...set].sort().join("");
}

/**
 * The flags that make a difference to a piece: all of them, except for `.` (only `s`) and `\d`
 * (none), and `U` where either is repeated. A flag dropped here must change nothing of the piece
 * in RE2's tree (`(?i)\w` does: it takes `ſ` and the Kelvin sign).
 */
function relevantFlags(flags: string, source: string, atomLength: number): string {
  const atom = source.slice(0, atomLength);
  if (atom !== "." && atom !== "\\d" && atom !== "\\D") return flags;
  const repeated = source.length > atomLength;
  let kept = "";
  for (const f of flags) {
    if ((f === "s" && atom === ".") || (f === "U" && repeated)) kept += f;
  }
  return kept;
}

/** What RE2 makes of an escape the plain subset does not take (loose mode). */
function looseEscapeKind(e: string): Piece["kind"] {
  if (e === "p" || e === "P") return "class";
  if (e === "x" || e === "Q" || (e >= "0" && e <= "7")) return "literal";
  return "other";
}

/** A group head the plain subset does not take (loose mode): `(?` and what precedes `:` or `)`. */
const LOOSE_GROUP = /^\(\?[^:)(]*[:)]?/;

function isPunctuation(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 0x80 && c.length === 1 && !/[0-9A-Za-z\s]/.test(c) && code > 0x20 && code < 0x7f;
}

function fail(): never {
  throw NOT_PLAIN;
}

const NOT_PLAIN = new Error("not a plain RE2 pattern");
