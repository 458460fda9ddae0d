import assert from "node:assert/strict";
import { replaceTarget } from "./replace_file.ts";

async function withDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-replace-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a regular file or a missing one is replaced where it is", async () => {
  await withDir(async (dir) => {
    assert.deepEqual(replaceTarget(`${dir}/new.csv`), { kind: "replace", path: `${dir}/new.csv` });
    await Deno.writeTextFile(`${dir}/old.csv`, "x\n");
    assert.deepEqual(replaceTarget(`${dir}/old.csv`), { kind: "replace", path: `${dir}/old.csv` });
  });
});

Deno.test("a symlink to a regular file is followed, so the link stays a link", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/real`);
    await Deno.writeTextFile(`${dir}/real/state.json`, "{}\n");
    await Deno.symlink(`real/state.json`, `${dir}/state.json`);
    const real = Deno.realPathSync(`${dir}/real/state.json`);
    assert.deepEqual(replaceTarget(`${dir}/state.json`), { kind: "replace", path: real });
    // Before the file exists, too: it is created where the link says.
    await Deno.symlink("real/new.json", `${dir}/new.json`);
    assert.deepEqual(replaceTarget(`${dir}/new.json`), {
      kind: "replace",
      path: `${dir}/real/new.json`,
    });
  });
});

Deno.test("a descriptor's name is written into, even with a regular file behind it", async () => {
  await withDir(async (dir) => {
    using _file = await Deno.open(`${dir}/out.txt`, { write: true, create: true });
    const own = [...Deno.readDirSync("/proc/self/fd")].map((e) => `/proc/self/fd/${e.name}`)
      .find((p) => {
        try {
          return Deno.realPathSync(p) === Deno.realPathSync(`${dir}/out.txt`);
        } catch {
          return false;
        }
      });
    assert.ok(own !== undefined, `no descriptor of ${dir}/out.txt`);
    assert.equal(replaceTarget(own).kind, "stream");
    await Deno.symlink(own, `${dir}/fd-link`);
    assert.equal(replaceTarget(`${dir}/fd-link`).kind, "stream");
    assert.equal(replaceTarget(`${dir}/out.txt`).kind, "replace");
  });
});

Deno.test("a device, a FIFO or a directory is written into, never replaced", async () => {
  assert.deepEqual(replaceTarget("/dev/null"), {
    kind: "stream",
    path: "/dev/null",
    isDirectory: false,
  });
  await withDir(async (dir) => {
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    assert.ok(made.success);
    assert.equal(replaceTarget(`${dir}/fifo`).kind, "stream");
    await Deno.symlink("/dev/null", `${dir}/null-link`);
    assert.deepEqual(replaceTarget(`${dir}/null-link`), {
      kind: "stream",
      path: `${dir}/null-link`,
      isDirectory: false,
    });
    assert.deepEqual(replaceTarget(dir), { kind: "stream", path: dir, isDirectory: true });
  });
});
