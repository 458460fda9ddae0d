import assert from "node:assert/strict";
import { byteSearch } from "./byte_search.ts";
import { readFileChunks } from "./chunks.ts";

Deno.test("readFileChunks reads into a buffer the byte search owns and hands it back", async () => {
  const search = byteSearch()!;
  const path = await Deno.makeTempFile();
  try {
    const data = Uint8Array.from({ length: 10_000 }, (_, i) => i % 251);
    await Deno.writeFile(path, data);
    using file = await Deno.open(path);
    const got: number[] = [];
    let buffer: ArrayBufferLike | null = null;
    for await (const chunk of readFileChunks(file, { chunkSize: 4096 })) {
      buffer ??= chunk.buffer;
      assert.equal(chunk.buffer, buffer, "one buffer, reused");
      got.push(...chunk);
    }
    assert.deepEqual(got, [...data]);
    assert.ok(buffer instanceof ArrayBuffer && buffer.byteLength > 4096, "a WebAssembly memory");
    const next = search.readBuffer(4096)!;
    assert.equal(next.buffer, buffer, "handed back when the read ended");
    search.releaseBuffer(next);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("readFileChunks with fresh buffers keeps every chunk", async () => {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, new Uint8Array(10_000).fill(7));
    using file = await Deno.open(path);
    const chunks: Uint8Array[] = [];
    for await (const chunk of readFileChunks(file, { chunkSize: 4096, fresh: true })) {
      chunks.push(chunk);
    }
    assert.deepEqual(chunks.map((c) => c.length), [4096, 4096, 1808]);
    assert.equal(new Set(chunks.map((c) => c.buffer)).size, 3);
    assert.ok(chunks.every((c) => c.every((b) => b === 7)));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("readFileChunks makes only the first read small when asked to", async () => {
  const path = await Deno.makeTempFile();
  try {
    const data = Uint8Array.from({ length: 10_000 }, (_, i) => i % 253);
    await Deno.writeFile(path, data);
    using file = await Deno.open(path);
    const lengths: number[] = [];
    const got: number[] = [];
    for await (const chunk of readFileChunks(file, { chunkSize: 4096, firstChunkSize: 1000 })) {
      lengths.push(chunk.length);
      got.push(...chunk);
    }
    assert.deepEqual(lengths, [1000, 4096, 4096, 808]);
    assert.deepEqual(got, [...data]);
    await file.seek(0, Deno.SeekMode.Start);
    const limited: number[] = [];
    for await (
      const c of readFileChunks(file, { chunkSize: 4096, firstChunkSize: 1000, limit: 2500 })
    ) {
      limited.push(c.length);
    }
    assert.deepEqual(limited, [1000, 1500]);
  } finally {
    await Deno.remove(path);
  }
});
