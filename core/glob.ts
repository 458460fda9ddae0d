/**
 * Glob expansion with Go `filepath.Glob` semantics and DTail source ids
 * (docs/compatibility.md#globs-and-source-ids).
 */

import { clip } from "./clip.ts";
import type { dirBatches, mayBeDirectory } from "./dir_batches.ts";
import { statLibc, statPath } from "./libc.ts";
import { turnIsOver, yieldTurn } from "./turns.ts";
import { SetupError } from "./errors.ts";

export function hasGlobMeta(pattern: string): boolean {
  return /[*?[\\]/.test(pattern);
}

/** Lexically cleans a path like Go's path.Clean ("a//b/./c/.." → "a/b"). */
export function cleanPath(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else out.push(part);
  }
  const joined = out.join("/");
  return rooted ? "/" + joined : joined === "" ? "." : joined;
}

export class GlobPatternError extends SetupError {
  override name = "GlobPatternError";
}

/** Longer glob segments cannot match a file name (NAME_MAX is 255 bytes). */
const MAX_SEGMENT = 1024;

/** Compiles one path segment pattern (`*`, `?`, `[...]`, `\` escapes) to an anchored RegExp. */
export function segmentRegExp(segment: string): RegExp {
  if (segment.length > MAX_SEGMENT) {
    throw new GlobPatternError(`bad glob pattern: a segment longer than ${MAX_SEGMENT} characters`);
  }
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "*") {
      if (!re.endsWith("[^/]*")) re += "[^/]*"; // "**" matches what "*" matches
    } else if (c === "?") re += "[^/]";
    else if (c === "\\") {
      i++;
      if (i >= segment.length) throw new GlobPatternError(`bad glob pattern ${segment}`);
      re += escape(segment[i]!);
    } else if (c === "[") {
      const [body, close] = classBody(segment, i + 1);
      re += body;
      i = close;
    } else re += escape(c);
  }
  try {
    return new RegExp(`^${re}$`, "s");
  } catch (err) {
    throw new GlobPatternError(
      `bad glob pattern ${clip(segment)}: ${clip((err as Error).message)}`,
    );
  }
}

/**
 * A `[...]` class from `start` (after the "["): its RegExp and the index of its "]". As in Go,
 * `[^a]` negates, `[!a]` does not, a "]" first is a literal, `\` escapes, and a reversed range
 * such as `b-a` matches nothing.
 */
function classBody(segment: string, start: number): [string, number] {
  let j = start;
  const negate = segment[j] === "^";
  if (negate) j++;
  const char = (): string => {
    if (j >= segment.length) throw new GlobPatternError(`bad glob pattern ${segment}: unclosed [`);
    let ch = segment[j]!;
    if (ch === "\\") {
      if (++j >= segment.length) throw new GlobPatternError(`bad glob pattern ${segment}`);
      ch = segment[j]!;
    }
    j++;
    return ch;
  };
  let body = "";
  for (let n = 0;; n++) {
    if (j >= segment.length) throw new GlobPatternError(`bad glob pattern ${segment}: unclosed [`);
    if (segment[j] === "]" && n > 0) break;
    const lo = char();
    let hi = lo;
    if (segment[j] === "-" && segment[j + 1] !== "]" && j + 1 < segment.length) {
      j++;
      hi = char();
    }
    if (lo <= hi) body += lo === hi ? classChar(lo) : `${classChar(lo)}-${classChar(hi)}`;
  }
  const text = negate ? `[^/${body}]` : body === "" ? "(?!)" : `[${body}]`;
  return [text, j];
}

function classChar(ch: string): string {
  return /[\]\\^[-]/.test(ch) ? "\\" + ch : ch;
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
}

export interface GlobOptions {
  /** Stop once this many paths matched (Server.MaxGlobTargets). */
  readonly maxTargets?: number;
  /** Stop once this many directories were listed (Server.MaxGlobDirs). */
  readonly maxDirs?: number;
  /**
   * Whether the user the expansion is for may list a directory (dserver: the SSH user's OS
   * rights; serverless: the kernel decides for the running user, so always true).
   */
  readonly canList?: (dir: string) => boolean;
  readonly signal?: AbortSignal;
  /** stat(2) of a path to enter (tests count the calls); default: libc's, else Deno's. */
  readonly stat?: (path: string) => DirStat | null;
}

