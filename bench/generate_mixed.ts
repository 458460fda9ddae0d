/**
 * The second benchmark data shape (`mixed.log`), unlike `app.log` in every way a fast path could
 * depend on: logfmt-style lines of very different lengths (30% under 40 B, 15% about 1 KB, 2% of
 * 4.2–16 KB), half of them with UTF-8 text (accented Latin, Cyrillic, CJK, emoji). ERROR is about
 * 19% of lines, `took <n>ms` about 40%, and every RARE_EVERY-th line carries RARE_TOKEN, so even a
 * small file has hits for every search the bench times. Seeded: the same bytes on every run.
 */
import { join } from "node:path";
import {
  derivedSizes,
  ensureCompressed,
  ensureFile,
  type LogSet,
  Prng,
  RARE_TOKEN,
  readManifest,
  writeAll,
  writeManifest,
} from "./generate.ts";

export const MIXED_LOG_BYTES = 100 * 1024 * 1024;
export const LONG_LINE_BYTES = 4096;
const SEED = 0x5eed_b17e;
const MIXED_GENERATOR_VERSION = 1;
const RARE_EVERY = 2_000;
/** Room left for the last, padded line: more than any generated line takes. */
const MAX_LINE_BYTES = 20_000;
const FLUSH_BYTES = 1 << 22;

const HOSTS = ["db-eu-1", "edge-ap-3", "cache-us-2", "batch-7", "gw-0", "node-12"];
const SERVICES = ["checkout", "pricing", "notifier", "indexer", "session", "export"];
const ASCII_TEXTS = [
  "payment authorised",
  "retry scheduled after upstream 503",
  "index segment merged",
  "session expired for user",
  "export finished, file rotated",
  "rate limit reached for tenant",
];
const UNICODE_TEXTS = [
  "Zahlung für Bestellung bestätigt",
  "échec de connexion à la base, nouvel essai",
  "Ошибка при чтении конфигурации",
  "数据库连接失败，正在重试",
  "ユーザーがログインしました",
  "배포가 완료되었습니다 🚀",
  "caché invalidée 🔥 clé=ñandú",
  "Größe überschritten ✅ naïve café",
];
const ASCII_SHORT = ["ok", "done", "}", "-- MARK --", "EOF", "ack"];
const UNICODE_SHORT = ["✓", "完了", "ça va", "готово", "👍", "ß"];
const ASCII_WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];
const UNICODE_WORDS = ["αβγ", "日本語", "mañana", "Straße", "привет", "😀", "中文字符", "façade"];

const encoder = new TextEncoder();
const bytesOf = (text: string) => encoder.encode(text).length;
const ASCII_WORD_BYTES = ASCII_WORDS.map(bytesOf);
const UNICODE_WORD_BYTES = UNICODE_WORDS.map(bytesOf);

/** Severity by share of lines: ERROR about 19%, as in app.log. */
function severity(rng: Prng): string {
  const p = rng.next();
  if (p < 0.19) return "ERROR";
  if (p < 0.3) return "WARN";
  if (p < 0.5) return "DEBUG";
  return "INFO";
}

/** Words from one pool, some with an id (so it compresses like logs), to at least `bytes` bytes. */
function filler(rng: Prng, unicode: boolean, bytes: number): string {
  const words = unicode ? UNICODE_WORDS : ASCII_WORDS;
  const sizes = unicode ? UNICODE_WORD_BYTES : ASCII_WORD_BYTES;
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const i = rng.int(words.length);
    const id = rng.next() < 0.4 ? `:${rng.int(1_000_000).toString(36)}` : "";
    parts.push(words[i]! + id);
    size += sizes[i]! + id.length + 1;
  }
  return parts.join(" ");
}

function header(rng: Prng, lineNo: number, level: string): string {
  const time = new Date(Date.UTC(2026, 10, 25, 6, 0, 0) + lineNo * 13).toISOString();
  return `time=${time} level=${level} host=${rng.pick(HOSTS)} svc=${rng.pick(SERVICES)}` +
    ` req=${rng.int(0x7fffffff).toString(36)}`;
}

