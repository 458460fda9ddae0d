/**
 * The MapReduce bench's second data shape, `mapr-mixed.log` (100 MiB): the same 50 hosts and
 * fields as mapr.log, so the same queries find the same groups, but with the STATS fields in a
 * different order on every line, extra fields, half of the lines with UTF-8 text (names, paths,
 * messages), 2% of the lines over 4 KB (a long `trace` field or message) and many short lines.
 */
import { join } from "node:path";
import { Prng } from "./generate.ts";
import { LONG_LINE_BYTES, writeLinesExactly } from "./generate_mixed.ts";
import { clock, head, HOST_NAMES, HOSTS } from "./dmap_generate.ts";

export const MAPR_MIXED_BYTES = 100 * 1024 * 1024;
const SEED = 0x5eed_6d1c;
const GENERATOR_VERSION = 1;

const ASCII_USERS = ["alice", "bob", "carol", "dave"];
const UNICODE_USERS = ["José", "Zoë", "王芳", "Мария", "Ólafur", "さくら", "🦊fox"];
const ASCII_PATHS = ["/api/v1/users/", "/api/v1/orders/", "/api/v2/search/"];
const UNICODE_PATHS = ["/api/v1/café/", "/api/v1/straße/", "/api/v2/搜索/", "/api/v1/заказы/"];
const ASCII_WORDS = ["retry", "upstream", "cache", "timeout", "socket", "flush", "queue"];
const UNICODE_WORDS = ["réessai", "上游", "кэш", "Zeitüberschreitung", "🔥", "キュー", "naïve"];

const encoder = new TextEncoder();
const ASCII_BYTES = ASCII_WORDS.map((w) => encoder.encode(w).length);
const UNICODE_BYTES = UNICODE_WORDS.map((w) => encoder.encode(w).length);

/** Words with numbers, space separated, to at least `bytes` UTF-8 bytes. */
function words(rng: Prng, unicode: boolean, bytes: number): string {
  const [pool, sizes] = unicode ? [UNICODE_WORDS, UNICODE_BYTES] : [ASCII_WORDS, ASCII_BYTES];
  const parts: string[] = [];
  for (let size = 0; size < bytes;) {
    const i = rng.int(pool.length);
    const number = String(rng.int(100_000));
    parts.push(`${pool[i]}-${number}`);
    size += sizes[i]! + number.length + 2;
  }
  return parts.join(" ");
}

/** A STATS line: the fields mapr.log has, shuffled, plus `user` and sometimes a long `trace`. */
function statsLine(rng: Prng, time: string, lineNo: number, unicode: boolean, long: boolean) {
  const host = rng.int(HOSTS);
  const latency = rng.next() < 0.9 ? 1 + rng.int(200) : 200 + rng.int(2800);
  const fields = [
    `host=${HOST_NAMES[host]}`,
    `currentConnections=${rng.int(100)}`,
    `lifetimeConnections=${1000 + lineNo + rng.int(1000)}`,
    `latencyMs=${latency}`,
    `bytesSent=${rng.int(1_000_000)}`,
    `path=${rng.pick(unicode ? UNICODE_PATHS : ASCII_PATHS)}${rng.int(99999)}`,
    `user=${rng.pick(unicode ? UNICODE_USERS : ASCII_USERS)}`,
  ];
  for (let i = fields.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [fields[i], fields[j]] = [fields[j]!, fields[i]!];
  }
  if (long) fields.push(`trace=${words(rng, unicode, LONG_LINE_BYTES + 100 + rng.int(8000))}`);
  return `${head(rng, time, host, "stats.go:56")}|MAPREDUCE:STATS|${fields.join("|")}`;
}

function otherLine(rng: Prng, time: string, unicode: boolean, long: boolean): string {
  const host = rng.int(HOSTS);
  const p = rng.next();
  if (long) {
    const text = words(rng, unicode, LONG_LINE_BYTES + 100 + rng.int(8000));
    return `${head(rng, time, host, "dump.go:7")}|${text}`;
  }
  if (p < 0.1) {
    return `${head(rng, time, host, "events.go:12")}|MAPREDUCE:EVENTS|host=${HOST_NAMES[host]}|` +
      `event=${unicode ? "redémarrage" : "restart"}`;
  }
  if (p < 0.55) return `${rng.pick(["WARN", "ERROR", "DEBUG"])}|${unicode ? "✓" : "ok"}`;
  return `${head(rng, time, host, "server.go:120")}|${words(rng, unicode, 20 + rng.int(200))}`;
}

export function maprMixedLine(rng: Prng, lineNo: number): string {
  const time = clock(lineNo);
  const unicode = rng.next() < 0.5;
  const long = rng.next() < 0.02;
  return rng.next() < 0.4
    ? statsLine(rng, time, lineNo, unicode, long)
    : otherLine(rng, time, unicode, long);
}

/** Writes exactly `bytes` bytes of this shape (mapr-mixed.log: MAPR_MIXED_BYTES). */
export function writeMaprMixedLog(path: string, bytes: number = MAPR_MIXED_BYTES): void {
  const rng = new Prng(SEED);
  const line = (n: number) => maprMixedLine(rng, n);
  writeLinesExactly(path, bytes, line, (n) => `DEBUG|${clock(n)}|1000|pad.go:1|pad=`);
}

/** mapr-mixed.log, kept when its manifest (this generator version) records its size. */
export function ensureMaprMixedData(dir: string): string {
  Deno.mkdirSync(dir, { recursive: true });
  const path = join(dir, "mapr-mixed.log");
  const manifestPath = join(dir, "mapr-mixed-manifest.json");
  let recorded: number | undefined;
  try {
    const parsed = JSON.parse(Deno.readTextFileSync(manifestPath));
    if (parsed.version === GENERATOR_VERSION) recorded = parsed.size;
  } catch {
    // no manifest yet
  }
  const size = (() => {
    try {
      return Deno.statSync(path).size;
    } catch {
      return -1;
    }
  })();
  if (recorded !== MAPR_MIXED_BYTES || size !== MAPR_MIXED_BYTES) {
    console.error(`bench: generating ${path}`);
    writeMaprMixedLog(`${path}.tmp`);
    Deno.renameSync(`${path}.tmp`, path);
  }
  const manifest = { version: GENERATOR_VERSION, size: MAPR_MIXED_BYTES };
  Deno.writeTextFileSync(manifestPath, JSON.stringify(manifest) + "\n");
  return path;
}
