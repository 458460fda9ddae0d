/**
 * The docs/protocol.md#regex literal rule: a pattern without any regex metacharacter is a plain
 * string. Its own module: the client names a pattern's kind on the wire without loading the regex
 * engine (core/matcher.ts).
 */
const REGEX_META = /[.+*?^$[\]{}()|\\]/;

export function isLiteralPattern(pattern: string): boolean {
  return !REGEX_META.test(pattern);
}
