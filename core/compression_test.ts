import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import {
  compressionOfBytes,
  compressionOfName,
  CorruptInputError,
  detectCompression,
} from "./compression.ts";
import { decompress, type ZstdEngine } from "./decompress.ts";
import { libzstd } from "./libzstd.ts";
import { nativeZstd } from "./zlib_handle.ts";

const ENGINES: ZstdEngine[] = ["libzstd", "node", "fzstd"];

const enc = new TextEncoder();

/** Compresses with the system CLI (`gzip` or `zstd`), as real log files are made. */
async function cli(tool: "gzip" | "zstd", data: Uint8Array): Promise<Uint8Array> {
  const args = tool === "gzip" ? ["-c"] : ["-q", "-c"];
  const child = new Deno.Command(tool, { args, stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  const [out] = await Promise.all([
    child.output(),
    writer.write(data).then(() => writer.close()),
  ]);
  assert.equal(out.code, 0, `${tool} failed`);
  return out.stdout;
}

async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < data.length; off += size) yield data.slice(off, off + size);
}

async function drain(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const part of stream) {
    parts.push(part.slice());
    total += part.length;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Several MB of varied, only partly compressible log-like lines. */
function bigLog(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let s = 12345;
  let i = 0;
  let line = 0;
  while (i < bytes) {
    const text = enc.encode(`line ${line++} value=${(s = (s * 1103515245 + 12345) % 2 ** 31)}\n`);
    out.set(text.subarray(0, bytes - i), i);
    i += text.length;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function assertCorrupt(p: Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof CorruptInputError, `got ${err}`);
    assert.ok(err.message.includes(name), err.message);
    return true;
  });
}

Deno.test("compressionOfName recognises .gz, .gzip, .zst and .zstd in any case", () => {
  assert.equal(compressionOfName("a.log.gz"), "gzip");
  assert.equal(compressionOfName("A.LOG.GZIP"), "gzip");
  assert.equal(compressionOfName("a.zst"), "zstd");
  assert.equal(compressionOfName("a.ZSTD"), "zstd");
  assert.equal(compressionOfName("a.log"), "none");
  assert.equal(compressionOfName("a.gz.log"), "none");
});

Deno.test("compressionOfBytes recognises the gzip and zstd magic numbers", async () => {
  assert.equal(compressionOfBytes(await cli("gzip", enc.encode("x"))), "gzip");
  assert.equal(compressionOfBytes(await cli("zstd", enc.encode("x"))), "zstd");
  assert.equal(compressionOfBytes(enc.encode("plain")), "none");
  assert.equal(compressionOfBytes(new Uint8Array([0x1f])), "none");
  assert.equal(compressionOfBytes(new Uint8Array([0x28, 0xb5, 0x2f])), "none");
});

Deno.test("detectCompression lets the magic bytes win over the name", async () => {
  const gz = await cli("gzip", enc.encode("x"));
  assert.equal(detectCompression("noext.log", gz), "gzip");
  assert.equal(detectCompression("wrong.zst", gz), "gzip");
  assert.equal(detectCompression("plain.log", enc.encode("x")), "none");
});

Deno.test("detectCompression rejects a compressed name with plain content, naming the file", () => {
  assert.throws(() => detectCompression("/logs/app.log.gz", enc.encode("plain text\n")), (e) => {
    assert.ok(e instanceof CorruptInputError);
    assert.match(e.message, /^\/logs\/app\.log\.gz: not in gzip format$/);
    return true;
  });
  assert.throws(() => detectCompression("x.zst", enc.encode("hello")), CorruptInputError);
});

Deno.test("detectCompression accepts an empty file with a compressed name", () => {
  assert.equal(detectCompression("empty.gz", new Uint8Array(0)), "none");
  assert.equal(detectCompression("empty.zst", new Uint8Array(0)), "none");
});

Deno.test("decompress round-trips several MB of gzip byte-exactly in small input chunks", async () => {
  const data = bigLog(6_000_000);
  const gz = await cli("gzip", data);
  const out = await drain(decompress("gzip", chunked(gz, 64 * 1024), "big.gz"));
  assert.ok(equalBytes(out, data), `got ${out.length} bytes, want ${data.length}`);
});

