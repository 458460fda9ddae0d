/**
 * The colors of a `REMOTE|host|perc|lineno|id|text` line as people see it
 * (docs/compatibility.md#colors): the terminal printer renders selected lines with them, the
 * message printer the lines a server sent.
 */
import { DEFAULT_TERM_COLORS, Paint, type TermColors } from "./color.ts";

const encoder = new TextEncoder();

/** The paints of a `REMOTE|…` line, compiled once. */
export class RemotePaints {
  readonly remote: Paint;
  readonly delimiter: Paint;
  readonly hostname: Paint;
  readonly statsOk: Paint;
  readonly statsWarn: Paint;
  readonly count: Paint;
  readonly id: Paint;
  readonly text: Paint;
  readonly warn: Paint;
  readonly error: Paint;
  readonly fatal: Paint;
  constructor(colors: TermColors = DEFAULT_TERM_COLORS) {
    const r = colors.Remote;
    this.remote = new Paint(r.Remote);
    this.delimiter = new Paint(r.Delimiter);
    this.hostname = new Paint(r.Hostname);
    this.statsOk = new Paint(r.StatsOk);
    this.statsWarn = new Paint(r.StatsWarn);
    this.count = new Paint(r.Count);
    this.id = new Paint(r.ID);
    this.text = new Paint(r.Text);
    this.warn = new Paint(colors.Common.SeverityWarn);
    this.error = new Paint(colors.Common.SeverityError);
    this.fatal = new Paint(colors.Common.SeverityFatal);
  }

  /** The painted `REMOTE|host|perc|lineno|id|` prefix. */
  prefix(host: string, perc: string, lineNo: string, id: string): string {
    const d = this.delimiter.paint("|");
    const stats = perc === "100" ? this.statsOk : this.statsWarn;
    return this.remote.paint("REMOTE") + d + this.hostname.paint(host) + d + stats.paint(perc) +
      d + this.count.paint(lineNo) + d + this.id.paint(id) + d;
  }

  /** The paints of a line's text by severityOf(): plain, WARN, ERROR, FATAL. */
  get textPaints(): readonly Paint[] {
    return [this.text, this.warn, this.error, this.fatal];
  }

  /** The paint for a line's text: severity colors for WARN/ERROR/FATAL lines. */
  textPaint(content: Uint8Array): Paint {
    return this.textPaints[severityOf(content)]!;
  }
}

const WARN = encoder.encode("WARN");
const ERROR = encoder.encode("ERROR");
const FATAL = encoder.encode("FATAL");

/**
 * 0 plain text, 1 WARN, 2 ERROR, 3 FATAL (the text colors of docs/compatibility.md#colors): of
 * `content[start, end)`, by default all of it.
 */
export function severityOf(content: Uint8Array, start = 0, end = content.length): number {
  if (startsWith(content, start, end, WARN)) return 1;
  if (startsWith(content, start, end, ERROR)) return 2;
  if (startsWith(content, start, end, FATAL)) return 3;
  return 0;
}

function startsWith(bytes: Uint8Array, start: number, end: number, prefix: Uint8Array): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[start + i] !== prefix[i]) return false;
  return true;
}
