/**
 * The map stage (docs/protocol.md#aggregate): selected lines in, aggregated groups out. Per line:
 * parse with the log format ⇒ where ⇒ set ⇒ time buckets ⇒ group. The same stage runs in
 * serverless dmap, in `dtail --query` and on dserver behind the `map:` command, so the results
 * cannot depend on the transport.
 */
import { type ByteSearch, byteSearch, type SeparatorLister } from "../byte_search.ts";
import type { Selection } from "../select.ts";
import { type GroupColumns, GroupSet } from "./aggregate.ts";
import { type BucketStage, bucketStage } from "./bucket.ts";
import { type LineParser, MALFORMED, SKIP } from "./format_common.ts";
import { ABSENT, type LineFields } from "./line_fields.ts";
import type { SkippedCounts } from "./skipped_values.ts";
import { LineQuery } from "./line_query.ts";
import { createParser, knownVariables } from "./logformat.ts";
import { effectiveLogFormat } from "./query.ts";
import type { Expr, Query } from "./types.ts";

export interface MapperOptions {
  /** The server's `MapreduceLogFormat`, used when the query names none and has a `from`. */
  readonly serverLogFormat: string;
  /** `$hostname` / `$server`. */
  readonly hostname: string;
  readonly warn?: (message: string) => void;
}

/** Looks whether to collect garbage every this many bytes of mapped text: see `selection`. */
const GC_EVERY_BYTES = 64 * 1024 * 1024;
/** Collects when the heap holds this much more than after the last collection. */
const GC_GROWTH_BYTES = 16 * 1024 * 1024;
const collectGarbage = (globalThis as { gc?: () => void }).gc;
const encoder = new TextEncoder();
const BAR = 124;
const EQUALS = 61;

export class Mapper {
  readonly query: Query;
  #groups: GroupSet;
  readonly #parser: LineParser;
  /** The `$` variables of the query's log format (for the end notes' hints). */
  readonly #variables: ReadonlySet<string>;
  readonly #fields: LineFields;
  /** The query's where and set, or null when it has neither. */
  readonly #lineQuery: LineQuery | null;
  readonly #where: boolean;
  /** The where clause's fields, and those no line read has had yet (for the end notes). */
  readonly #whereFields: string[];
  #whereUnseen: { readonly name: string; readonly slot: number }[];
  /** The query's time buckets, or null when it has none. */
  readonly #buckets: BucketStage | null;
  /** Whether a file may be mapped in pieces (CSV keeps a header per source: it may not). */
  readonly splittable: boolean;
  /** Lists where a region's separators are, for a format that parses from them; else null. */
  readonly #separators: ByteSearch | null;
  #sinceGc = 0;
  #heapAfterGc = 0;
  /**
   * Lines of the query's format that could not be parsed (bad `k=v` token, CSV overflow), and lines
   * whose time a bucket could not read.
   */
  malformed = 0;

