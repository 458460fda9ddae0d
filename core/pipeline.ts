/** The read → decompress → lines → filter chain for one source, and its loop into a Sink. */
import type { Needle } from "./byte_search.ts";
import { latin1LoadDue, loadLatin1Slicer } from "./latin1.ts";
import { splitLines, type SplitOptions } from "./lines.ts";
import type { ByteLiteral, MatchEngine, Matcher } from "./matcher.ts";
import type { RegexPool } from "./regex_pool.ts";
import { type LineBatch, searchText } from "./line_batch.ts";
import { LineSelector, type Selection, type SelectOptions } from "./select.ts";
import type { Sink } from "./sink.ts";
import { activeRange } from "./time_range.ts";
import type { TimeRange } from "./time_spec.ts";
import { turnIsOver, turnStarted, yieldTurn } from "./turns.ts";

export interface FilterOptions extends SplitOptions, SelectOptions {
  readonly matcher: Matcher;
  /** Ends the chain (after a whole batch) once aborted; checked when it yields to the loop. */
  readonly signal?: AbortSignal;
  /**
   * Whether a matcher on re2js matches on the regex pool's workers (see regex_pool.ts). Default:
   * on the main thread, yes; in a worker (the map worker), no: blocking a worker harms nobody.
   * "re2js": only a matcher on re2js when a batch starts; an irregexp matcher matches every batch
   * here, its longest lines and the rest of a batch in which its guard gives up on re2js too
   * (milliseconds: it takes only small patterns). For serverless runs, where this thread serves
   * nobody else and the pass that finds a batch's matching lines ahead costs ~15% of a grep.
   */
  readonly offload?: boolean | "re2js";
  /** The pool for `offload` (default: the process's shared pool). */
  readonly pool?: RegexPool;
  /**
   * `--since`/`--until` (epoch ms): only the lines in the range go on (core/time_window.ts). The
   * reads (core/run.ts) also seek plain files to it.
   */
  readonly timeRange?: TimeRange;
  /** The bytes the source is known to hold at least (a file's size): see latin1LoadDue. */
  readonly expectedBytes?: number | undefined;
}

// deno-lint-ignore no-explicit-any
const scope = globalThis as any;
const inWorker = typeof scope.WorkerGlobalScope !== "undefined" &&
  scope instanceof scope.WorkerGlobalScope;

/**
 * Selected lines of a (decompressed) chunk stream. When the event loop's turn is over (turns.ts)
 * the chain yields to it, between batches; then it stops if `signal` was aborted, and
 * otherwise hands out an empty selection when the batch selected nothing, so that a consumer
 * checking its own stop flag per selection does.
 *
 * A regex on re2js (from the start, or once irregexp's guard moved it there) can take seconds on
 * one batch (O(pattern × text)): with `offload`, each such batch is matched on the regex pool's
 * workers while the event loop runs, and the selector then looks the matching lines up (the
 * same lines, as the workers run the same re2js matcher). An irregexp batch is matched here
 * first, up to a line irregexp would hand to re2js (longer than it takes, or once its guard
 * gives up); that line and the rest of the batch go to the pool. Literal matching stays here.
 */
export async function* filterChunks(
  chunks: AsyncIterable<Uint8Array>,
  options: FilterOptions,
  source: SourceFilter = new SourceFilter(options),
): AsyncGenerator<Selection> {
  const { lookup, selector } = source;
  const pool = new PoolUse(options);
  const range = activeRange(options.timeRange);
  // Composed once: without a range, batches pass untouched (and the time code is not loaded).
  const window = range === null ? null : new (await import("./time_window.ts")).TimeWindow(range);
  let toCome = options.expectedBytes ?? 0;
  try {
    for await (const split of splitLines(chunks, options)) {
      if (latin1LoadDue(toCome)) await loadLatin1Slicer();
      toCome -= split.bytes.length;
      const batch = window === null ? split : window.cut(split);
      const ahead = matchAhead(batch, source, pool, options);
      const matched = ahead === null ? null : await ahead;
      if (matched === ABORTED) return;
      let selected = false;
      for (const sel of selector.select(batch, matched === null)) {
        selected = true;
        yield sel;
      }
      if (selector.done) return;
      const turn = afterBatch(matched);
      if (turn === null) continue;
      await turn;
      if (options.signal?.aborted) return;
      if (!selected) yield { batch, regions: [] };
    }
  } finally {
    lookup?.forget();
    pool.release();
  }
}

