/**
 * Live query output on a terminal (docs/usage.md#live-output): each report of `dtail --query`
 * (and dmap's reports) replaces the one before it in place instead of scrolling a new one, and
 * dmap's progress line (progress_line.ts) sits below it on stderr. Everything else the run prints
 * on the terminal meanwhile (warnings, stats lines) goes through `above`: the table is erased, the
 * text printed, the table drawn again under it, so the screen holds one table, the latest.
 */
import type { BufferedOutput } from "../core/output.ts";
import type { ProgressLine } from "./progress_line.ts";

/** What a run against servers tells the live output (cli/remote.ts). */
export interface LiveRunHooks {
  /** Servers are asked for progress messages (dmap's progress line). */
  readonly wantsBytes: boolean;
  /** The number of servers of the run. */
  servers(count: number): void;
  /** What a server read so far of its files' total. */
  bytes(server: string, read: number, total: number): void;
  /** A server's run ended (whatever the outcome). */
  done(server: string): void;
  /** Prints stderr text (a stats line) above the live output. */
  stderr(text: string): void;
  /** A host key prompt is on the terminal (true) or answered (false): nothing is drawn meanwhile. */
  prompting(active: boolean): void;
}

export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

export interface LiveTableOptions {
  /** Reports replace each other in place (stdout is a terminal); false: printed as they are. */
  readonly inPlace: boolean;
  readonly progress: ProgressLine | null;
  readonly size: () => TerminalSize;
}

export class LiveTable {
  /** The report last printed. */
  #text = "";
  /** Rows the cursor is below the start of the report on screen; null when none is tracked. */
  #rows: number | null = null;

  constructor(private readonly out: BufferedOutput, private readonly options: LiveTableOptions) {}

  /** Prints a report: in place of the last one, or (not in place) after it. */
  report(text: string): void {
    const progress = this.options.progress;
    progress?.hide();
    if (!this.options.inPlace) {
      this.out.string(text);
    } else if (text !== this.#text || this.#rows === null) {
      this.#erase();
      this.#text = text;
      this.#draw();
    }
    this.out.flush();
    progress?.show();
  }

  /** Runs `print`, which writes to the terminal, with the live output out of its way. */
  above(print: () => void): void {
    const progress = this.options.progress;
    progress?.hide();
    const table = this.#rows !== null;
    if (table) {
      this.#erase();
      this.out.flush();
    }
    try {
      print();
    } finally {
      if (table) {
        this.#draw();
        this.out.flush();
      }
      progress?.show();
    }
  }

  /**
   * Something this output does not know of was written to the terminal (a host key prompt): the
   * report on screen is left where it is, the next one printed below.
   */
  forget(): void {
    this.#rows = null;
  }

  /** The run ended: the last report stays, the progress line goes. */
  end(): void {
    this.out.flush();
    this.options.progress?.end();
  }

  #erase(): void {
    if (this.#rows === null) return;
    const up = this.#rows;
    this.out.string(up > 0 ? `\r\x1b[${up}A\x1b[J` : "\r\x1b[J");
    this.#rows = null;
  }

  #draw(): void {
    this.out.string(this.#text);
    const size = this.options.size();
    const rows = rowsAbove(this.#text, size.columns);
    // Taller than the screen, the cursor could not go back to its start: it scrolls instead.
    this.#rows = rows < size.rows - 1 ? rows : null;
  }
}

const ANSI = new RegExp("\x1b\\[[0-9;?]*[A-Za-z]", "g");

/**
 * How many screen rows above the cursor the start of `text` is once printed from the start of a
 * row on a terminal `columns` wide (long lines wrap; color sequences take no room).
 */
export function rowsAbove(text: string, columns: number): number {
  const width = Math.max(1, columns);
  const lines = text.split("\n");
  const last = lines.pop()!;
  let rows = 0;
  for (const line of lines) rows += Math.max(1, Math.ceil(visibleWidth(line) / width));
  // The cursor stays on the last row of an unfinished line.
  if (last !== "") rows += Math.max(0, Math.ceil(visibleWidth(last) / width) - 1);
  return rows;
}

function visibleWidth(line: string): number {
  let n = 0;
  for (const _ of line.replace(ANSI, "").replace(/\r/g, "")) n++;
  return n;
}

/** The terminal's size; 80×24 when it cannot be told. */
export function terminalSize(): TerminalSize {
  try {
    const { columns, rows } = Deno.consoleSize();
    return { columns: columns > 0 ? columns : 80, rows: rows > 0 ? rows : 24 };
  } catch {
    return { columns: 80, rows: 24 };
  }
}