/** What entering a directory needs of stat(2). */
export interface DirStat {
  readonly isDirectory: boolean;
  /** Device and inode, to refuse a directory already on the path. */
  readonly id: string;
  readonly size: number;
}

/** stat(2) through libc (plain numbers, no `FileInfo`), else Deno's; null when it fails. */
export function dirStat(path: string): DirStat | null {
  const c = statLibc();
  if (c !== null) {
    const st = statPath(c, path, true);
    return st === null
      ? null
      : { isDirectory: st.isDirectory, id: `${st.dev}:${st.ino}`, size: st.size };
  }
  try {
    const info = Deno.statSync(path);
    return { isDirectory: info.isDirectory, id: `${info.dev}:${info.ino}`, size: info.size };
  } catch {
    return null;
  }
}

export interface GlobResult {
  /** Matching paths, sorted per directory like Go's filepath.Glob. */
  readonly paths: string[];
  /** Why the expansion stopped early, if it did. */
  readonly limit: "targets" | "dirs" | null;
}

export const DEFAULT_MAX_GLOB_DIRS = 10_000;
/** Directories listed between two returns to the event loop (other sessions go on). */
const DIRS_PER_TURN = 32;
/** Entries of one directory between two looks at whether the turn is over. */
const ENTRIES_PER_CHECK = 256;

/** One directory reached by the expansion, with the inodes above it (to refuse loops). */
interface Base {
  readonly path: string;
  readonly chain: readonly string[];
  /** Its size by stat(2) (0 where unknown): without getdents64, a large one is read off the loop. */
  readonly size: number;
}

/**
 * Expands a glob like Go's filepath.Glob, but bounded: at most `maxTargets` paths, at most
 * `maxDirs` directories listed, no directory entered twice on one path (symlink loops such as
 * /proc/self/root), only directories `canList` allows, and a return to the event loop every few
 * directories. Missing directories match nothing.
 *
 * What it holds is bounded too: a directory is read in batches and only its matches are kept, the
 * first in name order of at most `maxTargets + 1` (last segment) or `maxDirs + 1` (a directory
 * to go on from); a wildcard's literal segments after it are resolved per match, so that a
 * directory of a million files leaves only those behind with the named file.
 */
export async function expandGlob(pattern: string, options: GlobOptions = {}): Promise<GlobResult> {
  const maxTargets = options.maxTargets ?? Infinity;
  const maxDirs = options.maxDirs ?? DEFAULT_MAX_GLOB_DIRS;
  const canList = options.canList ?? (() => true);
  const clean = cleanPath(pattern);
  if (!hasGlobMeta(clean)) return { paths: exists(clean) ? [clean] : [], limit: null };
  const rooted = clean.startsWith("/");
  const segments = clean.split("/").filter((_, i) => !(rooted && i === 0));
  const start = rooted ? "/" : "";
  const stat = options.stat ?? dirStat;
  const root = enter(start || ".", [], stat);
  let bases: Base[] = [{ path: start, chain: root?.chain ?? [], size: root?.size ?? 0 }];
  const first = segments.findIndex(hasGlobMeta);
  for (const segment of segments.slice(0, first)) {
    const found = enter(join(bases[0]!.path, segment), bases[0]!.chain, stat);
    if (found === null) return { paths: [], limit: null };
    bases = [found];
  }
  const listing = await import("./dir_batches.ts");
  let listed = 0;
  let cut = false;
  for (let i = first; i < segments.length;) {
    let j = i + 1;
    while (j < segments.length && !hasGlobMeta(segments[j]!)) j++;
    const step: Step = {
      re: segmentRegExp(segments[i]!),
      tail: segments.slice(i + 1, j),
      last: j === segments.length,
      stat,
      signal: options.signal,
      listing,
    };
    i = j;
    // One match past the limit tells that there are more, without counting them.
    const cap = step.last ? maxTargets + 1 : maxDirs + 1;
    const next: Base[] = [];
    for (const base of bases) {
      if (next.length >= cap) break;
      const dir = base.path === "" ? "." : base.path;
      if (!canList(dir)) continue;
      if (++listed > maxDirs) {
        return { paths: step.last ? next.map((b) => b.path) : [], limit: "dirs" };
      }
      if (listed % DIRS_PER_TURN === 0 || turnIsOver()) {
        await yieldTurn();
        if (options.signal?.aborted) return { paths: [], limit: null };
      }
      const found = await matchesIn(base, step, cap - next.length);
      if (found === null) return { paths: [], limit: null };
      for (const b of found) next.push(b);
    }
    // More directories to go on from than may be listed: what follows is read in part.
    if (!step.last && next.length >= cap) cut = true;
    bases = next;
  }
  const paths = bases.map((b) => b.path);
  if (paths.length > maxTargets) return { paths: paths.slice(0, maxTargets), limit: "targets" };
  return { paths, limit: cut ? "dirs" : null };
}

