/**
 * The fuzzer's deterministic randomness: a seeded PRNG, seed corpora of valid inputs (command
 * texts, regexes, globs, queries, AGGREGATE messages) and the mutations applied to them. Every
 * input of a case derives from the case's seed alone, so a seed replays its input exactly.
 */
import { buildMapCommand, buildReadCommand, type ReadVerb } from "../../core/protocol/commands.ts";
import { encodeFrame } from "../../core/protocol/frames.ts";
import { wireRegexOf } from "../../core/protocol/regex_wire.ts";

/** mulberry32: small, fast and good enough to drive mutations. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** Small numbers mostly, now and then a large one (lengths, repeat counts). */
  size(max: number): number {
    return this.chance(0.8) ? this.int(Math.min(max, 16) + 1) : this.int(max + 1);
  }
}

/** The case seeds of a run starting at `seed`: seed, seed+1, … (mod 2^32). */
export function caseSeed(seed: number, index: number): number {
  return (seed + index) >>> 0;
}

/** Characters that mean something to one of the parsers, and some that break encodings. */
const SPECIAL = [
  ..." \t\n\r\0;:=|,\"`'$()[]{}*+?.^\\/-!%#&<>@~",
  "€",
  "ü",
  "\u2225",
  "\u2254",
  "\ud800",
  "\udc00",
  "\uffff",
  "\x7f",
  "\x80",
];
/** Tokens worth splicing in whole. */
const TOKENS = [
  "protocol 4.1 base64 ",
  "regex:",
  "regex:default ",
  "regex:invert,literal ",
  "regex:noop ",
  "base64%",
  "timeout ",
  "cat:",
  "grep:",
  "tail:",
  "map:",
  "select ",
  "from ",
  "where ",
  "group by ",
  "order by ",
  "set ",
  "interval ",
  "limit ",
  "logformat ",
  "outfile ",
  "count(",
  "percentile(",
  "md5sum(",
  "maskdigits(",
  "$line",
  "$hostname",
  "(?i)",
  "(?P<x>",
  "[[:alpha:]]",
  "[[:^digit:]]",
  "\\pL",
  "\\Q",
  "\\E",
  "{1000}",
  "{2,}",
  "(a+)+",
  "(a|a)*",
  ".*.*.*",
  "\\",
  "[^",
  "[]",
  "[!",
  "**",
  "/..",
  "/proc/self/root",
  "AGGREGATE|",
  "\u2225",
  "NaN",
  "+Inf",
  "-0",
  "1e308",
  "99999999999999999999",
  "-1",
];

/** 1–4 random mutations of `text`; `others` feed splices. */
export function mutate(rng: Rng, text: string, others: readonly string[]): string {
  let s = text;
  for (let n = 1 + rng.int(4); n > 0; n--) {
    const at = rng.int(s.length + 1);
    const len = rng.size(Math.max(1, s.length - at));
    switch (rng.int(9)) {
      case 0: { // flip a bit of one code unit
        if (s.length === 0) break;
        const i = rng.int(s.length);
        const bit = rng.chance(0.9) ? rng.int(8) : rng.int(16);
        s = s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << bit)) + s.slice(i + 1);
        break;
      }
      case 1: // insert special characters
        s = s.slice(0, at) + randomText(rng, 1 + rng.int(4)) + s.slice(at);
        break;
      case 2: // delete a range
        s = s.slice(0, at) + s.slice(at + len);
        break;
      case 3: // duplicate a range
        s = s.slice(0, at + len) + s.slice(at, at + len) + s.slice(at + len);
        break;
      case 4: { // splice: this text's head, another's tail
        const other = rng.pick(others);
        s = s.slice(0, at) + other.slice(rng.int(other.length + 1));
        break;
      }
      case 5: // insert a token
        s = s.slice(0, at) + rng.pick(TOKENS) + s.slice(at);
        break;
      case 6: { // a long repeat of a piece
        const piece = s.slice(at, at + 1 + rng.int(4)) || rng.pick(SPECIAL);
        s = s.slice(0, at) + piece.repeat(rng.pick([10, 100, 1000, 10_000])) + s.slice(at);
        break;
      }
      case 7: // replace with random text
        s = randomText(rng, rng.size(64));
        break;
      default: // truncate
        s = s.slice(0, at);
    }
  }
  return s;
}

