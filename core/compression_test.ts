import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import {
  compressionOfBytes,
  compressionOfName,
  CorruptInputError,
  detectCompression,
} from "./compression.ts";
import { decompress, nativeZstd } from "./decompress.ts";

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

Deno.test("decompress round-trips several MB of zstd natively and with fzstd alike", async () => {
  const data = bigLog(5_000_000);
  const zst = await cli("zstd", data);
  const viaFzstd = await drain(decompress("zstd", chunked(zst, 100_000), "big.zst", false));
  assert.ok(equalBytes(viaFzstd, data), `fzstd: got ${viaFzstd.length} bytes`);
  const viaDefault = await drain(decompress("zstd", chunked(zst, 100_000), "big.zst"));
  assert.ok(equalBytes(viaDefault, data), `native: got ${viaDefault.length} bytes`);
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

async function concatenatedZstd(native: boolean): Promise<void> {
  const a = await cli("zstd", enc.encode("first\n"));
  const b = await cli("zstd", enc.encode("second\n"));
  const both = new Uint8Array([...a, ...b]);
  const out = await drain(decompress("zstd", chunked(both, 5), "two.zst", native));
  assert.equal(new TextDecoder().decode(out), "first\nsecond\n", `native ${native}`);
}

Deno.test("decompress reads concatenated zstd frames with fzstd", () => concatenatedZstd(false));

// Deno 2.9's node:zlib zstd stops at the second frame ("Unknown frame descriptor"), so
// decompress() feeds it one frame at a time (zstd_frames.ts).
Deno.test("decompress reads concatenated zstd frames natively", () => concatenatedZstd(true));

Deno.test("decompress of an empty compressed stream yields no bytes", async () => {
  assert.equal(
    (await drain(decompress("gzip", chunked(await cli("gzip", new Uint8Array(0)), 4), "e.gz")))
      .length,
    0,
  );
  for (const native of [true, false]) {
    const zst = await cli("zstd", new Uint8Array(0));
    assert.equal((await drain(decompress("zstd", chunked(zst, 4), "e.zst", native))).length, 0);
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

async function truncatedZstd(native: boolean): Promise<void> {
  const zst = await cli("zstd", bigLog(300_000));
  const cut = zst.subarray(0, Math.floor(zst.length / 2));
  await assertCorrupt(drain(decompress("zstd", chunked(cut, 4096), "cut.zst", native)), "cut.zst");
}

Deno.test("decompress reports truncated zstd as CorruptInputError with fzstd", () =>
  truncatedZstd(false));

// Deno 2.9's node:zlib zstd ends a truncated frame without an error; the frame walker notices.
Deno.test("decompress reports truncated zstd natively", () => truncatedZstd(true));

Deno.test("decompress reports corrupt zstd data as CorruptInputError on both paths", async () => {
  const zst = (await cli("zstd", bigLog(100_000))).slice();
  for (let i = 12; i < zst.length; i += 7) zst[i] = 0x55;
  for (const native of [true, false]) {
    await assertCorrupt(
      drain(decompress("zstd", chunked(zst, 4096), "bad.zst", native)),
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
