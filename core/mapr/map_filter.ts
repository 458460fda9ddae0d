/**
 * What a map stage reads: the line filter of a query (its table, or the read command's wire
 * regex) and the job of a map worker (parallel_map.ts, map_worker.ts).
 */
import { literalMatcher } from "../literal_matcher.ts";
import type { Matcher, MatcherOptions } from "../matcher_types.ts";
import type { FilterOptions } from "../pipeline.ts";
import type { PinnedFile } from "../open_file.ts";
import { tableFilter } from "./query.ts";
import type { Query } from "./types.ts";

export interface MapRange {
  readonly query: string;
  readonly serverLogFormat: string;
  readonly hostname: string;
  /** The file the caller opened; the worker opens exactly that inode again. */
  readonly pin: PinnedFile;
  /** The pieces of the file (piece_claims.ts), claimed from the back by the worker. */
  readonly claims: SharedArrayBuffer;
  readonly size: number;
  readonly pieceBytes: number;
  readonly maxLineLength: number;
  readonly sourceId: string;
  readonly regex: LineRegex | null;
  /** Stop claiming pieces once this many groups are held (HalvesOptions.maxGroups); null: never. */
  readonly maxGroups: number | null;
}

/**
 * The line filter a server was sent with the read command (docs/query-language.md#table-filter: the
 * client derives it from the query's table; a Go client's `from *` filter differs from ours,
 * docs/compatibility.md#smaller-fixes).
 */
export interface LineRegex {
  readonly pattern: string;
  readonly invert: boolean;
}

/**
 * The lines a query maps, unnumbered, none cut short of a whole: those of its table
 * (docs/query-language.md#table-filter), or those the given wire regex selects.
 */
export async function mapFilter(
  query: Query,
  maxLineLength: number,
  regex: LineRegex | null = null,
): Promise<FilterOptions> {
  const table = tableFilter(query);
  const pattern = regex?.pattern ?? (table === "." ? "" : table);
  return {
    // As the dserver's read path does: only a `noop` wire regex (sent as "") matches everything.
    matcher: await matcherOf(pattern, regex === null ? {} : { noopAllowed: pattern === "" }),
    invert: regex?.invert ?? false,
    before: 0,
    after: 0,
    max: 0,
    maxLineLength,
    numbered: false,
  };
}

/** A table's filter is a literal: the regex engine (core/matcher.ts) loads for a regex only. */
async function matcherOf(pattern: string, options: MatcherOptions): Promise<Matcher> {
  return literalMatcher(pattern, options) ??
    (await import("../matcher.ts")).compileMatcher(pattern, options);
}
