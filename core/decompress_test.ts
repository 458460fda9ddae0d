/**
 * Damaged compressed input: everything that decodes before the damage comes out (what `gzip -dc`
 * and `zstd -dc` print, or more of the same good bytes), then a CorruptInputError names the file
 * and the offset of the damage. See docs/decisions.md, "Damaged compressed files".
 */
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { CorruptInputError } from "./compression.ts";
import { libz, libzInflate } from "./libz.ts";
import { decompress, type ZstdEngine } from "./decompress.ts";
import { PARALLEL_MIN_BYTES } from "./decompress_parallel.ts";
import { fileChunks } from "./source.ts";
import { ZstdFrameSplitter } from "./zstd_frames.ts";
import { byteSearch } from "./byte_search.ts";
import { concatBytes } from "./bytes.ts";

type Kind = "gzip" | "zstd";
const enc = new TextEncoder();

/** Runs `gzip`/`zstd` with `args` on `input`. */
async function tool(
  kind: Kind,
  args: string[],
  input: Uint8Array,
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = new Deno.Command(kind, { args, stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  const [out] = await Promise.all([
    child.output(),
    writer.write(input).then(() => writer.close()).catch(() => {}),
  ]);
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

async function compress(kind: Kind, data: Uint8Array): Promise<Uint8Array> {
  const r = await tool(kind, kind === "gzip" ? ["-c"] : ["-q", "-c"], data);
  assert.equal(r.code, 0);
  return r.stdout;
}

/** What `gzip -dc` / `zstd -dc` print for `input`, and their exit status. */
function toolDecompress(kind: Kind, input: Uint8Array) {
  return tool(kind, kind === "gzip" ? ["-dc"] : ["-q", "-dc"], input);
}

/** Varied, log-like lines: several 128 KiB zstd blocks and deflate blocks per part. */
function logPart(seed: number, lines: number): Uint8Array {
  let s = seed;
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    out.push(
      `2024-01-0${seed % 9 + 1} part=${seed} line=${i} value=${s} id=${(s >> 7).toString(36)}\n`,
    );
  }
  return enc.encode(out.join(""));
}

const PARTS = [logPart(1, 6000), logPart(2, 6000), logPart(3, 6000)];
const PLAIN = concatBytes(...PARTS);

/** The three parts compressed separately and concatenated (three members / frames). */
async function members(kind: Kind): Promise<Uint8Array[]> {
  return await Promise.all(PARTS.map((p) => compress(kind, p)));
}

async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < data.length; off += size) yield data.slice(off, off + size);
}

/** Decompresses, returning the output and the error it ended with. */
async function run(
  kind: Kind,
  input: Uint8Array,
  chunk: number,
  engine: ZstdEngine | "libz" = "auto",
): Promise<{ out: Uint8Array; err: unknown }> {
  const parts: Uint8Array[] = [];
  let err: unknown = null;
  const options = engine === "libz" ? { gzip: "libz" as const } : { zstd: engine };
  try {
    for await (const part of decompress(kind, chunked(input, chunk), "f", options)) {
      parts.push(part.slice());
    }
  } catch (e) {
    err = e;
  }
  return { out: concatBytes(...parts), err };
}

function isPrefix(short: Uint8Array, long: Uint8Array): boolean {
  if (short.length > long.length) return false;
  for (let i = 0; i < short.length; i++) if (short[i] !== long[i]) return false;
  return true;
}

/** Byte arrays are equal (assert.deepEqual's diff of large arrays takes minutes). */
function assertSameBytes(got: Uint8Array, want: Uint8Array, what = ""): void {
  let at = 0;
  while (at < got.length && at < want.length && got[at] === want[at]) at++;
  if (at === got.length && at === want.length) return;
  assert.fail(`${what}: ${got.length} bytes, want ${want.length}; they differ at byte ${at}`);
}

