/**
 * Opening a file on behalf of an SSH user: resolve symlinks, apply the config rules and the OS
 * access check to the resolved path, and open exactly the inode that was checked.
 */
import { reason as osReason, SourceError } from "../core/source.ts";
import { ELOOP, ENOENT, errno, libc } from "./libc.ts";
import { canReadInfo } from "./os_access.ts";
import { checkRules } from "./path_rules.ts";
import type { UserInfo } from "./user_lookup.ts";

export { SourceError };

/** A policy refusal; `message` is for the server log, never for the client. */
export class PermissionDeniedError extends Error {
  override name = "PermissionDeniedError";
}

/** A path that passed every check, pinned to the inode that was checked. */
export interface CheckedPath {
  path: string;
  dev: number;
  ino: number;
}

export function openForUser(user: UserInfo, rules: string[], requested: string): Deno.FsFile {
  return openChecked(checkPath(user, rules, requested));
}

/** Steps 1–4 of the check, without opening (the seam between check and open). */
export function checkPath(user: UserInfo, rules: string[], requested: string): CheckedPath {
  let path: string;
  try {
    path = Deno.realPathSync(requested);
  } catch (err) {
    throw new SourceError(`${requested}: ${osReason(err)}`);
  }
  const ruled = checkRules(rules, path);
  if (!ruled.ok) {
    const escape = path !== requested && checkRules(rules, absolute(requested)).ok;
    throw new PermissionDeniedError(
      escape
        ? `user ${user.name}: symlink escape: ${requested} resolves to ${path}, which no rule allows (${ruled.reason})`
        : `user ${user.name}: ${ruled.reason}`,
    );
  }
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    throw new SourceError(`${path}: ${osReason(err)}`);
  }
  const access = canReadInfo(user, path, info);
  if (!access.ok) throw new PermissionDeniedError(access.reason);
  if (!info.isFile) {
    throw new SourceError(`${path}: ${info.isDirectory ? "is a directory" : "not a regular file"}`);
  }
  return { path, dev: info.dev, ino: info.ino ?? -1 };
}

const O_NONBLOCK = 0o4000;
const O_NOFOLLOW = 0o400000;
const O_CLOEXEC = 0o2000000;
const O_NOCTTY = 0o400;

/**
 * Opens a checked path, refusing when it no longer is the checked inode. With FFI the path is
 * opened non-blocking and without following a final symlink, so a FIFO swapped in cannot hang
 * the server; the FsFile is then opened through /proc/self/fd, which pins the same inode.
 */
export function openChecked(checked: CheckedPath): Deno.FsFile {
  const c = libc();
  if (c === null) return openPlain(checked);
  const fd = c.open(
    new TextEncoder().encode(checked.path + "\0"),
    O_NONBLOCK | O_NOFOLLOW |
      O_CLOEXEC | O_NOCTTY,
    0,
  );
  if (fd < 0) {
    const code = errno(c);
    if (code === ENOENT) throw new SourceError(`${checked.path}: no such file or directory`);
    if (code === ELOOP) throw swapped(checked, "became a symlink");
    throw new SourceError(`${checked.path}: open failed (errno ${code})`);
  }
  try {
    const proc = `/proc/self/fd/${fd}`;
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(proc);
    } catch {
      return openPlain(checked); // no /proc
    }
    verify(checked, info);
    const file = Deno.openSync(proc, { read: true });
    return verifyOpen(checked, file);
  } finally {
    c.close(fd);
  }
}

function openPlain(checked: CheckedPath): Deno.FsFile {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(checked.path);
  } catch (err) {
    throw new SourceError(`${checked.path}: ${osReason(err)}`);
  }
  verify(checked, info);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(checked.path, { read: true });
  } catch (err) {
    throw new SourceError(`${checked.path}: ${osReason(err)}`);
  }
  return verifyOpen(checked, file);
}

function verifyOpen(checked: CheckedPath, file: Deno.FsFile): Deno.FsFile {
  try {
    verify(checked, file.statSync());
    return file;
  } catch (err) {
    file.close();
    throw err;
  }
}

function verify(checked: CheckedPath, info: Deno.FileInfo): void {
  if (info.isSymlink) throw swapped(checked, "became a symlink");
  if (!info.isFile) throw swapped(checked, "is no longer a regular file");
  if (info.dev !== checked.dev || info.ino !== checked.ino) {
    throw swapped(checked, "was replaced by another file");
  }
}

function swapped(checked: CheckedPath, what: string): PermissionDeniedError {
  return new PermissionDeniedError(`${checked.path} ${what} between check and open`);
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd().replace(/\/$/, "")}/${path}`;
}
