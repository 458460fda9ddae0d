import assert from "node:assert/strict";
import { libc } from "../../core/libc.ts";
import { MAX_RESERVED, reserveDescriptors } from "./fd_table.ts";

function openDescriptors(): Set<number> {
  return new Set([...Deno.readDirSync("/proc/self/fd")].map((e) => Number(e.name)));
}

Deno.test("reserving descriptors leaves none open and rounds up to a power of two", () => {
  const c = libc();
  if (c === null) return; // no FFI: a dserver skips the reservation too
  const before = openDescriptors();
  const size = reserveDescriptors(c, 3000);
  assert.ok(size === 4096 || (size >= 128 && size < 4096), `${size}`); // a low ulimit -n halves it
  assert.ok(!openDescriptors().has(size - 1), "the descriptor made to grow the table is closed");
  assert.deepEqual([...openDescriptors()].filter((fd) => !before.has(fd) && fd >= 64), []);
});

Deno.test("reserving halves the size until the open-file limit allows it, and never throws", () => {
  const calls: number[] = [];
  const closed: number[] = [];
  const limit = 1000; // dup2 beyond RLIMIT_NOFILE fails with EBADF
  const fake = {
    dup2: (_old: number, fd: number) => {
      calls.push(fd);
      return fd < limit ? fd : -1;
    },
    close: (fd: number) => {
      closed.push(fd);
      return 0;
    },
  };
  assert.equal(reserveDescriptors(fake, 5000), 512);
  assert.deepEqual(calls, [8191, 4095, 2047, 1023, 511]);
  assert.deepEqual(closed, [511]);
  assert.equal(reserveDescriptors({ dup2: () => -1, close: () => 0 }, 5000), 0);
  calls.length = 0;
  reserveDescriptors(fake, 10 ** 9);
  assert.equal(calls[0], MAX_RESERVED - 1);
});
