/**
 * The matchers of patterns that are plain strings (docs/protocol.md#regex): a module of its own,
 * so that a run whose pattern is one (`dgrep ERROR`, a `dmap` table filter) never loads the regex
 * engine of core/matcher.ts (docs/performance.md#start-up).
 */
import { byteNeedle } from "./byte_search.ts";
import { isLiteralPattern } from "./literal_pattern.ts";
import {
  type ByteLiteral,
  lineStartOf,
  type Matcher,
  type MatcherOptions,
} from "./matcher_types.ts";
import { isNoopPattern, NoopMatcher } from "./noop_matcher.ts";

/**
 * The text of a regex made only of plain characters and escaped metacharacters (`\.`, `\|`):
 * such a pattern is a literal and takes the indexOf fast path (MapReduce table filters are
 * `\|MAPREDUCE:TABLE\|`). Null for anything else.
 */
export function escapedLiteral(pattern: string): string | null {
  if (!/^(?:[^.+*?^$[\]{}()|\\]|\\[.+*?^$[\]{}()|\\/-])+$/.test(pattern)) return null;
  return pattern.replace(/\\(.)/g, "$1");
}

/**
 * The matcher of a pattern that needs no regex engine: a noop pattern's (when allowed), a plain
 * string's or an escaped literal's; null for any other pattern (core/matcher.ts compiles those).
 */
export function literalMatcher(pattern: string, options: MatcherOptions = {}): Matcher | null {
  if ((options.noopAllowed ?? true) && isNoopPattern(pattern)) return new NoopMatcher(pattern);
  const text = isLiteralPattern(pattern) ? pattern : escapedLiteral(pattern);
  return text === null ? null : new LiteralMatcher(text, options.withNewline ?? false);
}

class LiteralMatcher implements Matcher {
  readonly kind = "literal";
  readonly engine = "indexOf";
  /** Whether no line can hold the text: it has a "\n", and not only at its end withNewline. */
  readonly #never: boolean;
  readonly byteLiteral: ByteLiteral | null;
  readonly asciiOnly: boolean;
  constructor(readonly pattern: string, readonly withNewline = false) {
    this.asciiOnly = !/[^\0-\x7f]/.test(pattern);
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
