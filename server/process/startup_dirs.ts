/**
 * The directories dserver writes, checked before it listens: the log directory (with the `file`
 * and `fout` loggers) and `Common.CacheDir` (`<user>.authorized_keys`, by default the host key).
 * A missing one is created (mode 0750, parents as needed); one that cannot be created, is not a
 * directory or cannot be written by the server's user (when it must be: `write`) is one line naming
 * it, what is wrong and
 * what to do, e.g. `cannot create log directory /var/log/dserver: permission denied (create it as
 * root, owned by dserver)`, and dserver exits 1. Writing is tested for real (a temporary file
 * created and removed), so a read-only mount (systemd's ProtectSystem=strict without a
 * LogsDirectory=/ReadWritePaths= for it) is caught too.
 */
import { dirname, resolve } from "node:path";
import { reason } from "../../core/source_error.ts";

export type DirKind = "log directory" | "cache directory";

/** Checks (and creates) one directory; returns the one-line problem, or null when usable. */
export function checkServerDir(
  kind: DirKind,
  dir: string,
  user: string,
  cwd: string = Deno.cwd(),
  write = true,
): string | null {
  const path = resolve(cwd, dir);
  let info: Deno.FileInfo | null = null;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.PermissionDenied) {
      return `cannot access ${kind} ${path}: permission denied ` +
        `(user ${user} needs search permission on every directory above it)`;
    }
    if (err instanceof Deno.errors.NotADirectory) {
      return `cannot create ${kind} ${path}: ${fileOnPath(path)} is not a directory`;
    }
    if (!(err instanceof Deno.errors.NotFound)) {
      return `cannot access ${kind} ${path}: ${reason(err)}`;
    }
  }
  if (info === null) {
    try {
      Deno.mkdirSync(path, { recursive: true, mode: 0o750 });
    } catch (err) {
      return `cannot create ${kind} ${path}: ${reason(err)} (create it as root, owned by ${user})`;
    }
  } else if (!info.isDirectory) {
    return `${kind} ${path} is not a directory`;
  }
  if (!write) return null;
  try {
    const probe = Deno.makeTempFileSync({ dir: path, prefix: ".dserver-write-check-" });
    Deno.removeSync(probe);
  } catch (err) {
    return `cannot write to ${kind} ${path}: ${reason(err)} ` +
      `(make it writable by ${user}: chown ${user} ${path})`;
  }
  return null;
}

/** The nearest existing ancestor of `path` (absolute) that is not a directory. */
function fileOnPath(path: string): string {
  let found = dirname(path);
  for (let p = dirname(path); p !== dirname(p); p = dirname(p)) {
    try {
      if (!Deno.statSync(p).isDirectory) found = p;
    } catch {
      // not there, or below the file: keep going up
    }
  }
  return found;
}