/** Random text, mostly special characters, some letters and digits, any code unit at times. */
export function randomText(rng: Rng, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) {
    const r = rng.next();
    if (r < 0.5) s += rng.pick(SPECIAL);
    else if (r < 0.9) s += "abcxyzAZ019 "[rng.int(12)];
    else s += String.fromCharCode(rng.int(0x10000));
  }
  return s;
}

/** Random bytes (garbage frames). */
export function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.chance(0.2) ? 0x3b : rng.int(256);
  return out;
}

export const PATTERNS = [
  "ERROR",
  "ERROR|WARN",
  "^INFO",
  "line$",
  "\\d{3}-\\d{4}",
  "a.*b",
  "(a+)+$",
  "(x|xy)*z",
  "[[:alpha:]]+[[:digit:]]",
  "[[:^space:]]{2,5}",
  "\\pL+\\pN",
  "(?i)error",
  "(?s)a.b",
  "(?P<word>\\w+)=\\1",
  "\\bword\\b",
  "[^a-z\\]]+",
  "\\Qa.b*c\\E",
  "\\Aab\\z",
  "\\|MAPREDUCE:STATS\\|",
  "x{2}y{0,3}",
  ".",
  "",
  "é+",
  "a\\",
  "[",
];

/** Lines the matchers search: short and long, ASCII and not, runs that provoke backtracking. */
export function lineText(rng: Rng): string {
  const lines: string[] = [];
  for (let n = rng.size(40); n >= 0; n--) {
    lines.push(
      rng.pick([
        () => "INFO|1203-101010|1|stats.ts:1|MAPREDUCE:STATS|a=1|b=2",
        () => "ERROR something failed: a=1 word=word 123-4567",
        () => "a".repeat(rng.pick([10, 30, 1000, 20_000])) + rng.pick(["", "b", "!"]),
        () => "xy".repeat(rng.pick([10, 30, 5000])),
        () => randomText(rng, rng.size(200)),
        () => "",
      ])(),
    );
  }
  // At most 100 KB: a linear engine scans that in a few ms, a quadratic one takes seconds.
  return lines.join(rng.pick(["\n", "\n", "\r\n"])).slice(0, 100_000);
}

export const GLOBS = [
  "*",
  "*.log",
  "a/*",
  "*/*/*",
  "a/[b-d]*/c?.log",
  "[!a]*",
  "[^a]*",
  "[]a]*",
  "\\*",
  "a/**/x",
  "./a/../a/b/*",
  "/nonexistent/*",
  "?",
  "[a-",
  "b\\",
];

export const QUERIES = [
  "select $line",
  "from STATS select count($line),max($goroutines) group by $hostname interval 1",
  "select count($time), avg(lifetimeConnections) from STATS where currentConnections > 1 " +
  "group by $hostname order by count($time) limit 10",
  'select last($line) where $line contains "ERROR" and $severity ne "INFO"',
  "select sum(a), min(b), max(c), len($line), percentage(x), percentile(y) rorder by sum(a)",
  "select $mask set $mask = maskdigits($line), $h = md5sum(`$hostname`) group by $mask",
  "select `count($time)`, `from` logformat csv",
  'select count($line) from * where "a" eq $x outfile append result.csv',
  "select a where a >= 1.5e3 and b =< -2 and c != .5",
  "SELECT x FROM t GROUP BY x LIMIT 3 INTERVAL 2 LOGFORMAT generic",
  // At and past a query's bounds: many slots and sketches in every group of a key per line.
  `select ${Array.from({ length: 240 }, (_, i) => `sum(f${i})`)},` +
  `${Array.from({ length: 16 }, (_, i) => `p99(g${i})`)} group by $line interval 1`,
  `select ${Array.from({ length: 300 }, (_, i) => `count(f${i})`)} group by $line`,
];

