import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { handleAvailable, ZlibHandle } from "./zlib_handle.ts";

const text = new TextEncoder().encode("hello world\n".repeat(50_000));

Deno.test("node:zlib in this Deno has the handles gzip and zstd decoding drive", () => {
  // If this fails, gzip cannot be read and zstd falls back to fzstd when FFI is off.
  assert.equal(handleAvailable("inflateRaw"), true);
  assert.equal(handleAvailable("zstd"), true);
});

Deno.test("raw inflate stops at the end of the deflate data and says how much it used", () => {
  const deflated = zlib.deflateRawSync(text);
  const input = new Uint8Array(deflated.length + 8).fill(7); // a trailer's worth of other bytes
  input.set(deflated);
  const h = new ZlibHandle("inflateRaw");
  try {
    const out = new Uint8Array(text.length + 100);
    assert.equal(h.decode(input, 0, out, 0), null);
    assert.equal(h.used, deflated.length);
    assert.equal(h.produced, text.length);
    // Past the end: nothing used, nothing made, no error.
    assert.equal(h.decode(input, h.used, out, 0), null);
    assert.deepEqual([h.used, h.produced], [0, 0]);
  } finally {
    h.close();
  }
});

Deno.test("raw inflate counts the output it made before damaged data", () => {
  const good = zlib.deflateRawSync(text, { finishFlush: zlib.constants.Z_FULL_FLUSH });
  const input = new Uint8Array(good.length + 4);
  input.set(good);
  input.set([0x07, 0, 0, 0], good.length); // a final block of the reserved type
  const h = new ZlibHandle("inflateRaw");
  try {
    const out = new Uint8Array(text.length * 2);
    assert.equal(h.decode(input, 0, out, 0), "invalid block type");
    assert.equal(h.produced, text.length);
    assert.deepEqual(out.subarray(0, text.length), text);
  } finally {
    h.close();
  }
});

Deno.test("a zstd handle that fails reports the reason, and a reset one decodes again", () => {
  const packed = (zlib as unknown as { zstdCompressSync(b: Uint8Array): Uint8Array })
    .zstdCompressSync(text);
  const h = new ZlibHandle("zstd");
  try {
    const out = new Uint8Array(text.length + 100);
    assert.equal(h.decode(new Uint8Array(64).fill(0x41), 0, out, 0), "Unknown frame descriptor");
    h.reset();
    let at = 0;
    for (let from = 0; from < packed.length || h.produced > 0;) {
      assert.equal(h.decode(packed, from, out, at), null);
      from += h.used;
      at += h.produced;
      if (h.used === 0 && h.produced === 0) break;
    }
    assert.equal(at, text.length);
    assert.deepEqual(out.subarray(0, at), text);
  } finally {
    h.close();
  }
});
