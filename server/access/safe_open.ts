/**
 * The one checked open of dserver: every file a session reads — first open, reopen after
 * rotation or truncation, a new glob match, a worker's second open — comes through `openForUser`.
 * The path is resolved as the kernel would for the SSH user (search permission on every
 * directory looked into), the config rules apply to the resolved path, the OS read check to the
 * file, and exactly the checked inode is opened, non-blocking (core/open_file.ts).
 */
import {
  FileSwappedError,
  type InputFile,
  type OpenedFile,
  openPinnedSized,
  type PinnedFile,
} from "../../core/open_file.ts";
import { reason as osReason, SourceError } from "../../core/source_error.ts";
import { canReadResolved, resolveAs, type StatLike } from "./os_access.ts";
import { checkRules } from "./path_rules.ts";
import type { UserInfo } from "./user_lookup.ts";
import { InputError } from "../../core/errors.ts";

export { SourceError };

/** A policy refusal; `message` is for the server log, never for the client. */
export class PermissionDeniedError extends InputError {
  override name = "PermissionDeniedError";
}

export function openForUser(user: UserInfo, rules: string[], requested: string): OpenedFile {
  const pin = checkPath(user, rules, requested);
  const { file, size } = openCheckedSized(pin);
  return { file, pin, size };
}

/** The checks, without opening (the seam between check and open). */
export function checkPath(user: UserInfo, rules: string[], requested: string): PinnedFile {
  const resolved = resolveAs(user, requested);
  if (!resolved.ok) {
    if (resolved.denied) throw new PermissionDeniedError(resolved.reason);
    throw new SourceError(resolved.reason);
  }
  const path = resolved.path;
  const ruled = checkRules(rules, path);
  if (!ruled.ok) {
    const escape = path !== requested && checkRules(rules, absolute(requested)).ok;
    throw new PermissionDeniedError(
      escape
        ? `user ${user.name}: symlink escape: ${requested} resolves to ${path}, which no rule allows (${ruled.reason})`
        : `user ${user.name}: ${ruled.reason}`,
    );
  }
  let info: StatLike;
  try {
    info = resolved.info ?? Deno.lstatSync(path);
  } catch (err) {
    throw new SourceError(`${path}: ${osReason(err)}`);
  }
  const access = canReadResolved(user, path, info);
  if (!access.ok) throw new PermissionDeniedError(access.reason);
  if (!info.isFile) {
    throw new SourceError(`${path}: ${info.isDirectory ? "is a directory" : "not a regular file"}`);
  }
  return { path, dev: info.dev, ino: info.ino ?? -1, noFollow: true };
}

/** Opens a checked path, refusing (PermissionDeniedError) when it is no longer that inode. */
export function openChecked(pin: PinnedFile): InputFile {
  return openCheckedSized(pin).file;
}

/** openChecked, with the file's size when it was opened. */
function openCheckedSized(pin: PinnedFile): { file: InputFile; size: number } {
  try {
    return openPinnedSized(pin);
  } catch (err) {
    if (err instanceof FileSwappedError) throw new PermissionDeniedError(err.message);
    throw err;
  }
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd().replace(/\/$/, "")}/${path}`;
}
