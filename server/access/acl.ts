/**
 * POSIX access ACLs: read through FFI getxattr("system.posix_acl_access"), or through
 * `getfacl` when FFI is not available.
 */
import { cPath, cString, ENODATA, ENOTSUP, ERANGE, errno, libc } from "./libc.ts";
import { InputError } from "../../core/errors.ts";

export type AclTag = "user_obj" | "user" | "group_obj" | "group" | "mask" | "other";

export interface AclEntry {
  tag: AclTag;
  /** rwx bits: 4 read, 2 write, 1 execute/search. */
  perm: number;
  /** uid or gid for `user` and `group` entries, null for the others. */
  id: number | null;
}

/** The ACL could not be read (neither FFI nor getfacl worked, or the file is gone). */
export class AclError extends InputError {
  override name = "AclError";
}

const TAGS: Record<number, AclTag> = {
  1: "user_obj",
  2: "user",
  4: "group_obj",
  8: "group",
  16: "mask",
  32: "other",
};
const ORDER: AclTag[] = ["user_obj", "user", "group_obj", "group", "mask", "other"];
const ATTR = cString("system.posix_acl_access");
/** The xattr read buffer of readAclFfi, used within one call (decodeAcl copies what it needs). */
const aclBuf = new Uint8Array(260);

/**
 * The access ACL of `path` in kernel order, or null when it has none beyond the mode bits
 * (no ACL, a minimal ACL, or a filesystem without ACL support).
 */
export function readAcl(path: string): AclEntry[] | null {
  const viaFfi = readAclFfi(path);
  return viaFfi === undefined ? readAclGetfacl(path) : viaFfi;
}

/** The FFI reader; undefined when FFI is not available. */
export function readAclFfi(path: string): AclEntry[] | null | undefined {
  const c = libc();
  if (c === null) return undefined;
  const name = path.includes("\0") ? cString(path) : cPath(path);
  let buf = aclBuf; // room for 32 entries; retried when larger
  for (;;) {
    const n = Number(c.getxattr(name, ATTR, buf, BigInt(buf.length)));
    if (n >= 0) return extended(decodeAcl(buf.subarray(0, n)));
    const code = errno(c);
    if (code === ENODATA || code === ENOTSUP) return null;
    if (code !== ERANGE) throw new AclError(`${path}: getxattr failed (errno ${code})`);
    const size = Number(c.getxattr(name, ATTR, null, 0n));
    buf = new Uint8Array(Math.max(size, buf.length * 2));
  }
}

/** The subprocess reader (`getfacl`, Debian package `acl`). */
export function readAclGetfacl(path: string): AclEntry[] | null {
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command("getfacl", {
      args: ["-n", "-p", "-c", "--", path],
      stdout: "piped",
      stderr: "piped",
      env: { LC_ALL: "C" },
    }).outputSync();
  } catch (err) {
    throw new AclError(`cannot read ACLs without FFI or getfacl: ${(err as Error).message}`);
  }
  if (!out.success) {
    throw new AclError(`getfacl ${path}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return extended(parseGetfacl(new TextDecoder().decode(out.stdout)));
}

/** Decodes the xattr blob: u32 version 2, then entries {u16 tag, u16 perm, u32 id}. */
export function decodeAcl(bytes: Uint8Array): AclEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || (bytes.length - 4) % 8 !== 0 || view.getUint32(0, true) !== 2) {
    throw new AclError(`malformed ACL xattr (${bytes.length} bytes)`);
  }
  const entries: AclEntry[] = [];
  for (let off = 4; off < bytes.length; off += 8) {
    const tag = TAGS[view.getUint16(off, true)];
    if (tag === undefined) throw new AclError(`unknown ACL tag ${view.getUint16(off, true)}`);
    const named = tag === "user" || tag === "group";
    entries.push({
      tag,
      perm: view.getUint16(off + 2, true) & 7,
      id: named ? view.getUint32(off + 4, true) : null,
    });
  }
  return entries;
}

/** Parses `getfacl -n -c` output (access entries only; `default:` lines are skipped). */
export function parseGetfacl(text: string): AclEntry[] {
  const entries: AclEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\s*#.*$/, "").trim();
    if (line === "" || line.startsWith("default:")) continue;
    const m = /^(user|group|mask|other):(\d*):([r-][w-][x-])$/.exec(line);
    if (!m) throw new AclError(`unexpected getfacl line: ${raw}`);
    const [, kind, id, perm] = m as unknown as [string, string, string, string];
    const named = id !== "";
    const tag: AclTag = kind === "user"
      ? (named ? "user" : "user_obj")
      : kind === "group"
      ? (named ? "group" : "group_obj")
      : kind as AclTag;
    entries.push({
      tag,
      perm: (perm[0] === "r" ? 4 : 0) | (perm[1] === "w" ? 2 : 0) | (perm[2] === "x" ? 1 : 0),
      id: named ? Number(id) : null,
    });
  }
  return entries;
}

/** Like getfacl: `user::rw-,user:1001:r--,group::r--,mask::r--,other::---`. */
export function formatAcl(entries: AclEntry[]): string {
  return entries.map((e) => {
    const kind = e.tag.replace("_obj", "");
    return `${kind}:${e.id ?? ""}:${permString(e.perm)}`;
  }).join(",");
}

export function permString(perm: number): string {
  return (perm & 4 ? "r" : "-") + (perm & 2 ? "w" : "-") + (perm & 1 ? "x" : "-");
}

/** Sorted in kernel order; null when only the three entries the mode bits already describe. */
function extended(entries: AclEntry[]): AclEntry[] | null {
  if (entries.every((e) => e.tag === "user_obj" || e.tag === "group_obj" || e.tag === "other")) {
    return null;
  }
  return entries.sort((a, b) => ORDER.indexOf(a.tag) - ORDER.indexOf(b.tag));
}
