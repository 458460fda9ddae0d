/**
 * Where the selected lines of a read go (run.ts hands them over): a printer for a terminal or
 * for the wire, or a map stage. The shape of ripgrep's Searcher → Sink.
 */
import type { OpenedFile } from "./open_file.ts";
import type { Selection } from "./select.ts";

export interface Sink {
  /** Takes the selected lines of one batch of the source `sourceId`. */
  selection(sel: Selection, sourceId: string): void;
  /**
   * Called after each selection was taken: the place to send output on or to wait for the
   * reader (back-pressure). Awaited only when it returns a promise.
   */
  batchDone?(): void | Promise<void>;
  /** Called after a file was read whole (cat/grep), not after a file that failed. */
  fileDone?(): void | Promise<void>;
  /**
   * May take a whole opened file over instead of its selections (dmap maps big plain files on
   * two cores); true when it did, false when it read nothing and the file is read as usual.
   */
  wholeFile?(opened: OpenedFile, sourceId: string, signal: AbortSignal): Promise<boolean>;
  /**
   * May write a plain file's leading lines itself, as they are (a serverless `dcat --plain` into a
   * pipe: cli/sent_lines.ts); returns the offset from which the file is read as usual (0: it
   * wrote nothing).
   */
  leadingLines?(opened: OpenedFile, signal: AbortSignal): Promise<number>;
}

/**
 * `sink` for a follow (which reads no file whole): `flush` after every batch, so that the lines of
 * a followed file reach the reader as they come.
 */
export function flushedEachBatch(sink: Sink, flush: () => void | Promise<void>): Sink {
  return {
    selection: (sel, sourceId) => sink.selection(sel, sourceId),
    // The sink's own first (a map stage may send its groups then).
    batchDone: () => {
      const own = sink.batchDone?.();
      return own instanceof Promise ? own.then(flush) : flush();
    },
  };
}

/**
 * `sink` that writes `out` at the end of the first batch that printed something: the first lines
 * show without waiting for a whole output buffer (1 MiB) to fill; the rest goes out in big pieces.
 */
export function firstOutputFlushed(
  sink: Sink,
  out: { readonly pending: number; flush(): void },
): Sink {
  let flushed = false;
  const wrapped: Sink = {
    selection: (sel, sourceId) => sink.selection(sel, sourceId),
    batchDone: () => {
      if (!flushed && out.pending > 0) {
        flushed = true;
        out.flush();
      }
      return sink.batchDone?.();
    },
  };
  if (sink.fileDone) wrapped.fileDone = () => sink.fileDone!();
  if (sink.wholeFile) {
    wrapped.wholeFile = (opened, sourceId, signal) => sink.wholeFile!(opened, sourceId, signal);
  }
  if (sink.leadingLines) {
    wrapped.leadingLines = (opened, signal) => sink.leadingLines!(opened, signal);
  }
  return wrapped;
}
