/**
 * The map stage (docs/protocol.md#aggregate): selected lines in, aggregated groups out. Per line:
 * parse with the log format ⇒ where ⇒ set ⇒ group. The same stage runs in serverless dmap, in
 * `dtail --query` and on dserver behind the `map:` command, so the results cannot depend on the
 * transport.
 */
import type { Selection } from "../select.ts";
import { type GroupColumns, GroupSet } from "./aggregate.ts";
import { applySet, passesWhere } from "./evaluate.ts";
import { createParser } from "./logformat.ts";
import { effectiveLogFormat } from "./query.ts";
import type { Expr, LogParser, Query } from "./types.ts";

export interface MapperOptions {
  /** The server's `MapreduceLogFormat`, used when the query names none and has a `from`. */
  readonly serverLogFormat: string;
  /** `$hostname` / `$server`. */
  readonly hostname: string;
  readonly warn?: (message: string) => void;
}

/** Collects garbage every this many bytes of mapped text: see `selection`. */
const GC_EVERY_BYTES = 64 * 1024 * 1024;
const collectGarbage = (globalThis as { gc?: () => void }).gc;

export class Mapper {
  readonly query: Query;
  #groups: GroupSet;
  readonly #parser: LogParser;
  /** Whether a file may be mapped in pieces (CSV keeps a header per source: it may not). */
  readonly splittable: boolean;
  readonly #decoder = new TextDecoder();
  #sinceGc = 0;
  /** Lines of the query's format that could not be parsed (bad `k=v` token, CSV overflow). */
  malformed = 0;

  constructor(query: Query, options: MapperOptions) {
    this.query = query;
    this.#groups = new GroupSet(query);
    const format = effectiveLogFormat(query, options.serverLogFormat);
    this.splittable = format !== "csv";
    this.#parser = createParser(format, {
      hostname: options.hostname,
      needed: neededFields(query),
      reuseFields: true, // each line's fields are aggregated before the next line is parsed
      ...(options.warn ? { warn: options.warn } : {}),
    });
  }

  /** The groups aggregated so far. */
  get groups(): GroupSet {
    return this.#groups;
  }

  /** Takes the groups aggregated since the last call (a delta) and starts anew. */
  takeGroups(): GroupSet {
    return this.#groups.takeAll();
  }

  /** Merges groups mapped elsewhere (a later piece of the same input) into ours. */
  absorb(columns: GroupColumns, malformed: number): void {
    this.#groups.merge(this.#groups.importColumns(columns));
    this.malformed += malformed;
  }

  /** Aggregates one line (without its line end). */
  line(line: string, sourceId: string): void {
    const fields = this.#parser.parse(line, sourceId);
    if (fields === "skip") return;
    if (fields === "malformed") {
      this.malformed++;
      return;
    }
    const query = this.query;
    if (query.where.length > 0 && !passesWhere(query.where, fields)) return;
    if (query.set.length > 0) applySet(query.set, fields);
    this.#groups.add(fields);
  }

  /** Aggregates every selected line of a batch. */
  selection(sel: Selection, sourceId: string): void {
    const { batch, regions } = sel;
    // Each batch is decoded into one large string, dead right after; V8 lets those pile up
    // to hundreds of MB before a full collection. Collecting now and then keeps memory flat.
    this.#sinceGc += batch.bytes.length;
    if (this.#sinceGc >= GC_EVERY_BYTES && collectGarbage !== undefined) {
      this.#sinceGc = 0;
      collectGarbage();
    }
    const text = batch.text;
    const aligned = batch.byteAligned;
    for (let i = 0; i < regions.length; i += 2) {
      const region = aligned
        ? text.slice(regions[i]!, regions[i + 1]!)
        : this.#decoder.decode(batch.bytes.subarray(regions[i]!, regions[i + 1]!));
      let start = 0;
      while (start < region.length) {
        let end = region.indexOf("\n", start);
        if (end < 0) end = region.length;
        const stop = end > start && region.charCodeAt(end - 1) === 13 ? end - 1 : end;
        this.line(region.slice(start, stop), sourceId);
        start = end + 1;
      }
    }
  }
}

/** Every field name the query reads: parsers need materialize nothing else. */
export function neededFields(query: Query): Set<string> {
  const names = new Set<string>();
  for (const s of query.select) names.add(s.field);
  for (const g of query.groupBy) names.add(g);
  for (const c of query.where) {
    for (const o of [c.left, c.right]) if (o.kind === "field") names.add(o.name);
  }
  const visit = (e: Expr): void => {
    if (e.kind === "field") names.add(e.name);
    if (e.kind === "call") visit(e.arg);
  };
  for (const a of query.set) visit(a.expr);
  return names;
}
