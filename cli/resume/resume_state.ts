/**
 * `dtail --resume FILE` (docs/usage.md#resume-across-runs): the positions of the state file for
 * this run's servers (one SavedPositionTable each), saved again every SAVE_EVERY_MS while they
 * change and once more when the run ends.
 *
 * A save first writes out the output (`flushOutput`): every position in the tables was recorded
 * after the lines it follows were handed to that output, so a saved position is never ahead of
 * what was printed. When the write-out fails (stdout went away) nothing is saved. A save reads the
 * file again and replaces only the targets this run's servers confirmed files of: entries of other
 * servers and targets are written back as they are then, so two dtails sharing a file keep each
 * other's positions (for a target both follow, the later save wins).
 */
import type { FilePosition } from "../../core/protocol/resume.ts";
import { SavedPositionTable } from "./saved_table.ts";
import { formatState, loadStateFile, type SavedPositions, writeStateFile } from "./state_file.ts";
import { osReason } from "../../core/source_error.ts";

/** `--resume FILE`, resolved by app/settings.ts. */
export interface ResumeSettings {
  /** The state file. */
  readonly file: string;
  /** Serverless: Server.ResumeMaxGapBytes of the client's config (a dserver uses its own). */
  readonly maxGapBytes: number;
}

/** How often changed positions are saved while the run goes on. */
export const SAVE_EVERY_MS = 5000;

/** The server name of serverless runs in the state file. */
export const SERVERLESS = "serverless";

export interface ResumeStateIO {
  /** One line for the user (stderr). */
  readonly warn: (message: string) => void;
  /** Writes out what was printed so far; throws when it cannot. */
  readonly flushOutput: () => void;
}

export class ResumeState {
  readonly #file: string;
  readonly #io: ResumeStateIO;
  readonly #loaded: SavedPositions;
  readonly #writable: boolean;
  readonly #tables = new Map<string, SavedPositionTable>();
  #changed = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #saving: Promise<void> = Promise.resolve();
  #saveFailed = false;
  /** The file turned into one that is not ours during the run (told once). */
  #foreign = false;

  /** Loads the state file; what is wrong with it is told in one line, and the run goes on. */
  constructor(settings: ResumeSettings, io: ResumeStateIO) {
    this.#file = settings.file;
    this.#io = io;
    const loaded = loadStateFile(settings.file);
    if (loaded.problem !== null) io.warn(`--resume ${settings.file} ${loaded.problem}`);
    this.#loaded = loaded.positions;
    this.#writable = loaded.writable;
  }

  /** The positions of one server (created once, seeded from the file). */
  table(server: string): SavedPositionTable {
    let table = this.#tables.get(server);
    if (table === undefined) {
      table = new SavedPositionTable(this.#loaded.get(server) ?? new Map(), {
        onChange: () => this.#changed = true,
      });
      this.#tables.set(server, table);
    }
    return table;
  }

  /** Starts saving every `everyMs` while positions change. */
  start(everyMs = SAVE_EVERY_MS): void {
    if (!this.#writable || this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#changed) void this.save();
    }, everyMs);
  }

  /** Stops the timer and saves what the run ended with. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#changed) await this.save();
    else await this.#saving;
  }

  /** Writes the state file now (after the output); one at a time, in order. */
  save(): Promise<void> {
    if (!this.#writable) return Promise.resolve();
    try {
      this.#io.flushOutput();
    } catch {
      return this.#saving; // the output failed: the run ends on that error
    }
    const base = this.#current();
    if (base === null) return this.#saving;
    const text = formatState(this.#snapshot(base), new Date());
    this.#changed = false;
    this.#saving = this.#saving.then(() => writeStateFile(this.#file, text)).then(
      () => {
        this.#saveFailed = false;
      },
      (err) => {
        this.#changed = true; // try again at the next tick
        if (this.#saveFailed) return;
        this.#saveFailed = true;
        this.#io.warn(`--resume ${this.#file}: cannot save positions: ${osReason(err)}`);
      },
    );
    return this.#saving;
  }

  /**
   * What the file holds now (another dtail may have saved since this one loaded it); null, told
   * once, when it is no longer a state file of ours (it is then left as it is).
   */
  #current(): SavedPositions | null {
    const now = loadStateFile(this.#file);
    if (now.writable) {
      this.#foreign = false;
      return now.positions;
    }
    if (!this.#foreign) {
      this.#foreign = true;
      this.#io.warn(`--resume ${this.#file} ${now.problem ?? "cannot be read"}`);
    }
    return null;
  }

  /**
   * `base` with the targets this run's servers confirmed replaced by what their tables keep; a
   * target not confirmed yet (its server has not answered) keeps what the file has.
   */
  #snapshot(base: SavedPositions): SavedPositions {
    const out: SavedPositions = new Map();
    for (const [server, targets] of base) out.set(server, new Map(targets));
    for (const [server, table] of this.#tables) {
      const targets: Map<string, FilePosition[]> = out.get(server) ?? new Map();
      for (const [target, files] of table.toSave(true)) targets.set(target, files);
      if (targets.size > 0) out.set(server, targets);
    }
    return out;
  }
}
