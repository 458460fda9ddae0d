/**
 * Deterministic benchmark data: a 100 MiB log (seeded PRNG, same bytes on every run), its .gz and
 * .zst copies, a 1000 MiB log made of ten copies of it, and a single 50 MB line.
 * Files already present with the recorded size are kept. The second data shape, mixed.log, is
 * bench/generate_mixed.ts.
 */
import { basename, dirname, join } from "node:path";

export const LOG_BYTES = 100 * 1024 * 1024;
export const BIG_COPIES = 10;
export const ONE_LINE_BYTES = 50_000_000;
export const RARE_TOKEN = "RARETOKEN-x";
const SEED = 0x5eed_d7a1;
const GENERATOR_VERSION = 1;
const MAX_LINE_BYTES = 400;
const BATCH_LINES = 8192;

/** A log and its compressed copies: what the throughput cases read (bench/cases.ts). */
export interface LogSet {
  readonly log: string;
  readonly gz: string;
  readonly zst: string;
}

export interface DataSet extends LogSet {
  readonly big: string;
  /** big.log compressed with zstd: the decompression worker's memory on a 1 GB stream. */
  readonly bigZst: string;
  readonly oneLine: string;
}

/** File sizes by file name. */
export type Manifest = Record<string, number>;

/** mulberry32: tiny, fast, good enough for test data. */
export class Prng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(below: number): number {
    return Math.floor(this.next() * below);
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }
}

const SERVICES = ["api-gateway", "auth", "billing", "search", "ingest", "scheduler", "mailer"];
const PATHS = ["/api/v1/users", "/api/v1/orders", "/api/v2/search", "/healthz", "/api/v1/invoices"];
const METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"];
const ERROR_TEXTS = [
  "upstream connect failed: connection refused",
  "query failed: deadlock detected on table orders",
  "timeout waiting for lock on key session:",
  "panic recovered in handler: index out of range",
  "TLS handshake failed: certificate has expired",
];
const WARN_TEXTS = [
  "slow query detected, consider an index",
  "retrying request, attempt 2 of 5",
  "cache miss ratio above threshold",
  "disk usage at 87% on /var/lib/data",
];
const DEBUG_TEXTS = [
  "cache lookup key=user:",
  "opening pooled connection to db-replica-",
  "parsed request headers count=",
  "scheduling job id=",
];
const INFO_TEXTS = [
  "request completed",
  "user logged in",
  "config reloaded from /etc/app/config.yaml",
  "worker heartbeat ok",
];

/** Severity by share of lines: ERROR about 19%. */
function pickSeverity(rng: Prng): string {
  const p = rng.next();
  if (p < 0.19) return "ERROR";
  if (p < 0.29) return "WARN";
  if (p < 0.52) return "DEBUG";
  if (p < 0.525) return "TRACE";
  if (p < 0.526) return "FATAL";
  return "INFO";
}

function timestamp(lineNo: number): string {
  const ms = Date.UTC(2026, 10, 24, 8, 0, 0) + lineNo * 7;
  return new Date(ms).toISOString();
}

function messageFor(rng: Prng, severity: string): string {
  const hex = rng.int(0xffffff).toString(16);
  switch (severity) {
    case "ERROR":
    case "FATAL":
      return `${rng.pick(ERROR_TEXTS)} ${hex}`;
    case "WARN":
      return `${rng.pick(WARN_TEXTS)} ref=${hex}`;
    case "DEBUG":
    case "TRACE":
      return `${rng.pick(DEBUG_TEXTS)}${rng.int(100000)}`;
    default:
      return `${rng.pick(INFO_TEXTS)} ${rng.pick(METHODS)} ${rng.pick(PATHS)}/${rng.int(99999)}`;
  }
}

/** One log line without its newline; pure ASCII so string length equals byte length. */
function logLine(rng: Prng, lineNo: number): string {
  const severity = pickSeverity(rng);
  const host = `web${rng.int(48).toString().padStart(2, "0")}`;
  const service = rng.pick(SERVICES);
  const pid = 1000 + rng.int(30000);
  const latency = rng.next() < 0.4 ? ` took ${1 + rng.int(2500)}ms` : "";
  const rare = rng.next() < 0.0001 ? ` trace=${RARE_TOKEN}${rng.int(1e9)}` : "";
  const request = `req=${rng.int(0x7fffffff).toString(36)}`;
  const message = messageFor(rng, severity);
  return `${timestamp(lineNo)} ${host} ${service}[${pid}]: ${severity.padEnd(5)} [${request}] ` +
    `${message}${latency}${rare} status=${rng.pick([200, 200, 200, 201, 204, 404, 500])}`;
}

/** Writes exactly `bytes` (app.log: LOG_BYTES): regular lines, then one padded line for the rest. */
export function writeLog(path: string, bytes: number = LOG_BYTES): void {
  const rng = new Prng(SEED);
  const encoder = new TextEncoder();
  using file = Deno.openSync(path, { write: true, create: true, truncate: true });
  let written = 0;
  let lineNo = 0;
  while (bytes - written > MAX_LINE_BYTES) {
    const batch: string[] = [];
    let batchBytes = 0;
    while (batch.length < BATCH_LINES && bytes - written - batchBytes > MAX_LINE_BYTES) {
      const line = logLine(rng, lineNo++) + "\n";
      batch.push(line);
      batchBytes += line.length;
    }
    writeAll(file, encoder.encode(batch.join("")));
    written += batchBytes;
  }
  const last = logLine(rng, lineNo) + " pad=";
  const fill = bytes - written - last.length - 1;
  if (fill < 0) throw new Error("MAX_LINE_BYTES is smaller than a generated line");
  writeAll(file, encoder.encode(last + "x".repeat(fill) + "\n"));
}