/** A wildcard segment with the literal segments after it. */
interface Step {
  readonly re: RegExp;
  readonly tail: readonly string[];
  /** Whether the pattern ends with this step (its matches are the paths). */
  readonly last: boolean;
  readonly stat: (path: string) => DirStat | null;
  readonly signal: AbortSignal | undefined;
  /** core/dir_batches.ts's, loaded only for a pattern with a wildcard. */
  readonly listing: { dirBatches: typeof dirBatches; mayBeDirectory: typeof mayBeDirectory };
}

/**
 * The first `keep` matches of `step` in `base`, in name order (null when aborted). Entries are
 * read in batches; a name that sorts after `keep` matches already found is not looked at further.
 */
async function matchesIn(base: Base, step: Step, keep: number): Promise<Base[] | null> {
  const kept = new Smallest<Base>(keep);
  let seen = 0;
  const path = base.path === "" ? "." : base.path;
  for await (const batch of step.listing.dirBatches(path, { size: base.size })) {
    for (let e = 0; e < batch.names.length; e++) {
      if (++seen % ENTRIES_PER_CHECK === 0 && turnIsOver()) {
        await yieldTurn(); // a directory of many subdirectories: a stat each
        if (step.signal?.aborted) return null;
      }
      const name = batch.names[e]!;
      if (!step.re.test(name) || !kept.wants(name)) continue;
      const found = follow(base, name, batch.types[e]!, step);
      if (found !== null) kept.add(name, found);
    }
  }
  return kept.sorted();
}

/** Entry `name` of `base`, then the step's literal segments: where they lead, or null. */
function follow(base: Base, name: string, type: number, step: Step): Base | null {
  const p = join(base.path, name);
  if (step.last && step.tail.length === 0) return leaf(p, base);
  // What the listing says is no directory and no symlink cannot be entered: no stat.
  if (!step.listing.mayBeDirectory(type)) return null;
  let at = enter(p, base.chain, step.stat);
  for (let t = 0; at !== null && t < step.tail.length; t++) {
    const q = join(at.path, step.tail[t]!);
    const end = step.last && t === step.tail.length - 1;
    at = end ? (exists(q) ? leaf(q, at) : null) : enter(q, at.chain, step.stat);
  }
  return at;
}

/** The first `k` values added, by name; names past the k-th found so far are not wanted. */
class Smallest<T> {
  #items: { name: string; value: T }[] = [];
  #bound: string | null = null;
  constructor(readonly k: number) {}

  wants(name: string): boolean {
    return this.k > 0 && (this.#bound === null || name < this.#bound);
  }

  add(name: string, value: T): void {
    this.#items.push({ name, value });
    if (this.#items.length >= 2 * this.k) this.#trim();
  }

  sorted(): T[] {
    this.#trim();
    return this.#items.map((item) => item.value);
  }

  #trim(): void {
    this.#items.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    if (this.#items.length >= this.k) {
      this.#items.length = this.k;
      this.#bound = this.#items[this.k - 1]!.name;
    }
  }
}