Deno.test("decompress reads concatenated gzip members", async () => {
  const a = await cli("gzip", enc.encode("first\n"));
  const b = await cli("gzip", enc.encode("second\n"));
  const both = new Uint8Array([...a, ...b]);
  const out = await drain(decompress("gzip", chunked(both, 7), "two.gz"));
  assert.equal(new TextDecoder().decode(out), "first\nsecond\n");
});

Deno.test("decompress round-trips several MB of zstd with libzstd, node:zlib and fzstd alike", async () => {
  const data = bigLog(5_000_000);
  const zst = await cli("zstd", data);
  for (const zstd of ENGINES) {
    const out = await drain(decompress("zstd", chunked(zst, 100_000), "big.zst", { zstd }));
    assert.ok(equalBytes(out, data), `${zstd}: got ${out.length} bytes`);
  }
  const viaDefault = await drain(decompress("zstd", chunked(zst, 100_000), "big.zst"));
  assert.ok(equalBytes(viaDefault, data), `default: got ${viaDefault.length} bytes`);
});

/** Like a file read into one reused buffer: each chunk is overwritten once the next is asked for. */
async function* reusing(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(size);
  for (let off = 0; off < data.length; off += size) {
    buffer.fill(0xee);
    const n = Math.min(size, data.length - off);
    buffer.set(data.subarray(off, off + n));
    yield buffer.subarray(0, n);
  }
  buffer.fill(0xee);
}

Deno.test("decompress reads a source that reuses its buffer, with every decoder", async () => {
  const data = bigLog(2_000_000);
  const gz = await cli("gzip", data);
  const zst = await cli("zstd", data);
  // Chunk sizes that cut blocks, headers and trailers anywhere.
  for (const size of [13, 4093, 65_536]) {
    const viaGzip = await drain(decompress("gzip", reusing(gz, size), "r.gz"));
    assert.ok(equalBytes(viaGzip, data), `gzip, chunks of ${size}: got ${viaGzip.length} bytes`);
    for (const zstd of size === 13 ? ["libzstd" as const] : ENGINES) {
      const out = await drain(decompress("zstd", reusing(zst, size), "r.zst", { zstd }));
      assert.ok(equalBytes(out, data), `${zstd}, chunks of ${size}: got ${out.length} bytes`);
    }
  }
});

Deno.test("libzstd.so.1 is loaded through FFI here, so the default zstd decoder is libzstd", () => {
  // If this fails, node:zlib (or fzstd) carries all the load, slower (docs/performance.md).
  assert.notEqual(libzstd(), null);
});

Deno.test("decompress writes into the buffers it is given, a fresh one after each chunk", async () => {
  const data = bigLog(3_000_000);
  for (
    const [kind, packed] of [["zstd", await cli("zstd", data)], [
      "gzip",
      await cli("gzip", data),
    ]] as const
  ) {
    const given = new Set<ArrayBuffer>();
    const buffers = () => {
      const b = new Uint8Array(new ArrayBuffer(64 * 1024));
      given.add(b.buffer);
      return b;
    };
    const seen = new Set<ArrayBuffer>();
    const parts: Uint8Array[] = [];
    for await (const part of decompress(kind, chunked(packed, 50_000), "b", { buffers })) {
      assert.ok(given.has(part.buffer as ArrayBuffer), `${kind}: a chunk in a buffer of its own`);
      assert.ok(!seen.has(part.buffer as ArrayBuffer), `${kind}: a buffer handed out twice`);
      assert.equal(part.byteOffset, 0);
      seen.add(part.buffer as ArrayBuffer);
      parts.push(part);
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    assert.ok(equalBytes(out, data), `${kind}: got ${out.length} bytes`);
  }
});

Deno.test("node:zlib in this Deno decodes zstd natively", async () => {
  // Deno 2.9 has zstd in node:zlib; if this fails the fzstd fallback carries all the load.
  assert.equal(nativeZstd, true);
  // Deno 2.9 has zstd in node:zlib; the @types/node that ssh2's types bring along does not.
  const zlibZstd = zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Uint8Array };
  const zst = zlibZstd.zstdCompressSync?.(enc.encode("native\n"));
  assert.ok(zst !== undefined);
  const out = await drain(decompress("zstd", chunked(new Uint8Array(zst), 3), "n.zst"));
  assert.equal(new TextDecoder().decode(out), "native\n");
});