/** Valid AGGREGATE messages for QUERIES[2] and [4]-like selects. */
export const AGGREGATES = [
  "AGGREGATE|host|serv1\u22253\u2225count($time)\u22543\u2225avg(lifetimeConnections)\u22541.5\u2225",
  "AGGREGATE|h|k\u22251\u2225sum(a)\u225442\u2225min(b)\u2254-0\u2225max(c)\u2254+Inf\u2225" +
  "len($line)\u2254abc\u2225percentage(x)\u22540.25\u2225percentile(y)\u2254NaN\u2225",
  "k\u22252\u2225last($line)\u2254a line\u2225",
  "AGGREGATE|h|\u22250\u2225\u2225",
];

/** Paths a fuzzing client asks a live server for. */
export const SERVER_PATHS = [
  "/etc/*",
  "/etc/passwd",
  "/etc/shadow",
  "/proc/*/*",
  "/proc/*/task/*/*",
  "/proc/self/root/proc/self/root/etc/*",
  "/*/*/*/*",
  "/[a-z]*/[a-z]*/*",
  "/sys/*/*/*",
  "/dev/zero",
  "/dev/*",
  "/tmp/*/*",
  "../../../etc/hostname",
  "",
  "*",
  "/" + "*/".repeat(40) + "*",
  "/" + "[a-z]".repeat(200),
  "/etc/[",
  "/etc/\\",
];

const VERBS: ReadVerb[] = ["cat", "grep", "tail"];
const OPTION_KEYS = ["quiet", "plain", "before", "after", "max", "escape", "blocks", "x", ""];
const OPTION_VALUES = ["true", "false", "0", "3", "-1", "1e9", "0x10", "", "a:b=c|d", "base64%%"];

/** A valid command text: a read, a map query, or one of the small commands. */
export function commandText(rng: Rng, paths: readonly string[]): string {
  const options: Record<string, string> = {};
  for (let n = rng.int(3); n > 0; n--) options[rng.pick(OPTION_KEYS)] = rng.pick(OPTION_VALUES);
  const pattern = rng.chance(0.3) ? mutate(rng, rng.pick(PATTERNS), PATTERNS) : rng.pick(PATTERNS);
  const path = (rng.chance(0.2) ? mutate(rng, rng.pick(paths), paths) : rng.pick(paths))
    .replace(/\s/g, "");
  const r = rng.int(100);
  if (r < 55) {
    return buildReadCommand({
      verb: rng.pick(VERBS),
      options,
      path,
      regex: wireRegexOf(pattern, rng.chance(0.2)),
      timeout: rng.chance(0.2) ? rng.int(4) : 0,
    });
  }
  if (r < 80) {
    const query = rng.chance(0.5) ? mutate(rng, rng.pick(QUERIES), QUERIES) : rng.pick(QUERIES);
    return buildMapCommand(options, query);
  }
  return rng.pick([
    "health",
    ".ack close connection",
    "AUTHKEY ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh",
    "AUTHKEY " + randomText(rng, rng.size(100)),
    "SESSION start x",
    "timeout 1 grep /etc/hostname regex:default a",
    "timeout 99999999999999999999 cat /etc/hostname regex:noop ",
    randomText(rng, rng.size(50)),
  ]);
}

const encoder = new TextEncoder();

/** The bytes of a frame for `command`, valid or damaged in one of many ways. */
export function frameBytes(rng: Rng, command: string): Uint8Array {
  const r = rng.int(100);
  if (r < 60) return encodeFrame(command);
  const frame = new TextDecoder().decode(encodeFrame(command));
  if (r < 75) return latin1(mutate(rng, frame, [frame, "protocol 4.1 base64 ;"]));
  if (r < 85) return randomBytes(rng, rng.size(2000));
  if (r < 92) return encodeFrame(command, rng.pick(["4", "4.0", "5.1", "3", "x", "", "4.1 x"]));
  return encoder.encode(frame.slice(0, rng.int(frame.length))); // a partial frame
}

/** Code units as bytes (the low 8 bits), as a raw client would put any text on the wire. */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Printable form of an input for a report: JSON, cut in the middle when long. */
export function show(input: unknown, max = 2000): string {
  const text = typeof input === "string" ? JSON.stringify(input) : String(JSON.stringify(
    input,
    (_, v) => v instanceof Uint8Array ? `bytes:${String.fromCharCode(...v.subarray(0, max))}` : v,
  ));
  if (text.length <= max) return text;
  return `${text.slice(0, max / 2)} … (${text.length} chars) … ${text.slice(-max / 2)}`;
}