function assertDamage(err: unknown, kind: Kind, offset: number, why: string | RegExp): void {
  assert.ok(err instanceof CorruptInputError, `expected CorruptInputError, got ${err}`);
  assert.equal(err.offset, offset, err.message);
  const head = `f: corrupt ${kind} data at byte ${offset} (`;
  assert.ok(err.message.startsWith(head), `${err.message} does not start with ${head}`);
  const reason = err.message.slice(head.length, -1);
  if (typeof why === "string") assert.equal(reason, why);
  else assert.match(reason, why);
}

const CHUNKS = [1000, 64 * 1024, 1 << 20];
const ZSTD_PATHS: ZstdEngine[] = ["libzstd", "node", "fzstd"];
/** gzip: node:zlib's inflate (the default) and the system's libz (small files). */
const GZIP_PATHS = ["auto", "libz"] as const;

/** Every path and chunk size yields `want` exactly, then the damage. */
async function expectExactly(
  kind: Kind,
  input: Uint8Array,
  want: Uint8Array,
  offset: number,
  why: string | RegExp,
): Promise<void> {
  for (const engine of kind === "zstd" ? ZSTD_PATHS : GZIP_PATHS) {
    for (const chunk of CHUNKS) {
      const { out, err } = await run(kind, input, chunk, engine);
      assert.equal(out.length, want.length, `${engine}, chunks of ${chunk}`);
      assert.ok(isPrefix(out, want), `${engine}, chunks of ${chunk}: other bytes`);
      assertDamage(err, kind, offset, why);
    }
  }
}

for (const kind of ["gzip", "zstd"] as const) {
  Deno.test(`${kind}: 4 junk bytes after the last ${kind === "gzip" ? "member" : "frame"}`, async () => {
    const whole = concatBytes(...await members(kind));
    const input = concatBytes(whole, enc.encode("junk"));
    const ref = await toolDecompress(kind, input);
    assert.notEqual(ref.code, 0);
    assertSameBytes(ref.stdout, PLAIN, `${kind} -dc prints all of it`);
    await expectExactly(kind, input, PLAIN, whole.length, "trailing garbage");
  });

  Deno.test(`${kind}: junk between the 1st and 2nd of 3 parts`, async () => {
    const [a, b, c] = await members(kind);
    const input = concatBytes(a!, enc.encode("junk!junk"), b!, c!);
    const ref = await toolDecompress(kind, input);
    assert.notEqual(ref.code, 0);
    assertSameBytes(ref.stdout, PARTS[0]!, `${kind} -dc stops at the junk`);
    await expectExactly(kind, input, PARTS[0]!, a!.length, "trailing garbage");
  });

  Deno.test(`${kind}: truncated in the 3rd of 3 parts, and in the 2nd`, async () => {
    const [a, b, c] = await members(kind);
    const whole = concatBytes(a!, b!, c!);
    for (const cut of [a!.length + b!.length + (c!.length >> 1), a!.length + 1000]) {
      const input = whole.subarray(0, cut);
      const ref = await toolDecompress(kind, input);
      assert.notEqual(ref.code, 0);
      for (const engine of kind === "zstd" ? ZSTD_PATHS : GZIP_PATHS) {
        for (const chunk of CHUNKS) {
          const { out, err } = await run(kind, input, chunk, engine);
          const at = `cut ${cut}, ${engine}, chunks of ${chunk}`;
          // All the tool prints, and nothing that is not in the file.
          assert.ok(isPrefix(ref.stdout, out), `${at}: ${out.length} < ${ref.stdout.length}`);
          assert.ok(isPrefix(out, PLAIN), `${at}: bytes that are not in the file`);
          assert.ok(out.length >= (cut > a!.length + b!.length ? 2 : 1) * PARTS[0]!.length);
          assertDamage(err, kind, cut, "unexpected end of file");
        }
      }
    }
  });
}

