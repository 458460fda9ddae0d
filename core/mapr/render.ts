/**
 * Result output (docs/query-language.md#the-table, docs/query-language.md#outfile): the terminal
 * table, the CSV text and the outfile writer.
 */
import { DEFAULT_TERM_COLORS, Paint, type TermColors } from "../color.ts";
import { fullHostname } from "../hostname.ts";
import { escapeControls } from "../clip.ts";
import { rowsByKey } from "./aggregate.ts";
import { parseGoFloat } from "./evaluate.ts";
import type { Query, ResultRow, SelectItem } from "./types.ts";
import { OutputError, SetupError } from "../errors.ts";
import { osReason } from "../source_error.ts";
import { type ReplaceTarget, replaceTarget } from "../replace_file.ts";

export interface TableOptions {
  readonly color: boolean;
  /**
   * The table goes to a terminal: control characters in its cells (values from log lines) are
   * written visibly, as escapeControls writes them (core/visible_controls.ts says why).
   */
  readonly visibleControls?: boolean;
  readonly colors?: TermColors;
  /** Row cap without a `limit` clause; default 10. */
  readonly defaultCap?: number;
  /** The host in the cap warning's `CLIENT|host|WARN|…`; default fullHostname(). */
  readonly hostname?: string;
}

/** Go's `%f`: six decimals, ties to even on the exact value, `+Inf`, `-Inf`, `NaN`. */
export function formatFixed(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  const abs = Math.abs(value);
  const sign = value < 0 || Object.is(value, -0) ? "-" : "";
  if (abs >= 1e21) return `${sign}${BigInt(abs)}.000000`;
  let text = abs.toFixed(6);
  // A tie at the 7th decimal needs exactly 7 binary fraction digits; toFixed rounds it up.
  if (Number.isInteger(abs * 128) && !Number.isInteger(abs * 64)) {
    const lower = abs.toFixed(7).slice(0, -1);
    if (Number(lower.at(-1)) % 2 === 0) text = lower;
  }
  return sign + text;
}

/** Go's `%d` of `int(value)` (amd64: out of range ⇒ the minimum int64). */
export function formatInt(value: number): string {
  const truncated = Math.trunc(value);
  if (Number.isSafeInteger(truncated)) return Object.is(truncated, -0) ? "0" : String(truncated);
  if (!Number.isFinite(truncated) || Math.abs(truncated) >= 2 ** 63) {
    return "-9223372036854775808";
  }
  return BigInt(truncated).toString();
}

/** A cell as the table and CSV show it: counts `%d`, `last` raw, other numbers `%f`. */
export function formatCell(item: SelectItem, value: number | string | undefined): string {
  if (item.agg === "last") return value === undefined ? "" : String(value);
  if (typeof value === "string") return value;
  const number = value ?? 0;
  return item.agg === "count" || item.agg === "count_distinct"
    ? formatInt(number)
    : formatFixed(number);
}

