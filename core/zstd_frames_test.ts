import assert from "node:assert/strict";
import { CorruptInputError } from "./compression.ts";
import { type FramePiece, ZstdFrameSplitter } from "./zstd_frames.ts";
import { concatBytes } from "./bytes.ts";

async function zstd(data: string, args: string[] = []): Promise<Uint8Array> {
  const child = new Deno.Command("zstd", {
    args: ["-q", "-c", ...args],
    stdin: "piped",
    stdout: "piped",
  })
    .spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(data));
  await w.close();
  return (await child.output()).stdout;
}

function skippable(payload: number[]): Uint8Array {
  const size = payload.length;
  return new Uint8Array([0x5a, 0x2a, 0x4d, 0x18, size & 255, size >> 8, 0, 0, ...payload]);
}

/** Splits `input` fed in chunks of `size`, and regroups the pieces into frames. */
function frames(input: Uint8Array, size: number): { bytes: number[]; skip: boolean }[] {
  const splitter = new ZstdFrameSplitter("t.zst");
  const out: { bytes: number[]; skip: boolean }[] = [];
  let open: { bytes: number[]; skip: boolean } | null = null;
  const take = (p: FramePiece) => {
    if (open === null) open = { bytes: [], skip: p.skip };
    assert.equal(p.skip, open.skip, "a frame is skipped whole or not at all");
    open.bytes.push(...p.bytes);
    if (p.frameEnd) {
      out.push(open);
      open = null;
    }
  };
  for (let i = 0; i < input.length; i += size) {
    splitter.push(input.subarray(i, i + size)).forEach(take);
  }
  splitter.finish();
  assert.equal(open, null);
  return out;
}

Deno.test("the frame splitter finds every frame of concatenated files, at any chunk size", async () => {
  const a = await zstd("first frame\n".repeat(1000));
  const b = await zstd("second frame\n", ["--no-check"]);
  const c = await zstd("x".repeat(300_000) + "\n", ["-19"]);
  const skip = skippable([1, 2, 3, 4, 5]);
  const input = concatBytes(a, skip, b, c);
  for (const size of [1, 2, 3, 5, 7, 64, 4096, input.length]) {
    const got = frames(input, size);
    assert.deepEqual(got.map((f) => f.skip), [false, true, false, false], `chunk size ${size}`);
    assert.deepEqual(got.map((f) => f.bytes.length), [a.length, skip.length, b.length, c.length]);
    assert.deepEqual(Uint8Array.from(got[2]!.bytes), b);
  }
});

Deno.test("the frame splitter reports a truncated frame at the end of input", async () => {
  const whole = await zstd("some text\n".repeat(5000));
  for (const cut of [1, 4, 6, whole.length >> 1, whole.length - 1]) {
    const splitter = new ZstdFrameSplitter("cut.zst");
    splitter.push(whole.subarray(0, cut));
    assert.equal(splitter.damage, null);
    const damage = splitter.finish();
    assert.ok(damage instanceof CorruptInputError);
    const why = cut < 4 ? "trailing garbage" : "unexpected end of file";
    const at = cut < 4 ? 0 : cut;
    assert.equal(damage.message, `cut.zst: corrupt zstd data at byte ${at} (${why})`);
    assert.equal(damage.offset, at);
  }
});

Deno.test("the frame splitter reports bytes that are not a zstd frame, and stops there", () => {
  const splitter = new ZstdFrameSplitter("junk.zst");
  assert.deepEqual(splitter.push(new TextEncoder().encode("plain text")), []);
  assert.match(
    splitter.damage!.message,
    /^junk\.zst: corrupt zstd data at byte 0 \(not a zstd frame\)$/,
  );
  assert.deepEqual(splitter.push(new Uint8Array([1, 2, 3])), []);
  assert.equal(splitter.finish(), splitter.damage);
});

Deno.test("the frame splitter hands on every frame before junk, at any chunk size", async () => {
  const a = await zstd("first\n".repeat(100));
  const b = await zstd("second\n".repeat(100));
  const junk = new Uint8Array([0x6a, 0x75, 0x6e, 0x6b, 0x28, 0xb5, 0x2f, 0xfd]);
  const input = concatBytes(a, b, junk, a);
  for (const size of [1, 3, 5, 64, input.length]) {
    const splitter = new ZstdFrameSplitter("j.zst");
    const pieces: FramePiece[] = [];
    for (let i = 0; i < input.length; i += size) {
      pieces.push(
        ...splitter.push(input.subarray(i, i + size)).map((p) => ({
          ...p,
          bytes: p.bytes.slice(),
        })),
      );
    }
    assert.equal(
      splitter.finish()?.message,
      `j.zst: corrupt zstd data at byte ${a.length + b.length} (trailing garbage)`,
      `size ${size}`,
    );
    const bytes = concatBytes(...pieces.map((p) => p.bytes));
    assert.deepEqual(bytes, concatBytes(a, b), `size ${size}`);
    assert.equal(pieces.filter((p) => p.frameEnd).length, 2);
    // Offsets are positions in the whole input.
    for (const p of pieces) {
      assert.deepEqual(p.bytes, input.subarray(p.offset, p.offset + p.bytes.length));
    }
  }
});

Deno.test("the frame splitter cuts after every block and before the checksum", async () => {
  // 800 KB of varied text: several 128 KiB blocks, with a checksum (zstd's default).
  const text = Array.from({ length: 40000 }, (_, i) => `line ${i} ${(i * 7919) % 10007}\n`).join(
    "",
  );
  const input = await zstd(text);
  const pieces = new ZstdFrameSplitter("b.zst").push(input);
  assert.ok(pieces.length >= 5, `${pieces.length} pieces`);
  const last = pieces.at(-1)!;
  assert.ok(last.frameEnd && last.bytes.length === 4, "the checksum on its own");
  assert.equal(last.block, last.offset);
  // Every other piece ends a block: the next one starts with a block header at its `block`.
  for (const p of pieces.slice(1, -1)) assert.equal(p.block, p.offset);
});

Deno.test("the frame splitter reports a bad block header with its offset", async () => {
  const frame = (await zstd("hello\n".repeat(10), ["--no-check"])).slice();
  // Header: magic (4), descriptor, window (single segment off) or FCS; find the block header
  // by walking: descriptor 0x20 single segment + 1-byte FCS is what zstd writes for this size.
  const d = frame[4]!;
  const single = (d >> 5) & 1;
  const fcs = [single ? 1 : 0, 2, 4, 8][d >> 6]!;
  const blockAt = 5 + (single ? 0 : 1) + [0, 1, 2, 4][d & 3]! + fcs;
  frame[blockAt] = frame[blockAt]! | 0x06; // block type 3: reserved
  const splitter = new ZstdFrameSplitter("r.zst");
  const pieces = splitter.push(frame);
  assert.equal(
    splitter.damage?.message,
    `r.zst: corrupt zstd data at byte ${blockAt} (reserved block type)`,
  );
  assert.equal(concatBytes(...pieces.map((p) => p.bytes)).length, blockAt, "the header only");
});
