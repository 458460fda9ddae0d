/**
 * The `map:` command of one session (docs/protocol.md#aggregate): the session's read commands feed
 * their selected lines into a Mapper instead of the output, and every interval the groups
 * aggregated since the last send go out as `AGGREGATE` messages (deltas). The final send happens at
 * end of input.
 */
import { Mapper } from "../../core/mapr/mapper.ts";
import { MAX_HELD_CHARS } from "../../core/mapr/aggregate.ts";
import { serializeGroups } from "../../core/mapr/aggregate_wire.ts";
import type { Query } from "../../core/mapr/types.ts";
import type { Sink } from "../../core/sink.ts";
import { MAPR_NOTE } from "../../core/protocol/messages.ts";
import { type LineRegex, mapFileInHalves } from "../../core/mapr/parallel_map.ts";

export interface MapOutput {
  /** One AGGREGATE message (payload, without its delimiter). */
  aggregate(message: string): void;
  /** A hidden control message, e.g. `.mapr malformed 3`. */
  control(text: string): void;
  /** Sends what was written. */
  flush(): Promise<void>;
}

export interface MapStageOptions {
  readonly serverLogFormat: string;
  readonly hostname: string;
  readonly shortHostname: string;
  readonly warn: (message: string) => void;
  readonly maxLineLength: number;
}

/** The most groups a session holds between sends (~1 KB each): see `#sendWhenMany`. */
export const MAX_SERVER_GROUPS = 50_000;
/** What a session's groups may take between sends, by the most each can take (`maxGroupsOf`). */
const GROUPS_BYTES = 64 << 20;

/**
 * How many groups of `query` a session holds before it sends them: MAX_SERVER_GROUPS, fewer when
 * a group can take more than ~1.3 KB (a slot per select item; a quantile's sketch grows to ~32 KB,
 * a distinct count's to ~16 KB), so that what waits for a send stays within GROUPS_BYTES.
 */
export function maxGroupsOf(query: Query): number {
  let bytes = 1024;
  for (const item of query.select) {
    bytes += item.agg === "quantile" ? 33_000 : item.agg === "count_distinct" ? 17_000 : 16;
  }
  return Math.max(1, Math.min(MAX_SERVER_GROUPS, Math.floor(GROUPS_BYTES / bytes)));
}

export class MapStage {
  readonly #mapper: Mapper;
  /** maxGroupsOf the query; smaller in tests. */
  maxGroups: number;
  /** MAX_HELD_CHARS; smaller in tests. */
  maxChars = MAX_HELD_CHARS;
  readonly #timer: ReturnType<typeof setInterval>;
  #malformedSent = 0;
  /** An interval's send is still on its way to the client. */
  #flushing = false;

  constructor(
    query: Query,
    private readonly output: MapOutput,
    private readonly options: MapStageOptions,
  ) {
    this.#mapper = new Mapper(query, {
      serverLogFormat: options.serverLogFormat,
      hostname: options.hostname,
      warn: options.warn,
    });
    this.maxGroups = maxGroupsOf(query);
    const seconds = query.interval > 0 ? query.interval : 1;
    this.#timer = setInterval(() => {
      // A client still taking the last send's groups is not sent more: they wait here, bounded
      // by maxGroups (`#sendWhenMany` waits for the client).
      if (this.#flushing) return;
      this.send();
      this.#flushing = true;
      this.output.flush().catch(() => {}) // a closed channel ends the session elsewhere
        .finally(() => this.#flushing = false);
    }, seconds * 1000);
  }

  /**
   * Where a read command's lines go: into the mapper. A big plain file is mapped whole on two
   * cores (filtered by the command's `regex`); the worker opens exactly the inode `opened` pins.
   * What was sent on the way goes out after each file.
   */
  sink(regex: LineRegex): Sink {
    const mapper = this.#mapper;
    return {
      selection: (sel, sourceId) => mapper.selection(sel, sourceId),
      batchDone: () => this.#sendWhenMany(),
      fileDone: () => this.output.flush(),
      wholeFile: (opened, sourceId, signal) =>
        mapFileInHalves(opened, sourceId, mapper, {
          regex,
          serverLogFormat: this.options.serverLogFormat,
          hostname: this.options.hostname,
          maxLineLength: this.options.maxLineLength,
          signal,
          maxGroups: this.maxGroups,
          onManyGroups: () => this.#sendWhenMany(),
        }),
    };
  }

  /**
   * The groups go out before the interval is over when there are maxGroups of them or their keys
   * and strings reach MAX_HELD_CHARS (a query with a key per line would hold its whole input
   * here): the client merges deltas whenever they come.
   * Waits until the client took them.
   */
  #sendWhenMany(): Promise<void> | undefined {
    const groups = this.#mapper.groups;
    if (groups.size < this.maxGroups && groups.chars < this.maxChars) return undefined;
    this.send();
    return this.output.flush();
  }

  /** Writes the groups aggregated since the last send, and newly skipped malformed lines. */
  send(): void {
    const groups = this.#mapper.takeGroups();
    for (const message of serializeGroups(groups, this.options.shortHostname)) {
      this.output.aggregate(message);
    }
    const malformed = this.#mapper.malformed - this.#malformedSent;
    if (malformed > 0) {
      this.#malformedSent += malformed;
      this.options.warn(`skipped ${malformed} malformed log line(s)`);
      this.output.control(`.mapr malformed ${malformed}`);
    }
    for (const note of this.#mapper.takeSkippedNotes()) {
      this.options.warn(note);
      this.output.control(`${MAPR_NOTE}${note}`);
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /**
   * End of input: the last groups, then, when a file was read (`readAny`), why the result is empty
   * or a column 0 (a misspelt table or field: `Mapper.endNotes`), as notes.
   */
  finish(readAny: boolean): void {
    this.stop();
    this.send();
    if (!readAny) return;
    for (const note of this.#mapper.endNotes()) {
      this.options.warn(note);
      this.output.control(`${MAPR_NOTE}${note}`);
    }
  }
}
