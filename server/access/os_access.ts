/**
 * Would the kernel let a given user read a file? The POSIX access check (mode bits or access ACL,
 * with the user's groups) on the file and search permission on every directory above it.
 */
import { type AclEntry, AclError, formatAcl, readAcl } from "./acl.ts";
import { reason as osReason } from "../../core/source.ts";
import { groupName, type UserInfo, userName } from "./user_lookup.ts";
import { statLibc, statPath } from "./libc.ts";

/** What the checks read of a `stat`: Deno's FileInfo, or core/libc.ts's statPath. */
export type StatLike = Pick<
  Deno.FileInfo,
  "dev" | "ino" | "mode" | "uid" | "gid" | "isFile" | "isDirectory" | "isSymlink"
>;

/** lstat of a path, null when it fails: through FFI where it can (see stampOf). */
function lstatQuiet(path: string): StatLike | null {
  const c = statLibc();
  if (c !== null && !path.includes("\0")) return statPath(c, path, false);
  try {
    return Deno.lstatSync(path);
  } catch {
    return null;
  }
}

export type AccessResult = { ok: true } | { ok: false; reason: string };

export const READ = 4;
export const SEARCH = 1;

/** The owner and mode of an inode, as far as the access check needs them. */
export interface Inode {
  mode: number;
  uid: number;
  gid: number;
}

/** Checks an absolute (preferably symlink-free) path: parents need search, the file read. */
export function canRead(user: UserInfo, path: string): AccessResult {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    return { ok: false, reason: `user ${user.name}: cannot stat ${path}: ${osReason(err)}` };
  }
  return canReadInfo(user, path, info);
}

/** Like canRead, with the file's stat already taken (so the caller can pin its dev and ino). */
export function canReadInfo(user: UserInfo, path: string, info: Deno.FileInfo): AccessResult {
  const abs = absolute(path);
  for (const dir of parents(abs)) {
    let dirInfo: Deno.FileInfo;
    try {
      dirInfo = Deno.statSync(dir);
    } catch (err) {
      return { ok: false, reason: `user ${user.name}: cannot stat ${dir}: ${osReason(err)}` };
    }
    const denied = check(user, dir, dirInfo, SEARCH, "search");
    if (denied) return denied;
  }
  return check(user, abs, info, READ, "read") ?? { ok: true };
}

/**
 * The read check of the file alone, for a path `resolveAs` just returned: it checked search
 * permission on every directory of that path on the way (each name was looked up in one).
 */
export function canReadResolved(user: UserInfo, path: string, info: StatLike): AccessResult {
  return check(user, absolute(path), info, READ, "read") ?? { ok: true };
}

/**
 * A path resolved as the kernel would for a user: every directory looked into was searchable.
 * `info`: the lstat of the path's last name, when it was taken on the way (not a symlink).
 */
export type Resolution =
  | { ok: true; path: string; info?: StatLike }
  | { ok: false; denied: boolean; reason: string };

const MAX_SYMLINKS = 40; // the kernel's limit (ELOOP)

/**
 * Resolves `path` component by component as the kernel does for `user` (path_lookupat): each
 * directory a name is looked up in must grant the user search permission, symlinks are expanded
 * where they are met (also ones inside directories the user could not enter, which the kernel
 * refuses and `realpath` as the server would not), `..` goes to the real parent. Returns the
 * real path, or why the user could not get there (`denied` false: it does not exist).
 */
export function resolveAs(user: UserInfo, path: string): Resolution {
  const abs = absolute(path);
  const slash = abs.lastIndexOf("/");
  const name = abs.slice(slash + 1);
  if (slash > 0 && name !== "" && name !== "." && name !== "..") {
    // The directory, once per synchronous stretch (the files of a glob: one walk), then the name
    // in it as the walk would go on; a symlink or any refusal takes the whole walk again.
    const dir = resolvedDirs.get(user, abs.slice(0, slash), (d) => resolveWalk(user, d, true));
    if (dir.ok) {
      const next = dir.path === "/" ? `/${name}` : `${dir.path}/${name}`;
      const info = lstatQuiet(next); // null: the walk says why
      if (info !== null && !info.isSymlink) return { ok: true, path: next, info };
    }
  }
  return resolveWalk(user, path, false);
}

/**
 * The walk of resolveAs; `dirOnly`: `path` is a directory a name is looked up in next, so it must
 * be one and searchable (what the walk checks before that lookup).
 */