Deno.test("gzip: trailing zero bytes are padding, as for gzip", async () => {
  const input = concatBytes(...await members("gzip"), new Uint8Array(1000));
  assert.equal((await toolDecompress("gzip", input)).code, 0);
  for (const chunk of CHUNKS) {
    const { out, err } = await run("gzip", input, chunk);
    assert.equal(err, null);
    assertSameBytes(out, PLAIN);
  }
  // Zeros followed by anything else are garbage, from the first zero on.
  const whole = concatBytes(...await members("gzip"));
  await expectExactly(
    "gzip",
    concatBytes(whole, new Uint8Array(10), enc.encode("x")),
    PLAIN,
    whole.length,
    "trailing garbage",
  );
});

Deno.test("gzip: a corrupted byte in the middle of the 2nd of 3 members", async () => {
  const [a, b, c] = await members("gzip");
  const input = concatBytes(a!, b!, c!);
  const at = a!.length + (b!.length >> 1);
  input[at] = input[at]! ^ 0x55;
  const ref = await toolDecompress("gzip", input);
  assert.notEqual(ref.code, 0);
  assert.match(ref.stderr, /crc error/);
  assert.ok(isPrefix(PARTS[0]!, ref.stdout));
  // gzip prints all the member decodes to, then finds its CRC-32 wrong: so do we.
  const trailer = a!.length + b!.length - 8;
  await expectExactly(
    "gzip",
    input,
    ref.stdout,
    trailer,
    `crc error in the member at byte ${a!.length}`,
  );
});

Deno.test("zstd: a corrupted byte in the middle of the 2nd of 3 frames", async () => {
  const [a, b, c] = await members("zstd");
  const input = concatBytes(a!, b!, c!);
  // The damaged block: the one around the middle of the 2nd frame. Its last byte ends the
  // sequences' bit stream and must not be 0: the decoder finds that damage for sure (a byte
  // flipped in literals decodes to other text, found by the checksum; see the next test).
  const blocks = new ZstdFrameSplitter("f").push(b!).filter((p) => !p.frameEnd);
  const middle = b!.length >> 1;
  const index = blocks.findIndex((p) => p.offset <= middle && middle < p.offset + p.bytes.length);
  assert.ok(index > 0, "the damage is not in the first block");
  const block = blocks[index]!;
  input[a!.length + block.offset + block.bytes.length - 1] = 0;
  const ref = await toolDecompress("zstd", input);
  assert.notEqual(ref.code, 0);
  assert.match(ref.stderr, /corruption/i);
  // Every block before the damaged one decodes to 128 KiB: those, and nothing after.
  const want = PLAIN.subarray(0, PARTS[0]!.length + index * 128 * 1024);
  assert.ok(isPrefix(ref.stdout, want), "zstd -dc prints a part of that");
  for (const chunk of CHUNKS) {
    for (const engine of ["libzstd", "node"] as const) {
      const { out, err } = await run("zstd", input, chunk, engine);
      assertSameBytes(out, want, `${engine}, chunks of ${chunk}`);
      assertDamage(err, "zstd", a!.length + block.block, /corruption/);
    }
    const viaFzstd = await run("zstd", input, chunk, "fzstd");
    assertSameBytes(viaFzstd.out, want, `fzstd, chunks of ${chunk}`);
    assertDamage(viaFzstd.err, "zstd", a!.length + block.block, "invalid zstd data");
  }
});

Deno.test("zstd: a wrong checksum is reported, after the frame's output, without a crash", async () => {
  // Deno 2.9 throws this one as an uncaught error when a write holds more than the checksum.
  const [a, b, c] = await members("zstd");
  const input = concatBytes(a!, b!, c!);
  const at = a!.length + b!.length - 2;
  input[at] = input[at]! ^ 1;
  const want = concatBytes(PARTS[0]!, PARTS[1]!);
  for (const chunk of CHUNKS) {
    for (const engine of ["libzstd", "node"] as const) {
      const { out, err } = await run("zstd", input, chunk, engine);
      assertSameBytes(out, want, `${engine}, chunks of ${chunk}`);
      assertDamage(err, "zstd", a!.length + b!.length - 4, /checksum/);
    }
  }
});

