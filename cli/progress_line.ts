/**
 * dmap's progress line on stderr (docs/usage.md#live-output): `dmap: 1.2 GB of 4.0 GB (30%), 12
 * of 40 servers done`, drawn in place (`\r`, the text, erase to the end of the line) at most every
 * 250 ms, hidden while something else is printed and erased at the end, so that nothing of it is
 * left on the screen. FleetProgress and FileProgress keep the counts it shows.
 */
import type { ReadBytes } from "../core/protocol/progress.ts";

/** How often the line is redrawn at most. */
export const PROGRESS_LINE_MS = 250;

const ERASE_LINE = "\r\x1b[K";

export interface LineTerminal {
  /** Writes to the terminal the line is on (stderr), at once. */
  write(text: string): void;
  /** The terminal's width. */
  columns(): number;
}

export class ProgressLine {
  #text: string | null = null;
  #shown = false;
  #paused = false;
  #ended = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly terminal: LineTerminal,
    /** The line's text now; null: no line. */
    private readonly source: () => string | null,
    intervalMs = PROGRESS_LINE_MS,
  ) {
    // The first draw is one interval in: a run that ends sooner shows no line at all.
    this.#timer = setInterval(() => this.#tick(), intervalMs);
  }

  /** Erases the line (something else is printed next); `show` draws it again. */
  hide(): void {
    if (!this.#shown) return;
    this.terminal.write(ERASE_LINE);
    this.#shown = false;
  }

  /** Draws the line again after `hide`, now. */
  show(): void {
    if (this.#shown || this.#paused || this.#ended || this.#text === null) return;
    this.#draw(this.#text);
  }

  /** While a prompt is on the terminal the line is not drawn. */
  pause(active: boolean): void {
    this.#paused = active;
    if (active) this.hide();
    else this.show();
  }

  /** Erases the line for good. */
  end(): void {
    clearInterval(this.#timer);
    this.hide();
    this.#ended = true;
  }

  /**
   * Draws the line, also when unchanged: something else may have erased it (Deno itself clears
   * the line when a worker starts on a terminal).
   */
  #tick(): void {
    const text = this.source();
    this.#text = text;
    if (this.#paused || this.#ended) return;
    if (text === null) this.hide();
    else this.#draw(text);
  }

  #draw(text: string): void {
    // One column short of the width: a full line would wrap, and `\r` would not reach its start.
    const fit = Array.from(text).slice(0, Math.max(1, this.terminal.columns() - 1)).join("");
    this.terminal.write(`\r${fit}\x1b[K`);
    this.#shown = true;
  }
}

/** The counts of a run against servers: each server's bytes, and the servers done. */
export class FleetProgress {
  #servers = 0;
  readonly #done = new Set<string>();
  readonly #bytes = new Map<string, ReadBytes>();

  constructor(private readonly program: string) {}

  servers(count: number): void {
    this.#servers = count;
  }

  /** What a server of ours read so far (a Go dserver sends none: it only counts when done). */
  bytes(server: string, read: number, total: number): void {
    if (!this.#done.has(server)) this.#bytes.set(server, { read, total });
  }

  /** A server's run ended, whatever the outcome: its files count as read. */
  done(server: string): void {
    this.#done.add(server);
    const bytes = this.#bytes.get(server);
    if (bytes !== undefined) this.#bytes.set(server, { read: bytes.total, total: bytes.total });
  }

  text(): string | null {
    if (this.#servers === 0) return null;
    let read = 0;
    let total = 0;
    for (const b of this.#bytes.values()) {
      read += Math.min(b.read, b.total);
      total += b.total;
    }
    return progressText(this.program, total > 0 ? { read, total } : null, {
      done: this.#done.size,
      all: this.#servers,
      unit: "servers",
    });
  }
}

/**
 * `dmap: 1.2 GB of 4.0 GB (30%), 12 of 40 servers done`; without bytes only the count, without
 * a count only the bytes.
 */
export function progressText(
  program: string,
  bytes: ReadBytes | null,
  count: { done: number; all: number; unit: "servers" | "files" } | null,
): string | null {
  const parts: string[] = [];
  if (bytes !== null) {
    const percent = bytes.total === 0 ? 100 : Math.floor((bytes.read * 100) / bytes.total);
    parts.push(`${formatBytes(bytes.read)} of ${formatBytes(bytes.total)} (${percent}%)`);
  }
  if (count !== null && count.all > 0) {
    parts.push(`${count.done} of ${count.all} ${count.unit} done`);
  }
  return parts.length === 0 ? null : `${program}: ${parts.join(", ")}`;
}

const UNITS = ["B", "kB", "MB", "GB", "TB", "PB"];

/** Bytes in SI units with one decimal (`1.2 GB`); plain bytes below 1000. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 999.95 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}