/** The regex pool, taken by a source's first batch that is matched on it. */
export class PoolUse {
  #user: Disposable | null = null;
  constructor(private readonly options: Pick<FilterOptions, "pool">) {}

  /** The pool of the options, else `shared()`: in use by this read until `release`. */
  take(shared: () => RegexPool): RegexPool {
    const pool = this.options.pool ?? shared();
    this.#user ??= pool.use();
    return pool;
  }

  release(): void {
    this.#user?.[Symbol.dispose]();
    this.#user = null;
  }
}

const ABORTED = "aborted";

/**
 * A batch's matching lines found ahead, on the regex pool where its matcher may run re2js (see
 * filterChunks): whether that ran on the pool, or ABORTED. Null (no promise) when the selector
 * matches the batch itself.
 */
export function matchAhead(
  batch: LineBatch,
  source: SourceFilter,
  pool: PoolUse,
  options: FilterOptions,
): Promise<{ pooled: boolean } | typeof ABORTED> | null {
  const { lookup, matcher } = source;
  if (lookup === null) return null;
  lookup.forget();
  // Also an irregexp matcher that may run re2js: for lines too long for irregexp, and the rest of
  // the batch in which its guard gives up (matchingLinesOffThread).
  const mayRunRe2js = matcher.engine === "re2js" ||
    (source.offloadIrregexp && matcher.findLineWithoutRe2js !== undefined);
  if (!mayRunRe2js || batch.bytes.length === 0) return null;
  const text = searchText(batch, matcher);
  // The pool's module loads with the first batch that needs it: a literal never does.
  return import("./regex_pool.ts").then(({ matchingLinesOffThread, sharedRegexPool }) =>
    matchingLinesOffThread(matcher, text, () => pool.take(sharedRegexPool), options.signal)
  ).then(
    (matched) => {
      lookup.set(text, matched.starts);
      return { pooled: matched.pooled };
    },
    (err) => {
      if (options.signal?.aborted) return ABORTED;
      throw err;
    },
  );
}

/**
 * After a batch: null while the event loop's turn goes on, else the wait for the next turn. A
 * batch matched on the pool let the loop run already: that was the turn.
 */
export function afterBatch(matched: { pooled: boolean } | null): Promise<void> | null {
  if (matched?.pooled) {
    turnStarted();
    return Promise.resolve();
  }
  return turnIsOver() ? yieldTurn() : null;
}

/**
 * The read → select → sink loop of every read: the selections of `chunks` into `sink` as
 * `sourceId`. filterChunks returns to the event loop now and then (signal listeners, other
 * sessions, a map's interval timer) and stops after whole lines once the filter's signal aborted.
 * `progress.selected` turns true once a line was handed over, also when the read fails later (a
 * damaged file read in part). `source` keeps a followed file's selection state across incarnations.
 */
export async function selectInto(
  chunks: AsyncIterable<Uint8Array>,
  filter: FilterOptions,
  sink: Sink,
  sourceId: string,
  progress: { selected: boolean } = { selected: false },
  source?: SourceFilter,
): Promise<void> {
  for await (const sel of filterChunks(chunks, filter, source)) {
    progress.selected ||= sel.regions.length > 0;
    sink.selection(sel, sourceId);
    const wait = sink.batchDone?.();
    if (wait) await wait;
  }
}

