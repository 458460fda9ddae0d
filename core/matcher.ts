/**
 * Line matchers (docs/protocol.md#regex): a literal fast path, and regexes that run in linear time
 * whatever the pattern (Go DTail uses RE2; a backtracking engine would let one pattern stall a
 * server).
 *
 * Every regex is parsed by re2js (a port of Go's regexp), so RE2's syntax and error messages
 * apply, as Go 1.25 words them (re2jsPattern, goReason); tests/re2_conformance_test.ts holds us
 * to what Go's dgrep selects (tests/testdata/re2/golden.json). Go's dgrep matches a line with
 * its "\n" (MatcherOptions.withNewline). A pattern then runs on one of two engines (see
 * `compileRegex`):
 * - irregexp (V8's RegExp), when an exact translation exists, V8 compiles it quickly (see
 *   `irregexpCompileMs`) and V8's linear engine can run it: a process started with
 *   `LINEAR_V8_FLAGS` falls back to that engine after excessive backtracking, and a guard moves
 *   a matcher that still runs slowly to re2js;
 * - re2js (linear, 20–1000 MB/s) for everything else, and for every regex when the process was
 *   started without those flags.
 * Matchers search a whole multi-line text and report the next matching line, which is how V8
 * filters fastest (see docs/performance.md). re2js itself is loaded at the first regex (see
 * `re2js()`).
 */
import type { RE2JS } from "re2js";
import { byteNeedle, type Needle } from "./byte_search.ts";
import { linePattern } from "./line_pattern.ts";
import type { ByteLiteral, MatchEngine, Matcher } from "./matcher_types.ts";
import { isNoopPattern, NoopMatcher } from "./noop_matcher.ts";
import { plainVerdict } from "./re2_syntax.ts";
import { SetupError } from "./errors.ts";

/** The V8 flags every Deno process that runs our code needs (Makefile, tests, bench). */
export const LINEAR_V8_FLAGS =
  "--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks";

export class PatternError extends SetupError {
  override name = "PatternError";
}

export type { ByteLiteral, MatchEngine, Matcher };

export interface MatcherOptions {
  /** Whether "", "." and ".*" may be a NoopMatcher (default true). */
  readonly noopAllowed?: boolean;
  /**
   * Match each line as Go DTail's snapshot reader (dgrep, dcat, dmap on files) does: with the
   * "\n" that ends it, if it has one. Then `$` and `\z` match only after that "\n" (`ERROR$`
   * selects only a last line without one), and `\n`, `\s`, `[^x]` and `(?s).` match it
   * (`(?m)^$` selects every line that has one). Without it (default), a line is matched without
   * its "\n", as Go's follow reader (dtail) does, and as any string (a path) is matched.
   */
  readonly withNewline?: boolean;
}

const REGEX_META = /[.+*?^$[\]{}()|\\]/;

export { isNoopPattern };

/** The docs/protocol.md#regex literal rule: no regex metacharacter at all. */
export function isLiteralPattern(pattern: string): boolean {
  return !REGEX_META.test(pattern);
}

