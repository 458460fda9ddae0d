import assert from "node:assert/strict";
import { CorruptInputError } from "./compression.ts";
import { type FramePiece, ZstdFrameSplitter } from "./zstd_frames.ts";

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

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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
  const input = concat(a, skip, b, c);
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
    assert.throws(
      () => splitter.finish(),
      (e: unknown) =>
        e instanceof CorruptInputError &&
        /cut\.zst: corrupt zstd data \(truncated\)/.test(e.message),
    );
  }
});

Deno.test("the frame splitter rejects bytes that are not a zstd frame", () => {
  const splitter = new ZstdFrameSplitter("junk.zst");
  assert.throws(
    () => splitter.push(new TextEncoder().encode("plain text")),
    (e: unknown) => e instanceof CorruptInputError && /bad frame magic/.test(e.message),
  );
});
