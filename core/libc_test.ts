import assert from "node:assert/strict";
import { statLibc, statPath } from "./libc.ts";

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
