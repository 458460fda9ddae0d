/**
 * Host patterns (docs/usage.md#server-lists-host-patterns-and-inventories): `web[01-40].example.com`
 * and Ansible's `web[01:40]`, `web[01:40:2]`, `db-[a:f]` name many servers in one entry.
 *
 * A bracket is a range only when its text is `start-end` or `start:end[:stride]` of letters or
 * digits, so a bracketed IPv6 literal (`[::1]:2222`, `[fe80::1]`) stays one address.
 */
import { ServerListError } from "./server_list_error.ts";

/** The most servers one `--servers` may name (a typo like `[1-1000000]` is refused, not run). */
export const MAX_SERVERS = 100_000;

const RANGE_LIKE = /^([0-9A-Za-z]+)(?:-([0-9A-Za-z]+)|:([0-9A-Za-z]+)(?::([0-9A-Za-z]*))?)$/;
const MAX_DIGITS = 15;

/** One bracket of a pattern: `count` values, the i-th one given by `at(i)`. */
interface Range {
  count: number;
  at(i: number): string;
}

type Part = string | Range;

/** Whether `text` has a range bracket (it may still be a bad one). */
export function hasHostPattern(text: string): boolean {
  return bracketTexts(text).some((inner) => RANGE_LIKE.test(inner));
}

/** How many names `text` expands to (1 when it has no range), without building them. */
export function countHostPattern(text: string): number {
  return parts(text).reduce((n, p) => (typeof p === "string" ? n : n * p.count), 1);
}

/**
 * The names `text` stands for, ranges expanded left to right (the first bracket varies slowest).
 * More than `limit` names is a ServerListError, found before any name is built.
 */
export function expandHostPattern(text: string, limit = MAX_SERVERS): string[] {
  const list = parts(text);
  let count = 1;
  for (const p of list) {
    if (typeof p === "string") continue;
    count *= p.count;
    if (count > limit) {
      throw new ServerListError(
        `host pattern "${text}" names more than ${limit} servers (the limit)`,
      );
    }
  }
  let names = [""];
  for (const p of list) {
    if (typeof p === "string") names = names.map((n) => n + p);
    else names = names.flatMap((n) => Array.from({ length: p.count }, (_, i) => n + p.at(i)));
  }
  return names;
}

function bracketTexts(text: string): string[] {
  return [...text.matchAll(/\[([^\[\]]*)\]/g)].map((m) => m[1]!);
}

function parts(text: string): Part[] {
  if (!balanced(text)) bad(text, `"[" and "]" do not pair up`);
  const out: Part[] = [];
  let rest = 0;
  for (const m of text.matchAll(/\[([^\[\]]*)\]/g)) {
    const range = RANGE_LIKE.exec(m[1]!);
    if (range === null) continue; // not a range: an IPv6 literal or plain text
    out.push(text.slice(rest, m.index), rangeOf(text, range));
    rest = m.index + m[0].length;
  }
  out.push(text.slice(rest));
  return out;
}

function balanced(text: string): boolean {
  let open = false;
  for (const c of text) {
    if (c === "[" || c === "]") {
      if (open === (c === "[")) return false;
      open = !open;
    }
  }
  return !open;
}

function rangeOf(text: string, m: RegExpExecArray): Range {
  const start = m[1]!;
  const end = m[2] ?? m[3]!;
  const strideText = m[4];
  if (strideText !== undefined && !/^\d+$/.test(strideText)) {
    bad(text, `the stride "${strideText}" is not a number`);
  }
  const stride = strideText === undefined || strideText === "" ? 1 : Number(strideText);
  if (stride === 0) bad(text, "the stride must be at least 1");
  const digits = /^\d+$/;
  if (digits.test(start) && digits.test(end)) return numberRange(text, start, end, stride);
  if (
    /^[a-z]$/.test(start) && /^[a-z]$/.test(end) || /^[A-Z]$/.test(start) && /^[A-Z]$/.test(end)
  ) {
    const from = start.charCodeAt(0);
    const to = end.charCodeAt(0);
    if (from > to) bad(text, `the range ${start}..${end} runs backwards`);
    return {
      count: Math.floor((to - from) / stride) + 1,
      at: (i) => String.fromCharCode(from + i * stride),
    };
  }
  return bad(
    text,
    `a range is digits to digits or one letter to one letter of the same case, not ${start}..${end}`,
  );
}

function numberRange(text: string, start: string, end: string, stride: number): Range {
  if (start.length > MAX_DIGITS || end.length > MAX_DIGITS) {
    bad(text, `a range bound has more than ${MAX_DIGITS} digits`);
  }
  const from = Number(start);
  const to = Number(end);
  if (from > to) bad(text, `the range ${start}..${end} runs backwards`);
  // `01-40` keeps the start's width (01, 02, …, 40); `1-10` is not padded.
  const width = start.length > 1 && start.startsWith("0") ? start.length : 0;
  return {
    count: Math.floor((to - from) / stride) + 1,
    at: (i) => String(from + i * stride).padStart(width, "0"),
  };
}

function bad(text: string, why: string): never {
  throw new ServerListError(`host pattern "${text}": ${why}`);
}

/** Counts the names of a whole `--servers` against the limit, before any of them is built. */
export class NameBudget {
  #used = 0;
  constructor(readonly limit = MAX_SERVERS) {}

  /** The names of `entry`, expanded; a ServerListError when they take the list past the limit. */
  expand(entry: string): string[] {
    const n = countHostPattern(entry);
    this.#used += n;
    if (this.#used > this.limit) {
      throw new ServerListError(
        `"${entry}" takes the server list past the limit of ${this.limit} servers`,
      );
    }
    return expandHostPattern(entry, n);
  }
}