function resolveWalk(user: UserInfo, path: string, dirOnly: boolean): Resolution {
  const pending = absolute(path).split("/").filter((p) => p !== "").reverse();
  let dir = "/";
  let links = 0;
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (name === ".") continue;
    const searchable = searchOk(user, dir);
    if (searchable !== null) return searchable;
    if (name === "..") {
      dir = dir === "/" ? "/" : dir.slice(0, dir.lastIndexOf("/")) || "/";
      continue;
    }
    const next = dir === "/" ? `/${name}` : `${dir}/${name}`;
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(next);
    } catch (err) {
      return { ok: false, denied: false, reason: `${next}: ${osReason(err)}` };
    }
    if (info.isSymlink) {
      if (++links > MAX_SYMLINKS) {
        return { ok: false, denied: false, reason: `${path}: too many levels of symbolic links` };
      }
      let target: string;
      try {
        target = Deno.readLinkSync(next);
      } catch (err) {
        return { ok: false, denied: false, reason: `${next}: ${osReason(err)}` };
      }
      if (target.startsWith("/")) dir = "/";
      pending.push(...target.split("/").filter((p) => p !== "").reverse());
      continue;
    }
    if (pending.length > 0 && !info.isDirectory) {
      return { ok: false, denied: false, reason: `${next}: not a directory` };
    }
    dir = next;
  }
  if (dirOnly) {
    const searchable = searchOk(user, dir);
    if (searchable !== null) return searchable;
  }
  return { ok: true, path: dir };
}

/**
 * Directories resolved for a user in the current synchronous stretch of work, forgotten at its
 * end (a microtask): the files of one glob expansion, opened one after the other without an
 * await, share one walk of their directory, and no answer outlives the stretch it was taken in.
 * Each use stats the resolved directory again: when the path's directories were swapped (for a
 * symlink elsewhere, say) it is another inode, or another mode or ctime, and the walk is taken
 * again; the window between check and open stays what it is for a single file.
 */
class StretchResolutions {
  #entries = new Map<string, { path: string; stamp: string }>();

  get(user: UserInfo, dir: string, resolve: (dir: string) => Resolution): Resolution {
    const key = `${user.uid}:${user.name}:${user.groups.join(",")}\0${dir}`;
    const known = this.#entries.get(key);
    if (known !== undefined && stampOf(known.path) === known.stamp) {
      return { ok: true, path: known.path };
    }
    const resolution = resolve(dir);
    if (!resolution.ok) return resolution;
    const stamp = stampOf(resolution.path);
    if (stamp === null) return resolution;
    if (this.#entries.size === 0) queueMicrotask(() => this.#entries.clear());
    this.#entries.set(key, { path: resolution.path, stamp });
    return resolution;
  }
}

/** What a directory's search decision depends on, null when it cannot be stat'ed. */
function stampOf(dir: string): string | null {
  const c = statLibc();
  if (c !== null && !dir.includes("\0")) {
    // Through FFI: plain numbers, no FileInfo with its Dates (once per file of a glob).
    const s = statPath(c, dir, true);
    return s === null ? null : `${s.dev}:${s.ino}:${s.mode}:${s.uid}:${s.gid}:${s.ctime}`;
  }
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(dir);
  } catch {
    return null;
  }
  return `${info.dev}:${info.ino}:${info.mode}:${info.uid}:${info.gid}:${info.ctime?.getTime()}`;
}

const resolvedDirs = new StretchResolutions();

/** Null when `user` may search directory `dir`, else the refusal. */
function searchOk(user: UserInfo, dir: string): Resolution | null {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(dir);
  } catch (err) {
    return { ok: false, denied: false, reason: `${dir}: ${osReason(err)}` };
  }
  return searchDecisions.get(user, dir, info, () => {
    const denied = check(user, dir, info, SEARCH, "search");
    return denied === null || denied.ok ? null : { ok: false, denied: true, reason: denied.reason };
  });
}

/**
 * The search decisions of directories (mode bits and ACL: one ACL read over FFI each), by user and
 * directory. An entry holds only while the directory's stat is the same: the inode (dev, ino),
 * owner, mode and ctime, which every chmod, chown and setfacl sets. A ctime of the last
 * CTIME_SETTLE_MS is never trusted (two changes within one millisecond of the clock would look
 * alike), and the user key has the uid and every group, so a group removal applies as soon as
 * the user is looked up again (Server.UserCacheTTLSeconds). Bounded: the oldest entry goes.
 */
