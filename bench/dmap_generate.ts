/**
 * Deterministic MapReduce benchmark data in DTail's `default` format (core/mapr/format_default.ts):
 * `mapr.log`, exactly 100 MiB, 40% `MAPREDUCE:STATS` lines from 50 hosts, 5% `MAPREDUCE:EVENTS`
 * lines and 55% ordinary log lines; and `mapr-groups.log`, 1,000,000 STATS lines whose `id` field
 * has 1,000,000 distinct values. Files already present with the recorded size are kept. The
 * second shape, mapr-mixed.log, is bench/dmap_generate_mixed.ts.
 */
import { join } from "node:path";
import { Prng } from "./generate.ts";

export const MAPR_LOG_BYTES = 100 * 1024 * 1024;
export const HOSTS = 50;
export const DISTINCT_GROUPS = 1_000_000;
const SEED = 0x5eed_3a9f;
const GENERATOR_VERSION = 1;
const MAX_LINE_BYTES = 300;
const BATCH_LINES = 8192;
const STATS_SHARE = 0.4;
const EVENTS_SHARE = 0.05;

export interface MaprData {
  readonly log: string;
  readonly groups: string;
}

const pad2 = (n: number) => String(n).padStart(2, "0");
/** web01 … web50; each host has a fixed CPU count, so `group by host,$cpus` has 50 groups. */
export const HOST_NAMES = Array.from({ length: HOSTS }, (_, i) => `web${pad2(i + 1)}`);
export const HOST_CPUS = HOST_NAMES.map((_, i) => [2, 4, 8, 16, 32][i % 5]!);
const PATHS = ["/api/v1/users/", "/api/v1/orders/", "/api/v2/search/", "/api/v1/invoices/"];
const EVENTS = ["deploy", "restart", "config-reload", "failover"];
const CALLERS = ["handler.go:88", "db.go:210", "cache.go:41", "server.go:120"];
const MESSAGES = [
  "request completed",
  "query failed: deadlock detected on table orders",
  "cache miss ratio above threshold",
  "upstream connect failed: connection refused",
];

/** `MMDD-HHMMSS`, twelve lines per second from 2026-11-24 00:00:00 UTC. */
export function clock(lineNo: number): string {
  const d = new Date(Date.UTC(2026, 10, 24) + Math.floor(lineNo / 12) * 1000);
  return `${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}-` +
    `${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`;
}

/** The nine positional fields up to (without) the table: severity … uptime. */
export function head(rng: Prng, time: string, host: number, caller: string): string {
  const load = (rng.int(400) / 100).toFixed(2);
  return `INFO|${time}|${1000 + host}|${caller}|${HOST_CPUS[host]}|${10 + rng.int(190)}|` +
    `${rng.int(50)}|${load}|${100 + host}h${rng.int(60)}m${rng.int(60)}s`;
}

function statsLine(rng: Prng, time: string, lineNo: number): string {
  const host = rng.int(HOSTS);
  const latency = rng.next() < 0.9 ? 1 + rng.int(200) : 200 + rng.int(2800);
  return `${head(rng, time, host, "stats.go:56")}|MAPREDUCE:STATS|host=${HOST_NAMES[host]}|` +
    `currentConnections=${rng.int(100)}|lifetimeConnections=${1000 + lineNo + rng.int(1000)}|` +
    `latencyMs=${latency}|bytesSent=${rng.int(1_000_000)}|path=${rng.pick(PATHS)}${rng.int(99999)}`;
}

function eventsLine(rng: Prng, time: string): string {
  const host = rng.int(HOSTS);
  return `${head(rng, time, host, "events.go:12")}|MAPREDUCE:EVENTS|host=${HOST_NAMES[host]}|` +
    `event=${rng.pick(EVENTS)}|count=${1 + rng.int(5)}`;
}

/** Ordinary lines in the same `|` style: short ones, and INFO lines with a message in field 9. */
function plainLine(rng: Prng, time: string): string {
  const host = rng.int(HOSTS);
  const p = rng.next();
  if (p < 0.4) return `${head(rng, time, host, "server.go:120")}|${rng.pick(MESSAGES)}`;
  const severity = p < 0.6 ? "WARN" : p < 0.75 ? "ERROR" : "DEBUG";
  return `${severity}|${time}|${1000 + host}|${rng.pick(CALLERS)}|${rng.pick(MESSAGES)} ` +
    `host=${HOST_NAMES[host]} took ${rng.int(3000)}ms`;
}

