/**
 * The logs of the query bench (bench/query_beyond.ts): a `json` and a `logfmt` log with the same
 * values (the expected dmap groups are summed while writing), and a log of fixed-width lines with
 * RFC 3339 times spread over the day before now, for `--since`.
 */
import { Prng } from "./generate.ts";

const SERVICES = 20;
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"];
const BATCH_LINES = 8192;
const DAY_MS = 86_400_000;

/** `a,b` → the count of lines, the sum of `x` and of `y`. */
export type Totals = Map<string, { count: number; sum: number; y: number }>;

/** One generated line's values. */
interface Values {
  readonly a: string;
  readonly b: string;
  readonly x: number;
  readonly y: string;
  readonly time: string;
  readonly path: string;
  readonly status: number;
}

export type LineFormat = "json" | "logfmt";

function jsonLine(v: Values): string {
  return `{"time":"${v.time}","level":"info","a":"${v.a}","b":"${v.b}","x":${v.x},"y":${v.y},` +
    `"msg":"request handled \\"ok\\"","req":{"path":"${v.path}","status":${v.status}},` +
    `"tags":["web","v2"]}\n`;
}

function logfmtLine(v: Values): string {
  return `time=${v.time} level=info a=${v.a} b=${v.b} x=${v.x} y=${v.y} ` +
    `msg="request handled \\"ok\\"" req.path=${v.path} req.status=${v.status} tags=web,v2\n`;
}

async function writeBatches(path: string, bytes: number, batch: (n: number) => string) {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let written = 0;
  for (let n = 0; written < bytes; n += BATCH_LINES) {
    const data = encoder.encode(batch(n));
    written += data.length;
    for (let off = 0; off < data.length;) off += await file.write(data.subarray(off));
  }
  return written;
}

/**
 * Writes at least `bytes` of `format` lines (whole batches) to `path`, the same values on every
 * run; returns the bytes written and the groups dmap must find.
 */
export async function writeFormatLog(path: string, format: LineFormat, bytes: number) {
  const rng = new Prng(17);
  const totals: Totals = new Map();
  const line = format === "json" ? jsonLine : logfmtLine;
  const written = await writeBatches(path, bytes, (first) => {
    let chunk = "";
    for (let n = first; n < first + BATCH_LINES; n++) {
      const v: Values = {
        a: `svc${rng.int(SERVICES)}`,
        b: rng.pick(METHODS),
        x: rng.int(1000),
        y: (rng.next() * 10).toFixed(3),
        time: `2026-12-03T20:${String(Math.floor(n / 60000) % 60).padStart(2, "0")}:00.${
          String(n % 1000).padStart(3, "0")
        }Z`,
        path: `/api/v1/items/${rng.int(100000)}`,
        status: rng.next() < 0.9 ? 200 : 500,
      };
      const key = `${v.a},${v.b}`;
      const t = totals.get(key) ?? { count: 0, sum: 0, y: 0 };
      t.count++;
      t.sum += v.x;
      t.y += Number(v.y);
      totals.set(key, t);
      chunk += line(v);
    }
    return chunk;
  });
  return { bytes: written, totals };
}

/** Every line of the timed log has this many bytes with its newline. */
export const TIMED_LINE_BYTES = 160;

/** The timed log: `lines` lines, line i at `firstMs + i * stepMs`, the last one before `endMs`. */
export interface TimedLog {
  readonly path: string;
  readonly bytes: number;
  readonly lines: number;
  readonly firstMs: number;
  readonly stepMs: number;
  readonly endMs: number;
}

/** One line of the timed log: its time (24 bytes, `…T…Z` with ms), then padded fields. */
export function timedLine(ms: number, rng: Prng): string {
  const head = `${new Date(ms).toISOString()} INFO svc=svc${
    String(rng.int(SERVICES)).padStart(2, "0")
  } method=${rng.pick(METHODS).padEnd(6)} path=/api/v1/items/${
    String(rng.int(100000)).padStart(5, "0")
  } status=${rng.next() < 0.9 ? 200 : 500} latency_ms=${String(rng.int(10000)).padStart(4, "0")}`;
  const msg = ` msg="request handled" req=${rng.int(0x7fffffff).toString(16).padStart(8, "0")}`;
  return `${head}${msg}`.padEnd(TIMED_LINE_BYTES - 1, " ") + "\n";
}

/**
 * About `bytes` of fixed-width lines whose times run evenly over the day before `endMs`: the last
 * ten minutes are 1/144 of the file, at its end.
 */
export async function writeTimedLog(path: string, bytes: number, endMs: number) {
  const lines = Math.max(1, Math.floor(bytes / TIMED_LINE_BYTES));
  const stepMs = DAY_MS / lines;
  const firstMs = endMs - DAY_MS;
  const rng = new Prng(0x5111ce);
  const written = await writeBatches(path, lines * TIMED_LINE_BYTES, (first) => {
    let chunk = "";
    const last = Math.min(lines, first + BATCH_LINES);
    for (let i = first; i < last; i++) chunk += timedLine(Math.floor(firstMs + i * stepMs), rng);
    return chunk;
  });
  return { path, bytes: written, lines, firstMs, stepMs, endMs } satisfies TimedLog;
}
