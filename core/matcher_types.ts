/**
 * What a line matcher is, apart from the engines that implement it (core/matcher.ts): so that
 * core/noop_matcher.ts, which a run without a pattern loads instead, shares it.
 */
import type { ByteSequence, PlacedNeedle } from "./byte_sequence.ts";
import type { Needle } from "./byte_search.ts";

/** Where a matcher's work happens: nothing, String#indexOf, V8's irregexp or re2js. */
export type MatchEngine = "none" | "indexOf" | "irregexp" | "re2js";

export interface Matcher {
  /** "literal", "regex" or "noop" (matches every line). */
  readonly kind: "literal" | "regex" | "noop";
  readonly pattern: string;
  /** The engine matching now (an irregexp matcher may move to re2js: see IrregexpMatcher). */
  readonly engine: MatchEngine;
  /**
   * Finds the first line at or after `from` (a line start) in `text` that matches and returns its
   * start, or -1. Lines are separated by "\n".
   */
  findLine(text: string, from: number): number;
  /** Tests one line (no "\n" inside). */
  test(line: string): boolean;
  /**
   * findLine for a thread that must not run re2js (a dserver's main thread: see pipeline.ts),
   * on a matcher whose engine is not "re2js" yet may run it for some lines: the same answer, or
   * `-2 - start` when the line at `start` is one for re2js (longer than irregexp may take, or
   * the guard just moved the matcher to re2js). That line and the rest of the text are then
   * the caller's to match with re2js (the regex pool), and no line before it matches.
   */
  findLineWithoutRe2js?(text: string, from: number): number;
  /**
   * Whether findLine matches each line with the "\n" that ends it (see MatcherOptions); `test`
   * then takes a line with its "\n", if it has one. Absent: false.
   */
  readonly withNewline?: boolean;
  /**
   * Bytes every matching line holds (see ByteLiteral), for finding lines in raw bytes without
   * decoding them (byte_search.ts). Absent or null: none known.
   */
  readonly byteLiteral?: ByteLiteral | null;
  /**
   * Whether the matcher selects the same lines in a line's Latin-1 reading (one character per
   * byte: LineBatch.latin1) as in its UTF-8 decoding, for bytes that hold none of `latin1Unless`
   * (see IrregexpTranslation.asciiOnly). Absent: false.
   */
  readonly asciiOnly?: boolean;
  /** The UTF-8 bytes of characters that rule out the Latin-1 reading (see `asciiOnly`). */
  readonly latin1Unless?: readonly Needle[];
}

/**
 * A literal (UTF-8) that every matching line holds. `exact`: a line matches exactly when it holds
 * it (a literal pattern); otherwise a line holding it is a candidate that `test` decides.
 */
export interface ByteLiteral {
  readonly needle: Needle;
  readonly exact: boolean;
  /**
   * With `exact`: a line matches when it holds the needle at its start (`^ERROR`), at its end
   * before any "\n" (`ms$`), or is the needle (`^ERROR$`). Absent: anywhere.
   */
  readonly at?: "start" | "end" | "whole";
  /**
   * A line holding any of these instead matches too (`ERROR|WARN`), or is a candidate too when
   * not `exact` (`web(1|2)[0-9]`: `web1`, `web2`). Not with `at`, `also` or `others`.
   */
  readonly anyOf?: readonly Needle[];
  /** More byte literals every matching line holds (not exact only), searched for as well. */
  readonly also?: readonly Needle[];
  /** Literals every matching line holds (not exact only), checked on a candidate's text. */
  readonly others?: readonly string[];
  /**
   * Not exact: the regex is a byte sequence (core/byte_sequence.ts), and a candidate matches
   * exactly when `sequence` matches in its bytes from where one of `needles` (the needle and
   * anyOf, with their places in a match) occurs. Absent: candidates are tested on their text.
   */
  readonly sequence?: {
    readonly sequence: ByteSequence;
    readonly needles: readonly PlacedNeedle[];
  };
}

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

/** A compiled regex: a Matcher over lines, also usable on any one string with `test`. */
export type RegexMatcher = Matcher & { readonly kind: "regex" };

/** Where the line holding `text[i]` starts (lines are separated by "\n"). */
export function lineStartOf(text: string, i: number): number {
  return i === 0 ? 0 : text.lastIndexOf("\n", i - 1) + 1;
}
