import assert from "node:assert/strict";
import { CorruptInputError } from "./compression.ts";
import {
  decodeChunks,
  fileChunks,
  openedFileChunks,
  openRegular,
  reason,
  SourceError,
} from "./source.ts";
import { readFileChunks } from "./chunks.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function compress(tool: "gzip" | "zstd", path: string): Promise<void> {
  const out = await new Deno.Command(tool, { args: ["-q", "-k", "-f", path] }).output();
  assert.equal(out.code, 0, dec.decode(out.stderr));
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of stream) parts.push(p.slice());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) out.set(p, (off += p.length) - p.length);
  return out;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "source_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function assertSourceError(p: Promise<unknown>, path: string, why: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof SourceError, `got ${err}`);
    assert.ok(err.message.startsWith(`${path}: `), err.message);
    assert.match(err.message, why);
    assert.ok(!err.message.includes("\n"));
    return true;
  });
}

function lines(n: number): Uint8Array {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`${i} ${"x".repeat(i % 50)} ${i * 7919 % 1000}\n`);
  return enc.encode(parts.join(""));
}

Deno.test("fileChunks reads a plain file byte for byte", async () => {
  await withDir(async (dir) => {
    const data = lines(200_000);
    await Deno.writeFile(`${dir}/a.log`, data);
    assert.deepEqual(await readAll(fileChunks(`${dir}/a.log`)), data);
  });
});

Deno.test("fileChunks decompresses gzip and zstd files made by the CLIs", async () => {
  await withDir(async (dir) => {
    const data = lines(400_000); // several MB: many input and output chunks
    assert.ok(data.length > 4_000_000);
    await Deno.writeFile(`${dir}/a.log`, data);
    await compress("gzip", `${dir}/a.log`);
    await compress("zstd", `${dir}/a.log`);
    assert.deepEqual(await readAll(fileChunks(`${dir}/a.log.gz`)), data);
    assert.deepEqual(await readAll(fileChunks(`${dir}/a.log.zst`)), data);
    assert.deepEqual(await readAll(fileChunks(`${dir}/a.log.zst`, false)), data);
  });
});

Deno.test("a file smaller than a read buffer comes as one chunk, whole", async () => {
  await withDir(async (dir) => {
    const data = lines(8_000); // ~300 KB: more than a chunked read's first read
    assert.ok(data.length > 200_000 && data.length < 1 << 20);
    await Deno.writeFile(`${dir}/s.log`, data);
    const parts: Uint8Array[] = [];
    for await (const part of fileChunks(`${dir}/s.log`)) parts.push(part.slice());
    assert.equal(parts.length, 1);
    assert.deepEqual(parts[0], data);
  });
});

Deno.test("a small file that grew after it was opened is read to its end", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/g.log`;
    for (const more of [lines(1_000), lines(60_000)]) { // staying small, and growing past 1 MiB
      const first = lines(100);
      await Deno.writeFile(path, first);
      const opened = openRegular(path);
      try {
        assert.equal(opened.size, first.length);
        await Deno.writeFile(path, more, { append: true });
        const got = await readAll(openedFileChunks(path, opened));
        assert.equal(got.length, first.length + more.length);
        assert.deepEqual(got.subarray(first.length), more);
      } finally {
        opened.file.close();
      }
    }
  });
});

Deno.test("fileChunks sniffs compression from the magic bytes without an extension", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a`, "hidden\n");
    await compress("gzip", `${dir}/a`);
    await Deno.rename(`${dir}/a.gz`, `${dir}/gz-without-ext.log`);
    await compress("zstd", `${dir}/a`);
    await Deno.rename(`${dir}/a.zst`, `${dir}/zst-without-ext`);
    assert.equal(dec.decode(await readAll(fileChunks(`${dir}/gz-without-ext.log`))), "hidden\n");
    assert.equal(dec.decode(await readAll(fileChunks(`${dir}/zst-without-ext`))), "hidden\n");
  });
});

Deno.test("fileChunks reads an empty .gz file as empty", async () => {
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/e.gz`, new Uint8Array(0));
    assert.equal((await readAll(fileChunks(`${dir}/e.gz`))).length, 0);
  });
});

Deno.test("fileChunks rejects a .gz or .zst file that is not compressed, naming it", async () => {
  await withDir(async (dir) => {
    for (const name of ["fake.gz", "fake.zst"]) {
      await Deno.writeTextFile(`${dir}/${name}`, "just text\n");
      await assert.rejects(readAll(fileChunks(`${dir}/${name}`)), (err: unknown) => {
        assert.ok(err instanceof CorruptInputError, `got ${err}`);
        assert.ok(err.message.includes(`${dir}/${name}`), err.message);
        return true;
      });
    }
  });
});

Deno.test("fileChunks reports truncated compressed files as CorruptInputError", async () => {
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/t`, lines(100_000));
    await compress("gzip", `${dir}/t`);
    await compress("zstd", `${dir}/t`);
    for (const [name, native] of [["t.gz", true], ["t.zst", false]] as const) {
      const whole = await Deno.readFile(`${dir}/${name}`);
      await Deno.writeFile(`${dir}/${name}`, whole.subarray(0, whole.length >> 1));
      await assert.rejects(readAll(fileChunks(`${dir}/${name}`, native)), (err: unknown) => {
        assert.ok(err instanceof CorruptInputError, `${name}: got ${err}`);
        assert.ok(err.message.includes(`${dir}/${name}`), err.message);
        return true;
      });
    }
  });
});

Deno.test("fileChunks names a missing file in a SourceError", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/missing.log`;
    await assertSourceError(readAll(fileChunks(path)), path, /no such file or directory$/);
    assert.throws(() => openRegular(path), SourceError);
  });
});

Deno.test("fileChunks refuses a directory with a SourceError", async () => {
  await withDir(async (dir) => {
    await assertSourceError(readAll(fileChunks(dir)), dir, /is a directory$/);
  });
});

Deno.test("fileChunks refuses a device that is not a regular file", async () => {
  await assertSourceError(readAll(fileChunks("/dev/null")), "/dev/null", /not a regular file$/);
});

Deno.test("fileChunks reports an unreadable file as permission denied", async () => {
  if (Deno.uid() === 0) {
    // Root reads chmod 000 files; a write-only sysctl is refused even to root.
    const path = "/proc/sys/vm/drop_caches";
    await assertSourceError(readAll(fileChunks(path)), path, /permission denied$/);
    return;
  }
  await withDir(async (dir) => {
    const path = `${dir}/secret.log`;
    await Deno.writeTextFile(path, "x\n");
    await Deno.chmod(path, 0o000);
    await assertSourceError(readAll(fileChunks(path)), path, /permission denied$/);
  });
});

Deno.test("decodeChunks passes plain input through in order", async () => {
  await withDir(async (dir) => {
    const data = lines(50_000);
    await Deno.writeFile(`${dir}/p`, data);
    const file = await Deno.open(`${dir}/p`);
    try {
      const got = await readAll(
        decodeChunks("p", (o) => readFileChunks(file, { ...o, chunkSize: 1000 })),
      );
      assert.deepEqual(got, data);
    } finally {
      file.close();
    }
  });
});

Deno.test("reason turns Deno errors into short lower-case phrases", () => {
  assert.equal(reason(new Deno.errors.NotFound("x")), "no such file or directory");
  assert.equal(reason(new Deno.errors.PermissionDenied("x")), "permission denied");
  assert.equal(reason(new Error("Is a directory (os error 21): read '/x'")), "is a directory");
  assert.equal(reason("odd"), "odd");
});
