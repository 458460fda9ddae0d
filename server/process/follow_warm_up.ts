/**
 * A dserver's rehearsal of a follow and its resume, once it listens (server/process/warm_up.ts):
 * it follows `FILES` files of a private scratch directory through the session handler in memory
 * (no SSH), then twice appends a line to each and resumes them, as a client does after a
 * reconnect. A dserver restarted by a deploy is met by its clients resuming all their files at
 * once (docs/protocol.md#resume); without the rehearsal that first resume ran the per-file path
 * while V8 still interpreted it, at about twice the CPU of every later one (docs/performance.md,
 * "Resume of 1,000 files"). The rehearsal goes through the same checked open, as the dserver's own
 * user with a rule for its directory only, and takes no `MaxConcurrentTails` slot.
 */
import type { Config } from "../../core/config.ts";
import { buildReadCommand } from "../../core/protocol/commands.ts";
import { encodeFrame } from "../../core/protocol/frames.ts";
import { isControl, MessageReader } from "../../core/protocol/messages.ts";
import {
  encodeResumeRequest,
  type FilePosition,
  parsePositionMessage,
  POSITIONS_OPTION,
  POSITIONS_VERSION,
  RESUME_OPTION,
} from "../../core/protocol/resume.ts";
import { Semaphore } from "../../core/semaphore.ts";
import { openForUser } from "../access/safe_open.ts";
import { canList } from "../access/os_access.ts";
import { lookupUser, userName } from "../access/user_lookup.ts";
import { type HandlerDeps, handleSession } from "../session/handler.ts";

/**
 * Files followed at once. V8 compiles the loops over a session's files once they run long enough:
 * 500 files warmed a 1,000-file resume as well as 1,000 did, 250 (even four times) not at all.
 */
export const FILES = 500;
/** Resumes after the first follow. */
const ROUNDS = 2;
/** A rehearsal that takes longer is given up (a slow disk): the first sessions pay, as before. */
const DEADLINE_MS = 10_000;
/** Scratch directories are named `<PREFIX><pid>-<random>`; a dead pid's is removed. */
export const PREFIX = "dserver-warm-up-";

const decoder = new TextDecoder();

/** How a rehearsal ended: done, or what stopped it (for the dserver's debug log). */
export type Rehearsal = { readonly done: true } | { readonly done: false; readonly why: string };

/** The server log lines of the rehearsal's sessions kept for a `why` (the first ones). */
const KEPT_LOG_LINES = 3;

/**
 * Follows and resumes `files` files in a scratch directory under `parents[0]` (or the next that
 * takes one) and removes it.
 */
export async function rehearseFollow(
  config: Config,
  files = FILES,
  parents: readonly string[] = SCRATCH_PARENTS,
  deadlineMs = DEADLINE_MS,
): Promise<Rehearsal> {
  const uid = Deno.uid();
  if (uid === null) return { done: false, why: "no user id" };
  const name = userName(uid);
  const user = lookupUser(name);
  if (user === null) return { done: false, why: `user ${name} not found` };
  const dir = scratchDir(parents);
  if (dir === null) return { done: false, why: "no scratch directory" };
  // A dserver stopped during the rehearsal removes it too (a killed one: the next start does).
  const removeNow = () => removeQuietly(dir);
  globalThis.addEventListener("unload", removeNow);
  try {
    const logged: string[] = [];
    const paths = Array.from({ length: files }, (_, i) => `${dir}/${i}.log`);
    for (const path of paths) Deno.writeTextFileSync(path, "warm-up\n");
    const deps: HandlerDeps = {
      config,
      hostname: "warm-up",
      // The directory's name taken literally (a $TMPDIR may hold "." or "+").
      open: (_name, path) =>
        openForUser(user, [`^${dir.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")}/`], path),
      canList: (_name, d) => canList(user, d),
      log: (level, ...fields) => {
        if (level !== "debug" && logged.length < KEPT_LOG_LINES) logged.push(fields.join("|"));
      },
      cats: new Semaphore(1),
      tails: new Semaphore(files),
      registerAuthKey: () => "AUTHKEY ERR",
    };
    const glob = `${dir}/*.log`;
    const deadline = AbortSignal.timeout(deadlineMs);
    let seen = await followUntil(
      deps,
      name,
      glob,
      null,
      (s) => s.positions.size === files,
      deadline,
    );
    let round = 0; // the resume going on (0: the first follow)
    while (seen.enough && round < ROUNDS) {
      round++;
      for (const path of paths) Deno.writeTextFileSync(path, "missed\n", { append: true });
      const from = [...seen.positions.values()];
      const all = (s: Seen) => s.lines >= files && s.positions.size === files;
      seen = await followUntil(deps, name, glob, from, all, deadline);
    }
    if (seen.enough) return { done: true };
    const log = logged.length === 0 ? "" : `; server log: ${logged.join(" / ")}`;
    return {
      done: false,
      why: `the deadline came in ${round === 0 ? "the follow" : `resume ${round}`}: ` +
        `${seen.positions.size} of ${files} positions, ${seen.lines} lines${log}`,
    };
  } finally {
    globalThis.removeEventListener("unload", removeNow);
    removeQuietly(dir);
  }
}