/** Byte order of the UTF-8 encodings (Go's string comparison). */
function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) { // surrogates (≥ U+10000) sort after U+E000–U+FFFF
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Whether UTF-16 order equals UTF-8 byte order for these keys: no surrogates in any. */
function plainOrder(rows: readonly ResultRow[]): boolean {
  for (const row of rows) if (/[\ud800-\udfff]/.test(row.groupKey)) return false;
  return true;
}

/** Rows by their (unique) group keys in UTF-16 order: the built-in sort without a callback. */
function sortByKeyNatively(rows: readonly ResultRow[]): ResultRow[] {
  const keys = rows.map((row) => row.groupKey).sort();
  let byKey = rowsByKey(rows);
  if (byKey === null) {
    const map = new Map(rows.map((row) => [row.groupKey, row]));
    byKey = (key) => map.get(key)!;
  }
  // In place: the keys' array becomes the rows' one.
  const sorted = keys as unknown as ResultRow[];
  for (let i = 0; i < keys.length; i++) sorted[i] = byKey(keys[i]!);
  return sorted;
}

/** Whether the select item of text `key` is a time bucket. */
function isBucketItem(query: Query, key: string): boolean {
  const item = query.select.find((s) => s.text === key);
  return item !== undefined && (query.buckets ?? []).some((b) => b.text === item.field);
}

/** A bucket's order key: its start (a row without one first). */
function bucketOrder(text: string): (row: ResultRow) => number {
  return (row) => {
    const value = row.cells.get(text);
    const start = typeof value === "string" ? Date.parse(value) : NaN;
    return start === start ? start : -Infinity;
  };
}

/**
 * Rows by group key, then stable by the order key (descending for `order by`): as numbers, but a
 * time bucket by its start (docs/query-language.md#time-buckets).
 */
export function sortRows(query: Query, rows: readonly ResultRow[]): ResultRow[] {
  const sorted = plainOrder(rows)
    ? sortByKeyNatively(rows)
    : [...rows].sort((a, b) => compareKeys(a.groupKey, b.groupKey));
  const order = query.orderBy;
  if (order === null) return sorted;
  const key = isBucketItem(query, order.key)
    ? bucketOrder(order.key)
    : (row: ResultRow): number => {
      const value = row.cells.get(order.key);
      if (typeof value === "number") return value;
      return value === undefined ? 0 : parseGoFloat(value) ?? 0;
    };
  const keyed = sorted.map((row) => ({ row, key: key(row) }));
  // Ties keep the group-key order: deterministic. (Go's unstable sort leaves ties in an
  // arbitrary order, so the upstream goldens only fix the order of the sort column.)
  const sign = order.descending ? -1 : 1;
  keyed.sort((a, b) => (a.key < b.key ? -sign : a.key > b.key ? sign : 0));
  return keyed.map((k) => k.row);
}

/** The table and the CSV of one report format the same rows: do it once. */
const formatted = new WeakMap<readonly ResultRow[], string[][]>();

function formatRows(query: Query, rows: readonly ResultRow[]): string[][] {
  let cells = formatted.get(rows);
  if (cells === undefined) {
    cells = sortRows(query, rows).map((row) =>
      query.select.map((item) => formatCell(item, row.cells.get(item.text)))
    );
    formatted.set(rows, cells);
  }
  return cells;
}

/** Code points in a string (the terminal width of a cell). */
function codePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function rowLimit(query: Query, defaultCap: number): number {
  return query.limit === -1 ? defaultCap : query.limit;
}

/** The warning printed when the terminal output is capped (the text of a CLIENT WARN line). */
export function capWarning(total: number, cap: number): string {
  return `Got ${total} results but limited terminal output to ${cap} rows! ` +
    "Use 'limit' clause to override!";
}

/**
 * A line of the Go client's own log on stdout: `CLIENT|host|WARN|text` (or INFO), painted with
 * the `Client` colors, the text with `Common.SeverityWarn` (WARN) or `Client.Text` (INFO).
 */
export function clientLine(
  host: string,
  severity: "INFO" | "WARN",
  text: string,
  colors: TermColors | null,
): string {
  if (colors === null) return `CLIENT|${host}|${severity}|${text}\n`;
  const c = colors.Client;
  const delimiter = new Paint(c.Delimiter).paint("|");
  const textPaint = new Paint(severity === "WARN" ? colors.Common.SeverityWarn : c.Text);
  return new Paint(c.Client).paint("CLIENT") + delimiter + new Paint(c.Hostname).paint(host) +
    delimiter + textPaint.paint(`${severity}|${text}`) + "\n";
}

const RESET = "\x1b[0m\x1b[49m\x1b[39m";
/** What the Go client puts around each raw piece it prints in color (its query line, its table). */
const RAW_OPEN = "\x1b[39m\x1b[49m";
const RAW_CLOSE = "\x1b[49m\x1b[39m";

/**
 * The terminal output of one report (docs/query-language.md#the-table) as the Go client prints it:
 * the raw query line, the `CLIENT|host|WARN|…` line if the default cap (no `limit` clause) cut
 * rows, the table, and a blank line. In color the query line and the table are each wrapped in the
 * default-color resets Go prints around raw output. The caller prints it only when there are rows.
 */
export function renderTable(query: Query, rows: ResultRow[], opts: TableOptions): string {
  const formatted = formatRows(query, rows);
  const cells = opts.visibleControls ? formatted.map((row) => row.map(escapeControls)) : formatted;
  const texts = query.select.map((s) => s.text);
  const widths = texts.map((t, i) =>
    cells.reduce((w, row) => Math.max(w, codePoints(row[i]!)), codePoints(t))
  );
  const pad = (text: string, i: number) =>
    ` ${text.padStart(widths[i]! + text.length - codePoints(text))} `;
  const cap = rowLimit(query, opts.defaultCap ?? 10);
  const shown = cap < 0 ? cells : cells.slice(0, cap);
  const allColors = opts.colors ?? DEFAULT_TERM_COLORS;
  // Only the default cap warns: a `limit` clause cuts silently (as in Go).
  const warning = query.limit === -1 && cap > 0 && cells.length > cap
    ? clientLine(
      opts.hostname ?? fullHostname(),
      "WARN",
      capWarning(cells.length, cap),
      opts.color ? allColors : null,
    )
    : "";
  const colors = allColors.MaprTable;
  let out = "";
  if (opts.color) {
    const header = new Paint(colors.Header);
    const headerDelim = new Paint(colors.HeaderDelimiter).paint("|");
    const ruleDelim = new Paint(colors.HeaderDelimiter);
    const data = new Paint(colors.Data);
    const dataDelim = new Paint(colors.Delimiter).paint("|");
    out += RAW_OPEN + new Paint(colors.RawQuery).paint(query.raw) + RAW_CLOSE + "\n" + warning;
    out += RAW_OPEN + texts.map((t, i) => {
      let open = header.open;
      if (t === query.orderBy?.key) open += "\x1b[4m";
      if (query.groupBy.includes(t)) open += "\x1b[7m";
      return open + pad(t, i) + RESET;
    }).join(headerDelim) + "\n";
    out += widths.map((w) => ruleDelim.paint("-".repeat(w + 2))).join(headerDelim) + "\n";
    for (const row of shown) {
      out += row.map((c, i) => data.paint(pad(c, i))).join(dataDelim) + "\n";
    }
    return out + RAW_CLOSE + "\n";
  }
  out += query.raw + "\n" + warning;
  out += texts.map(pad).join("|") + "\n";
  out += widths.map((w) => "-".repeat(w + 2)).join("|") + "\n";
  for (const row of shown) out += row.map(pad).join("|") + "\n";
  return out + "\n";
}

function csvHeader(query: Query): string {
  return query.select.map(csvHeaderCell).join(",") + "\n";
}

/**
 * A select text as a CSV header cell: as it is (as Go writes it), but quoted when it holds a comma
 * or a quote (`quantile(x, q)`, `bucket($time, 1m)`), which Go's select items never do.
 */
function csvHeaderCell(item: SelectItem): string {
  return /[",]/.test(item.text) ? csvQuoted(item.text) : item.text;
}

/**
 * A value as a CSV cell: as the table shows it, quoted (RFC 4180) when it holds a comma, a quote
 * or a line break. Go writes such a value as it is, which splits it into more columns than the
 * header names; every other cell is the same as Go's.
 */
function csvCell(item: SelectItem, value: number | string | undefined): string {
  const text = formatCell(item, value);
  if (typeof value !== "string") return text;
  return text.includes(",") || text.includes('"') || text.includes("\n") || text.includes("\r")
    ? csvQuoted(text)
    : text;
}

function csvQuoted(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/** CSV text is written in pieces of about this many characters (memory stays flat). */
const CSV_PIECE = 64 * 1024;

/**
 * The CSV rows (`limit` applied) in pieces of about CSV_PIECE characters, formatted row by row:
 * a million rows make no array of cells or lines. The formatting is the table's (formatCell).
 */
function csvPieces(query: Query, rows: readonly ResultRow[], piece: (text: string) => void) {
  const sorted = sortRows(query, rows);
  const count = query.limit < 0 ? sorted.length : Math.min(query.limit, sorted.length);
  const items = query.select;
  let out = "";
  for (let r = 0; r < count; r++) {
    const cells = sorted[r]!.cells;
    let line = csvCell(items[0]!, cells.get(items[0]!.text));
    for (let i = 1; i < items.length; i++) {
      line += "," + csvCell(items[i]!, cells.get(items[i]!.text));
    }
    out += line + "\n";
    if (out.length >= CSV_PIECE) {
      piece(out);
      out = "";
    }
  }
  if (out !== "") piece(out);
}

function csvBody(query: Query, rows: readonly ResultRow[]): string {
  const pieces: string[] = [];
  csvPieces(query, rows, (text) => pieces.push(text));
  return pieces.join("");
}

/**
 * The outfile CSV (docs/query-language.md#outfile): header, rows as in the table, `limit` applied,
 * no default cap.
 */
export function renderCsv(query: Query, rows: ResultRow[]): string {
  return csvHeader(query) + csvBody(query, rows);
}

const encoder = new TextEncoder();

/** Writes the header (when asked) and the CSV rows to `file` piece by piece. */
function writeCsv(
  file: { writeSync(p: Uint8Array): number },
  query: Query,
  rows: readonly ResultRow[],
  header: boolean,
) {
  const write = (text: string) => {
    writeAll(file, encoder.encode(text));
  };
  if (header) write(csvHeader(query));
  csvPieces(query, rows, write);
}

/**
 * Writes `<path>.query` (via `.tmp-<pid>` + rename), then the CSV: replaced via `<path>.tmp-<pid>` +
 * rename,
 * or with `outfile append` appended, with the header only when the file is missing or empty. A
 * symlink is written through; what is not a regular file (`/dev/stdout`, a FIFO) is written into,
 * without a `.query` file beside it (core/replace_file.ts).
 * `note` gets the Go client's log texts of the write: `Writing to outfile|PATH` and, once renamed,
 * `Successfully renamed outfile to|PATH`; or `Appending to outfile|PATH`. The writes are
 * synchronous: Deno's asynchronous file API loads ~15 ms of code on first use, more than a
 * report's CSV takes to write.
 */
// deno-lint-ignore require-await
export async function writeOutfile(
  query: Query,
  rows: ResultRow[],
  note: (text: string) => void = () => {},
): Promise<void> {
  const outfile = query.outfile;
  if (outfile === null) throw new Error("no outfile in the query");
  const shown = outfile.path;
  const target = outfileTarget(shown);
  try {
    writeTo(target, outfile, query, rows, note);
  } catch (e) {
    if (e instanceof OutfileError) throw e;
    throw new OutputError(`cannot write outfile "${shown}": ${osReason(e)}`);
  }
}

function writeTo(
  target: ReplaceTarget,
  outfile: { readonly path: string; readonly append: boolean },
  query: Query,
  rows: ResultRow[],
  note: (text: string) => void,
): void {
  const shown = outfile.path;
  if (target.kind === "stream") {
    note(`Writing to outfile|${shown}`);
    if (target.descriptor === 1 || target.descriptor === 2) {
      writeCsv(target.descriptor === 1 ? Deno.stdout : Deno.stderr, query, rows, true);
      return;
    }
    using file = Deno.openSync(target.path, { append: true });
    writeCsv(file, query, rows, true);
    return;
  }
  const path = target.path; // a symlink's target
  replaceWith(`${shown}.query`, (file) => writeAll(file, encoder.encode(query.raw)));
  if (!outfile.append) {
    note(`Writing to outfile|${shown}`);
    replaceWith(path, (file) => writeCsv(file, query, rows, true));
    note(`Successfully renamed outfile to|${shown}`);
    return;
  }
  let empty = true;
  try {
    empty = Deno.statSync(path).size === 0;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  note(`Appending to outfile|${shown}`);
  using file = Deno.openSync(path, { append: true, create: true });
  writeCsv(file, query, rows, empty);
}

function writeAll(file: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
}

/**
 * Writes `<path>.tmp-<pid>` and renames it over `path`; on an error nothing is left behind. The pid
 * keeps two dmaps with the same outfile (a cron job that overlaps its last run) from writing into
 * one temporary file, which mixed their CSVs.
 */
function replaceWith(path: string, write: (file: Deno.FsFile) => void): void {
  const tmp = `${path}.tmp-${Deno.pid}`;
  try {
    {
      using file = Deno.openSync(tmp, { write: true, create: true, truncate: true });
      write(file);
    }
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* the write's error is the one to report */ }
    throw e;
  }
}

/** The directory part of a path, as node:path's dirname (not loaded: it costs start-up). */
function dirname(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const cut = trimmed.lastIndexOf("/");
  if (cut < 0) return ".";
  return cut === 0 ? "/" : trimmed.slice(0, cut).replace(/\/+$/, "") || "/";
}

/** Where an outfile goes (core/replace_file.ts); a directory is refused. */
function outfileTarget(outfile: string): ReplaceTarget {
  const target = replaceTarget(outfile);
  if (target.kind === "stream" && target.isDirectory) {
    throw new OutfileError(`cannot write outfile "${outfile}": it is a directory`);
  }
  return target;
}

/** An outfile that cannot be written: a user error (one line, exit 2; see app/main.ts). */
export class OutfileError extends SetupError {
  override name = "OutfileError";
}

/** Throws a one-line OutfileError when the outfile cannot be written (checked before any work). */
export function checkOutfileWritable(outfile: string, append = false): void {
  const target = outfileTarget(outfile);
  // A device or a FIFO is opened once, to write (a FIFO's reader would see an early end).
  if (target.kind === "stream") return;
  const path = target.path;
  const dir = dirname(path);
  const fail = (why: string): never => {
    throw new OutfileError(`cannot write outfile "${path}": ${why}`);
  };
  try {
    if (!Deno.statSync(dir).isDirectory) fail(`"${dir}" is not a directory`);
  } catch (e) {
    if (e instanceof OutfileError) throw e;
    if (e instanceof Deno.errors.NotFound) fail(`directory "${dir}" does not exist`);
    fail(`directory "${dir}": ${osReason(e)}`);
  }
  try {
    if (Deno.statSync(path).isDirectory) fail("it is a directory");
    if (append) Deno.openSync(path, { append: true }).close();
  } catch (e) {
    if (e instanceof OutfileError) throw e;
    if (e instanceof Deno.errors.PermissionDenied) fail("permission denied");
    if (!(e instanceof Deno.errors.NotFound)) fail(osReason(e));
  }
  try {
    Deno.removeSync(Deno.makeTempFileSync({ dir, prefix: ".dtail-outfile-check-" }));
  } catch (e) {
    if (e instanceof Deno.errors.PermissionDenied) fail(`directory "${dir}" is not writable`);
    fail(`directory "${dir}" is not writable: ${osReason(e)}`);
  }
}