/**
 * The selection state of one source: a followed file keeps it across its incarnations (context,
 * `--max`), each of which is a chunk stream of its own.
 */
export class SourceFilter {
  readonly matcher: Matcher;
  readonly lookup: BatchMatches | null;
  readonly selector: LineSelector;
  /** Whether an irregexp matcher's batches are matched ahead too (see FilterOptions.offload). */
  readonly offloadIrregexp: boolean;

  constructor(options: FilterOptions) {
    this.matcher = options.matcher;
    const offload = this.matcher.kind === "regex" && (options.offload ?? !inWorker) !== false;
    this.lookup = offload ? new BatchMatches(this.matcher) : null;
    this.offloadIrregexp = options.offload !== "re2js";
    this.selector = new LineSelector(this.lookup ?? this.matcher, options);
  }

  /** `--max` was reached: nothing more is selected from this source. */
  get done(): boolean {
    return this.selector.done;
  }
}

/**
 * The selector's matcher when matching may be offloaded: for a batch matched on the pool, it
 * answers from the matching lines' starts; otherwise it is the matcher itself. `findLine` takes
 * any line start of that batch's text; `test` takes the batch's lines in order, as the per-line
 * selector asks (any other line is tested by the matcher itself).
 */
class BatchMatches implements Matcher {
  readonly kind = "regex";
  readonly #matcher: Matcher;
  #text: string | null = null;
  #starts: Int32Array = new Int32Array(0);
  /** findLine: the index of the first start not yet passed. */
  #next = 0;
  /** test: where the next line starts, and the index of the first start before it not passed. */
  #lineAt = 0;
  #lineNext = 0;

  constructor(matcher: Matcher) {
    this.#matcher = matcher;
  }

  get pattern(): string {
    return this.#matcher.pattern;
  }

  get engine(): MatchEngine {
    return this.#matcher.engine;
  }

  get withNewline(): boolean {
    return this.#matcher.withNewline ?? false;
  }

  /** The matcher's: a selector uses it only for batches not matched ahead (see filterChunks). */
  get byteLiteral(): ByteLiteral | null {
    return this.#matcher.byteLiteral ?? null;
  }

  get asciiOnly(): boolean {
    return this.#matcher.asciiOnly ?? false;
  }

  get latin1Unless(): readonly Needle[] {
    return this.#matcher.latin1Unless ?? [];
  }

  /** Answers for `text` from `starts` (ascending starts of its matching lines). */
  set(text: string, starts: Int32Array): void {
    this.#text = text;
    this.#starts = starts;
    this.#next = 0;
    this.#lineAt = 0;
    this.#lineNext = 0;
  }

  /** Back to the matcher itself. */
  forget(): void {
    this.#text = null;
    this.#starts = new Int32Array(0);
  }

  findLine(text: string, from: number): number {
    if (this.#text === null || text !== this.#text) return this.#matcher.findLine(text, from);
    const starts = this.#starts;
    let i = this.#next;
    if (i > 0 && starts[i - 1]! >= from) i = firstAtOrAfter(starts, from);
    while (i < starts.length && starts[i]! < from) i++;
    this.#next = i;
    return i < starts.length ? starts[i]! : -1;
  }

  test(line: string): boolean {
    const text = this.#text;
    const at = this.#lineAt;
    const end = at + line.length;
    if (
      text === null || end > text.length || (end < text.length && text.charCodeAt(end) !== 10) ||
      !text.startsWith(line, at)
    ) {
      return this.#matcher.test(line);
    }
    this.#lineAt = end + 1;
    const starts = this.#starts;
    let i = this.#lineNext;
    while (i < starts.length && starts[i]! < at) i++;
    this.#lineNext = i;
    return i < starts.length && starts[i] === at;
  }
}

/** The index of the first element of ascending `starts` that is >= `from`. */
function firstAtOrAfter(starts: Int32Array, from: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
