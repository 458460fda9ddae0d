/**
 * The follow's read → select → sink step for a followed file whose positions are tracked: what
 * selectInto does with filterChunks and splitLines, without their generators. The tracker cuts
 * the stream into chunks that are one batch each (core/follow_position.ts), so there is nothing
 * left to split; a dserver following a thousand files keeps one generator per file instead of
 * four, and a batch passes through no promise that has nothing to wait for.
 */
import type { IncarnationStream } from "./follow.ts";
import type { PositionTracker } from "./follow_position.ts";
import { countNewlines, LineBatch } from "./line_batch.ts";
import {
  afterBatch,
  type FilterOptions,
  matchAhead,
  PoolUse,
  type SourceFilter,
} from "./pipeline.ts";
import type { Selection } from "./select.ts";
import type { Sink } from "./sink.ts";

/** One incarnation of a followed file into `sink`, as selectInto would hand it over. */
export async function followSelectInto(
  stream: IncarnationStream,
  tracker: PositionTracker,
  filter: FilterOptions,
  sink: Sink,
  sourceId: string,
  source: SourceFilter,
): Promise<void> {
  const numbered = filter.numbered ?? false;
  let lineNo = numbered ? 1 : 0;
  const pool = new PoolUse(filter);
  const hand = (sel: Selection): Promise<void> | void => {
    sink.selection(sel, sourceId);
    return sink.batchDone?.();
  };
  /** After a batch whose turn is over: the empty selection a consumer may stop on (filterChunks). */
  const endTurn = async (batch: LineBatch, selected: boolean, turn: Promise<void>) => {
    await turn;
    if (filter.signal?.aborted) return false;
    if (!selected) await hand({ batch, regions: [] });
    return true;
  };
  /** The rest of a batch's selections, once one of them had to wait; false: stop. */
  const select = async (
    batch: LineBatch,
    matched: { pooled: boolean } | null,
    selections: Generator<Selection>,
    selected: boolean,
  ): Promise<boolean> => {
    for (const sel of selections) {
      selected = true;
      const wait = hand(sel);
      if (wait) await wait;
    }
    if (source.selector.done) return false;
    const turn = afterBatch(matched);
    return turn === null || endTurn(batch, selected, turn);
  };
  const take = (bytes: Uint8Array): boolean | Promise<boolean> => {
    const batch = new LineBatch(bytes, lineNo);
    if (numbered) lineNo += countNewlines(batch, 0, bytes.length);
    const ahead = matchAhead(batch, source, pool, filter);
    if (ahead !== null) {
      return ahead.then((matched) =>
        matched !== "aborted" && select(batch, matched, source.selector.select(batch, false), false)
      );
    }
    // The common case, without a promise: the batch selected and handed over, no wait asked for.
    const selections = source.selector.select(batch, true);
    let selected = false;
    for (let next = selections.next(); !next.done; next = selections.next()) {
      selected = true;
      const wait = hand(next.value);
      if (wait) return wait.then(() => select(batch, null, selections, true));
    }
    if (source.selector.done) return false;
    const turn = afterBatch(null);
    return turn === null || endTurn(batch, selected, turn);
  };
  try {
    await tracker.pump(stream, take);
  } finally {
    source.lookup?.forget();
    pool.release();
  }
}