export function compileMatcher(pattern: string, options: MatcherOptions = {}): Matcher {
  if ((options.noopAllowed ?? true) && isNoopPattern(pattern)) return new NoopMatcher(pattern);
  const withNewline = options.withNewline ?? false;
  if (isLiteralPattern(pattern)) return new LiteralMatcher(pattern, withNewline);
  const literal = escapedLiteral(pattern);
  if (literal !== null) return new LiteralMatcher(literal, withNewline);
  return compileRegex(pattern, { withNewline });
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

class LiteralMatcher implements Matcher {
  readonly kind = "literal";
  readonly engine = "indexOf";
  /** Whether no line can hold the text: it has a "\n", and not only at its end withNewline. */
  readonly #never: boolean;
  readonly byteLiteral: ByteLiteral | null;
  constructor(readonly pattern: string, readonly withNewline = false) {
    const nl = pattern.indexOf("\n");
    this.#never = nl >= 0 && (!withNewline || nl !== pattern.length - 1);
    const needle = this.#never ? null : byteNeedle(pattern);
    this.byteLiteral = needle === null ? null : { needle, exact: true };
  }
  findLine(text: string, from: number): number {
    // `from` at the end is past the last line (an empty pattern would "match" there forever).
    // A text ending in "\n" found in the text ends with the "\n" of the line it starts in.
    if (from >= text.length || this.#never) return -1;
    const i = text.indexOf(this.pattern, from);
    return i < 0 ? -1 : lineStartOf(text, i);
  }
  test(line: string): boolean {
    return line.includes(this.pattern);
  }
}

let linearEngine: boolean | undefined;
/** RegExp's flag for V8's linear engine, which exists only with LINEAR_V8_FLAGS. */
const LINEAR_FLAG = "l";

/**
 * True when V8 was started with `LINEAR_V8_FLAGS`: the `l` flag exists, and a run that backtracks
 * too much finishes on the linear engine (the probe takes ~0.2 ms then; without the second flag
 * its 2^23 backtracking steps take ~75 ms). Checked once, at the first regex.
 */
export function linearEngineAvailable(): boolean {
  if (linearEngine === undefined) {
    linearEngine = false;
    try {
      new RegExp("a", LINEAR_FLAG);
      const probe = /(a+)+b/;
      const subject = "a".repeat(23);
      for (let attempt = 0; attempt < 2 && !linearEngine; attempt++) {
        const t0 = performance.now();
        probe.test(subject);
        linearEngine = performance.now() - t0 < 8;
      }
    } catch {
      // no `l` flag: started without the flags
    }
  }
  return linearEngine;
}

/** A compiled regex: a Matcher over lines, also usable on any one string with `test`. */
export type RegexMatcher = Matcher & { readonly kind: "regex" };

/**
 * Compiles a regex from a user, the wire or a config file: RE2 syntax, linear time. Throws a
 * PatternError with RE2's reason for a pattern Go would reject (lookarounds, backreferences…).
 */
export function compileRegex(
  pattern: string,
  options: { readonly withNewline?: boolean } = {},
): RegexMatcher {
  checkPattern(pattern);
  const withNewline = options.withNewline ?? false;
  // Which lines match is all that counts: a leading or trailing loop is cut (line_pattern.ts).
  const translation = pattern.length <= MAX_IRREGEXP_PATTERN
    ? irregexpTranslation(linePattern(pattern))
    : null;
  if (
    translation !== null && linearEngineAvailable() &&
    (!withNewline || !translation.newlineSensitive || translation.newlineExact)
  ) {
    // Where the "\n" changes nothing, the line-mode sources serve (see IrregexpMatcher).
    const global = withNewline && translation.newlineSensitive
      ? translation.newlineGlobalSource
      : translation.globalSource;
    const sources = global === translation.source ? [global] : [translation.source, global];
    if (
      sources.every((source) =>
        irregexpCompileMs(source, MAX_IRREGEXP_COMPILE_MS) <= MAX_IRREGEXP_COMPILE_MS
      ) &&
      linearCapable(translation.source, global)
    ) {
      try {
        return new IrregexpMatcher(pattern, translation, withNewline);
      } catch {
        // V8 refuses it after all ("Regular expression too large"…)
      }
    }
  }
  return new Re2jsMatcher(pattern, null, withNewline);
}

/**
 * Longest pattern compiled. re2js takes 1–2 s per MB of pattern (30 ms per KB with `(?i)` and
 * large classes), and a dserver compiles on its one thread: a 1 MB pattern on the wire (the frame
 * limit) would stall every session. Go has no such limit below ~3 million instructions; real
 * patterns are far below this one.
 */
export const MAX_PATTERN_LENGTH = 16 * 1024;
/** Longest pattern given to irregexp: V8 compiles some large ones slowly (3 s for 64 KB). */
const MAX_IRREGEXP_PATTERN = 4096;

/**
 * The most V8 may be expected to spend compiling a source for irregexp (its estimate,
 * `irregexpCompileMs`); costlier sources run on re2js. V8 compiles on the main thread, at the
 * first run on Latin-1 text and again on two-byte text, for `#global` and `#single`, and once
 * more for each when it tiers up to native code: up to 8 compiles of ~this much each.
 */
export const MAX_IRREGEXP_COMPILE_MS = 10;

/**
 * An estimate of V8's time (ms, on a 2024 x86 core) to compile a source for irregexp, from its
 * structure. What costs is V8's look-ahead analysis (Boyer–Moore and quick checks), which at each
 * choice walks every path through the pattern until 8 characters are consumed: a chain of
 * optional atoms (`z?z?…`, `(?:a|)`, `[ab]?`, `x{0,3}`) has C(n, 8)-many such paths, and 100 of
 * them took V8 17–60 s (fuzz seeds 539955457 and 2335981035; Latin-1 text needs more look-ahead
 * than two-byte text). A loop (`*`, `+`, `{n,}`, a count over 3) is entered once per walk, so
 * it multiplies nothing. The estimate is 3e-5 ms per path plus 0.02 ms per alternative and 2e-3
 * ms per atom (measured on 40 families of patterns up to 16 KB, both text widths, bytecode and
 * native code: it exceeded the worst measured time by 1–10^6, and fell short of it by at most
 * 2.2×, on chains of optional strings). An assertion (`^`, `\b`) costs as much as an
 * alternative. Ordinary patterns estimate at 0.05–1 ms. Infinity for groups nested more than
 * MAX_ESTIMATE_DEPTH deep. Once the estimate is known to exceed `limit`, a lower bound of it
 * above `limit` is returned (faster: a 300 KB source takes ~100 ms to estimate in full).
 */
export function irregexpCompileMs(source: string, limit = Infinity): number {
  const parser = new SourceParser(source);
  const root = parser.parse();
  if (root === null) return Infinity;
  // Without the paths, a lower bound: enough when it is over the limit already.
  const bound = estimateMs(0, parser.choices, parser.atoms);
  if (bound > limit) return bound;
  countPaths(root);
  const cost = { paths: 0, choices: 0, atoms: 0 };
  visitCost(root, LOOKAHEAD_ONES, 1, cost);
  return estimateMs(cost.paths, cost.choices, cost.atoms);
}

function estimateMs(paths: number, choices: number, atoms: number): number {
  return 3e-5 * paths + 0.02 * choices + 2e-3 * atoms;
}

/** Characters V8 looks ahead at most (kMaxLookaheadForBoyerMoore), and the paths' cap. */
const LOOKAHEAD = 8;
const PATH_CAP = 1e30;
const MAX_ESTIMATE_DEPTH = 200;

/**
 * Path counts by look-ahead window, k = 0…LOOKAHEAD. For a node: `exact[j]`, the paths through
 * it that consume exactly j < LOOKAHEAD characters; `cut[k]`, the paths that fill a window of k
 * characters (or end) inside it. For a continuation: `[k]`, the paths from there for k characters.
 */
type Counts = number[];

const zeros = (): Counts => new Array<number>(LOOKAHEAD + 1).fill(0);
const LOOKAHEAD_ONES: Counts = zeros().fill(1);

interface CostNode {
  readonly kind: "atom" | "assertion" | "seq" | "alt" | "repeat";
  readonly items: CostNode[];
  readonly min: number;
  readonly max: number;
  exact: Counts;
  cut: Counts;
  nullable: boolean;
}

const NO_COUNTS: Counts = [];

function costNode(kind: CostNode["kind"], items: CostNode[] = [], min = 1, max = 1): CostNode {
  return { kind, items, min, max, exact: NO_COUNTS, cut: NO_COUNTS, nullable: false };
}

/** Parses the sources Translator emits (and plain JavaScript regex syntax like them). */
class SourceParser {
  /** Alternatives, repeats and assertions, and atoms (each once, however often V8 copies it). */
  choices = 0;
  atoms = 0;
  #i = 0;
  #depth = 0;
  constructor(private readonly s: string) {}

  /** The tree (without counts), or null when nested too deep. */
  parse(): CostNode | null {
    try {
      return this.#alternation();
    } catch (err) {
      if (err === TOO_DEEP) return null;
      throw err;
    }
  }

  #alternation(): CostNode {
    const alternatives = [this.#sequence()];
    while (this.s[this.#i] === "|") {
      this.#i++;
      alternatives.push(this.#sequence());
    }
    if (alternatives.length === 1) return alternatives[0]!;
    this.choices += alternatives.length;
    return costNode("alt", alternatives);
  }

  #sequence(): CostNode {
    const items: CostNode[] = [];
    const s = this.s;
    while (this.#i < s.length && s[this.#i] !== "|" && s[this.#i] !== ")") {
      let node = this.#atom();
      for (;;) {
        const c = s[this.#i];
        let min: number;
        let max: number;
        if (c === "?") [min, max] = [0, 1];
        else if (c === "*") [min, max] = [0, Infinity];
        else if (c === "+") [min, max] = [1, Infinity];
        else {
          const m = c === "{" ? /^\{(\d+)(,(\d*))?\}/.exec(s.slice(this.#i, this.#i + 24)) : null;
          if (m === null) break;
          min = Number(m[1]);
          max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
          this.#i += m[0].length - 1;
        }
        this.#i++;
        if (s[this.#i] === "?") this.#i++; // lazy
        node = costNode("repeat", [node], min, max);
        this.choices++;
      }
      items.push(node);
    }
    return costNode("seq", items);
  }

  #atom(): CostNode {
    const s = this.s;
    const c = s[this.#i]!;
    if (c === "(") {
      if (++this.#depth > MAX_ESTIMATE_DEPTH) throw TOO_DEEP;
      const lookbehind = s.startsWith("(?<=", this.#i) || s.startsWith("(?<!", this.#i);
      const named = !lookbehind && s.startsWith("(?<", this.#i);
      this.#i = lookbehind
        ? this.#i + 4
        : named
        ? s.indexOf(">", this.#i) + 1
        : this.#i + (s[this.#i + 1] === "?" ? 3 : 1);
      const group = this.#alternation();
      this.#i++; // ")"
      this.#depth--;
      return lookbehind ? this.#leaf("assertion") : group;
    }
    if (c === "[") {
      this.#i++;
      if (s[this.#i] === "^") this.#i++;
      if (s[this.#i] === "]") this.#i++;
      while (this.#i < s.length && s[this.#i] !== "]") this.#i += s[this.#i] === "\\" ? 2 : 1;
      this.#i++;
      return this.#leaf("atom");
    }
    if (c === "\\") {
      const e = s[this.#i + 1];
      this.#i += e === "u" ? 6 : 2;
      return this.#leaf(e === "b" || e === "B" ? "assertion" : "atom");
    }
    this.#i++;
    return this.#leaf(c === "^" || c === "$" ? "assertion" : "atom");
  }

  #leaf(kind: "atom" | "assertion"): CostNode {
    if (kind === "atom") this.atoms++;
    else this.choices++;
    return costNode(kind);
  }
}

const TOO_DEEP = new Error("nested too deep to estimate");

/**
 * How V8 builds a repeat (RegExpQuantifier::ToNode): up to 3 mandatory copies and then up to 3
 * nested optional ones are unrolled when the body cannot be empty; anything else is a loop.
 * `fixed` counts the mandatory copies a walk may pass (a counted loop's too), `optional` the
 * unrolled optional ones, `copies` the copies of the body compiled.
 */
function repeatShape(
  n: CostNode,
): { fixed: number; optional: number; loop: boolean; copies: number } {
  const { min, max } = n;
  if (max <= 1) return { fixed: min, optional: max - min, loop: false, copies: 1 };
  if (n.items[0]!.nullable) return { fixed: 0, optional: 0, loop: true, copies: 1 };
  const unrolled = min <= 3;
  const loop = !unrolled || max - min > 3;
  return {
    fixed: Math.min(min, LOOKAHEAD),
    optional: loop ? 0 : max - min,
    loop,
    copies: unrolled ? min + (loop ? 1 : max - min) : 1,
  };
}

/** Fills `exact`, `cut` and `nullable` bottom-up. */
function countPaths(n: CostNode): void {
  let exact = zeros();
  let cut = zeros();
  if (n.kind === "atom") {
    exact[1] = 1;
    cut[1] = 1;
  } else if (n.kind === "assertion") {
    exact[0] = 1;
    n.nullable = true;
  } else if (n.kind === "seq") {
    exact[0] = 1;
    n.nullable = true;
    for (const item of n.items) {
      countPaths(item);
      [exact, cut] = concat(exact, cut, item.exact, item.cut);
      n.nullable &&= item.nullable;
    }
  } else if (n.kind === "alt") {
    for (const item of n.items) {
      countPaths(item);
      for (let k = 0; k <= LOOKAHEAD; k++) {
        exact[k] = exact[k]! + item.exact[k]!;
        cut[k] = cut[k]! + item.cut[k]!;
      }
      n.nullable ||= item.nullable;
    }
  } else {
    const body = n.items[0]!;
    countPaths(body);
    const shape = repeatShape(n);
    n.nullable = shape.fixed === 0 || body.nullable;
    exact[0] = 1;
    for (let i = 0; i < shape.fixed; i++) [exact, cut] = concat(exact, cut, body.exact, body.cut);
    // Unrolled optional copies nest: (body (body (body)?)?)?
    let optExact = zeros();
    let optCut = zeros();
    optExact[0] = 1;
    for (let i = 0; i < shape.optional; i++) {
      [optExact, optCut] = concat(body.exact, body.cut, optExact, optCut);
      optExact[0] = optExact[0]! + 1;
    }
    [exact, cut] = concat(exact, cut, optExact, optCut);
    if (shape.loop) {
      // A walk enters a loop once: the body's paths end where they would go round again.
      const loopExact = zeros();
      loopExact[0] = 1;
      [exact, cut] = concat(exact, cut, loopExact, continueWith(body, LOOKAHEAD_ONES));
    }
  }
  n.exact = exact.map((v) => Math.min(v, PATH_CAP));
  n.cut = cut.map((v) => Math.min(v, PATH_CAP));
}

/** The counts of `a` followed by `b`. */
function concat(aExact: Counts, aCut: Counts, bExact: Counts, bCut: Counts): [Counts, Counts] {
  const exact = zeros();
  const cut = zeros();
  for (let k = 1; k <= LOOKAHEAD; k++) {
    let v = aCut[k]!;
    for (let i = 0; i < k; i++) v += aExact[i]! * bCut[k - i]!;
    cut[k] = v;
  }
  for (let j = 0; j < LOOKAHEAD; j++) {
    let v = 0;
    for (let i = 0; i <= j; i++) v += aExact[i]! * bExact[j - i]!;
    exact[j] = v;
  }
  return [exact, cut];
}

/** The paths from before `n` by window, given those from after it. */
function continueWith(n: CostNode, after: Counts): Counts {
  const before = zeros();
  before[0] = 1;
  for (let k = 1; k <= LOOKAHEAD; k++) {
    let v = n.cut[k]!;
    for (let j = 0; j < k; j++) v += n.exact[j]! * after[k - j]!;
    before[k] = Math.min(v, PATH_CAP);
  }
  return before;
}

/**
 * Adds up, top-down, the paths walked from each choice, the alternatives and the atoms (times
 * the copies V8 compiles of them); returns the paths from before `n`.
 */
function visitCost(
  n: CostNode,
  after: Counts,
  copies: number,
  cost: { paths: number; choices: number; atoms: number },
): Counts {
  if (n.kind === "seq") {
    let next = after;
    for (let i = n.items.length - 1; i >= 0; i--) next = visitCost(n.items[i]!, next, copies, cost);
    return next;
  }
  const before = continueWith(n, after);
  if (n.kind === "atom") cost.atoms += copies;
  else if (n.kind === "assertion") cost.choices += copies;
  else if (n.kind === "alt") {
    cost.paths += copies * before[LOOKAHEAD]!;
    cost.choices += copies * n.items.length;
    for (const item of n.items) visitCost(item, after, copies, cost);
  } else if (n.kind === "repeat") {
    const shape = repeatShape(n);
    const choices = shape.optional + (shape.loop ? 1 : 0);
    cost.paths += copies * choices * before[LOOKAHEAD]!;
    cost.choices += copies * 2 * choices;
    visitCost(n.items[0]!, after, Math.min(copies * Math.max(1, shape.copies), PATH_CAP), cost);
  }
  return before;
}

/**
 * re2js, loaded at the first regex rather than at start-up: evaluating it costs ~8 ms, which a
 * run that never compiles a regex (a literal `dgrep ERROR`, `dcat`) need not pay.
 * `compileRegex` must stay synchronous, so the first use evaluates the package's CommonJS build,
 * read synchronously from where the import map resolves it (`--allow-read`, as every program
 * has). A thread that imports re2js anyway hands its copy over with `installRe2js` (the regex
 * worker, whose hooks must see the copy its matchers run on); `preloadRe2js` imports it ahead.
 */
interface Re2js {
  readonly RE2JS: typeof RE2JS;
  /**
   * RE2's parser alone (re2js's internal `Parser.parse` with Go's Perl flags), when the build
   * has it: it finds every error `RE2JS.compile` reports in a fifth of the time (~1.5 ms for
   * the first pattern rather than ~10), and a matcher on irregexp needs no re2js program.
   */
  readonly parse: ((pattern: string) => void) | null;
}

let re2jsModule: Re2js | null = null;

/** Makes `RE2JS` the copy this thread uses (no-op when one is already in use). */
export function installRe2js(module: { RE2JS: typeof RE2JS }): void {
  re2jsModule ??= { RE2JS: module.RE2JS, parse: null };
}

/** Loads re2js ahead of the first regex, by a regular (code-cached) import. */
export async function preloadRe2js(): Promise<void> {
  if (re2jsModule === null) installRe2js(await import("re2js"));
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
    "typeof RE2Flags === 'function' ? (p) => { Parser.parse(p, RE2Flags.PERL); } : null;";
  new Function("exports", `${source}${internals}\n//# sourceURL=${url.href}`)(exports);
  const parse = exports.dtailParse;
  re2jsModule = {
    RE2JS: exports.RE2JS as typeof RE2JS,
    parse: typeof parse === "function" ? parse as (pattern: string) => void : null,
  };
  return re2jsModule;
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
function checkPattern(pattern: string): void {
  if (pattern.length <= MAX_PATTERN_LENGTH) {
    const verdict = plainVerdict(pattern);
    if (verdict === "plain") return;
    if (verdict === "too deep") {
      // What re2js would say, after a time quadratic in the depth (re2_syntax.ts, TOO_DEEP).
      const why = goReason("error parsing regexp: expression nests too deeply", pattern, pattern);
      throw new PatternError(`invalid regular expression ${JSON.stringify(pattern)}: ${why}`);
    }
  }
  const { parse } = re2js();
  if (parse === null) compileRe2(pattern);
  else rethrowAsPatternError(pattern, (p) => parse(p));
}

function compileRe2(pattern: string): RE2JS {
  const { RE2JS } = re2js();
  return rethrowAsPatternError(pattern, (p) => RE2JS.compile(p));
}

/**
 * Runs `fn` on the pattern as re2js takes it (see re2jsPattern); a PatternError with Go's
 * reason for what it throws.
 */
function rethrowAsPatternError<T>(pattern: string, fn: (re2jsPattern: string) => T): T {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new PatternError(
      `invalid regular expression of ${pattern.length} characters: longer than ${MAX_PATTERN_LENGTH}`,
    );
  }
  const renamed = re2jsPattern(pattern);
  try {
    return fn(renamed);
  } catch (err) {
    const why = goReason(err instanceof Error ? err.message : String(err), pattern, renamed);
    throw new PatternError(
      `invalid regular expression ${JSON.stringify(pattern)}: ${why.replace(/\n/g, "\\n")}`,
    );
  }
}

/** V8's message for a RangeError of a full stack. */
const STACK_OVERFLOW = "Maximum call stack size exceeded";

/**
 * Go's text for an error of re2js: Go quotes the whole pattern after "expression too large" and
 * "expression nests too deeply", and an empty one after a trailing backslash; a part of a
 * renamed pattern (see re2jsPattern) is quoted as it was.
 */
function goReason(why: string, pattern: string, renamed: string): string {
  // re2js's parser recurses as deep as the pattern nests, and can run out of stack before its
  // own limit of 1,000 levels says so.
  if (why === STACK_OVERFLOW) why = "error parsing regexp: expression nests too deeply";
  if (/: (?:expression too large|expression nests too deeply)$/.test(why)) {
    return `${why}: \`${pattern}\``;
  }
  if (why.endsWith(": trailing backslash at end of expression")) return why + ": ``";
  const quoted = /: `([^]*)`$/.exec(why);
  if (renamed !== pattern && quoted !== null) {
    const at = renamed.indexOf(quoted[1]!);
    if (at >= 0) {
      return why.slice(0, quoted.index) + `: \`${pattern.slice(at, at + quoted[1]!.length)}\``;
    }
  }
  return why;
}

/**
 * The pattern as re2js is given it: Go (since 1.22) accepts a group name used twice
 * (`(?P<n>x)|(?P<n>y)`), re2js does not, so each repeated name is replaced by an unused one of
 * the same length (names change nothing in what matches, and positions stay).
 */
export function re2jsPattern(pattern: string): string {
  if (!pattern.includes("<")) return pattern;
  const groups = namedGroups(pattern);
  const used = new Set(groups.map((g) => g.name));
  if (used.size === groups.length) return pattern;
  const seen = new Set<string>();
  let out = "";
  let last = 0;
  for (const { at, name } of groups) {
    if (!seen.has(name)) {
      seen.add(name);
      continue;
    }
    const fresh = unusedName(name.length, used);
    if (fresh === null) return pattern; // re2js says "duplicate capture group name"
    used.add(fresh);
    out += pattern.slice(last, at) + fresh;
    last = at + name.length;
  }
  return out + pattern.slice(last);
}

/**
 * The names of the named groups of a pattern, where each starts: RE2's lexical rules (`\Q…\E`,
 * escapes, classes with `[:alpha:]` and a leading `]`) tell a group from text that looks like one.
 */
function namedGroups(p: string): { at: number; name: string }[] {
  const groups: { at: number; name: string }[] = [];
  for (let i = 0; i < p.length;) {
    const c = p[i];
    if (c === "\\") {
      if (p[i + 1] === "Q") {
        const end = p.indexOf("\\E", i + 2);
        i = end < 0 ? p.length : end + 2;
      } else i += 2;
    } else if (c === "[") {
      i++;
      if (p[i] === "^") i++;
      if (p[i] === "]") i++;
      while (i < p.length && p[i] !== "]") {
        if (p[i] === "\\") i += 2;
        else if (p.startsWith("[:", i) && p.indexOf(":]", i + 2) >= 0) {
          i = p.indexOf(":]", i + 2) + 2;
        } else i++;
      }
      i++;
    } else if (c === "(") {
      const m = /^\(\?P?<([A-Za-z0-9_]+)>/.exec(p.slice(i, i + 260));
      if (m !== null) groups.push({ at: i + m[0].length - 1 - m[1]!.length, name: m[1]! });
      i++;
    } else i++;
  }
  return groups;
}

const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";

/** A group name of `length` characters not in `used`, or null when all are. */
function unusedName(length: number, used: Set<string>): string | null {
  const limit = Math.min(NAME_CHARS.length ** Math.min(length, 4), 1e5);
  for (let n = 0; n < limit; n++) {
    let name = "";
    for (let k = n, i = 0; i < length; i++, k = Math.floor(k / NAME_CHARS.length)) {
      name += NAME_CHARS[k % NAME_CHARS.length];
    }
    if (!used.has(name)) return name;
  }
  return null;
}

/** Whether V8's linear engine accepts the sources, so it bounds any backtracking. */
function linearCapable(source: string, global: string): boolean {
  try {
    new RegExp(global, "gm" + LINEAR_FLAG);
    new RegExp(source, LINEAR_FLAG);
    return true;
  } catch {
    return false;
  }
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
class Re2jsMatcher implements RegexMatcher {
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

/** Matching time that makes one guard window (summed over batches, never across a gap). */
const GUARD_WINDOW_MS = 10;
/** Below this rate (characters per millisecond: 16 MB/s) a window is slow. */
const GUARD_MIN_CHARS_PER_MS = 16_000;
/** Slow windows in a row that move a matcher to re2js (one may be a GC pause or a busy CPU)… */
const GUARD_STRIKES = 3;
/** …or one slow window this long (e.g. a 1 MB batch on V8's linear engine; no GC pause is). */
const GUARD_LONG_WINDOW_MS = 100;
/** findLine reads the clock once in 32 regex runs (and at the end of each text). */
const GUARD_RUNS_MASK = 31;
/** test() times one call in 8, picked at random so that no input can dodge the guard… */
const GUARD_SAMPLE_MASK = 7;
/** …and a timed call counts at most this long (a GC pause is not the pattern's fault). */
const GUARD_SAMPLE_CAP_MS = 25;
/**
 * Characters of one irregexp search in stretches (see IrregexpMatcher): at most ~64 lines at
 * maxLoopLine's worst case, ~100 ms, before the guard can look.
 */
const STRETCH_CHARS = 64 * 1024;
/**
 * Longest line a line-by-line source runs on irregexp, by its number of loops; re2js takes longer
 * ones. The worst case grows with a power of the line length: ~1.6 ms for `a.*b` on 1 KB, ~3 ms
 * for `a.*b.*c` on 256 characters (20 ms on 512), where re2js runs 100–900 MB/s.
 */
function maxLoopLine(loops: number): number {
  return loops <= 1 ? 1024 : loops === 2 ? 256 : 64;
}

/**
 * Runs on irregexp (V8's RegExp, 0.5–3 GB/s on typical patterns). V8 bounds the backtracking of
 * one run and then finishes it on its linear engine, but that engine is slow (5–15 MB/s), a
 * pattern can still backtrack up to the bound on every line (0.06 MB/s measured), and V8 counts
 * no backtracking inside one-character loops (see irregexpTranslation). So:
 * - a source with a loop before more pattern runs line by line, on lines up to maxLoopLine
 *   (longer ones on re2js), the others search the whole multi-line text at once;
 * - a guard measures the matching rate and moves the matcher to re2js for good after three slow
 *   windows in a row, or one long one (below 16 MB/s; re2js runs 60–1000 MB/s on such patterns).
 */
/**
 * The byte literals of a regex whose matches all hold `literals`: the longest is searched for,
 * the next longest (up to MAX_BYTE_LITERALS in all) too, and a candidate line must hold all of
 * them; the rest are checked on its text. A literal with a "\n" is in no line (it may end one
 * only withNewline), so it is left out.
 */
function byteCandidates(literals: string[]): ByteLiteral | null {
  const usable = literals.filter((l) => !l.includes("\n")).sort((a, b) => b.length - a.length);
  const searched: Needle[] = [];
  const others: string[] = [];
  for (const literal of usable) {
    if (usable.some((l) => l.length > literal.length && l.includes(literal))) continue;
    const needle = literal.length < MIN_BYTE_LITERAL || searched.length === MAX_BYTE_LITERALS
      ? null
      : byteNeedle(literal);
    if (needle === null) others.push(literal);
    else searched.push(needle);
  }
  const [needle, ...also] = searched;
  if (needle === undefined) return null;
  return {
    needle,
    exact: false,
    ...(also.length > 0 ? { also } : {}),
    ...(others.length > 0 ? { others } : {}),
  };
}

/** Byte literals of one regex searched for at most (each costs a pass over the bytes). */
const MAX_BYTE_LITERALS = 3;

/**
 * Shortest required literal a byte search looks for (see LineSelector): two bytes already leave
 * few enough candidates (`ms` in `[0-9]+ms`: 45% of the lines of bench/ logs, yet faster than
 * one global search, which hands every match back to JavaScript).
 */
const MIN_BYTE_LITERAL = 2;

class IrregexpMatcher implements RegexMatcher {
  readonly kind = "regex";
  readonly #global: RegExp;
  readonly #single: RegExp;
  readonly #lineByLine: boolean;
  /**
   * Searched in stretches of whole lines no longer than `#maxLine` (STRETCH_CHARS at most each)
   * instead of line by line: a source whose loops cannot match "\n" (`[0-9]+ms`) runs no attempt
   * past its line, so a stretch costs what its lines one by one do, without a call per line.
   */
  readonly #stretches: boolean;
  /** The current stretch: its text, where it was found from, its end, and the text up to it. */
  #stretchText = "";
  #stretchFrom = 0;
  #stretchLimit = 0;
  #stretchHay = "";
  /** Lines longer than this go to re2js (line by line and stretches only). */
  readonly #maxLine: number;
  /** A literal every match contains: candidate lines are found with indexOf first. */
  readonly #required: string | null;
  readonly byteLiteral: ByteLiteral | null;
  /** Anchors in multiline mode also match at "\r", U+2028, U+2029: verify such hits per line. */
  readonly #anchored: boolean;
  /**
   * Lines are matched with their "\n" (withNewline), and that changes what matches (see
   * IrregexpTranslation.newlineSensitive): `#global` runs `globalSource`, which finds a superset
   * of the matches, and every hit is checked on its line with its "\n".
   */
  readonly #nl: boolean;
  /**
   * With `#nl`: whether the pattern matches the empty string after a line's "\n" (`\z`, `\B`,
   * `(?m)^$`), found by the global search at the start of the next line.
   */
  readonly #emptyAfterNewline: boolean;
  /** For lines longer than `#maxLine`, and all lines once the guard gave up on irregexp. */
  readonly #re2js: Re2jsMatcher;
  #fallback: Re2jsMatcher | null = null;
  /**
   * Whether findLine is within a text (its search went on from `#lastFrom`), and where (clock,
   * position) the part not yet measured starts. Texts are told apart by position: a caller
   * searches each from 0 onwards (comparing strings could cost a scan of both).
   */
  #searching = false;
  #lastFrom = 0;
  #segmentStart = 0;
  #segmentPos = 0;
  #runs = 0;
  #rng = (Math.random() * 0x7fffffff) | 1;
  #windowMs = 0;
  #windowChars = 0;
  #strikes = 0;

  constructor(
    readonly pattern: string,
    translation: IrregexpTranslation,
    readonly withNewline = false,
  ) {
    const { source, lineByLine } = translation;
    const required = requiredLiteral(source);
    this.#required = required !== null && required.length >= 3 ? required : null;
    this.byteLiteral = byteCandidates(requiredLiterals(source));
    this.#anchored = hasAnchor(source);
    this.#nl = withNewline && translation.newlineSensitive;
    this.#stretches = lineByLine && !translation.loopsCrossLines;
    this.#lineByLine = lineByLine && !this.#stretches;
    this.#maxLine = lineByLine ? maxLoopLine(translation.loops) : Infinity;
    // "m": ^ and $ match at line boundaries, since the text holds many lines.
    this.#global = new RegExp(
      this.#nl ? translation.newlineGlobalSource : translation.globalSource,
      "gm",
    );
    this.#single = new RegExp(source);
    this.#emptyAfterNewline = false;
    if (this.#nl) {
      const sticky = new RegExp(source, "y");
      sticky.lastIndex = 1;
      this.#emptyAfterNewline = sticky.test("\n");
    }
    this.#re2js = new Re2jsMatcher(pattern, null, withNewline);
    // V8 compiles on the first run, and may only then find the source too large.
    this.#global.test("");
    this.#single.test("\u0100");
  }

  get engine(): MatchEngine {
    return this.#fallback === null ? "irregexp" : "re2js";
  }

  findLine(text: string, from: number): number {
    return this.#findLine(text, from, false);
  }

  findLineWithoutRe2js(text: string, from: number): number {
    return this.#findLine(text, from, true);
  }

  /** findLine; with `here`, a line for re2js ends the search with its deferral (see Matcher). */
  #findLine(text: string, from: number, here: boolean): number {
    if (this.#fallback !== null) return here ? -2 - from : this.#fallback.findLine(text, from);
    if (!this.#searching || from <= this.#lastFrom) {
      // Time between two texts is the caller's (printing, waiting): it is never measured.
      this.#searching = true;
      this.#segmentStart = performance.now();
      this.#segmentPos = from;
    }
    this.#lastFrom = from;
    try {
      return this.#find(text, from, here);
    } catch {
      // V8 gave up on the source (too large for a two-byte text…): re2js takes over
      this.#fallback = this.#re2js;
      this.#searching = false;
      return here ? -2 - from : this.#fallback.findLine(text, from);
    }
  }

  #find(text: string, from: number, here: boolean): number {
    const required = this.#required;
    const re = this.#global;
    const lineByLine = this.#lineByLine;
    while (from < text.length) {
      if ((++this.#runs & GUARD_RUNS_MASK) === 0 && this.#measure(from)) {
        return here ? -2 - from : this.#fallback!.findLine(text, from);
      }
      let start: number;
      let end: number;
      if (required !== null || lineByLine) {
        // One candidate line: the next containing the required literal, or simply the next.
        const i = required === null ? from : text.indexOf(required, from);
        if (i < 0) break;
        start = required === null ? from : lineStartOf(text, i);
        end = text.indexOf("\n", i);
        if (end < 0) end = text.length;
        if (here && end - start > this.#maxLine) return -2 - start;
        if (this.#testLine(text.slice(start, this.#subjectEnd(text, end)))) return start;
      } else {
        let hay = text;
        if (this.#stretches) {
          if (
            text !== this.#stretchText || from < this.#stretchFrom || from >= this.#stretchLimit
          ) {
            this.#stretchText = text;
            this.#stretchFrom = from;
            this.#stretchLimit = this.#stretchEnd(text, from);
            this.#stretchHay = this.#stretchLimit < text.length
              ? text.slice(0, this.#stretchLimit)
              : text;
          }
          const limit = this.#stretchLimit;
          if (limit === from) {
            // A line too long for irregexp.
            if (here) return -2 - from;
            end = text.indexOf("\n", from);
            if (end < 0) end = text.length;
            if (this.#re2js.test(text.slice(from, this.#subjectEnd(text, end)))) return from;
            from = end + 1;
            continue;
          }
          hay = this.#stretchHay;
        }
        re.lastIndex = from;
        const m = re.exec(hay);
        if (this.#nl) {
          // A hit at a line start may be the end of the line before (after its "\n").
          const p = m === null ? -1 : m.index;
          if (this.#emptyAfterNewline && p > from && text.charCodeAt(p - 1) === 10) {
            const before = lineStartOf(text, p - 1);
            if (this.#single.test(text.slice(before, p))) return before;
          }
          if (p < 0 || (p === hay.length && (hay !== text || text.endsWith("\n")))) {
            if (hay === text) break;
            from = hay.length;
            continue;
          }
          start = lineStartOf(text, p);
          end = text.indexOf("\n", p);
          if (end < 0) end = text.length;
          if (this.#single.test(text.slice(start, this.#subjectEnd(text, end)))) return start;
          from = end + 1;
          continue;
        }
        if (m === null || (m.index === hay.length && (hay !== text || text.endsWith("\n")))) {
          // No match; or one after the text's last "\n" (`^$` there), where no line is; or at
          // the end of a stretch, which is the start of a line yet to search.
          if (hay === text) break;
          from = hay.length;
          continue;
        }
        start = lineStartOf(text, m.index);
        end = text.indexOf("\n", m.index);
        if (end < 0) end = text.length;
        // A match that runs past its line (e.g. via \s or [^x]) proves nothing about that line.
        const withinLine = m.index + m[0].length <= end && !this.#anchored;
        if (withinLine || this.#single.test(text.slice(start, end))) return start;
      }
      from = end + 1;
    }
    this.#measure(text.length);
    this.#searching = false;
    return -1;
  }

  /**
   * Where the stretch of lines from `from` (a line start) ends: at the start of the first line
   * longer than `#maxLine`, or at a line start past STRETCH_CHARS, or at the text's end. Only
   * one lookup per `#maxLine` characters: a "\n" within `#maxLine` of a line's start ends it
   * and every line between.
   */
  #stretchEnd(text: string, from: number): number {
    const max = this.#maxLine;
    const stop = Math.min(text.length, from + STRETCH_CHARS);
    let s = from;
    while (s < stop) {
      if (text.length - s <= max) return text.length;
      const k = text.lastIndexOf("\n", s + max);
      if (k < s) return s;
      s = k + 1;
    }
    return s;
  }

  /** Tests a line (with its "\n" or not): on re2js when longer than `#maxLine`. */
  #testLine(line: string): boolean {
    const length = line.charCodeAt(line.length - 1) === 10 ? line.length - 1 : line.length;
    return length > this.#maxLine ? this.#re2js.test(line) : this.#single.test(line);
  }

  /** Where the subject of the line ending at `end` ends: after its "\n" if `#nl` and it has one. */
  #subjectEnd(text: string, end: number): number {
    return this.#nl && end < text.length ? end + 1 : end;
  }

  test(line: string): boolean {
    if (this.#fallback !== null) return this.#fallback.test(line);
    try {
      // xorshift32: time one call in 8.
      let x = this.#rng;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.#rng = x;
      if ((x & GUARD_SAMPLE_MASK) !== 0) return this.#testLine(line);
      const t0 = performance.now();
      const hit = this.#testLine(line);
      this.#add(Math.min(performance.now() - t0, GUARD_SAMPLE_CAP_MS), line.length + 1);
      return hit;
    } catch {
      this.#fallback = this.#re2js;
      return this.#fallback.test(line);
    }
  }

  /** Adds findLine's work up to `pos` to the window; true when the matcher moved to re2js. */
  #measure(pos: number): boolean {
    const now = performance.now();
    const moved = this.#add(now - this.#segmentStart, pos - this.#segmentPos);
    this.#segmentStart = now;
    this.#segmentPos = pos;
    return moved;
  }

  #add(ms: number, chars: number): boolean {
    this.#windowMs += ms;
    this.#windowChars += chars;
    if (this.#windowMs < GUARD_WINDOW_MS) return false;
    const slow = this.#windowChars < GUARD_MIN_CHARS_PER_MS * this.#windowMs;
    if (!slow) this.#strikes = 0;
    else this.#strikes = this.#windowMs >= GUARD_LONG_WINDOW_MS ? GUARD_STRIKES : this.#strikes + 1;
    this.#windowMs = 0;
    this.#windowChars = 0;
    if (this.#strikes < GUARD_STRIKES) return false;
    this.#fallback = this.#re2js;
    return true;
  }
}

/**
 * The longest run of literal characters that every match of a JavaScript regex source must
 * contain, or null. Conservative: only characters outside groups and classes count, and any
 * alternation gives up.
 */
export function requiredLiteral(source: string): string | null {
  let best = "";
  for (const run of requiredLiterals(source)) if (run.length > best.length) best = run;
  return best === "" ? null : best;
}

/**
 * Every run of literal characters that every match of a JavaScript regex source must contain
 * (see requiredLiteral), in order; none for a source with an alternation.
 */
export function requiredLiterals(source: string): string[] {
  if (/(^|[^\\])(\\\\)*\|/.test(source)) return [];
  const runs: string[] = [];
  let run = "";
  const endRun = () => {
    if (run !== "") runs.push(run);
    run = "";
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    const next = source[i + 1];
    let literal: string | null = null;
    if (c === "\\") {
      i++;
      if (next !== undefined && /[.+*?^$[\]{}()|\\\/-]/.test(next)) literal = next;
      else if (next === undefined) return [];
      else if (next === "x") i += 2; // \xHH and \uHHHH are characters, but not spelled out here
      else if (next === "u") i += 4;
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
  return runs;
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
 * `(?i)`) any non-ASCII letter.
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
}

export function irregexpTranslation(pattern: string): IrregexpTranslation | null {
  try {
    const translator = new Translator(pattern);
    const out = translator.translate();
    const source = (end: string, notBoundary: string, multiLineStart: string) =>
      out.replaceAll(END_MARK, end).replaceAll(NOT_BOUNDARY_MARK, notBoundary)
        .replaceAll(MULTILINE_START_MARK, multiLineStart);
    return {
      source: source("$", "\\B", "(?:^|(?<=\\n))"),
      lineByLine: translator.loopBeforeMore(),
      loops: translator.loops,
      loopsCrossLines: translator.loopsCrossLines,
      newlineSensitive: translator.newlineSensitive,
      newlineExact: translator.newlineExact,
      globalSource: source("$", "\\B", "^"),
      newlineGlobalSource: source("(?:^|$)", "(?:\\B|^)", "^"),
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
 * Go's case folding of a set: ASCII letters gain their other case, k/K gain U+212A and s/S gain
 * U+017F. With `literal`, the set came from the pattern's own characters and must not hold a
 * non-ASCII cased one (its fold is not computed here): untranslatable.
 */
function fold(ranges: Ranges, literal: boolean): Ranges {
  const out = [...ranges];
  for (let i = 0; i < ranges.length; i += 2) {
    const lo = ranges[i]!;
    const hi = ranges[i + 1]!;
    for (let c = lo; c <= Math.min(hi, 0x7f); c++) {
      const ch = String.fromCharCode(c);
      const other = ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
      if (other !== ch) out.push(other.charCodeAt(0), other.charCodeAt(0));
    }
    if (literal && hi >= 0x80 && hasCased(Math.max(lo, 0x80), hi)) untranslatable();
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

  constructor(private readonly p: string) {}

  /** The source, with END_MARK, NOT_BOUNDARY_MARK and MULTILINE_START_MARK in it. */
  translate(): string {
    const p = this.p;
    while (this.#i < p.length) {
      const c = p[this.#i]!;
      const unitAtom = this.#unitAtom;
      this.#unitAtom = null;
      if (c === "\\") this.#escape();
      else if (c === "[") this.#class();
      else if (c === "(") this.#group();
      else if (c === "{") this.#brace();
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
        this.#loop();
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
    this.#out += sources.source;
    this.#unitAtom = sources.unit === null ? null : { start, source: sources.unit };
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
    this.#atom(c === 10);
    if (this.#fold && (c < 0x80 ? /[A-Za-z]/.test(String.fromCharCode(c)) : hasCased(c, c))) {
      let folded = FOLDED_LETTERS.get(c);
      if (folded === undefined) FOLDED_LETTERS.set(c, folded = setSource(fold([c, c], true)));
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

  /** `{n}`, `{n,}`, `{n,m}` repeat (no leading zeros, as in Go); anything else is a literal. */
  #brace(): void {
    const m = /^\{(?:0|[1-9]\d*)(?:,(?:0|[1-9]\d*)?)?\}/.exec(this.p.slice(this.#i, this.#i + 20));
    if (m) {
      this.#out += m[0];
      this.#i += m[0].length;
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
      if (e === "B") this.#newlineSensitive = true;
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
      items.push(...(this.#fold ? fold([lo, hi], true) : [lo, hi]));
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

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
}
