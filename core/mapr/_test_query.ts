/** Test helper: queries built directly (without the parser) and field maps for one line. */
import type { AggName, Fields, Query } from "./types.ts";

/**
 * A query selecting the comma-separated `select` texts (`count(x)` style or a bare field, which
 * is `last`), grouped by the first item's field unless `extra` says otherwise.
 */
export function testQuery(select: string, extra: Partial<Query> = {}): Query {
  const items = select.split(",").map((text) => {
    const m = /^(\w+)\((.+)\)$/.exec(text);
    return m === null
      ? { text, agg: "last" as const, field: text }
      : { text, agg: m[1] as AggName, field: m[2]! };
  });
  return {
    raw: `select ${select}`,
    select: items,
    table: null,
    where: [],
    set: [],
    groupBy: [items[0]!.field],
    orderBy: null,
    interval: 5,
    limit: -1,
    outfile: null,
    logFormat: null,
    ...extra,
  };
}

export const line = (entries: Record<string, string>): Fields => new Map(Object.entries(entries));
