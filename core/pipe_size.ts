/**
 * Grows the kernel buffer of a pipe on stdout (Linux F_SETPIPE_SZ) from 64 KiB to 1 MiB: with
 * the default size every 1 MiB write wakes the reader 16 times, and that, not our code, bounds
 * throughput into `| grep`, `| less` and friends. Best effort: without FFI permission, on other
 * systems or for non-pipes nothing happens. (node:fs's fstat would tell a pipe from a file, but
 * importing node:fs costs ~30 ms of start-up.)
 */
import { fileLibc } from "./libc.ts";
import type { SyncSink } from "./output.ts";

const F_SETPIPE_SZ = 1031;
const WANTED = 1 << 20;
/** What a sink passes on before it grows the pipe: small outputs never pay for the FFI set-up. */
const GROW_AFTER = 128 * 1024;

let grown = false;

/** Grows the pipe now (once a process; later calls do nothing). */
export function growStdoutPipe(): void {
  if (grown) return;
  grown = true;
  // On anything but a pipe, fcntl refuses F_SETPIPE_SZ (EBADF/EINVAL): no check needed.
  if (Deno.build.os !== "linux" || Deno.stdout.isTerminal()) return;
  // Without FFI permission or glibc, the default size stays. Bound with the file calls: a run
  // that grows its pipe reads files too.
  fileLibc()?.fcntl(1, F_SETPIPE_SZ, WANTED);
}

/**
 * Grows the pipe on standard input the same way: each read of it hands over what the pipe holds,
 * and one of 64 KiB per thread hop made reading a pipe cost ~1 ms per MiB (docs/performance.md).
 */
export function growStdinPipe(): void {
  if (Deno.build.os !== "linux" || Deno.stdin.isTerminal()) return;
  fileLibc()?.fcntl(0, F_SETPIPE_SZ, WANTED);
}

/**
 * `sink` (standard output's), growing the pipe before the write that brings what was written to
 * GROW_AFTER: binding libc costs 2–6 ms of a process's first FFI call, which a run printing a few
 * lines (an SSH client's fixed cost) need not pay. A run that writes to fd 1 past the sink (plain
 * files by sendfile) grows the pipe itself first.
 */
export function growingSink(
  sink: SyncSink,
  after = GROW_AFTER,
  grow: () => void = growStdoutPipe,
): SyncSink {
  let written = 0;
  let done = false;
  return (bytes) => {
    if (!done) {
      written += bytes.length;
      if (written >= after) {
        done = true;
        grow();
      }
    }
    sink(bytes);
  };
}
