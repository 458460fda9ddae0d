import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { libzstd, LibZstdDecoder } from "./libzstd.ts";

const enc = new TextEncoder();
const ROOT = fileURLToPath(new URL("..", import.meta.url));

async function zstd(data: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command("zstd", { args: ["-q", "-c"], stdin: "piped", stdout: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  const [out] = await Promise.all([child.output(), writer.write(data).then(() => writer.close())]);
  assert.equal(out.code, 0);
  return out.stdout;
}

function decoder(): LibZstdDecoder {
  const lib = libzstd();
  assert.ok(lib !== null, "libzstd.so.1 through FFI");
  return new LibZstdDecoder(lib);
}

Deno.test("the libzstd decoder decodes into the caller's buffer at the offset given", async () => {
  const text = enc.encode("one line\n".repeat(1000));
  const packed = await zstd(text);
  const d = decoder();
  try {
    const out = new Uint8Array(new ArrayBuffer(64 * 1024)).fill(0x2a);
    assert.equal(d.decode(packed, 0, out, 100), null);
    assert.equal(d.used, packed.length);
    assert.equal(d.produced, text.length);
    assert.deepEqual(out.subarray(100, 100 + text.length), text);
    assert.equal(out[99], 0x2a);
  } finally {
    d.close();
  }
});

Deno.test("the libzstd decoder takes input a few bytes at a time, from small buffers", async () => {
  const text = enc.encode("another line\n".repeat(500));
  const packed = await zstd(text);
  const d = decoder();
  const out = new Uint8Array(new ArrayBuffer(64 * 1024));
  let at = 0;
  try {
    for (let i = 0; i < packed.length; i += 3) {
      // A tiny array of its own: V8 may keep it inside its heap, so the decoder copies it.
      const piece = Uint8Array.from(packed.subarray(i, i + 3));
      assert.equal(d.decode(piece, 0, out, at), null);
      assert.equal(d.used, piece.length);
      at += d.produced;
    }
  } finally {
    d.close();
  }
  assert.deepEqual(out.subarray(0, at), text);
});

Deno.test("the libzstd decoder names the damage, as libzstd does", () => {
  const d = decoder();
  try {
    const junk = new Uint8Array(new ArrayBuffer(8192)).fill(0x41);
    const out = new Uint8Array(new ArrayBuffer(8192));
    assert.equal(d.decode(junk, 0, out, 0), "Unknown frame descriptor");
    assert.equal(d.produced, 0);
  } finally {
    d.close();
  }
});

Deno.test("without --allow-ffi, zstd still decodes (through node:zlib), with no prompt", async () => {
  const text = enc.encode("fallback line\n".repeat(20_000));
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/f.zst`, await zstd(text));
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `import { libzstd } from "${ROOT}core/libzstd.ts";
import { decompress } from "${ROOT}core/decompress.ts";
async function* file() { yield await Deno.readFile(Deno.args[0]); }
let n = 0;
for await (const c of decompress("zstd", file(), "f.zst")) n += c.length;
console.log(libzstd() === null ? "no libzstd" : "libzstd", n);
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--no-prompt",
        "--frozen",
        "--cached-only",
        "--config",
        `${ROOT}deno.json`,
        script,
        `${dir}/f.zst`,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(new TextDecoder().decode(out.stdout), `no libzstd ${text.length}\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