  constructor(query: Query, options: MapperOptions) {
    this.query = query;
    this.#groups = new GroupSet(query);
    const format = effectiveLogFormat(query, options.serverLogFormat);
    this.#variables = knownVariables(format);
    this.splittable = format !== "csv";
    this.#parser = createParser(format, {
      hostname: options.hostname,
      needed: neededFields(query),
      ...(options.warn ? { warn: options.warn } : {}),
    });
    this.#fields = this.#parser.fields;
    const { where, set } = query;
    this.#lineQuery = where.length + set.length > 0
      ? new LineQuery(where, set, this.#fields)
      : null;
    this.#where = where.length > 0;
    this.#whereFields = [
      ...new Set(
        where.flatMap((c) => [c.left, c.right]).flatMap((o) => o.kind === "field" ? [o.name] : []),
      ),
    ];
    this.#whereUnseen = this.#whereFields.map((name) => ({ name, slot: this.#fields.slot(name) }));
    this.#buckets = bucketStage(query, this.#fields);
    this.#separators = this.#parser.indexed ? byteSearch() : null;
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
  absorb(columns: GroupColumns, malformed: number, skipped: SkippedCounts): void {
    this.#groups.merge(this.#groups.importColumns(columns));
    this.malformed += malformed;
    this.#groups.skipped.absorb(skipped);
  }

  /** For the end of a run: why its result is empty or a column stays 0 (SkippedValues). */
  endNotes(): string[] {
    const groups = this.#groups;
    return groups.skipped.endNotes(
      this.query.table,
      groups.slots.map((s) => s.field),
      this.#whereFields,
      this.#variables,
    );
  }

  /** Marks the where clause's fields this line has as seen (a line that passes has them all). */
  #seeWhereFields(): void {
    const kinds = this.#fields.kinds;
    const skipped = this.#groups.skipped;
    this.#whereUnseen = this.#whereUnseen.filter(({ name, slot }) => {
      if (kinds[slot] === ABSENT) return true;
      skipped.whereFieldSeen(name);
      return false;
    });
  }

  /** One note per select item that skipped values that are not numbers since the last call. */
  takeSkippedNotes(): string[] {
    return this.#groups.skipped.takeNotes();
  }

  /** Aggregates one line (without its line end). */
  line(line: string, sourceId: string): void {
    const bytes = encoder.encode(line);
    this.#lineBytes(bytes, 0, bytes.length, sourceId, bytes.length === line.length ? line : null);
  }

  /**
   * Aggregates the line `bytes[start, end)`; `text` is the decoded `bytes` when its indices are
   * byte offsets (values are then sliced from it), else null.
   */
  #lineBytes(
    bytes: Uint8Array,
    start: number,
    end: number,
    sourceId: string,
    text: string | null,
  ): void {
    this.#mapParsed(this.#parser.parseBytes(bytes, start, end, sourceId, text));
  }

  /** Where, set and group of a line the parser parsed with `code`. */
  #mapParsed(code: number): void {
    if (code === SKIP) return;
    if (code === MALFORMED) {
      this.malformed++;
      return;
    }
    this.#groups.skipped.read();
    const lineQuery = this.#lineQuery;
    if (lineQuery !== null) {
      if (this.#where && !lineQuery.passes()) {
        if (this.#whereUnseen.length > 0) this.#seeWhereFields();
        return;
      }
      lineQuery.apply();
    }
    if (this.#buckets !== null && !this.#buckets.apply()) {
      this.malformed++;
      return;
    }
    this.#groups.addLine(this.#fields);
  }

  /** Aggregates every selected line of a batch, read from its bytes. */
  selection(sel: Selection, sourceId: string): void {
    const { batch, regions } = sel;
    // Big groups sets and decoded batches pile up before V8 collects them fully; collecting
    // now and then keeps memory flat. A full collection costs 5–10 ms: not when the heap is
    // small, as it is when nothing is decoded and the groups are few.
    this.#sinceGc += batch.bytes.length;
    if (this.#sinceGc >= GC_EVERY_BYTES && collectGarbage !== undefined) {
      this.#sinceGc = 0;
      if (Deno.memoryUsage().heapUsed > this.#heapAfterGc + GC_GROWTH_BYTES) {
        collectGarbage();
        this.#heapAfterGc = Deno.memoryUsage().heapUsed;
      }
    }
    const bytes = batch.bytes;
    // Values are sliced from the batch's text when a stage decoded it already, or when group
    // keys go by text (most are new): then one decoding of the batch beats one per key.
    const decode = batch.decoded || this.#groups.keysByText;
    const text = decode && batch.byteAligned ? batch.text : null;
    if (this.#separators !== null && regions.length > 0) {
      const lister = this.#separators.separatorLister(bytes, BAR, EQUALS);
      for (let i = 0; i < regions.length; i += 2) {
        this.#indexedRegion(lister, bytes, regions[i]!, regions[i + 1]!, sourceId, text);
      }
      return;
    }
    for (let i = 0; i < regions.length; i += 2) {
      this.#region(bytes, regions[i]!, regions[i + 1]!, sourceId, text);
    }
  }

  /**
   * `#region` for a format that parses from where the separators are: the byte search lists
   * them for as many whole lines as its room takes at a time (a line with more is parsed from
   * its bytes).
   */
  #indexedRegion(
    lister: SeparatorLister,
    bytes: Uint8Array,
    start: number,
    end: number,
    sourceId: string,
    text: string | null,
  ) {
    const parser = this.#parser;
    const seps = lister.entries;
    while (start < end) {
      const listed = lister.list(start, end);
      if (listed === start) {
        this.#mapParsed(parser.parseLineAt(bytes, start, end, sourceId, text));
        start = parser.lineEnd + 1;
        continue;
      }
      const n = lister.first + lister.count;
      for (let k = lister.first; start < listed; k = parser.nextSep) {
        this.#mapParsed(parser.parseLineIndexed(bytes, start, listed, text, seps, k, n));
        start = parser.lineEnd + 1;
      }
    }
  }

  /**
   * The lines of `bytes[start, end)`. (A method of its own, called per region: a loop in a
   * method called once per batch runs as on-stack-replaced code that V8 drops at every exit.)
   */
  #region(bytes: Uint8Array, start: number, end: number, sourceId: string, text: string | null) {
    const parser = this.#parser;
    while (start < end) {
      this.#mapParsed(parser.parseLineAt(bytes, start, end, sourceId, text));
      start = parser.lineEnd + 1;
    }
  }
}

/** Every field name the query reads: parsers need materialize nothing else. */
export function neededFields(query: Query): Set<string> {
  const names = new Set<string>();
  for (const s of query.select) names.add(s.field);
  for (const g of query.groupBy) names.add(g);
  for (const b of query.buckets ?? []) names.add(b.field);
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
