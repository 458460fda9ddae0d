import assert from "node:assert/strict";
import type { InputFile } from "../../core/open_file.ts";
import {
  canCreateUsers,
  currentUser,
  makeFile,
  run,
  testUser,
  withTempDir,
} from "./_test_permissions.ts";
import {
  checkPath,
  openChecked,
  openForUser,
  PermissionDeniedError,
  SourceError,
} from "./safe_open.ts";

function readAll(file: InputFile): string {
  try {
    const buf = new Uint8Array(4096);
    const n = file.readSync(buf) ?? 0;
    return new TextDecoder().decode(buf.subarray(0, n));
  } finally {
    file.close();
  }
}

function denied(pattern: RegExp) {
  return (err: unknown) => err instanceof PermissionDeniedError && pattern.test(err.message);
}

Deno.test("openForUser opens a file the rules allow and returns its content", async () => {
  await withTempDir((dir) => {
    const file = makeFile(`${dir}/app.log`, 0o644);
    assert.equal(
      readAll(openForUser(currentUser(), [`^${dir}/`], file).file),
      `content of ${file}\n`,
    );
  });
});

Deno.test("openForUser lets a deny rule beat an allow rule", async () => {
  await withTempDir((dir) => {
    const file = makeFile(`${dir}/secret.log`, 0o644);
    assert.throws(
      () => openForUser(currentUser(), [`^${dir}/`, "!secret"], file),
      denied(/matches deny rule !secret$/),
    );
  });
});

Deno.test("openForUser denies a path no rule matches", async () => {
  await withTempDir((dir) => {
    const file = makeFile(`${dir}/app.log`, 0o644);
    assert.throws(() => openForUser(currentUser(), ["^/nowhere/"], file), denied(/no allow rule/));
  });
});

Deno.test("openForUser checks the rules on the resolved path of a symlink (symlink escape)", async () => {
  await withTempDir((dir) => {
    Deno.mkdirSync(`${dir}/logs`);
    Deno.mkdirSync(`${dir}/private`);
    const target = makeFile(`${dir}/private/secret`, 0o644);
    Deno.symlinkSync(target, `${dir}/logs/innocent.log`);
    assert.throws(
      () => openForUser(currentUser(), [`^${dir}/logs/`], `${dir}/logs/innocent.log`),
      denied(new RegExp(`symlink escape: ${dir}/logs/innocent.log resolves to ${target}`)),
    );
  });
});

Deno.test("openForUser follows a symlink that stays inside the allowed paths", async () => {
  await withTempDir((dir) => {
    const target = makeFile(`${dir}/real.log`, 0o644);
    Deno.symlinkSync("real.log", `${dir}/current.log`);
    assert.equal(
      readAll(openForUser(currentUser(), [`^${dir}/`], `${dir}/current.log`).file),
      `content of ${target}\n`,
    );
  });
});

Deno.test("openForUser reports a missing file as a SourceError", async () => {
  await withTempDir((dir) => {
    assert.throws(
      () => openForUser(currentUser(), [".*"], `${dir}/missing.log`),
      (err) => err instanceof SourceError && /no such file or directory/.test(err.message),
    );
  });
});

Deno.test("openForUser refuses a directory and a FIFO without blocking", async () => {
  await withTempDir((dir) => {
    run("mkfifo", `${dir}/fifo`);
    for (const [path, why] of [[dir, "is a directory"], [`${dir}/fifo`, "not a regular file"]]) {
      assert.throws(
        () => openForUser(currentUser(), [".*"], path!),
        (err) => err instanceof SourceError && err.message === `${path}: ${why}`,
      );
    }
  });
});

Deno.test("openChecked refuses a file replaced between check and open", async () => {
  await withTempDir((dir) => {
    const file = makeFile(`${dir}/app.log`, 0o644);
    const checked = checkPath(currentUser(), [".*"], file);
    makeFile(`${dir}/other`, 0o644);
    Deno.renameSync(`${dir}/other`, file);
    assert.throws(() => openChecked(checked), denied(/was replaced by another file between check/));
  });
});

Deno.test("openChecked refuses a file turned into a symlink between check and open", async () => {
  await withTempDir((dir) => {
    const file = makeFile(`${dir}/app.log`, 0o644);
    const checked = checkPath(currentUser(), [".*"], file);
    Deno.removeSync(file);
    Deno.symlinkSync("/etc/passwd", file);
    assert.throws(() => openChecked(checked), denied(/became a symlink between check and open/));
  });
});

Deno.test("openChecked refuses a file turned into a FIFO without blocking", async () => {
  await withTempDir((dir) => {
    const file = makeFile(`${dir}/app.log`, 0o644);
    const checked = checkPath(currentUser(), [".*"], file);
    Deno.removeSync(file);
    run("mkfifo", file);
    assert.throws(() => openChecked(checked), denied(/is no longer a regular file/));
  });
});

Deno.test("openChecked reports a file removed between check and open", async () => {
  await withTempDir((dir) => {
    const file = makeFile(`${dir}/app.log`, 0o644);
    const checked = checkPath(currentUser(), [".*"], file);
    Deno.removeSync(file);
    assert.throws(() => openChecked(checked), SourceError);
  });
});

