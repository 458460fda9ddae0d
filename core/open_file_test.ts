import assert from "node:assert/strict";
import { FileSwappedError, openPinned, openPinnedSized, openRegular } from "./open_file.ts";
import { SourceError } from "./source_error.ts";

async function withDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "open_file_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function mkfifo(path: string): void {
  const out = new Deno.Command("mkfifo", { args: [path] }).outputSync();
  assert.ok(out.success, "mkfifo");
}

Deno.test("openRegular opens a regular file and pins its inode", async () => {
  await withDir((dir) => {
    Deno.writeTextFileSync(`${dir}/a.log`, "hello\n");
    const { file, pin } = openRegular(`${dir}/a.log`);
    using _ = file;
    assert.equal(pin.ino, Deno.statSync(`${dir}/a.log`).ino);
    const buf = new Uint8Array(16);
    assert.equal(file.readSync(buf), 6);
  });
});

Deno.test("openRegular refuses a FIFO at once, without waiting for a writer", async () => {
  await withDir((dir) => {
    mkfifo(`${dir}/fifo`);
    Deno.symlinkSync(`${dir}/fifo`, `${dir}/link`);
    for (const path of [`${dir}/fifo`, `${dir}/link`]) {
      assert.throws(
        () => openRegular(path),
        (err) => err instanceof SourceError && /not a regular file$/.test(err.message),
      );
    }
  });
});

Deno.test("openPinned opens the pinned inode and nothing else", async () => {
  await withDir((dir) => {
    Deno.writeTextFileSync(`${dir}/a.log`, "first\n");
    const { file, pin } = openRegular(`${dir}/a.log`);
    file.close();
    openPinned(pin).close();
    Deno.writeTextFileSync(`${dir}/b.log`, "second\n");
    Deno.renameSync(`${dir}/b.log`, `${dir}/a.log`);
    assert.throws(() => openPinned(pin), FileSwappedError);
    Deno.removeSync(`${dir}/a.log`);
    mkfifo(`${dir}/a.log`);
    assert.throws(() => openPinned(pin), /is no longer a regular file/);
  });
});

Deno.test("openPinned with noFollow refuses a symlink put in the file's place", async () => {
  await withDir((dir) => {
    Deno.writeTextFileSync(`${dir}/a.log`, "first\n");
    const opened = openRegular(`${dir}/a.log`);
    opened.file.close();
    Deno.renameSync(`${dir}/a.log`, `${dir}/real.log`);
    Deno.symlinkSync(`${dir}/real.log`, `${dir}/a.log`);
    assert.throws(() => openPinned({ ...opened.pin, noFollow: true }), /became a symlink/);
    openPinned(opened.pin).close(); // following it reaches the same inode
  });
});

Deno.test("the pin and size of an open are the inode, device and size Deno's stat tells", async () => {
  await withDir((dir) => {
    Deno.writeTextFileSync(`${dir}/a.log`, "twelve bytes");
    const opened = openRegular(`${dir}/a.log`);
    using _ = opened.file;
    const info = Deno.statSync(`${dir}/a.log`);
    assert.deepEqual(
      { dev: opened.pin.dev, ino: opened.pin.ino, size: opened.size },
      { dev: info.dev, ino: info.ino, size: 12 },
    );
    const again = openPinnedSized(opened.pin);
    using __ = again.file;
    assert.equal(again.size, 12);
    assert.equal(again.file.statSync().ino, info.ino);
  });
});

Deno.test("a path with a NUL byte is refused, not cut short at it", async () => {
  await withDir((dir) => {
    Deno.writeTextFileSync(`${dir}/a.log`, "x\n");
    assert.throws(() => openRegular(`${dir}/a.log\0.secret`), SourceError);
  });
});