// Deno 2.9's node:zlib zstd stops at the second frame ("Unknown frame descriptor"), so
// decompress() resets it after each frame (zstd_frames.ts finds their ends).
Deno.test("decompress reads concatenated zstd frames with every engine", async () => {
  const a = await cli("zstd", enc.encode("first\n"));
  const b = await cli("zstd", enc.encode("second\n"));
  const both = new Uint8Array([...a, ...b]);
  for (const zstd of ENGINES) {
    const out = await drain(decompress("zstd", chunked(both, 5), "two.zst", { zstd }));
    assert.equal(new TextDecoder().decode(out), "first\nsecond\n", zstd);
  }
});

Deno.test("decompress of an empty compressed stream yields no bytes", async () => {
  assert.equal(
    (await drain(decompress("gzip", chunked(await cli("gzip", new Uint8Array(0)), 4), "e.gz")))
      .length,
    0,
  );
  for (const zstd of ENGINES) {
    const zst = await cli("zstd", new Uint8Array(0));
    assert.equal((await drain(decompress("zstd", chunked(zst, 4), "e.zst", { zstd }))).length, 0);
  }
});

Deno.test("decompress reports truncated gzip as CorruptInputError naming the file", async () => {
  const gz = await cli("gzip", bigLog(200_000));
  const cut = gz.subarray(0, Math.floor(gz.length / 2));
  await assertCorrupt(drain(decompress("gzip", chunked(cut, 4096), "/x/cut.gz")), "/x/cut.gz");
});

Deno.test("decompress reports corrupt gzip data as CorruptInputError", async () => {
  const gz = (await cli("gzip", bigLog(100_000))).slice();
  for (let i = 20; i < 200; i++) gz[i] = 0xaa;
  await assertCorrupt(drain(decompress("gzip", chunked(gz, 4096), "bad.gz")), "bad.gz");
});

// Deno 2.9's node:zlib zstd ends a truncated frame without an error; the frame walker notices.
Deno.test("decompress reports truncated zstd as CorruptInputError with every engine", async () => {
  const zst = await cli("zstd", bigLog(300_000));
  const cut = zst.subarray(0, Math.floor(zst.length / 2));
  for (const zstd of ENGINES) {
    await assertCorrupt(
      drain(decompress("zstd", chunked(cut, 4096), "cut.zst", { zstd })),
      "cut.zst",
    );
  }
});

Deno.test("decompress reports corrupt zstd data as CorruptInputError with every engine", async () => {
  const zst = (await cli("zstd", bigLog(100_000))).slice();
  for (let i = 12; i < zst.length; i += 7) zst[i] = 0x55;
  for (const zstd of ENGINES) {
    await assertCorrupt(
      drain(decompress("zstd", chunked(zst, 4096), "bad.zst", { zstd })),
      "bad.zst",
    );
  }
});

Deno.test("decompress passes on an error of its input stream unchanged", async () => {
  const gz = await cli("gzip", bigLog(100_000));
  const boom = new Error("disk on fire");
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield gz.slice(0, 1000);
    throw boom;
  }
  await assert.rejects(drain(decompress("gzip", failing(), "f.gz")), (e) => e === boom);
});

Deno.test("stopping early releases the decompressor without hanging", async () => {
  const gz = await cli("gzip", bigLog(3_000_000));
  let seen = 0;
  for await (const part of decompress("gzip", chunked(gz, 16 * 1024), "early.gz")) {
    seen += part.length;
    break;
  }
  assert.ok(seen > 0);
});