Deno.test({
  name: "openForUser refuses a file the OS would not let the SSH user read",
  ignore: !canCreateUsers, // needs the test users and chown
  async fn() {
    const carol = testUser("dtail-carol");
    await withTempDir((dir) => {
      const file = makeFile(`${dir}/secret.log`, 0o640, "root:dtailgrp");
      assert.throws(
        () => openForUser(carol, [".*"], file),
        denied(
          new RegExp(
            `^user dtail-carol: no read permission on ${file} \\(mode 0640, owner root:dtailgrp\\)$`,
          ),
        ),
      );
      assert.equal(
        readAll(openForUser(testUser("dtail-alice"), [".*"], file).file).length > 0,
        true,
      );
    });
  },
});

Deno.test({
  name: "openForUser lets an ACL user entry grant what the mode bits do not",
  ignore: !canCreateUsers, // needs the test users and setfacl with user names
  async fn() {
    await withTempDir((dir) => {
      const file = makeFile(`${dir}/acl.log`, 0o600);
      run("setfacl", "-m", "u:dtail-bob:r", file);
      assert.equal(readAll(openForUser(testUser("dtail-bob"), [".*"], file).file).length > 0, true);
      assert.throws(
        () => openForUser(testUser("dtail-carol"), [".*"], file),
        PermissionDeniedError,
      );
      run("setfacl", "-m", "m::-", file);
      assert.throws(() => openForUser(testUser("dtail-bob"), [".*"], file), PermissionDeniedError);
    });
  },
});

Deno.test({
  name: "openForUser refuses a symlink to a file only root may read, even when rules allow all",
  ignore: !canCreateUsers, // needs the test users
  async fn() {
    await withTempDir((dir) => {
      Deno.symlinkSync("/etc/shadow", `${dir}/shadow.log`);
      assert.throws(
        () => openForUser(testUser("dtail-carol"), [".*"], `${dir}/shadow.log`),
        denied(/no read permission on \/etc\/shadow/),
      );
    });
  },
});

Deno.test({
  name: "openForUser refuses a readable file in a directory the user may not search",
  ignore: !canCreateUsers, // needs the test users
  async fn() {
    await withTempDir((dir) => {
      Deno.mkdirSync(`${dir}/private`);
      Deno.chmodSync(`${dir}/private`, 0o700);
      const file = makeFile(`${dir}/private/app.log`, 0o644);
      assert.throws(
        () => openForUser(testUser("dtail-carol"), [".*"], file),
        denied(/no search permission on directory/),
      );
    });
  },
});

Deno.test("without --allow-ffi openForUser still opens files and refuses swapped ones", async () => {
  await withTempDir(async (dir) => {
    const file = makeFile(`${dir}/app.log`, 0o644);
    const script = `${dir}/probe.ts`;
    Deno.writeTextFileSync(
      script,
      `import { checkPath, openChecked, openForUser } from "${
        new URL("./safe_open.ts", import.meta.url).href
      }";
      import { libc } from "${new URL("./libc.ts", import.meta.url).href}";
      import { lookupUser } from "${new URL("./user_lookup.ts", import.meta.url).href}";
      const me = lookupUser(${JSON.stringify(currentUser().name)})!;
      const [file, other] = Deno.args as [string, string];
      const first = new Uint8Array(4096);
      const n = openForUser(me, [".*"], file).file.readSync(first);
      const checked = checkPath(me, [".*"], file);
      Deno.renameSync(other, file);
      let refused = "";
      try { openChecked(checked); } catch (err) { refused = (err as Error).name; }
      console.log(JSON.stringify([libc() === null, n, refused]));`,
    );
    makeFile(`${dir}/other`, 0o644);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        "--allow-read",
        "--allow-write",
        "--allow-run",
        script,
        file,
        `${dir}/other`,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assert.ok(out.success);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), [
      true,
      `content of ${file}\n`.length,
      "PermissionDeniedError",
    ]);
  });
});

Deno.test({
  name: "openForUser refuses a symlink inside a directory the user may not search, as the kernel",
  ignore: !canCreateUsers, // needs the test users
  async fn() {
    await withTempDir((dir) => {
      const target = makeFile(`${dir}/public.log`, 0o644);
      Deno.mkdirSync(`${dir}/private`);
      Deno.chmodSync(`${dir}/private`, 0o700);
      Deno.symlinkSync(target, `${dir}/private/link.log`);
      Deno.symlinkSync("private/link.log", `${dir}/chain.log`);
      for (const path of [`${dir}/private/link.log`, `${dir}/chain.log`]) {
        assert.throws(
          () => openForUser(testUser("dtail-carol"), [".*"], path),
          denied(new RegExp(`no search permission on directory ${dir}/private `)),
          path,
        );
        assert.equal(kernelCanRead("dtail-carol", path), false, `the kernel agrees on ${path}`);
      }
      assert.equal(
        readAll(openForUser(testUser("dtail-carol"), [".*"], target).file),
        `content of ${target}\n`,
      );
    });
  },
});

Deno.test("openForUser resolves '..' after a symlink from the symlink's target, as the kernel", async () => {
  await withTempDir((dir) => {
    Deno.mkdirSync(`${dir}/a/b`, { recursive: true });
    Deno.mkdirSync(`${dir}/c`);
    const real = makeFile(`${dir}/a/x.log`, 0o644);
    makeFile(`${dir}/x.log`, 0o644);
    Deno.symlinkSync(`${dir}/a/b`, `${dir}/c/link`);
    const opened = openForUser(currentUser(), [".*"], `${dir}/c/link/../x.log`);
    opened.file.close();
    assert.equal(opened.pin.path, real);
  });
});

function kernelCanRead(user: string, path: string): boolean {
  return new Deno.Command("runuser", { args: ["-u", user, "--", "/usr/bin/test", "-r", path] })
    .outputSync().success;
}
