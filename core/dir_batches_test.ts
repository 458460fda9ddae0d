import assert from "node:assert/strict";
import { dirBatches, DT_DIR, DT_LNK, DT_REG, mayBeDirectory } from "./dir_batches.ts";

async function listing(dir: string, options = {}) {
  const entries: [string, number][] = [];
  let batches = 0;
  for await (const batch of dirBatches(dir, options)) {
    batches++;
    batch.names.forEach((name, i) => entries.push([name, batch.types[i]!]));
  }
  return { entries: entries.sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0), batches };
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "dir_batches_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("dirBatches lists every entry but . and .. with its type, as Deno's listing does", async () => {
  await withDir(async (dir) => {
    Deno.mkdirSync(`${dir}/sub`);
    Deno.writeTextFileSync(`${dir}/a.log`, "x");
    Deno.writeTextFileSync(`${dir}/ünïcödé.log`, "x");
    Deno.symlinkSync(`${dir}/sub`, `${dir}/link`);
    const want = [...Deno.readDirSync(dir)]
      .map((
        e,
      ): [string, number] => [e.name, e.isDirectory ? DT_DIR : e.isSymlink ? DT_LNK : DT_REG])
      .sort(([a], [b]) => a < b ? -1 : 1);
    assert.equal(want.length, 4);
    assert.deepEqual((await listing(dir)).entries, want);
    assert.deepEqual((await listing(dir, { useLibc: false })).entries, want);
  });
});

Deno.test("dirBatches reads a large directory in many small batches, none lost or twice", async () => {
  await withDir(async (dir) => {
    for (let i = 0; i < 3000; i++) Deno.writeFileSync(`${dir}/file-${i}.log`, new Uint8Array(0));
    const { entries, batches } = await listing(dir, { bufferBytes: 4096 });
    assert.ok(batches >= 10, `${batches} batches of 4 KiB`);
    assert.equal(entries.length, 3000);
    assert.equal(new Set(entries.map(([name]) => name)).size, 3000);
    assert.ok(entries.every(([name, type]) => name.startsWith("file-") && type === DT_REG));
  });
});

Deno.test("dirBatches of a missing path or a file yields nothing", async () => {
  await withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/f`, "x");
    for (const useLibc of [true, false]) {
      assert.deepEqual((await listing(`${dir}/missing`, { useLibc })).entries, []);
      assert.deepEqual((await listing(`${dir}/f`, { useLibc })).entries, []);
    }
  });
});

Deno.test("breaking off a listing closes its directory", async () => {
  await withDir(async (dir) => {
    for (let i = 0; i < 500; i++) Deno.writeFileSync(`${dir}/${i}`, new Uint8Array(0));
    const open = () => [...Deno.readDirSync("/proc/self/fd")].length;
    const before = open();
    for (let round = 0; round < 20; round++) {
      for await (const batch of dirBatches(dir, { bufferBytes: 1024 })) {
        assert.ok(batch.names.length > 0);
        break;
      }
    }
    assert.equal(open(), before, "no descriptor left open");
  });
});

Deno.test("mayBeDirectory: a directory, a symlink or an unknown type may be entered", () => {
  assert.deepEqual([DT_DIR, DT_LNK, 0, DT_REG, 1, 6].map(mayBeDirectory), [
    true,
    true,
    true,
    false,
    false,
    false,
  ]);
});
