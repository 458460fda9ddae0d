/**
 * A journal target (`journal:<unit>`, journal.ts) in the core read (run.ts): its journalctl output
 * goes through the same line filter into the same sink as a file's content, with the spec as the
 * source id. The front end opens it (`ReadOptions.journal`): a dserver checks the user's rules
 * first.
 */
import type { JournalOpener, JournalRun } from "./journal.ts";
import { type FilterOptions, selectInto, SourceFilter } from "./pipeline.ts";
import type { Slot } from "./semaphore.ts";
import type { Sink } from "./sink.ts";
import { activeRange } from "./time_range.ts";

/** What a journal read takes of run.ts's ReadOptions (the same meanings). */
export interface JournalReadOptions {
  readonly filter: Omit<FilterOptions, "onLongLine">;
  readonly signal: AbortSignal;
  readonly journal: JournalOpener;
  slot?(path: string, signal: AbortSignal): Promise<Slot | null>;
  onUnreadable(path: string, err: unknown): void;
  onLongLine(path: string): void;
}

/**
 * cat, grep, dmap: the whole journal once. True when it was read; false when it could not be read
 * (reported through onUnreadable), also after some of its lines were handed over.
 */
export async function readJournal(
  spec: string,
  sink: Sink,
  options: JournalReadOptions,
): Promise<boolean> {
  const { signal } = options;
  // Not `using`: deno bundle --minify drops a `using` whose one use is the next line.
  const slot = options.slot === undefined ? undefined : await options.slot(spec, signal);
  if (slot === null) return true; // the read ended while it waited
  let runs: AsyncGenerator<JournalRun> | null = null;
  try {
    runs = options.journal(spec, false, activeRange(options.filter.timeRange));
    await selectInto(oneRun(runs), filterOf(spec, options), sink, spec);
    const wait = sink.fileDone?.();
    if (wait) await wait;
    return true;
  } catch (err) {
    options.onUnreadable(spec, err);
    return false;
  } finally {
    await runs?.return(undefined);
    slot?.[Symbol.dispose]();
  }
}

/**
 * tail: journalctl's new entries, and again after it exits, until the signal aborts or `--max`
 * is reached. True when it was followed; false when it could not be (reported).
 */
export async function followJournal(
  spec: string,
  sink: Sink,
  options: JournalReadOptions,
): Promise<boolean> {
  const { signal } = options;
  let runs: AsyncGenerator<JournalRun> | null = null;
  let slot: Slot | null | undefined; // not `using`: see readJournal
  try {
    runs = options.journal(spec, true, activeRange(options.filter.timeRange));
    slot = options.slot === undefined ? undefined : await options.slot(spec, signal);
    if (slot === null) return true;
    const filter = filterOf(spec, options);
    const source = new SourceFilter(filter); // one selection state across journalctl runs
    for await (const run of runs) {
      await selectInto(run, filter, sink, spec, undefined, source);
      if (source.done) break;
    }
    return true;
  } catch (err) {
    options.onUnreadable(spec, err);
    return false;
  } finally {
    slot?.[Symbol.dispose]();
    await runs?.return(undefined);
  }
}

/** The output of the one run of a read once; the run's failure is thrown after its output. */
async function* oneRun(runs: AsyncGenerator<JournalRun>): AsyncGenerator<Uint8Array> {
  for await (const run of runs) yield* run;
}

/**
 * The read's filter for a journal: a partial last line (journalctl stopped in the middle of one)
 * is dropped, as Go DTail drops it.
 */
function filterOf(spec: string, options: JournalReadOptions) {
  return { ...options.filter, flushPartial: false, onLongLine: () => options.onLongLine(spec) };
}
