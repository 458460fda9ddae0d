/**
 * Line matchers: a literal fast path and RegExp (§3.5). Both search a whole multi-line text and
 * report the next matching line, which is how V8 filters fastest (see docs/performance.md).
 */

export class PatternError extends Error {
  override name = "PatternError";
}

export interface Matcher {
  /** "literal", "regex" or "noop" (matches every line). */
  readonly kind: "literal" | "regex" | "noop";
  readonly pattern: string;
  /**
   * Finds the first line at or after `from` (a line start) in `text` that matches and returns its
   * start, or -1. Lines are separated by "\n".
   */
  findLine(text: string, from: number): number;
  /** Tests one line (no "\n" inside). */
  test(line: string): boolean;
}

const REGEX_META = /[.+*?^$[\]{}()|\\]/;

/** The client rule of §3.5: "", "." and ".*" match everything. */
export function isNoopPattern(pattern: string): boolean {
  return pattern === "" || pattern === "." || pattern === ".*";
}

/** The §3.5 literal rule: no regex metacharacter at all. */
export function isLiteralPattern(pattern: string): boolean {
  return !REGEX_META.test(pattern);
}

export function compileMatcher(pattern: string, options: { noopAllowed?: boolean } = {}): Matcher {
  if ((options.noopAllowed ?? true) && isNoopPattern(pattern)) return new NoopMatcher(pattern);
  if (isLiteralPattern(pattern)) return new LiteralMatcher(pattern);
  const literal = escapedLiteral(pattern);
  if (literal !== null) return new LiteralMatcher(literal);
  return new RegexMatcher(pattern);
}

/**
 * The text of a regex made only of plain characters and escaped metacharacters (`\.`, `\|`):
 * such a pattern is a literal and takes the indexOf fast path (MapReduce table filters are
 * `\|MAPREDUCE:TABLE\|`). Null for anything else.
 */
export function escapedLiteral(pattern: string): string | null {
  if (!/^(?:[^.+*?^$[\]{}()|\\]|\\[.+*?^$[\]{}()|\\/-])+$/.test(pattern)) return null;
  return pattern.replace(/\\(.)/g, "$1");
}

class NoopMatcher implements Matcher {
  readonly kind = "noop";
  constructor(readonly pattern: string) {}
  findLine(text: string, from: number): number {
    return from < text.length ? from : -1;
  }
  test(): boolean {
    return true;
  }
}

class LiteralMatcher implements Matcher {
  readonly kind = "literal";
  constructor(readonly pattern: string) {}
  findLine(text: string, from: number): number {
    // `from` at the end is past the last line (an empty pattern would "match" there forever).
    if (from >= text.length || this.pattern.includes("\n")) return -1;
    const i = text.indexOf(this.pattern, from);
    return i < 0 ? -1 : lineStartOf(text, i);
  }
  test(line: string): boolean {
    return line.includes(this.pattern);
  }
}

class RegexMatcher implements Matcher {
  readonly kind = "regex";
  readonly #global: RegExp;
  readonly #single: RegExp;
  /** A literal every match contains: candidate lines are found with indexOf first. */
  readonly #required: string | null;
  /** Anchors in multiline mode also match at "\r", U+2028, U+2029: verify such hits per line. */
  readonly #anchored: boolean;