Deno.test("gzip: a bad member header after good members", async () => {
  const [a, b] = await members("gzip");
  const bad = b!.slice();
  bad[2] = 7; // compression method
  await expectExactly(
    "gzip",
    concatBytes(a!, bad),
    PARTS[0]!,
    a!.length + 2,
    "unknown compression method",
  );
  // A wrong header CRC, which gzip checks too.
  const fields = withHeaderFields(b!);
  const crcAt = 10 + 6 + 8 + 8; // fixed header, extra field, name, comment
  fields[crcAt] = fields[crcAt]! ^ 1;
  const input = concatBytes(a!, fields);
  assert.match((await toolDecompress("gzip", input)).stderr, /header checksum/);
  await expectExactly("gzip", input, PARTS[0]!, a!.length + crcAt, "header checksum mismatch");
});

/** A gzip member with every optional header field: extra, name, comment, header CRC. */
function withHeaderFields(member: Uint8Array): Uint8Array {
  assert.equal(member[3], 0, "gzip -c from a pipe writes no optional fields");
  const head = [...member.subarray(0, 10)];
  head[3] = 0x04 | 0x08 | 0x10 | 0x02;
  const extra = [4, 0, 0x42, 0x43, 0, 0]; // XLEN 4: a subfield "BC" with no data
  const name = [...enc.encode("app.log"), 0];
  const comment = [...enc.encode("rotated"), 0];
  const header = Uint8Array.from([...head, ...extra, ...name, ...comment]);
  const crc = (zlib as unknown as { crc32(b: Uint8Array): number }).crc32(header) & 0xffff;
  return concatBytes(header, Uint8Array.from([crc & 255, crc >> 8]), member.subarray(10));
}

Deno.test("gzip: many small members, optional header fields, then junk", async () => {
  const texts = Array.from({ length: 100 }, (_, i) => logPart(10 + i, 30));
  const packed = await Promise.all(texts.map((t) => compress("gzip", t)));
  const fields = packed.map((m, i) => i % 3 === 0 ? withHeaderFields(m) : m);
  const good = concatBytes(...fields.slice(0, 60));
  const input = concatBytes(good, enc.encode("junk"), ...fields.slice(60));
  const ref = await toolDecompress("gzip", input);
  const want = concatBytes(...texts.slice(0, 60));
  assertSameBytes(ref.stdout, want);
  await expectExactly("gzip", input, want, good.length, "trailing garbage");
  // A CRC-32 that does not match in the 30th member: its text (as decoded) is printed, as gzip
  // does, and nothing after it.
  const bad = fields.map((m) => m.slice());
  const m29 = bad[29]!;
  m29[m29.length - 5] = m29[m29.length - 5]! ^ 1;
  const upTo = concatBytes(...bad.slice(0, 29)).length;
  await expectExactly(
    "gzip",
    concatBytes(...bad),
    concatBytes(...texts.slice(0, 30)),
    upTo + m29.length - 8,
    `crc error in the member at byte ${upTo}`,
  );
});

Deno.test("an error of the input stream passes through unchanged, after the output so far", async () => {
  for (const kind of ["gzip", "zstd"] as const) {
    const [a, b] = await members(kind);
    const boom = new Error("disk on fire");
    for (const zstd of kind === "zstd" ? ZSTD_PATHS : ["auto" as const]) {
      const failing = async function* (): AsyncGenerator<Uint8Array> {
        yield a!.slice();
        yield b!.slice(0, 1000);
        throw boom;
      };
      const parts: Uint8Array[] = [];
      await assert.rejects(async () => {
        for await (const p of decompress(kind, failing(), "f", { zstd })) parts.push(p.slice());
      }, (e) => e === boom);
      assert.ok(isPrefix(PARTS[0]!, concatBytes(...parts)), `${kind}, ${zstd}`);
    }
  }
});