function removeQuietly(dir: string): void {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // gone already
  }
}

/**
 * In memory where there is a tmpfs: 2,000 small writes to a disk-backed /tmp took 0.2–0.6 s here,
 * more than the rehearsal itself.
 */
const SCRATCH_PARENTS = ["/dev/shm", tempParent()];

function tempParent(): string {
  try {
    return Deno.env.get("TMPDIR") || "/tmp";
  } catch {
    return "/tmp";
  }
}

/** A new private directory under the first parent that takes one; leftovers of dead dservers go. */
function scratchDir(parents: readonly string[]): string | null {
  for (const parent of parents) {
    if (/[*?[\\]/.test(parent)) continue; // the rehearsal follows `<dir>/*.log`: no glob in dir
    try {
      removeLeftovers(parent);
      return Deno.makeTempDirSync({ dir: parent, prefix: `${PREFIX}${Deno.pid}-` });
    } catch {
      // not there, or not ours to write: the next
    }
  }
  return null;
}

/** Scratch directories of this user whose dserver is gone (killed during its rehearsal). */
export function removeLeftovers(parent: string): void {
  for (const entry of Deno.readDirSync(parent)) {
    if (!entry.isDirectory || !entry.name.startsWith(PREFIX)) continue;
    const pid = Number(entry.name.slice(PREFIX.length).split("-")[0]);
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
    const path = `${parent}/${entry.name}`;
    try {
      if (Deno.lstatSync(path).uid !== Deno.uid()) continue;
      Deno.removeSync(path, { recursive: true });
    } catch {
      // gone meanwhile, or not ours
    }
  }
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

interface Seen {
  readonly positions: Map<string, FilePosition>;
  lines: number;
  /** `enough` held when the session ended (false: the deadline came). */
  enough: boolean;
}

/** One session following `glob` (resuming `from`) until `enough` or the deadline. */
async function followUntil(
  deps: HandlerDeps,
  user: string,
  glob: string,
  from: FilePosition[] | null,
  enough: (seen: Seen) => boolean,
  deadline: AbortSignal,
): Promise<Seen> {
  const command = buildReadCommand({
    verb: "tail",
    options: {
      escape: "ac",
      [POSITIONS_OPTION]: POSITIONS_VERSION,
      ...(from === null ? {} : { [RESUME_OPTION]: encodeResumeRequest(from) }),
    },
    path: glob,
    regex: { flag: "noop", literal: false, pattern: "" },
  });
  const seen: Seen = { positions: new Map(), lines: 0, enough: false };
  const closed = new AbortController();
  const stop = () => closed.abort();
  deadline.addEventListener("abort", stop, { once: true });
  const reader = new MessageReader(() => true);
  try {
    await handleSession(
      {
        input: frames(encodeFrame(command), closed.signal),
        write: (bytes) => {
          for (const message of reader.push(bytes)) {
            if (!isControl(message)) {
              seen.lines++;
              continue;
            }
            const position = parsePositionMessage(decoder.decode(message.subarray(2)));
            if (position !== null) seen.positions.set(position.position.path, position.position);
          }
          if (enough(seen)) stop();
          return Promise.resolve();
        },
        close: stop,
        closed: closed.signal,
      },
      { user, remote: "warm-up", health: false },
      deps,
    );
  } finally {
    deadline.removeEventListener("abort", stop);
  }
  seen.enough = enough(seen);
  return seen;
}

/** The command's frame, then nothing until the session is closed. */
async function* frames(frame: Uint8Array, closed: AbortSignal): AsyncGenerator<Uint8Array> {
  yield frame;
  if (closed.aborted) return;
  await new Promise((resolve) => closed.addEventListener("abort", resolve, { once: true }));
}