/** Whether a notice's text ends as `globLimitNotice`'s (a server's, after its log fields). */
export function isGlobLimitNotice(text: string): boolean {
  return /: (?:more than \d+ files match, reading the first \d+|glob stopped after listing \d+ directories)$/
    .test(text);
}

/** The one-line notice of a glob that hit a bound (it never says how many files there are). */
export function globLimitNotice(
  pattern: string,
  limit: "targets" | "dirs",
  bounds: { maxTargets: number; maxDirs?: number | undefined },
): string {
  return limit === "dirs"
    ? `${pattern}: glob stopped after listing ${
      bounds.maxDirs ?? DEFAULT_MAX_GLOB_DIRS
    } directories`
    : `${pattern}: more than ${bounds.maxTargets} files match, reading the first ${bounds.maxTargets}`;
}

/** Directory `p` with the chain below it, or null when it is no directory or already on the chain. */
function enter(
  p: string,
  chain: readonly string[],
  stat: (path: string) => DirStat | null,
): Base | null {
  const info = stat(p);
  if (info === null || !info.isDirectory || chain.includes(info.id)) return null;
  return { path: p, chain: [...chain, info.id], size: info.size };
}

/** A match of the last segment (not entered). */
function leaf(p: string, base: Base): Base {
  return { path: p, chain: base.chain, size: 0 };
}

function join(base: string, name: string): string {
  if (base === "") return name;
  return base.endsWith("/") ? base + name : base + "/" + name;
}

/**
 * Whether `p` names something. Only "no such file" and "not a directory" say no: a path that cannot
 * be looked at (a directory on the way that may not be searched) is left to the open, which says
 * why ("permission denied", not "no such file or directory").
 */
function exists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch (err) {
    return !(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory);
  }
}

/**
 * The source id of `path` matched by `pattern` (docs/compatibility.md#globs-and-source-ids): the
 * matched parts of the segments that contain `*`, joined by "/"; otherwise the basename.
 */
export function sourceId(pattern: string, path: string): string {
  return sourceIds(pattern)(path);
}

/**
 * sourceId for many paths of one pattern (a glob's thousand files): the pattern is taken apart
 * once, and a clean path (what a glob expands to) is not cleaned again.
 */
export function sourceIds(pattern: string): (path: string) => string {
  const patternParts = cleanPath(pattern).split("/");
  const starred: number[] = [];
  patternParts.forEach((part, i) => {
    if (part.includes("*")) starred.push(i);
  });
  return (path) => {
    const clean = isClean(path) ? path : cleanPath(path);
    if (starred.length === 1 && starred[0] === patternParts.length - 1) {
      // `dir/*.log`: the path's last part, when it has as many parts as the pattern.
      const slash = clean.lastIndexOf("/");
      if (partsOf(clean) === patternParts.length) return shown(clean.slice(slash + 1));
    }
    const pathParts = clean.split("/");
    const picked: string[] = [];
    for (const i of starred) if (pathParts[i] !== undefined) picked.push(pathParts[i]!);
    if (picked.length > 0) return shown(picked.join("/"));
    return shown(pathParts[pathParts.length - 1] ?? path);
  };
}

/**
 * A source id is a field of `REMOTE|host|…|<sourceid>|line`: a `|` in a file name would move the
 * line's start for every reader of that layout, a newline would split the printed line. Such
 * characters are shown as `?`, as `ls` shows what it cannot print.
 */
function shown(id: string): string {
  let out: string | null = null;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 0x20 && c !== 0x7c && c !== 0x7f) continue;
    out = (out ?? id).slice(0, i) + "?" + id.slice(i + 1);
  }
  return out ?? id;
}

/** Whether cleanPath would give `path` back unchanged. */
function isClean(path: string): boolean {
  if (path === "" || (path.length > 1 && path.endsWith("/"))) return false;
  return !path.includes("//") && !/(^|\/)\.\.?(\/|$)/.test(path);
}

/** How many parts `split("/")` gives. */
function partsOf(path: string): number {
  let n = 1;
  for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) n++;
  return n;
}
