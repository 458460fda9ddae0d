/** The read → decompress → lines → filter chain for one source, as one call. */
import { splitLines, type SplitOptions } from "./lines.ts";
import type { Matcher } from "./matcher.ts";
import { type Selection, selectLines, type SelectOptions } from "./select.ts";

export interface FilterOptions extends SplitOptions, SelectOptions {
  readonly matcher: Matcher;
}

/** Selected lines of a (decompressed) chunk stream. */
export function filterChunks(
  chunks: AsyncIterable<Uint8Array>,
  options: FilterOptions,
): AsyncGenerator<Selection> {
  return selectLines(splitLines(chunks, options), options.matcher, options);
}
