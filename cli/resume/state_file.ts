/**
 * The file of `dtail --resume FILE` (docs/usage.md#resume-across-runs): per server and per target,
 * the positions of the followed files (docs/protocol.md#resume) when dtail last saved them.
 *
 * ```json
 * {"kind": "dtail-resume-state", "version": 1, "saved": "2025-05-01T10:00:00.000Z",
 *  "servers": {"db1:2222": {"/var/log/*.log": [{"path": "/var/log/a.log", "dev": 2049,
 *   "ino": 131, "offset": 5120, "mark": "9f3a01c2"}]}}}
 * ```
 *
 * Written whole to a temporary file beside it (mode 0600) and renamed over it, so a reader or a
 * killed dtail never sees half a file; a symlink is written through (core/replace_file.ts). A file
 * that is not one of ours, or of another version, is never overwritten: it may be a log file named
 * by mistake, or a newer dtail's. Nor is anything that is not a regular file (`/dev/null`, a FIFO):
 * it is neither read (a FIFO would block) nor replaced.
 */
import { decodeResumeRequest, type FilePosition } from "../../core/protocol/resume.ts";
import { replaceTarget } from "../../core/replace_file.ts";
import { globMatcher } from "../../core/resume_points.ts";
import { readSmallTextFileSync } from "../../core/small_file.ts";
import { osReason } from "../../core/source_error.ts";

export const STATE_KIND = "dtail-resume-state";
export const STATE_VERSION = 1;
/** Read at most (a position is ~150 bytes): a larger file is not one of ours. */
const STATE_LIMIT = 64 * 1024 * 1024;

/** Server → target → the positions of its files. */
export type SavedPositions = Map<string, Map<string, FilePosition[]>>;

export interface LoadedState {
  readonly positions: SavedPositions;
  /** What was wrong with the file, as one line; null when nothing was. */
  readonly problem: string | null;
  /** Whether the file may be written (it is ours, or there is none yet). */
  readonly writable: boolean;
}

/** Reads the state file; a missing or empty file is a state without positions. */
export function loadStateFile(path: string): LoadedState {
  let text: string;
  try {
    if (replaceTarget(path).kind === "stream") {
      return {
        positions: new Map(),
        problem: "is not a regular file: following without saved positions, and positions of " +
          "this run are not saved",
        writable: false,
      };
    }
    text = readSmallTextFileSync(path, STATE_LIMIT);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      return { positions: new Map(), problem: null, writable: true };
    }
    return {
      positions: new Map(),
      problem: `cannot be read (${osReason(err)}): following without saved positions, ` +
        "and positions of this run are not saved",
      writable: false,
    };
  }
  return parseState(text);
}

/** The state of a file's text (see loadStateFile). */
export function parseState(text: string): LoadedState {
  const positions: SavedPositions = new Map();
  if (text.trim() === "") return { positions, problem: null, writable: true };
  const foreign = (why: string): LoadedState => ({
    positions,
    problem: `is not a dtail resume state file (${why}): following without saved positions; ` +
      "it is left as it is and positions of this run are not saved (remove it to start anew)",
    writable: false,
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return foreign("not JSON");
  }
  if (!isObject(json) || json.kind !== STATE_KIND) return foreign(`no "kind": "${STATE_KIND}"`);
  if (json.version !== STATE_VERSION) {
    return {
      positions,
      problem:
        `is a version ${JSON.stringify(json.version)} state file, this dtail reads version ` +
        `${STATE_VERSION}: following without saved positions; the file is left as it is`,
      writable: false,
    };
  }
  const servers = json.servers;
  if (!isObject(servers)) {
    return {
      positions,
      problem: 'has no "servers" object: following without saved positions (it is rewritten)',
      writable: true,
    };
  }
  let bad = 0;
  let first = "";
  for (const [server, targets] of Object.entries(servers)) {
    if (!isObject(targets)) {
      bad++;
      first ||= `server ${server}: not an object`;
      continue;
    }
    const kept = new Map<string, FilePosition[]>();
    for (const [target, files] of Object.entries(targets)) {
      const checked = checkTarget(target, files);
      if (typeof checked === "string") {
        bad++;
        first ||= `server ${server}, target ${target}: ${checked}`;
      } else kept.set(target, checked);
    }
    if (kept.size > 0) positions.set(server, kept);
  }
  const problem = bad === 0 ? null : `has ${bad} unreadable entr${bad === 1 ? "y" : "ies"} ` +
    `(first: ${first}): those are ignored and dropped from the file`;
  return { positions, problem, writable: true };
}

/** The positions of one target, checked as a server checks a resume request; else why not. */
function checkTarget(target: string, files: unknown): FilePosition[] | string {
  if (target === "" || target.includes("\0")) return "invalid target";
  if (!Array.isArray(files) || files.length === 0) return "not a list of positions";
  let positions: FilePosition[];
  try {
    positions = decodeResumeRequest(JSON.stringify({ v: 1, files }));
  } catch (err) {
    return (err as Error).message;
  }
  // A position of a file the target does not cover would make every file of it look new.
  const inTarget = globMatcher(target);
  const outside = positions.find((p) => !inTarget(p.path));
  return outside === undefined ? positions : `${outside.path} is not a file of the target`;
}

/** The text of a state file: one position a line, servers and targets in order. */
export function formatState(positions: SavedPositions, saved: Date): string {
  const q = JSON.stringify;
  const servers: string[] = [];
  for (const [server, targets] of [...positions].sort(byKey)) {
    const lists: string[] = [];
    for (const [target, files] of [...targets].sort(byKey)) {
      if (files.length === 0) continue;
      const lines = files.map((p) => `    ${q(plain(p))}`);
      lists.push(`   ${q(target)}: [\n${lines.join(",\n")}\n   ]`);
    }
    if (lists.length > 0) servers.push(`  ${q(server)}: {\n${lists.join(",\n")}\n  }`);
  }
  const head = ` "kind": ${q(STATE_KIND)},\n "version": ${STATE_VERSION},\n` +
    ` "saved": ${q(saved.toISOString())},\n`;
  return servers.length === 0
    ? `{\n${head} "servers": {}\n}\n`
    : `{\n${head} "servers": {\n${servers.join(",\n")}\n }\n}\n`;
}

/**
 * Writes `text` to `path` atomically: a temporary file beside it (0600), renamed over it; through a
 * symlink to where it points. Refuses what is not a regular file.
 */
export async function writeStateFile(statePath: string, text: string): Promise<void> {
  const target = replaceTarget(statePath);
  if (target.kind === "stream") throw new Error(`${statePath}: not a regular file`);
  const path = target.path;
  const temp = `${path}.tmp-${Deno.pid}`;
  await Deno.remove(temp).catch(() => {}); // left by a dtail of this pid that was killed
  const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
  try {
    const bytes = new TextEncoder().encode(text);
    for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
    await file.syncData();
  } catch (err) {
    file.close();
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
  file.close();
  try {
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}

function plain({ path, dev, ino, offset, mark }: FilePosition): FilePosition {
  return mark === undefined ? { path, dev, ino, offset } : { path, dev, ino, offset, mark };
}

function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
