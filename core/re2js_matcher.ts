/**
 * re2js (a port of Go's regexp): RE2's syntax check with Go's error texts for every regex, and
 * the matcher of the regexes irregexp cannot run exactly (linear, 20–1000 MB/s, one line at a
 * time). re2js itself is loaded at the first regex (see `re2js()`).
 */
import { clip } from "./clip.ts";
import type { RE2JS } from "re2js";
import type { RegexMatcher } from "./matcher_types.ts";
import { PatternError } from "./pattern_error.ts";
import { plainVerdict } from "./re2_syntax.ts";
import { type Re2jsPattern, re2jsRewrite } from "./re2js_pattern.ts";
import { type Re2jsUnicodeInternals, useUnicode15 } from "./re2js_unicode15.ts";

/**
 * Longest pattern compiled. re2js takes 1–2 s per MB of pattern (30 ms per KB with `(?i)` and
 * large classes), and a dserver compiles on its one thread: a 1 MB pattern on the wire (the frame
 * limit) would stall every session. Go has no such limit below ~3 million instructions; real
 * patterns are far below this one.
 */
export const MAX_PATTERN_LENGTH = 16 * 1024;

/**
 * re2js, loaded at the first regex rather than at start-up: evaluating it costs ~8 ms, which a
 * run that never compiles a regex (a literal `dgrep ERROR`, `dcat`) need not pay.
 * `compileRegex` must stay synchronous, so the first use evaluates the package's CommonJS build,
 * read synchronously from where the import map resolves it (`--allow-read`, as every program
 * has); re2js_unicode15.ts then makes its parser read Unicode as Go does. `preloadRe2js` loads it
 * ahead.
 */
interface Re2js {
  readonly RE2JS: typeof RE2JS;
  /**
   * RE2's parser alone (re2js's internal `Parser.parse` with Go's Perl flags), when the build
   * has it: it finds every error `RE2JS.compile` reports in a fifth of the time (~1.5 ms for
   * the first pattern rather than ~10), and a matcher on irregexp needs no re2js program.
   */
  readonly parse: ((pattern: string) => void) | null;
  /** Go's `unicode.SimpleFold` (re2js's, read as Unicode 15.0), when the build has it. */
  readonly simpleFold: ((r: number) => number) | null;
}

let re2jsModule: Re2js | null = null;

/** Makes `RE2JS` the copy this thread uses (no-op when one is already in use). */
function installRe2js(module: { RE2JS: typeof RE2JS }): void {
  re2jsModule ??= { RE2JS: module.RE2JS, parse: null, simpleFold: null };
}

/**
 * Loads re2js ahead of the first regex; where its build cannot be read (no read permission, which
 * every program has), by a regular import, whose copy reads Unicode 17.0 (re2js_unicode15.ts).
 */
export async function preloadRe2js(): Promise<void> {
  if (re2jsModule !== null) return;
  try {
    re2js();
  } catch {
    installRe2js(await import("re2js"));
  }
}

function re2js(): Re2js {
  if (re2jsModule !== null) return re2jsModule;
  const url = re2jsBuildUrl();
  let source: string;
  try {
    source = Deno.readTextFileSync(url);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot load re2js from ${url.href} (${why}): see preloadRe2js`);
  }
  const exports: Record<string, unknown> = {};
  const internals = "\n;exports.dtailParse = typeof Parser === 'function' && " +
    "typeof RE2Flags === 'function' ? (p) => { Parser.parse(p, RE2Flags.PERL); } : null;" +
    "exports.dtailUnicode = typeof Parser === 'function' && typeof Unicode === 'function' && " +
    "typeof UnicodeRangeTable === 'function' ? { Parser, Unicode, UnicodeRangeTable } : null;";
  // Strict, as the package's ES module is: its matching ran ~7% slower as sloppy code.
  new Function("exports", `"use strict";${source}${internals}\n//# sourceURL=${url.href}`)(exports);
  const parse = exports.dtailParse;
  const unicode = exports.dtailUnicode as Re2jsUnicodeInternals | null;
  if (!hasUnicodeInternals(unicode)) {
    throw new Error(`re2js at ${url.href} lacks the internals core/re2js_unicode15.ts needs`);
  }
  useUnicode15(unicode);
  re2jsModule = {
    RE2JS: exports.RE2JS as typeof RE2JS,
    parse: typeof parse === "function" ? parse as (pattern: string) => void : null,
    simpleFold: (r) => unicode.Unicode.simpleFold(r),
  };
  return re2jsModule;
}

/**
 * The code points `(?i)` makes `c` match, as Go's regexp folds (its orbit under
 * `unicode.SimpleFold`, Unicode 15.0); null where re2js's internals are not at hand.
 */
export function foldOrbit(c: number): number[] | null {
  const simpleFold = re2js().simpleFold;
  if (simpleFold === null) return null;
  const orbit = [c];
  for (let r = simpleFold(c); r !== c && orbit.length <= MAX_ORBIT; r = simpleFold(r)) {
    orbit.push(r);
  }
  return orbit.length > MAX_ORBIT ? null : orbit;
}

/** Longest fold orbit taken (Unicode's have up to 4 code points). */
const MAX_ORBIT = 16;

function hasUnicodeInternals(u: Re2jsUnicodeInternals | null): u is Re2jsUnicodeInternals {
  return typeof u?.Parser?.unicodeTable === "function" &&
    typeof u.Unicode?.simpleFold === "function";
}

/** The re2js this thread runs (loaded now if it was not). */
export function re2jsInUse(): { readonly RE2JS: typeof RE2JS } {
  return re2js();
}

/**
 * re2js's CommonJS build (no imports of its own): beside the ES module the import map resolves
 * (.../re2js/build/index.js → index.cjs); in a bundle (make dist), which has no import map,
 * `re2js.cjs` beside the bundle.
 */
function re2jsBuildUrl(): URL {
  let resolved: string | null = null;
  try {
    resolved = import.meta.resolve("re2js");
  } catch {
    // not resolvable: a bundle
  }
  return resolved !== null && resolved.startsWith("file:")
    ? new URL("index.cjs", resolved)
    : new URL("./re2js.cjs", import.meta.url);
}

/**
 * Throws a PatternError unless RE2 accepts the pattern (see compileRe2). A pattern of the plain
 * subset needs no re2js for that (re2_syntax.ts).
 */
export function checkPattern(pattern: string): void {
  if (pattern.length <= MAX_PATTERN_LENGTH) {
    const verdict = plainVerdict(pattern);
    if (verdict === "plain") return;
    if (verdict === "too deep") {
      // What re2js would say, after a time quadratic in the depth (re2_syntax.ts, TOO_DEEP).
      const why = goReason("error parsing regexp: expression nests too deeply", pattern);
      throw new PatternError(patternRefusal(pattern, why));
    }
  }
  const { parse } = re2js();
  if (parse === null) compileRe2(pattern);
  else rethrowAsPatternError(pattern, (p) => parse(p));
}

export function compileRe2(pattern: string): RE2JS {
  const { RE2JS } = re2js();
  return rethrowAsPatternError(pattern, (p) => RE2JS.compile(p));
}

/**
 * Runs `fn` on the pattern as re2js takes it (see re2jsRewrite); a PatternError with Go's
 * reason for what it throws.
 */
function rethrowAsPatternError<T>(pattern: string, fn: (re2jsPattern: string) => T): T {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new PatternError(
      `invalid regular expression of ${pattern.length} characters: longer than ${MAX_PATTERN_LENGTH}`,
    );
  }
  const rewritten = re2jsRewrite(pattern);
  try {
    return fn(rewritten.text);
  } catch (err) {
    const why = goReason(err instanceof Error ? err.message : String(err), pattern, rewritten);
    throw new PatternError(patternRefusal(pattern, why.replace(/\n/g, "\\n")));
  }
}

