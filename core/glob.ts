/**
 * Glob expansion with Go `filepath.Glob` semantics and DTail source ids
 * (docs/compatibility.md#globs-and-source-ids).
 */

import { clip } from "./clip.ts";
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
  /** Its size in bytes as stat(2) says (0 where unknown): a large directory is read off the loop. */
  readonly size: number;
}

/**
 * Expands a glob like Go's filepath.Glob, but bounded: at most `maxTargets` paths, at most
 * `maxDirs` directories listed, no directory entered twice on one path (symlink loops such as
 * /proc/self/root), only directories `canList` allows, and a return to the event loop every few
 * directories. Missing directories match nothing.
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
  let listed = 0;
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    const next: Base[] = [];
    // One match past the limit tells that there are more, without counting them.
    const full = () => last && next.length > maxTargets;
    for (const base of bases) {
      if (full()) break;
      if (!hasGlobMeta(segment)) {
        const p = join(base.path, segment);
        const found = last ? (exists(p) ? leaf(p, base) : null) : enter(p, base.chain, stat);
        if (found !== null) next.push(found);
        continue;
      }
      const dir = base.path === "" ? "." : base.path;
      if (!canList(dir)) continue;
      if (++listed > maxDirs) return { paths: last ? next.map((b) => b.path) : [], limit: "dirs" };
      if (listed % DIRS_PER_TURN === 0 || turnIsOver()) {
        await yieldTurn();
        if (options.signal?.aborted) return { paths: [], limit: null };
      }
      const re = segmentRegExp(segment);
      let seen = 0;
      for (const entry of await listDir(dir, base.size)) {
        if (++seen % ENTRIES_PER_CHECK === 0 && turnIsOver()) {
          await yieldTurn(); // a directory of many subdirectories: a stat each
          if (options.signal?.aborted) return { paths: [], limit: null };
        }
        if (!re.test(entry.name)) continue;
        const p = join(base.path, entry.name);
        // What the listing says is no directory and no symlink cannot be entered: no stat.
        const found = last
          ? leaf(p, base)
          : entry.isDirectory || entry.isSymlink
          ? enter(p, base.chain, stat)
          : null;
        if (found !== null) next.push(found);
        if (full()) break;
      }
    }
    bases = next;
  }
  const paths = bases.map((b) => b.path);
  if (paths.length > maxTargets) return { paths: paths.slice(0, maxTargets), limit: "targets" };
  return { paths, limit: null };
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

/** A directory of more bytes than this is read off the event loop (a few thousand entries). */
const LARGE_DIR_BYTES = 64 * 1024;

/**
 * A directory's entries by name, with the type the listing gives (lstat's, not followed). A large
 * one is read off the event loop: `readDirSync` of 200,000 entries held it for 0.72 s, `readDir`
 * for ~30 ms at most; a small one in place (`readDir` costs ~65 µs of CPU more a directory).
 */
async function listDir(dir: string, size: number): Promise<Deno.DirEntry[]> {
  const entries: Deno.DirEntry[] = [];
  try {
    if (size > LARGE_DIR_BYTES) {
      for await (const entry of Deno.readDir(dir)) entries.push(entry);
    } else for (const entry of Deno.readDirSync(dir)) entries.push(entry);
  } catch {
    return [];
  }
  return entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
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
