/**
 * How far a whole-file read got (dmap's progress, docs/usage.md#live-output): the bytes of the
 * files to read, counted up front, and the bytes read of them, sampled from the offsets of the
 * open files. A file counts whole once it is closed; what read it (one chunk after the other,
 * the decompressor, the front half of a parallel map) does not need to know.
 */
import type { InputFile } from "./fd_file.ts";
import { expandGlob, type GlobOptions } from "./glob.ts";
import { isJournalTarget } from "./journal_target.ts";
import type { FileOpener } from "./open_file.ts";
import { STDIN_ID } from "./source.ts";
import { maybeYield } from "./turns.ts";
import type { ReadBytes } from "./protocol/progress.ts";

interface Tracked {
  readonly file: InputFile;
  readonly size: number;
  /** The furthest offset seen (a parallel map seeks back and forth). */
  seen: number;
}

export class ReadMeter {
  #total = 0;
  #done = 0;
  #open: Tracked[] = [];
  /** Files sized up front, and those done (closed). */
  files = 0;
  filesDone = 0;

  /** A file the run will read (its bytes join the total). */
  addFile(size: number): void {
    this.#total += size;
    this.files++;
  }

  /** A file opened to be read: its offset is sampled until it is closed. */
  track(file: InputFile, size: number): void {
    this.#open.push({ file, size, seen: 0 });
  }

  /** The bytes read and the total; a file that was closed since counts whole. */
  sample(): ReadBytes {
    let reading = 0;
    this.#open = this.#open.filter((t) => {
      try {
        const at = t.file.seekSync(0, Deno.SeekMode.Current);
        t.seen = Math.max(t.seen, Math.min(at, t.size));
        reading += t.seen;
        return true;
      } catch {
        // Closed: read to its end, or given up (it will not be read further either way).
        this.#done += t.size;
        this.filesDone++;
        return false;
      }
    });
    const read = this.#done + reading;
    return { read, total: Math.max(this.#total, read) };
  }
}

/**
 * Adds the files of a target to the meter's total: a glob expanded as the read will expand it,
 * each file opened with the read's own opener (a file the user may not read adds nothing, and
 * its size is never seen), sized and closed. Journal targets and standard input add nothing.
 */
export async function sizeTarget(
  meter: ReadMeter,
  target: string,
  options: { readonly glob: GlobOptions; readonly open: FileOpener },
): Promise<void> {
  if (target === STDIN_ID || isJournalTarget(target)) return;
  const { paths } = await expandGlob(target, options.glob);
  for (const path of paths) {
    await maybeYield(); // a thousand checked opens: others' turns between them
    if (options.glob.signal?.aborted) return;
    try {
      const opened = options.open(path);
      try {
        meter.addFile(opened.size ?? opened.file.statSync().size);
      } finally {
        opened.file.close();
      }
    } catch {
      // Not readable: the read says so; the total leaves it out.
    }
  }
}