/** V8's message for a RangeError of a full stack. */
const STACK_OVERFLOW = "Maximum call stack size exceeded";

/**
 * Go's text for an error of re2js: Go quotes the whole pattern after "expression too large" and
 * "expression nests too deeply", and an empty one after a trailing backslash; a part of a
 * rewritten pattern (see re2jsRewrite) is quoted as it was written.
 */
function goReason(why: string, pattern: string, rewritten?: Re2jsPattern): string {
  // re2js's parser recurses as deep as the pattern nests, and can run out of stack before its
  // own limit of 1,000 levels says so.
  if (why === STACK_OVERFLOW) why = "error parsing regexp: expression nests too deeply";
  if (/: (?:expression too large|expression nests too deeply)$/.test(why)) {
    return `${why}: \`${pattern}\``;
  }
  if (why.endsWith(": trailing backslash at end of expression")) return why + ": ``";
  const quoted = /: `([^]*)`$/.exec(why);
  if (rewritten !== undefined && rewritten.text !== pattern && quoted !== null) {
    const at = rewritten.text.indexOf(quoted[1]!);
    if (at >= 0) {
      const quote = pattern.slice(
        rewritten.original(at),
        rewritten.original(at + quoted[1]!.length),
      );
      return why.slice(0, quoted.index) + `: \`${quote}\``;
    }
  }
  return why;
}

/**
 * The re2js matcher of a regex, whatever engine `compileRegex` would pick: what a matcher with
 * `engine` "re2js" runs (the regex pool's workers match with it). Throws like compileRegex.
 */
export function compileRe2jsMatcher(
  pattern: string,
  options: { readonly withNewline?: boolean } = {},
): RegexMatcher {
  return new Re2jsMatcher(pattern, compileRe2(pattern), options.withNewline ?? false);
}

/**
 * Runs on re2js, one line at a time (so ^, $, \A and \z anchor at the line), with its "\n"
 * `withNewline`.
 */
export class Re2jsMatcher implements RegexMatcher {
  readonly kind = "regex";
  readonly engine = "re2js";
  #re: RE2JS | null;

  /** Without `re`, the (checked) pattern is compiled at the first match: maybe never here. */
  constructor(readonly pattern: string, re: RE2JS | null = null, readonly withNewline = false) {
    this.#re = re;
  }

  get #compiled(): RE2JS {
    return this.#re ??= compileRe2(this.pattern);
  }

  findLine(text: string, from: number): number {
    const nl = this.withNewline ? 1 : 0;
    while (from < text.length) {
      let end = text.indexOf("\n", from);
      if (end < 0) end = text.length - nl;
      if (this.#compiled.test(text.slice(from, end + nl))) return from;
      from = end + 1;
    }
    return -1;
  }

  test(line: string): boolean {
    return this.#compiled.test(line);
  }
}

/** Patterns and reasons are quoted up to these lengths (a reason of RE2 quotes the pattern too). */
const QUOTED_PATTERN = 120;
const QUOTED_REASON = 240;

/** The one-line refusal of `pattern` for RE2's reason `why`. */
export function patternRefusal(pattern: string, why: string): string {
  return `invalid regular expression ${JSON.stringify(clip(pattern, QUOTED_PATTERN))}: ${
    clip(why, QUOTED_REASON)
  }`;
}
