import assert from "node:assert/strict";
import { cPath, fileLibc, fstatLibc, fstatOf, statLibc, statPath } from "./libc.ts";

Deno.test("statPath tells what Deno's stat and lstat tell of a file, a directory and a symlink", async () => {
  const c = statLibc();
  if (c === null) return; // not x86_64 glibc: the callers use Deno's stat
  const dir = await Deno.makeTempDir({ prefix: "libc_test_" });
  try {
    Deno.writeTextFileSync(`${dir}/a.log`, "hello\n");
    Deno.symlinkSync(`${dir}/a.log`, `${dir}/link`);
    for (
      const [path, follow] of [[`${dir}/a.log`, false], [dir, true], [`${dir}/link`, false], [
        `${dir}/link`,
        true,
      ]] as const
    ) {
      const info = follow ? Deno.statSync(path) : Deno.lstatSync(path);
      const got = statPath(c, path, follow);
      assert.ok(got !== null, path);
      const { dev, ino, mode, uid, gid, size, isFile, isDirectory, isSymlink } = got;
      assert.deepEqual(
        { dev, ino, mode, uid, gid, size, isFile, isDirectory, isSymlink },
        {
          dev: info.dev,
          ino: info.ino,
          mode: info.mode,
          uid: info.uid,
          gid: info.gid,
          size: info.size,
          isFile: info.isFile,
          isDirectory: info.isDirectory,
          isSymlink: info.isSymlink,
        },
      );
    }
    assert.equal(statPath(c, `${dir}/missing`, false), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the file calls' fstat tells what the stat calls' fstat tells", async () => {
  const c = fstatLibc();
  const s = statLibc();
  assert.equal(c === null, s === null, "both or neither");
  if (c === null || s === null) return; // not x86_64 glibc ≥ 2.33: the callers use Deno's stat
  const dir = await Deno.makeTempDir({ prefix: "libc_test_" });
  const f = fileLibc()!;
  const fd = f.open(cPath(`${dir}/f`), 0o1 | 0o100, 0o600); // O_WRONLY | O_CREAT
  try {
    assert.ok(fd >= 0);
    Deno.writeTextFileSync(`${dir}/f`, "12345");
    const mine = fstatOf(c, fd);
    assert.deepEqual(mine, fstatOf(s, fd));
    assert.equal(mine?.size, 5);
    assert.equal(mine?.ino, Deno.statSync(`${dir}/f`).ino);
  } finally {
    f.close(fd);
    await Deno.remove(dir, { recursive: true });
  }
});