function maprLine(rng: Prng, lineNo: number): string {
  const time = clock(lineNo);
  const p = rng.next();
  if (p < STATS_SHARE) return statsLine(rng, time, lineNo);
  if (p < STATS_SHARE + EVENTS_SHARE) return eventsLine(rng, time);
  return plainLine(rng, time);
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
}

/** Writes lines from `line(n)` in batches until `more` says stop; returns the bytes written. */
function writeLines(
  file: Deno.FsFile,
  line: (lineNo: number) => string,
  more: (written: number, lineNo: number) => boolean,
): { written: number; lineNo: number } {
  const encoder = new TextEncoder();
  let written = 0;
  let lineNo = 0;
  while (more(written, lineNo)) {
    const batch: string[] = [];
    let bytes = 0;
    while (batch.length < BATCH_LINES && more(written + bytes, lineNo)) {
      const text = line(lineNo++) + "\n";
      batch.push(text);
      bytes += text.length; // ASCII only
    }
    writeAll(file, encoder.encode(batch.join("")));
    written += bytes;
  }
  return { written, lineNo };
}

/** Exactly MAPR_LOG_BYTES: generated lines, then one padded ordinary line. */
function writeMaprLog(path: string): void {
  const rng = new Prng(SEED);
  using file = Deno.openSync(path, { write: true, create: true, truncate: true });
  const more = (written: number) => MAPR_LOG_BYTES - written > MAX_LINE_BYTES;
  const { written, lineNo } = writeLines(file, (n) => maprLine(rng, n), more);
  const last = `DEBUG|${clock(lineNo)}|1000|pad.go:1|pad=`;
  const fill = MAPR_LOG_BYTES - written - last.length - 1;
  writeAll(file, new TextEncoder().encode(last + "x".repeat(fill) + "\n"));
}

/** DISTINCT_GROUPS short STATS lines; `id` runs through every value once, in scrambled order. */
function writeGroupsLog(path: string): void {
  const rng = new Prng(SEED ^ 0x2);
  using file = Deno.openSync(path, { write: true, create: true, truncate: true });
  const id = (n: number) => String((n * 7_919) % DISTINCT_GROUPS).padStart(7, "0");
  const line = (n: number) =>
    `INFO|${clock(n)}|1|stats.go:56|8|13|7|0.21|1h|MAPREDUCE:STATS|id=u${id(n)}|v=${rng.int(1000)}`;
  writeLines(file, line, (_, lineNo) => lineNo < DISTINCT_GROUPS);
}

function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return -1;
    throw err;
  }
}

/** Generates both files unless the manifest of this generator version records their sizes. */
export function ensureMaprData(dir: string): MaprData {
  Deno.mkdirSync(dir, { recursive: true });
  const data = { log: join(dir, "mapr.log"), groups: join(dir, "mapr-groups.log") };
  const manifestPath = join(dir, "mapr-manifest.json");
  let recorded: Record<string, number> = {};
  try {
    const parsed = JSON.parse(Deno.readTextFileSync(manifestPath));
    if (parsed.version === GENERATOR_VERSION) recorded = parsed.sizes;
  } catch {
    // no manifest yet
  }
  const files = [
    ["mapr.log", data.log, writeMaprLog],
    ["mapr-groups.log", data.groups, writeGroupsLog],
  ] as const;
  const sizes: Record<string, number> = {};
  for (const [name, path, make] of files) {
    if (recorded[name] === undefined || sizeOf(path) !== recorded[name]) {
      console.error(`bench: generating ${path}`);
      make(`${path}.tmp`);
      Deno.renameSync(`${path}.tmp`, path);
    }
    sizes[name] = sizeOf(path);
  }
  Deno.writeTextFileSync(
    manifestPath,
    JSON.stringify({ version: GENERATOR_VERSION, sizes }) + "\n",
  );
  return data;
}

if (import.meta.main) console.log(ensureMaprData(join(import.meta.dirname ?? ".", "data")));
