import assert from "node:assert/strict";
import { FdFile } from "./fd_file.ts";
import { openRegular } from "./open_file.ts";
import { fileLibc, statLibc } from "./libc.ts";
import { SourceError } from "./source_error.ts";

const ffi = fileLibc() !== null && statLibc() !== null;

async function withFile(content: string, body: (path: string) => void | Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "dtail-fd-file-" });
  try {
    const path = `${dir}/f.log`;
    await Deno.writeTextFile(path, content);
    await body(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("an opened regular file is read through the descriptor its open checked", async () => {
  if (!ffi) return; // the reopened Deno.FsFile is tested by open_file_test.ts
  await withFile("one\ntwo\n", (path) => {
    const { file } = openRegular(path);
    try {
      assert.ok(file instanceof FdFile);
      const buf = new Uint8Array(3);
      assert.equal(file.readSync(buf), 3);
      assert.equal(new TextDecoder().decode(buf), "one");
      assert.equal(file.seekSync(4, Deno.SeekMode.Start), 4);
      const rest = new Uint8Array(16);
      const n = file.readSync(rest)!;
      assert.equal(new TextDecoder().decode(rest.subarray(0, n)), "two\n");
      assert.equal(file.readSync(rest), null, "null at the end of the file");
      assert.equal(file.seekSync(-2, Deno.SeekMode.End), 6);
      assert.equal(file.seekSync(1, Deno.SeekMode.Current), 7);
    } finally {
      file.close();
    }
  });
});

Deno.test("a positional read reads from its offset and leaves the read position where it was", async () => {
  if (!ffi) return;
  await withFile("one\ntwo\n", (path) => {
    const { file } = openRegular(path);
    try {
      const buf = new Uint8Array(16);
      const n = file.preadSync!(buf, 4)!;
      assert.equal(new TextDecoder().decode(buf.subarray(0, n)), "two\n");
      assert.equal(file.preadSync!(buf, 8), null, "null at the end of the file");
      assert.equal(file.preadSync!(buf, 100), null, "null past the end of the file");
      assert.equal(file.readSync(buf.subarray(0, 3)), 3, "the read position is still at 0");
      assert.equal(new TextDecoder().decode(buf.subarray(0, 3)), "one");
    } finally {
      file.close();
    }
  });
});

Deno.test("the descriptor's stat is the file's device, inode and size, also after it grew", async () => {
  if (!ffi) return;
  await withFile("abc", async (path) => {
    const { file } = openRegular(path);
    try {
      const before = Deno.statSync(path);
      assert.deepEqual(
        { ...file.statSync() },
        { dev: before.dev, ino: before.ino, mode: before.mode, size: 3 },
      );
      await Deno.writeTextFile(path, "defg", { append: true });
      assert.equal(file.statSync().size, 7);
    } finally {
      file.close();
    }
  });
});

Deno.test("a closed descriptor is neither read nor closed twice, and dispose closes once", async () => {
  if (!ffi) return;
  await withFile("x", (path) => {
    const opened = openRegular(path);
    opened.file.close();
    assert.throws(() => opened.file.readSync(new Uint8Array(1)), Deno.errors.BadResource);
    assert.throws(() => opened.file.close(), Deno.errors.BadResource);
    opened.file[Symbol.dispose](); // quiet once closed
    {
      using again = openRegular(path).file;
      assert.equal(again.readSync(new Uint8Array(4)), 1);
    }
  });
});

Deno.test("a read error names the file and says what failed, as a source error", () => {
  const c = fileLibc();
  const s = statLibc();
  if (c === null || s === null) return;
  const dir = c.open(new TextEncoder().encode("/\0"), 0, 0); // a directory: read gives EISDIR
  assert.ok(dir >= 0);
  const file = new FdFile(c, s, dir, "/");
  try {
    assert.throws(
      () => file.readSync(new Uint8Array(8)),
      (err) => err instanceof SourceError && err.message === "/: is a directory",
    );
  } finally {
    file.close();
  }
});
