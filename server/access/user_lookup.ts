/**
 * OS account lookup by name: uid, primary gid, all group ids and home directory. Uses libc through
 * FFI (so NSS sources such as LDAP or systemd count) and falls back to /etc/passwd and /etc/group.
 */
import { cString, ERANGE, type Libc, libc, readCStringField } from "./libc.ts";

export interface UserInfo {
  name: string;
  uid: number;
  gid: number;
  /** Every group id the user is in, the primary one included. */
  groups: number[];
  home: string;
}

/** Names of ids (log messages only): how long they are cached. */
const NAME_TTL_MS = 30_000;
const MAX_CACHED = 1000;
/** `Server.UserCacheTTLSeconds` (default 5): how long a user's uid and groups are cached. */
let userTtlMs = 5_000;
const users = new Map<string, { value: UserInfo | null; expires: number }>();
const names = new Map<string, { value: string; expires: number }>();

/**
 * Sets how long `lookupUser` keeps an answer (`Server.UserCacheTTLSeconds`, set by dserver at
 * start): a group membership removed from the OS applies after at most this. 0 turns the cache
 * off (every session looks the user up again). Entries already cached keep their expiry.
 */
export function setUserCacheTtl(seconds: number): void {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`user cache TTL must be 0 or more seconds, got ${seconds}`);
  }
  userTtlMs = seconds * 1000;
  if (userTtlMs === 0) users.clear();
}

/** The account called `name`, or null when there is none; cached per `setUserCacheTtl`. */
export function lookupUser(name: string): UserInfo | null {
  if (userTtlMs === 0) return lookupUserUncached(name);
  return cached(users, name, userTtlMs, () => lookupUserUncached(name));
}

/** The name of a uid (for log messages), or the number itself. */
export function userName(uid: number): string {
  return cached(
    names,
    `u${uid}`,
    NAME_TTL_MS,
    () => idNameFfi("getpwuid_r", uid) ?? idNameFromFile(uid, true),
  );
}

/** The name of a gid (for log messages), or the number itself. */
export function groupName(gid: number): string {
  return cached(
    names,
    `g${gid}`,
    NAME_TTL_MS,
    () => idNameFfi("getgrgid_r", gid) ?? idNameFromFile(gid, false),
  );
}

export function lookupUserUncached(name: string): UserInfo | null {
  if (name === "" || name.includes("\0")) return null;
  const viaFfi = lookupUserFfi(name);
  return viaFfi === undefined ? lookupUserFromFiles(name) : viaFfi;
}

/** The FFI lookup; undefined when FFI is not available. */
export function lookupUserFfi(name: string): UserInfo | null | undefined {
  const c = libc();
  if (c === null) return undefined;
  const pwd = new Uint8Array(48); // sizeof(struct passwd) on x86_64 glibc
  const found = callWithBuffer((buf, result) =>
    c.getpwnam_r(cString(name), pwd, buf, BigInt(buf.length), result)
  );
  if (!found) return null;
  const view = new DataView(pwd.buffer);
  const uid = view.getUint32(16, true);
  const gid = view.getUint32(20, true);
  return {
    name: readCStringField(pwd, 0),
    uid,
    gid,
    groups: groupListFfi(c, name, gid),
    home: readCStringField(pwd, 32),
  };
}

/** The lookup from passwd and group file texts (no NSS). */
export function lookupUserFromFiles(
  name: string,
  passwd = readText("/etc/passwd"),
  group = readText("/etc/group"),
): UserInfo | null {
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f[0] !== name || f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) return null;
    const groups = [gid];
    for (const gline of group.split("\n")) {
      const g = gline.split(":");
      const id = Number(g[2]);
      if (g.length < 4 || !Number.isInteger(id) || groups.includes(id)) continue;
      if ((g[3] ?? "").split(",").includes(name)) groups.push(id);
    }
    return { name, uid, gid, groups, home: f[5] ?? "" };
  }
  return null;
}

function groupListFfi(c: Libc, name: string, gid: number): number[] {
  let size = 64;
  for (;;) {
    const groups = new Uint32Array(size);
    const count = new Int32Array([size]);
    const n = c.getgrouplist(cString(name), gid, new Uint8Array(groups.buffer), count);
    const got = count[0] ?? 0;
    if (n >= 0) return [...groups.subarray(0, got)];
    size = Math.max(got, size * 2);
  }
}

/** Calls a getXXX_r function with a growing string buffer; true when it found the entry. */
function callWithBuffer(
  call: (buf: Uint8Array<ArrayBuffer>, result: Uint8Array<ArrayBuffer>) => number,
): boolean {
  for (let size = 1024; size <= 1 << 20; size *= 4) {
    const result = new Uint8Array(8);
    const rc = call(new Uint8Array(size), result);
    if (rc === ERANGE) continue;
    return rc === 0 && new DataView(result.buffer).getBigUint64(0, true) !== 0n;
  }
  return false;
}

function idNameFfi(fn: "getpwuid_r" | "getgrgid_r", id: number): string | null {
  const c = libc();
  if (c === null) return null;
  const struct = new Uint8Array(48);
  const found = callWithBuffer((buf, result) => c[fn](id, struct, buf, BigInt(buf.length), result));
  return found ? readCStringField(struct, 0) : null; // pw_name and gr_name are both at 0
}

function idNameFromFile(id: number, user: boolean): string {
  const text = readText(user ? "/etc/passwd" : "/etc/group");
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && f[2] === String(id) && f[0]) return f[0];
  }
  return String(id);
}

function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

function cached<T>(
  map: Map<string, { value: T; expires: number }>,
  key: string,
  ttlMs: number,
  get: () => T,
): T {
  const now = Date.now();
  const hit = map.get(key);
  if (hit !== undefined && hit.expires > now) return hit.value;
  if (map.size >= MAX_CACHED) map.clear();
  const value = get();
  map.set(key, { value, expires: now + ttlMs });
  return value;
}
