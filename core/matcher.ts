/**
 * Line matchers (docs/protocol.md#regex): a literal fast path, and regexes that run in linear time
 * whatever the pattern (Go DTail uses RE2; a backtracking engine would let one pattern stall a
 * server).
 *
 * Every regex is parsed by re2js (a port of Go's regexp), so RE2's syntax and error messages
 * apply, as Go 1.25 words them (core/re2js_matcher.ts); tests/re2_conformance_test.ts holds us
 * to what Go's dgrep selects (tests/testdata/re2/golden.json). Go's dgrep matches a line with
 * its "\n" (MatcherOptions.withNewline). A pattern then runs on one of two engines (see
 * `compileRegex`):
 * - irregexp (V8's RegExp, core/irregexp_matcher.ts), when an exact translation exists
 *   (core/re2_translate.ts), V8 compiles it quickly (core/regex_cost.ts) and V8's linear engine
 *   can run it (core/linear_engine.ts): a process started with `LINEAR_V8_FLAGS` falls back to
 *   that engine after excessive backtracking, and a guard moves a matcher that still runs
 *   slowly to re2js;
 * - re2js (linear, 20–1000 MB/s, core/re2js_matcher.ts) for everything else, and for every
 *   regex when the process was started without those flags.
 * Matchers search a whole multi-line text and report the next matching line, which is how V8
 * filters fastest (see docs/performance.md).
 */
import { IrregexpMatcher } from "./irregexp_matcher.ts";
import { linearCapable, linearEngineAvailable } from "./linear_engine.ts";
import { linePattern } from "./line_pattern.ts";
import { literalMatcher } from "./literal_matcher.ts";
import type {
  ByteLiteral,
  MatchEngine,
  Matcher,
  MatcherOptions,
  RegexMatcher,
} from "./matcher_types.ts";
import { isNoopPattern } from "./noop_matcher.ts";
import { isLiteralPattern } from "./literal_pattern.ts";
import { irregexpTranslation } from "./re2_translate.ts";
import { checkPattern, foldOrbit, Re2jsMatcher } from "./re2js_matcher.ts";
import { irregexpCompileMs, MAX_IRREGEXP_COMPILE_MS } from "./regex_cost.ts";

export { LINEAR_V8_FLAGS, linearEngineAvailable } from "./linear_engine.ts";
export { PatternError } from "./pattern_error.ts";
export { compileRe2jsMatcher, MAX_PATTERN_LENGTH, preloadRe2js } from "./re2js_matcher.ts";
export type { ByteLiteral, MatchEngine, Matcher, MatcherOptions, RegexMatcher };
export { isLiteralPattern, isNoopPattern };

export function compileMatcher(pattern: string, options: MatcherOptions = {}): Matcher {
  return literalMatcher(pattern, options) ??
    compileRegex(pattern, { withNewline: options.withNewline ?? false });
}

/** Longest pattern given to irregexp: V8 compiles some large ones slowly (3 s for 64 KB). */
const MAX_IRREGEXP_PATTERN = 4096;

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
    ? irregexpTranslation(linePattern(pattern), foldOrbit)
    : null;
  if (
    translation !== null && linearEngineAvailable() &&
    (!withNewline || !translation.newlineSensitive || translation.newlineExact)
  ) {
    // Where the "\n" changes nothing, the line-mode sources serve (see IrregexpMatcher).
    const global = withNewline && translation.newlineSensitive
      ? translation.newlineGlobalSource
      : translation.globalSource;
    // The global source is compiled with the `m` flag, the single-line one without.
    const quickToCompile = (source: string, multiline: boolean) =>
      irregexpCompileMs(source, MAX_IRREGEXP_COMPILE_MS, { multiline }) <= MAX_IRREGEXP_COMPILE_MS;
    if (
      quickToCompile(global, true) && quickToCompile(translation.source, false) &&
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