  constructor(readonly pattern: string) {
    const { source, flags } = translateRe2(pattern);
    const required = flags === "" ? requiredLiteral(source) : null;
    this.#required = required !== null && required.length >= 3 ? required : null;
    this.#anchored = hasAnchor(source);
    try {
      // "m": ^ and $ match at line boundaries, since the text holds many lines.
      this.#global = new RegExp(source, flags + "gm");
      this.#single = new RegExp(source, flags);
    } catch (err) {
      const why = err instanceof Error
        ? err.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, "")
        : "";
      throw new PatternError(`invalid regular expression ${JSON.stringify(pattern)}: ${why}`);
    }
  }

  findLine(text: string, from: number): number {
    if (this.#required !== null) return this.#findByLiteral(text, from, this.#required);
    const re = this.#global;
    while (from < text.length) {
      re.lastIndex = from;
      const m = re.exec(text);
      if (m === null) return -1;
      const start = lineStartOf(text, m.index);
      let end = text.indexOf("\n", m.index);
      if (end < 0) end = text.length;
      // A match that runs past its line (e.g. via \s or [^x]) proves nothing about that line.
      const withinLine = m.index + m[0].length <= end && !this.#anchored;
      if (withinLine || this.#single.test(text.slice(start, end))) return start;
      from = end + 1;
    }
    return -1;
  }

  #findByLiteral(text: string, from: number, literal: string): number {
    while (from < text.length) {
      const i = text.indexOf(literal, from);
      if (i < 0) return -1;
      const start = lineStartOf(text, i);
      let end = text.indexOf("\n", i);
      if (end < 0) end = text.length;
      if (this.#single.test(text.slice(start, end))) return start;
      from = end + 1;
    }
    return -1;
  }

  test(line: string): boolean {
    return this.#single.test(line);
  }
}

/**
 * The longest run of literal characters that every match of a JavaScript regex source must
 * contain, or null. Conservative: only characters outside groups and classes count, and any
 * alternation gives up.
 */
export function requiredLiteral(source: string): string | null {
  if (/(^|[^\\])(\\\\)*\|/.test(source)) return null;
  let best = "";
  let run = "";
  const endRun = () => {
    if (run.length > best.length) best = run;
    run = "";
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    const next = source[i + 1];
    let literal: string | null = null;
    if (c === "\\") {
      i++;
      if (next !== undefined && /[.+*?^$[\]{}()|\\\/-]/.test(next)) literal = next;
      else if (next === undefined) return null;
    } else if (c === "[") {
      i = skipClass(source, i);
    } else if (c === "(") {
      i = skipGroup(source, i);
    } else if (c === "{") {
      const close = source.indexOf("}", i);
      i = close < 0 ? source.length : close; // a {n,m} quantifier: its digits are no literal
    } else if (!/[.^$*+?]/.test(c)) {
      literal = c;
    }
    const quantifier = source[i + 1];
    if (literal !== null && quantifier !== undefined && /[*?{]/.test(quantifier)) {
      literal = null; // optional atom
    }
    if (literal === null) endRun();
    else {
      run += literal;
      if (quantifier === "+") endRun(); // repeated: what follows is not adjacent
    }
  }
  endRun();
  return best === "" ? null : best;
}

function skipClass(source: string, open: number): number {
  let i = open + 1;
  if (source[i] === "^") i++;
  if (source[i] === "]") i++;
  for (; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === "]") return i;
  }
  return source.length;
}

function skipGroup(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") i = skipClass(source, i);
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return source.length;
}

function lineStartOf(text: string, i: number): number {
  return i === 0 ? 0 : text.lastIndexOf("\n", i - 1) + 1;
}

/**
 * Translates the RE2 (Go regexp) syntax that JavaScript lacks: leading inline flags `(?i)`,
 * `(?s)`, `(?m)`, `(?U)` is rejected; `(?P<name>` groups; `\A` and `\z`; POSIX classes
 * `[[:alpha:]]` inside brackets; `\Q…\E` quoting.
 */
export function translateRe2(pattern: string): { source: string; flags: string } {
  let source = pattern;
  let flags = "";
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (inline) {
    for (const f of inline[1]!) {
      // (?s) and (?m) change nothing for a single line without its "\n".
      if (f === "i") flags += f;
      else if (f !== "m" && f !== "s") {
        throw new PatternError(`unsupported regex flag (?${f}) in ${pattern}`);
      }
    }
    source = source.slice(inline[0].length);
  }
  source = source.replace(/\\Q(.*?)(?:\\E|$)/g, (_, lit: string) => escapeRegex(lit));
  source = source.replace(/\(\?P</g, "(?<");
  source = source.replace(/(^|[^\\])((?:\\\\)*)\\A/g, "$1$2^").replace(
    /(^|[^\\])((?:\\\\)*)\\z/g,
    "$1$2$",
  );
  source = source.replace(/\[\[:\^([a-z]+):\]\]/g, (whole, name: string) => {
    const cls = POSIX_CLASSES[name];
    return cls === undefined ? whole : `[^${cls}]`;
  });
  source = source.replace(/\[:(\^?)([a-z]+):\]/g, (whole, neg: string, name: string) => {
    const cls = POSIX_CLASSES[name];
    if (cls === undefined) return whole;
    return neg ? `&&NEG${cls}` : cls;
  });
  if (source.includes("&&NEG")) {
    throw new PatternError(
      `negated POSIX classes inside a larger class are not supported: ${pattern}`,
    );
  }
  if (/\\[pP]/.test(source)) {
    flags += "u"; // Unicode classes; RE2's one-letter form \pL is \p{L} in JavaScript
    source = source.replace(/(^|[^\\])((?:\\\\)*)\\([pP])([A-Za-z])/g, "$1$2\\$3{$4}");
  }
  return { source: dotsExceptNewline(source), flags };
}

/**
 * RE2's `.` matches anything but "\n"; JavaScript's also refuses "\r", U+2028 and U+2029.
 * Rewrites every `.` outside a character class as `[^\n]`.
 */
function dotsExceptNewline(source: string): string {
  let out = "";
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") {
      out += c + (source[i + 1] ?? "");
      i++;
    } else if (c === "[") {
      const end = skipClass(source, i);
      out += source.slice(i, end + 1);
      i = end;
    } else out += c === "." ? "[^\\n]" : c;
  }
  return out;
}

/** True when the source uses `^` or `$` outside a class (JS also anchors them at "\r"). */
function hasAnchor(source: string): boolean {
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") i++;
    else if (c === "[") i = skipClass(source, i);
    else if (c === "^" || c === "$") return true;
  }
  return false;
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
}
