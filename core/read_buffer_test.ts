/**
 * Read buffers without the byte search (this file never asks for it): a reader's buffer goes back
 * to a pool when it is done, so reading file after file does not allocate (and zero) 1 MiB each.
 */
import assert from "node:assert/strict";
import { readBuffer, releaseBuffer } from "./byte_search.ts";
import { readFileChunks } from "./chunks.ts";

Deno.test("a read buffer handed back is handed out again, and only to one reader at a time", () => {
  const first = readBuffer(1 << 20);
  releaseBuffer(first);
  const again = readBuffer(1 << 20);
  assert.equal(again.buffer, first.buffer, "the same memory");
  const other = readBuffer(1 << 20);
  assert.notEqual(other.buffer, again.buffer, "a second reader gets its own");
  const smaller = readBuffer(1000);
  assert.equal(smaller.length, 1000);
  releaseBuffer(again);
  releaseBuffer(again); // twice: still one entry
  assert.equal(readBuffer(1 << 20).buffer, again.buffer);
  assert.notEqual(readBuffer(1 << 20).buffer, again.buffer);
});

Deno.test("files read one after another share one read buffer", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const seen = new Set<ArrayBufferLike>();
    for (let i = 0; i < 5; i++) {
      const path = `${dir}/${i}.log`;
      await Deno.writeTextFile(path, `line of file ${i}\n`);
      using file = await Deno.open(path);
      let text = "";
      for await (const chunk of readFileChunks(file)) {
        seen.add(chunk.buffer);
        text += new TextDecoder().decode(chunk);
      }
      assert.equal(text, `line of file ${i}\n`);
    }
    assert.equal(seen.size, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
