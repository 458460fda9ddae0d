/**
 * The kernel doubles a process's file descriptor table as descriptors are opened, and in a process
 * with threads (every dserver) each doubling waits for an RCU grace period: a new dserver's first
 * 1,000 opens (a fleet's clients resuming after a restart) took 25–30 ms longer in wall time than
 * the same opens later, with no more CPU. The table never shrinks, so a dserver grows it once at
 * start-up, before any client waits (docs/performance.md, "Resume of 1,000 files").
 */
import type { Libc } from "../../core/libc.ts";

/** The most descriptors reserved: a table of this many entries is 512 KiB. */
export const MAX_RESERVED = 65536;

/**
 * Grows the table to hold `count` descriptors (rounded up to a power of two, at most MAX_RESERVED,
 * halved until the open-file limit allows it) by a `dup2` to the highest one and its `close`;
 * returns the size reserved, or 0 when nothing could be.
 */
export function reserveDescriptors(c: Pick<Libc, "dup2" | "close">, count: number): number {
  let size = 64;
  while (size < count && size < MAX_RESERVED) size *= 2;
  for (; size > 64; size /= 2) {
    const fd = c.dup2(0, size - 1);
    if (fd >= 0) {
      c.close(fd);
      return size;
    }
  }
  return 0;
}