/** One line without its newline. */
export function mixedLine(rng: Prng, lineNo: number): string {
  const level = severity(rng);
  const unicode = rng.next() < 0.5;
  const kind = rng.next();
  const rare = lineNo % RARE_EVERY === RARE_EVERY - 1 ? ` trace=${RARE_TOKEN}${lineNo}` : "";
  if (kind < 0.3) {
    return `${level} ${rng.pick(unicode ? UNICODE_SHORT : ASCII_SHORT)}${rare}`;
  }
  const text = rng.pick(unicode ? UNICODE_TEXTS : ASCII_TEXTS);
  const took = rng.next() < 0.57 ? ` took=${1 + rng.int(4000)}ms` : "";
  const head = `${header(rng, lineNo, level)} msg="${text}"${took}`;
  if (kind < 0.32) {
    const size = 4_200 + rng.int(11_800);
    return `${head} payload="${filler(rng, unicode, size)}"${rare}`;
  }
  if (kind < 0.47) return `${head} detail="${filler(rng, unicode, 800 + rng.int(400))}"${rare}`;
  return `${head} status=${rng.pick([200, 200, 201, 404, 500])}${rare}`;
}

/**
 * Writes exactly `bytes` bytes of UTF-8: lines from `line(n)` (without newline, each under
 * MAX_LINE_BYTES), then `padPrefix(n)` (ASCII) with `x`s up to the size.
 */
export function writeLinesExactly(
  path: string,
  bytes: number,
  line: (lineNo: number) => string,
  padPrefix: (lineNo: number) => string,
): void {
  if (bytes < MAX_LINE_BYTES * 2) throw new Error(`needs at least ${MAX_LINE_BYTES * 2} bytes`);
  const buffer = new Uint8Array(FLUSH_BYTES + MAX_LINE_BYTES * 4);
  using file = Deno.openSync(path, { write: true, create: true, truncate: true });
  let flushed = 0;
  let used = 0;
  let lineNo = 0;
  while (bytes - flushed - used > MAX_LINE_BYTES) {
    used += encoder.encodeInto(line(lineNo++) + "\n", buffer.subarray(used)).written;
    if (used >= FLUSH_BYTES) {
      writeAll(file, buffer.subarray(0, used));
      flushed += used;
      used = 0;
    }
  }
  const last = padPrefix(lineNo);
  const fill = bytes - flushed - used - last.length - 1;
  used += encoder.encodeInto(`${last}${"x".repeat(fill)}\n`, buffer.subarray(used)).written;
  writeAll(file, buffer.subarray(0, used));
}

/** Writes exactly `bytes` bytes of the mixed shape (mixed.log: MIXED_LOG_BYTES). */
export function writeMixedLog(path: string, bytes: number = MIXED_LOG_BYTES): void {
  const rng = new Prng(SEED);
  const line = (n: number) => mixedLine(rng, n);
  writeLinesExactly(path, bytes, line, (n) => `${header(rng, n, "INFO")} pad=`);
}

/** mixed.log with its .gz and .zst copies, each kept when the mixed manifest records its size. */
export async function ensureMixedData(dir: string): Promise<LogSet> {
  Deno.mkdirSync(dir, { recursive: true });
  const set: LogSet = {
    log: join(dir, "mixed.log"),
    gz: join(dir, "mixed.log.gz"),
    zst: join(dir, "mixed.log.zst"),
  };
  const manifestPath = join(dir, "mixed-manifest.json");
  const recorded = readManifest(manifestPath, MIXED_GENERATOR_VERSION);
  const derived = derivedSizes(recorded, set.log, MIXED_LOG_BYTES);
  const sizes = {
    "mixed.log": await ensureFile(set.log, recorded["mixed.log"], (tmp) => writeMixedLog(tmp)),
    ...await ensureCompressed(set, derived),
  };
  writeManifest(manifestPath, MIXED_GENERATOR_VERSION, sizes);
  return set;
}
