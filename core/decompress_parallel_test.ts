import assert from "node:assert/strict";
import { CorruptInputError } from "./compression.ts";
import type { ZstdEngine } from "./decompress.ts";
import { type DecodeThread, decompressFile, workerPays } from "./decompress_parallel.ts";
import { openRegular } from "./open_file.ts";
import { concatBytes } from "./bytes.ts";

const enc = new TextEncoder();

/** Log-like lines that do not repeat: many zstd blocks and deflate blocks. */
function lines(count: number): Uint8Array {
  const out: string[] = [];
  let s = 7;
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    out.push(`2024-05-01 12:00:00 line=${i} value=${s} id=${(s >> 5).toString(36)}\n`);
  }
  return enc.encode(out.join(""));
}

const PLAIN = lines(60_000);

async function pack(kind: "gzip" | "zstd", data: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command(kind, {
    args: kind === "gzip" ? ["-c"] : ["-q", "-c"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const [out] = await Promise.all([child.output(), writer.write(data).then(() => writer.close())]);
  assert.equal(out.code, 0);
  return out.stdout;
}

/** Everything decompressFile yields (copied: a chunk may be a reused buffer), and its error. */
async function read(
  path: string,
  kind: "gzip" | "zstd",
  where: DecodeThread,
  zstd: ZstdEngine = "auto",
): Promise<{ out: Uint8Array; err: unknown }> {
  const { file, pin } = openRegular(path);
  const size = file.statSync().size;
  const parts: Uint8Array[] = [];
  let err: unknown = null;
  try {
    for await (const chunk of decompressFile(pin, kind, size, where, zstd)) {
      parts.push(chunk.slice());
    }
  } catch (e) {
    err = e;
  } finally {
    file.close();
  }
  return { out: concatBytes(...parts), err };
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

Deno.test("a file decodes alike on this thread and on a worker, damaged or whole", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: ["gzip" | "zstd", ZstdEngine][] = [
      ["gzip", "auto"],
      ["zstd", "libzstd"], // straight into the buffer the worker puts into the ring
      ["zstd", "fzstd"], // its pieces gathered into that buffer
    ];
    for (const [kind, zstd] of cases) {
      const packed = await pack(kind, PLAIN);
      const path = `${dir}/f.${kind}`;
      const cut = `${dir}/cut.${kind}`;
      await Deno.writeFile(path, packed);
      await Deno.writeFile(cut, packed.subarray(0, packed.length - 100));
      for (const where of ["this", "worker"] as const) {
        const whole = await read(path, kind, where, zstd);
        assert.equal(whole.err, null, `${kind} ${zstd} on ${where}`);
        assert.ok(same(whole.out, PLAIN), `${kind} ${zstd} on ${where}: ${whole.out.length} bytes`);
        const damaged = await read(cut, kind, where, zstd);
        assert.ok(damaged.err instanceof CorruptInputError, `${kind} ${zstd} on ${where}`);
        assert.equal(
          damaged.err.message,
          `${cut}: corrupt ${kind} data at byte ${packed.length - 100} (unexpected end of file)`,
        );
        assert.ok(damaged.out.length > PLAIN.length / 2, `${kind} ${zstd} on ${where}`);
        assert.ok(same(damaged.out, PLAIN.subarray(0, damaged.out.length)));
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a native decoder takes a worker for a big file with two cores, bigger for light work", () => {
  const MiB = 1 << 20;
  assert.equal(workerPays(100 * MiB, 2), true);
  assert.equal(workerPays(16 * MiB, 16), true);
  assert.equal(workerPays(100 * MiB, 1), false, "one core");
  assert.equal(workerPays(11 * MiB, 2), false, "decodes sooner than a worker starts");
  assert.equal(workerPays(20 * MiB, 2, "heavy"), true, "a regex search overlaps with decoding");
  assert.equal(
    workerPays(20 * MiB, 2, "light"),
    false,
    "printing overlaps less than a start costs",
  );
  assert.equal(workerPays(40 * MiB, 2, "light"), true);
});

Deno.test("a file larger than the ring decodes whole for a slow reader", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const plain = lines(300_000); // ~18 MB: the ring fills and waits for the reader
    await Deno.writeFile(`${dir}/f.zst`, await pack("zstd", plain));
    const { file, pin } = openRegular(`${dir}/f.zst`);
    const parts: Uint8Array[] = [];
    try {
      for await (const chunk of decompressFile(pin, "zstd", 0, "worker")) {
        parts.push(chunk.slice());
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      file.close();
    }
    assert.ok(parts.length >= 4 * 4, `${parts.length} chunks`);
    assert.ok(same(concatBytes(...parts), plain));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a reader that stops early ends the worker, however full the ring", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const plain = lines(300_000);
    await Deno.writeFile(`${dir}/f.gz`, await pack("gzip", plain));
    for (const taken of [1, 6]) {
      const { file, pin } = openRegular(`${dir}/f.gz`);
      const parts: Uint8Array[] = [];
      try {
        for await (const chunk of decompressFile(pin, "gzip", 0, "worker")) {
          parts.push(chunk.slice());
          // The worker fills the ring meanwhile and waits for room.
          await new Promise((resolve) => setTimeout(resolve, 50));
          if (parts.length === taken) break;
        }
      } finally {
        file.close();
      }
      assert.equal(parts.length, taken);
      assert.ok(same(concatBytes(...parts), plain.subarray(0, concatBytes(...parts).length)));
    }
    // The test's sanitizers fail it if a worker or a wait were left behind.
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a native decoder decodes a file under 16 MiB on this thread: no worker starts", async () => {
  const dir = await Deno.makeTempDir();
  const realWorker = globalThis.Worker;
  try {
    await Deno.writeFile(`${dir}/f.zst`, await pack("zstd", PLAIN));
    await Deno.writeFile(`${dir}/f.gz`, await pack("gzip", PLAIN));
    globalThis.Worker = class {
      constructor() {
        throw new Error("a worker was started");
      }
    } as unknown as typeof Worker;
    for (const kind of ["zstd", "gzip"] as const) {
      const { out, err } = await read(`${dir}/f.${kind === "zstd" ? "zst" : "gz"}`, kind, "auto");
      assert.equal(err, null, kind);
      assert.ok(same(out, PLAIN), kind);
    }
  } finally {
    globalThis.Worker = realWorker;
    await Deno.remove(dir, { recursive: true });
  }
});
