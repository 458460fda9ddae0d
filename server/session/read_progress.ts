/**
 * The progress messages of a dmap session (docs/protocol.md#progress): sent only when the `map:`
 * command asked for them with `progress=v1`, the client negotiated escaping (a client of ours)
 * and the server advertises `progress-v1`. The files of every `cat` are sized before the first
 * one is read, so the total is known from the start; then, every PROGRESS_INTERVAL_MS, the bytes
 * read so far go out when they changed, and once more, complete, before the close request.
 */
import type { FileOpener, OpenedFile } from "../../core/open_file.ts";
import type { Options } from "../../core/protocol/options.ts";
import {
  PROGRESS_CAPABILITY,
  PROGRESS_INTERVAL_MS,
  PROGRESS_OPTION,
  PROGRESS_VERSION,
  progressMessage,
} from "../../core/protocol/progress.ts";
import type { GlobOptions } from "../../core/glob.ts";
import { ReadMeter, sizeTarget } from "../../core/read_meter.ts";
import type { SessionOutput } from "./session_output.ts";

export class ReadProgress {
  readonly #meter = new ReadMeter();
  readonly #out: SessionOutput;
  /** Resolves once the targets given so far are sized (one promise, however many targets). */
  #sizing: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | undefined;
  #last = progressMessage({ read: 0, total: 0 });

  /** The progress of a session whose `map:` command had `options`; null when not asked for. */
  static of(options: Options, out: SessionOutput): ReadProgress | null {
    const asked = options[PROGRESS_OPTION] === PROGRESS_VERSION;
    return asked && out.escape && out.honours(PROGRESS_CAPABILITY) ? new ReadProgress(out) : null;
  }

  private constructor(out: SessionOutput) {
    this.#out = out;
    this.#timer = setInterval(() => {
      if (this.#send()) this.#out.flush().catch(() => {}); // a closed channel ends the session
    }, PROGRESS_INTERVAL_MS);
  }

  /** A `cat` target of the session: its files join the total (before any is read). */
  size(target: string, options: { glob: GlobOptions; open: FileOpener }): void {
    const sizing = sizeTarget(this.#meter, target, options).catch(() => {});
    this.#sizing = Promise.all([this.#sizing, sizing]).then(() => {});
  }

  /** Resolves once the targets given so far are sized. */
  sized(): Promise<void> {
    return this.#sizing;
  }

  /** The opener of the reads: every file it opens is followed by the meter. */
  opener(open: FileOpener): FileOpener {
    return (path: string): OpenedFile => {
      const opened = open(path);
      this.#meter.track(opened.file, opened.size ?? opened.file.statSync().size);
      return opened;
    };
  }

  /** The last message, all read (the reads are over), before the close request. */
  finish(): void {
    this.stop();
    const { total } = this.#meter.sample();
    this.#send({ read: total, total });
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Writes the progress when it changed; true when it did. */
  #send(bytes = this.#meter.sample()): boolean {
    const text = progressMessage(bytes);
    if (text === this.#last) return false;
    this.#last = text;
    this.#out.control(text);
    return true;
  }
}