export function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
}

function writeBigLog(source: string, path: string): void {
  const content = Deno.readFileSync(source);
  using file = Deno.openSync(path, { write: true, create: true, truncate: true });
  for (let i = 0; i < BIG_COPIES; i++) writeAll(file, content);
}

/** ONE_LINE_BYTES of words and spaces, no newline anywhere. */
function writeOneLine(path: string): void {
  const rng = new Prng(SEED ^ 0x1);
  const block = new Uint8Array(1 << 20);
  for (let i = 0; i < block.length; i++) {
    const r = rng.int(32);
    block[i] = r < 26 ? 97 + r : r < 30 ? 48 + (r - 26) : 32;
  }
  using file = Deno.openSync(path, { write: true, create: true, truncate: true });
  for (let left = ONE_LINE_BYTES; left > 0; left -= block.length) {
    writeAll(file, block.subarray(0, Math.min(left, block.length)));
  }
}

export async function compress(
  tool: "gzip" | "zstd",
  source: string,
  target: string,
): Promise<void> {
  const args = tool === "gzip" ? ["-c", source] : ["-q", "-T0", "-c", source];
  const child = new Deno.Command(tool, { args, stdout: "piped", stderr: "inherit" }).spawn();
  const file = await Deno.open(target, { write: true, create: true, truncate: true });
  await child.stdout.pipeTo(file.writable);
  const status = await child.status;
  if (!status.success) throw new Error(`${tool} -c ${source} failed with code ${status.code}`);
}

export function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return -1;
    throw err;
  }
}

/** The sizes a manifest records, or none when it was written by another generator version. */
export function readManifest(path: string, version: number = GENERATOR_VERSION): Manifest {
  try {
    const parsed = JSON.parse(Deno.readTextFileSync(path));
    return parsed.version === version ? parsed.sizes : {};
  } catch {
    return {};
  }
}

/** Records `sizes` as what generator `version` made. */
export function writeManifest(path: string, version: number, sizes: Manifest): void {
  Deno.writeTextFileSync(path, JSON.stringify({ version, sizes }) + "\n");
}

/**
 * The size to keep a file made from `log` at: the recorded one while `log` is the `bytes` the
 * manifest records; none (make it again) otherwise. Checked before `log` is made.
 */
export function derivedSizes(
  recorded: Manifest,
  log: string,
  bytes: number,
): (file: string) => number | undefined {
  const current = recorded[basename(log)] === bytes && sizeOf(log) === bytes;
  return (file) => (current ? recorded[basename(file)] : undefined);
}

/** The .gz and .zst copies of `set.log`, each kept at the size `expected` gives; sizes by name. */
export async function ensureCompressed(
  set: LogSet,
  expected: (file: string) => number | undefined,
): Promise<Manifest> {
  const gz = await ensureFile(set.gz, expected(set.gz), (tmp) => compress("gzip", set.log, tmp));
  const zst = await ensureFile(set.zst, expected(set.zst), (tmp) => compress("zstd", set.log, tmp));
  return { [basename(set.gz)]: gz, [basename(set.zst)]: zst };
}

/** Makes one file unless it exists with the expected size; returns its size. */
export async function ensureFile(
  path: string,
  expected: number | undefined,
  make: (tmp: string) => void | Promise<void>,
): Promise<number> {
  const size = sizeOf(path);
  if (expected !== undefined && size === expected) return size;
  console.error(`bench: generating ${path}`);
  const tmp = `${path}.tmp`;
  await make(tmp);
  Deno.renameSync(tmp, path);
  return sizeOf(path);
}

export async function ensureData(dir: string): Promise<DataSet> {
  Deno.mkdirSync(dir, { recursive: true });
  const data: DataSet = {
    log: join(dir, "app.log"),
    gz: join(dir, "app.log.gz"),
    zst: join(dir, "app.log.zst"),
    big: join(dir, "big.log"),
    bigZst: join(dir, "big.log.zst"),
    oneLine: join(dir, "one-line.log"),
  };
  const manifestPath = join(dirname(data.log), "manifest.json");
  const recorded = readManifest(manifestPath);
  const derived = derivedSizes(recorded, data.log, LOG_BYTES);
  const sizes: Manifest = {};
  sizes["app.log"] = await ensureFile(data.log, derived(data.log), writeLog);
  Object.assign(sizes, await ensureCompressed(data, derived));
  sizes["big.log"] = await ensureFile(
    data.big,
    derived(data.big),
    (tmp) => writeBigLog(data.log, tmp),
  );
  sizes["big.log.zst"] = await ensureFile(
    data.bigZst,
    derived(data.bigZst),
    (tmp) => compress("zstd", data.big, tmp),
  );
  sizes["one-line.log"] = await ensureFile(data.oneLine, recorded["one-line.log"], writeOneLine);
  writeManifest(manifestPath, GENERATOR_VERSION, sizes);
  return data;
}
