/** The error of a source that could not be read, and the one-line reason of an OS error. */
import { InputError } from "./errors.ts";

/** A file that could not be read; `message` names it and says why, in one line. */
export class SourceError extends InputError {
  override name = "SourceError";
}

export function reason(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file or directory";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Error) {
    const m = /^(.*?)(?: \(os error \d+\))?(?:: [^:]*)?$/.exec(err.message);
    return (m?.[1] ?? err.message).toLowerCase();
  }
  return String(err);
}

/** `reason` of an OS error (its text ends in "(os error N)"); any other error's message as it is. */
export function osReason(err: unknown): string {
  if (err instanceof Error && !/\(os error \d+\)/.test(err.message)) return err.message;
  return reason(err);
}
