/**
 * Grows the kernel buffer of a pipe on stdout (Linux F_SETPIPE_SZ) from 64 KiB to 1 MiB: with
 * the default size every 1 MiB write wakes the reader 16 times, and that, not our code, bounds
 * throughput into `| grep`, `| less` and friends. Best effort: without FFI permission, on other
 * systems or for non-pipes nothing happens. (node:fs's fstat would tell a pipe from a file, but
 * importing node:fs costs ~30 ms of start-up.)
 */
const F_SETPIPE_SZ = 1031;
const WANTED = 1 << 20;

export function growStdoutPipe(): void {
  // On anything but a pipe, fcntl refuses F_SETPIPE_SZ (EBADF/EINVAL): no check needed.
  if (Deno.build.os !== "linux" || Deno.stdout.isTerminal()) return;
  try {
    const libc = Deno.dlopen("libc.so.6", {
      fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
    });
    libc.symbols.fcntl(1, F_SETPIPE_SZ, WANTED);
    libc.close();
  } catch {
    // no FFI permission or no glibc: keep the default size
  }
}