export class SearchDecisions {
  readonly #entries = new Map<string, { stamp: string; result: Resolution | null }>();
  constructor(readonly max: number) {}

  get(
    user: UserInfo,
    dir: string,
    info: Deno.FileInfo,
    decide: () => Resolution | null,
  ): Resolution | null {
    const ctime = info.ctime?.getTime();
    if (ctime === undefined || Date.now() - ctime < CTIME_SETTLE_MS) return decide();
    const key = `${user.uid}:${user.name}:${user.groups.join(",")}\0${dir}`;
    const stamp = `${info.dev}:${info.ino}:${info.mode}:${info.uid}:${info.gid}:${ctime}`;
    const known = this.#entries.get(key);
    if (known !== undefined && known.stamp === stamp) return known.result;
    const result = decide();
    this.#entries.delete(key);
    if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { stamp, result });
    return result;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** A ctime this recent may still change within the same millisecond (the clock's resolution). */
const CTIME_SETTLE_MS = 1000;
const searchDecisions = new SearchDecisions(4096);

/**
 * May `user` list directory `dir` (read and search it, and reach it)? Used by glob expansion on
 * behalf of a user, so that it never reveals names the user could not see.
 */
export function canList(user: UserInfo, dir: string): boolean {
  const resolved = resolveAs(user, dir);
  if (!resolved.ok) return false;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(resolved.path);
  } catch {
    return false;
  }
  return info.isDirectory && check(user, resolved.path, info, READ | SEARCH, "list") === null;
}

/**
 * The kernel's decision (fs/namei.c acl_permission_check, fs/posix_acl.c posix_acl_permission)
 * for `want` (a mask of rwx bits). uid 0 passes like a process with CAP_DAC_READ_SEARCH.
 */
export function permits(
  user: UserInfo,
  inode: Inode,
  acl: AclEntry[] | null,
  want: number,
): boolean {
  if (user.uid === 0) return true;
  if (acl === null) {
    const bits = user.uid === inode.uid
      ? inode.mode >> 6
      : user.groups.includes(inode.gid)
      ? inode.mode >> 3
      : inode.mode;
    return (bits & want) === want;
  }
  const mask = acl.find((e) => e.tag === "mask")?.perm ?? 7;
  let inGroup = false;
  for (const e of acl) {
    switch (e.tag) {
      case "user_obj":
        if (user.uid === inode.uid) return (e.perm & want) === want;
        break;
      case "user":
        if (user.uid === e.id) return (e.perm & mask & want) === want;
        break;
      case "group_obj":
      case "group": {
        const gid = e.tag === "group" ? e.id : inode.gid;
        if (gid !== null && user.groups.includes(gid)) {
          inGroup = true;
          if ((e.perm & want) === want) return (e.perm & mask & want) === want;
        }
        break;
      }
      case "other":
        return !inGroup && (e.perm & want) === want;
    }
  }
  return false;
}

function check(
  user: UserInfo,
  path: string,
  info: StatLike,
  want: number,
  what: string,
): AccessResult | null {
  const inode = { mode: info.mode ?? 0, uid: info.uid ?? -1, gid: info.gid ?? -1 };
  let acl: AclEntry[] | null;
  try {
    acl = readAcl(path);
  } catch (err) {
    const why = err instanceof AclError ? err.message : osReason(err);
    return { ok: false, reason: `user ${user.name}: cannot read the ACL of ${path}: ${why}` };
  }
  if (permits(user, inode, acl, want)) return null;
  const kind = info.isDirectory ? "directory " : "";
  const mode = (inode.mode & 0o7777).toString(8).padStart(4, "0");
  const owner = `${userName(inode.uid)}:${groupName(inode.gid)}`;
  const aclText = acl === null ? "" : `, acl ${formatAcl(acl)}`;
  return {
    ok: false,
    reason:
      `user ${user.name}: no ${what} permission on ${kind}${path} (mode ${mode}, owner ${owner}${aclText})`,
  };
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd().replace(/\/$/, "")}/${path}`;
}

/** "/a/b/c" → ["/", "/a", "/a/b"]. */
export function parents(path: string): string[] {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  const out = ["/"];
  for (let i = 1; i < parts.length; i++) out.push("/" + parts.slice(0, i).join("/"));
  return out;
}
