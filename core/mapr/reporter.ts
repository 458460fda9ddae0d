/**
 * Client-side reporting (docs/query-language.md#reports): the global group set that mapped or
 * received groups are merged into, the table print (only when it changed and has rows), the
 * malformed-line count and the CSV outfile. Cumulative reports keep growing; non-cumulative ones
 * take and clear the set.
 */
import type { TermColors } from "../color.ts";
import { delay } from "../delay.ts";
import { GroupSet } from "./aggregate.ts";
import { renderTable, writeOutfile } from "./render.ts";
import type { Query } from "./types.ts";

export interface ReporterOptions {
  /** dmap and queries with an outfile: every report shows everything so far. */
  readonly cumulative: boolean;
  readonly color: boolean;
  /** The table goes to a terminal (TableOptions.visibleControls). */
  readonly visibleControls?: boolean;
  readonly colors?: TermColors;
  /** Prints one report (a table and its blank line). */
  readonly print: (text: string) => void;
  /** Gets the log texts of each outfile write (render.ts writeOutfile); none by default. */
  readonly outfileNote?: (text: string) => void;
}

export class Reporter {
  readonly query: Query;
  #groups: GroupSet;
  #lastPrinted = "";
  /** Malformed log lines skipped, summed over all sources (shown under the table). */
  malformed = 0;

  constructor(query: Query, private readonly options: ReporterOptions) {
    this.query = query;
    this.#groups = new GroupSet(query);
  }

  /** Merges groups mapped here or received from a server. */
  merge(groups: GroupSet): void {
    this.#groups.merge(groups);
  }

  /**
   * Prints the table (when changed), or, with an outfile, writes it instead (as the Go client: no
   * table then, only the malformed-line count when it changed); a non-cumulative report clears
   * the set.
   */
  async report(): Promise<void> {
    const groups = this.#groups;
    if (!this.options.cumulative) this.#groups = new GroupSet(this.query);
    const rows = groups.rows();
    if (this.query.outfile !== null) {
      await writeOutfile(this.query, rows, this.options.outfileNote);
      // Ours only (no table to put it under): the malformed count, once per change.
      const text = this.malformed > 0 ? `${this.malformed} malformed log line(s) skipped\n\n` : "";
      if (text !== this.#lastPrinted) {
        this.#lastPrinted = text;
        this.options.print(text);
      }
      return;
    }
    if (rows.length > 0) {
      let text = renderTable(this.query, rows, {
        color: this.options.color,
        visibleControls: this.options.visibleControls ?? false,
        ...(this.options.colors ? { colors: this.options.colors } : {}),
      });
      if (this.malformed > 0) text += `${this.malformed} malformed log line(s) skipped\n\n`;
      if (text !== this.#lastPrinted || !this.options.cumulative) {
        this.#lastPrinted = text;
        this.options.print(text);
      }
    }
  }
}

/**
 * The report cycle of docs/query-language.md#cumulative-or-per-interval: first after half an
 * interval, then every interval. `stop` resolves once a report under way has finished, so the final
 * one never races it (outfile renames). Waits on Deno's timers (core/delay.ts): Node's
 * `setTimeout` would cost every dmap start-up time.
 */
export function startReports(
  query: Query,
  tick: () => Promise<void>,
): { stop(): Promise<void> } {
  const interval = (query.interval > 0 ? query.interval : 1) * 1000;
  const stopped = new AbortController();
  let running: Promise<void> = Promise.resolve();
  const schedule = (ms: number) => {
    void delay(ms, stopped.signal).then((due) => {
      if (!due || stopped.signal.aborted) return;
      running = tick().finally(() => {
        if (!stopped.signal.aborted) schedule(interval);
      });
    });
  };
  schedule(interval / 2);
  return {
    stop() {
      stopped.abort();
      return running.catch(() => {});
    },
  };
}