Deno.test("damaged files of 4 MiB and more (decompressFile, as for big files) yield the same", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Random hex compresses to about half: over 4 MiB compressed.
    const random = new Uint8Array(6 << 20);
    for (let i = 0; i < random.length; i += 65536) {
      crypto.getRandomValues(random.subarray(i, i + 65536));
    }
    const hex = Array.from(random.subarray(0, 5_000_000), (b) => b.toString(16).padStart(2, "0"));
    const lines: string[] = [];
    for (let i = 0; i < hex.length; i += 50) lines.push(hex.slice(i, i + 50).join("") + "\n");
    const plain = enc.encode(lines.join(""));
    for (const kind of ["gzip", "zstd"] as const) {
      const packed = await compress(kind, plain);
      assert.ok(packed.length >= PARALLEL_MIN_BYTES, `${packed.length} bytes`);
      const cases: [string, Uint8Array, Uint8Array, number, string][] = [
        ["junk", concatBytes(packed, enc.encode("junk")), plain, packed.length, "trailing garbage"],
        [
          "cut",
          packed.subarray(0, packed.length - 1000),
          plain,
          packed.length - 1000,
          "unexpected end of file",
        ],
      ];
      for (const [label, input, within, offset, why] of cases) {
        const path = `${dir}/${label}.log.${kind === "gzip" ? "gz" : "zst"}`;
        await Deno.writeFile(path, input);
        const ref = await toolDecompress(kind, input);
        const parts: Uint8Array[] = [];
        let err: unknown = null;
        try {
          for await (const part of fileChunks(path)) parts.push(part.slice());
        } catch (e) {
          err = e;
        }
        const out = concatBytes(...parts);
        assert.ok(
          isPrefix(ref.stdout, out),
          `${label} ${kind}: ${out.length} < ${ref.stdout.length}`,
        );
        assert.ok(isPrefix(out, within), `${label} ${kind}: bytes that are not in the file`);
        assert.ok(err instanceof CorruptInputError, `${label} ${kind}: ${err}`);
        assert.equal(err.message, `${path}: corrupt ${kind} data at byte ${offset} (${why})`);
        assert.equal(err.offset, offset);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decoded chunks are in a read buffer of the thread's byte search, handed back at the end", async () => {
  const search = byteSearch()!;
  const input = await compress("zstd", PLAIN);
  for (const engine of ["libzstd", "node"] as const) {
    const got: Uint8Array[] = [];
    let buffer: ArrayBufferLike | null = null;
    for await (
      const chunk of decompress("zstd", chunked(input, 64 * 1024), "x.zst", { zstd: engine })
    ) {
      assert.ok(search.owns(chunk), `${engine}: searched where it is`);
      buffer ??= chunk.buffer;
      got.push(chunk.slice());
    }
    assertSameBytes(concatBytes(...got), PLAIN, engine);
    const next = search.readBuffer(256 * 1024)!;
    assert.equal(next.buffer, buffer, `${engine}: the buffer went back for the next reader`);
    search.releaseBuffer(next);
  }
});

Deno.test("gzip: a deflate block of a reserved type, through node:zlib and libz alike", async () => {
  const [a, b] = await members("gzip");
  const input = concatBytes(a!, b!);
  // `gzip -c` of a pipe writes a 10-byte header: the first deflate block starts after it.
  const at = a!.length + 10;
  input[at] = input[at]! | 0x06; // BTYPE 11
  const ref = await toolDecompress("gzip", input);
  assert.notEqual(ref.code, 0);
  // The block header's byte is used up when its type is read: the damage is reported after it.
  await expectExactly("gzip", input, PARTS[0]!, at + 1, "invalid block type");
});

Deno.test("a libz stream closed twice is handed out once", () => {
  const z = libz();
  assert.ok(z !== null, "libz.so.1 is bound (Debian's zlib1g is essential)");
  const first = libzInflate(z);
  first.close();
  first.close();
  const a = libzInflate(z);
  const b = libzInflate(z);
  assert.notEqual(a, b);
  a.close();
  b.close();
});
