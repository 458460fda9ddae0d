import assert from "node:assert/strict";
import { lineIO } from "./terminal_io.ts";

function chunks(...parts: string[]) {
  const queue = parts.map((p) => new TextEncoder().encode(p));
  return {
    read(p: Uint8Array): Promise<number | null> {
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      p.set(next);
      return Promise.resolve(next.length);
    },
  };
}

Deno.test("lineIO splits input into lines across reads and strips CR", async () => {
  const io = lineIO(chunks("y", "es\r\nn", "o\nlast"), { write: (p) => Promise.resolve(p.length) });
  assert.equal(await io.readLine(), "yes");
  assert.equal(await io.readLine(), "no");
  assert.equal(await io.readLine(), "last");
  assert.equal(await io.readLine(), null);
});

Deno.test("lineIO writes everything even when the writer takes a little at a time", async () => {
  const got: number[] = [];
  const writer = {
    write(p: Uint8Array): Promise<number> {
      got.push(p[0]!);
      return Promise.resolve(1);
    },
  };
  await lineIO(chunks(), writer).write("abc");
  assert.deepEqual(got, [97, 98, 99]);
});
