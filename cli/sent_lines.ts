/**
 * Serverless `dcat --plain` (and any read whose lines all print as they are) of a plain file into
 * a pipe or a file: the file's leading lines go from the page cache to standard output by
 * sendfile(2), without being copied through this process, which is 2–3 times faster than reading
 * and writing them (docs/performance.md). The output is the same bytes: the lines sent are the
 * ones the ordinary read would print unchanged, each at most maxLineLength long, up to the last
 * newline before the file's size when it was opened. The rest (a longer line, which the read
 * splits; an unterminated last line; bytes appended meanwhile) is read as usual from there.
 */
import { compressionOfBytes, compressionOfName } from "../core/compression.ts";
import type { InputFile } from "../core/fd_file.ts";
import type { OpenedFile } from "../core/open_file.ts";
import { type BufferedOutput, OutputClosedError } from "../core/output.ts";
import type { Sink } from "../core/sink.ts";
import { EPIPE } from "../core/libc.ts";
import { maybeYield } from "../core/turns.ts";

const NL = 10;
/** Smaller files are read as usual: one read and write cost less than the checks. */
export const MIN_SENT_BYTES = 256 * 1024;
/** The first look back for a line end; then LOOK_BACK_MAX at a time. */
const LOOK_BACK = 4096;
const LOOK_BACK_MAX = 64 * 1024;

export interface SentLinesOptions {
  /** The filter's maxLineLength: a longer line is split by the ordinary read. */
  readonly maxLineLength: number;
  /** Where the lines go: the descriptor `out` writes to. */
  readonly fd: number;
  /** Files smaller than this are read as usual (default MIN_SENT_BYTES). */
  readonly minBytes?: number;
}

/**
 * `sink` (a plain printer of every line) with `leadingLines`: the pending output is written, then
 * a plain file's leading lines are sent to `out`'s descriptor. Once a descriptor refuses
 * sendfile (a terminal, a file opened for appending, a non-blocking pipe), every file is read as
 * usual.
 */
export function withSentLines(sink: Sink, out: BufferedOutput, options: SentLinesOptions): Sink {
  const { fd } = options;
  const minBytes = options.minBytes ?? MIN_SENT_BYTES;
  let refused = false;
  const wrapped: Sink = {
    selection: (sel, sourceId) => sink.selection(sel, sourceId),
    leadingLines: async (opened, signal) => {
      if (refused) return 0;
      const sent = await sendLeadingLines(opened, signal, {
        fd,
        minBytes,
        maxLineLength: options.maxLineLength,
        flush: () => out.flush(),
      });
      if (sent.refused) refused = true;
      return sent.offset;
    },
  };
  if (sink.batchDone) wrapped.batchDone = () => sink.batchDone!();
  if (sink.fileDone) wrapped.fileDone = () => sink.fileDone!();
  return wrapped;
}

interface SendOptions {
  readonly fd: number;
  readonly minBytes: number;
  readonly maxLineLength: number;
  /** Writes what was printed before, once something is to be sent. */
  readonly flush: () => void;
}

/** Sends the file's leading lines; `offset` is where they end, `refused` when `fd` took none. */
async function sendLeadingLines(
  opened: OpenedFile,
  signal: AbortSignal,
  options: SendOptions,
): Promise<{ offset: number; refused: boolean }> {
  const { file } = opened;
  const none = { offset: 0, refused: false };
  if (file.sendSync === undefined || file.preadSync === undefined) return none;
  const size = opened.size ?? file.statSync().size;
  if (size < options.minBytes || compressionOfName(opened.pin.path) !== "none") return none;
  const head = new Uint8Array(4);
  if (compressionOfBytes(head.subarray(0, file.preadSync(head, 0) ?? 0)) !== "none") return none;
  const lineEnds = new LineEnds(file);
  let offset = 0;
  let flushed = false;
  while (offset < size && !signal.aborted) {
    // The lines up to the last newline within maxLineLength + 1 bytes are none of them longer.
    const end = lineEnds.lastBefore(offset, Math.min(size, offset + options.maxLineLength + 1));
    if (end <= offset) break;
    if (!flushed) {
      options.flush();
      flushed = true;
    }
    while (offset < end) {
      const n = file.sendSync(options.fd, offset, end - offset);
      if (n === -EPIPE) throw new OutputClosedError("output closed");
      if (n <= 0) return { offset, refused: n < 0 && offset === 0 };
      offset += n;
    }
    await maybeYield();
  }
  return { offset, refused: false };
}

/** Finds line ends by reading a little of the file backwards from a point. */
class LineEnds {
  readonly #buf = new Uint8Array(LOOK_BACK_MAX);

  constructor(private readonly file: InputFile) {}

  /** The offset after the last newline in [from, to), or `from` when there is none. */
  lastBefore(from: number, to: number): number {
    let end = to;
    let step = LOOK_BACK;
    while (end > from) {
      const start = Math.max(from, end - step);
      const got = this.file.preadSync!(this.#buf.subarray(0, end - start), start) ?? 0;
      const at = this.#buf.subarray(0, got).lastIndexOf(NL);
      if (at >= 0) return start + at + 1;
      if (got < end - start) return from; // the file shrank: leave it to the ordinary read
      end = start;
      step = LOOK_BACK_MAX;
    }
    return from;
  }
}
