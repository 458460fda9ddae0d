import assert from "node:assert/strict";
import {
  defaultKnownHostsPath,
  KnownHostsWriteError,
  persistKnownHosts,
} from "./known_hosts_write.ts";
import { knownHostsLine, loadKnownHosts, lookup } from "./known_hosts.ts";
import { generateKey, withTempDir } from "./_test_keys.ts";

Deno.test("persisting creates the directory 0700 and the file 0600", async () => {
  await withTempDir(async (home) => {
    const k = await generateKey(home, "k");
    const path = `${home}/.ssh/known_hosts`;
    await persistKnownHosts(path, [knownHostsLine("[h]:2222", k.blob)]);
    assert.equal((await Deno.stat(`${home}/.ssh`)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal(lookup(await loadKnownHosts(path), "h", 2222, k.blob), "known");
  });
});

Deno.test("persisting appends new lines, keeps old ones and skips duplicates", async () => {
  await withTempDir(async (dir) => {
    const [a, b] = await Promise.all([generateKey(dir, "a"), generateKey(dir, "b")]);
    const path = `${dir}/known_hosts`;
    await Deno.writeTextFile(path, `# mine\nold ${a.publicLine}`, { mode: 0o644 });
    await persistKnownHosts(path, [`new ${b.publicLine}`, `old ${a.publicLine}`]);
    await persistKnownHosts(path, [`new ${b.publicLine}`]);
    assert.equal(
      await Deno.readTextFile(path),
      `# mine\nold ${a.publicLine}\nnew ${b.publicLine}\n`,
    );
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const leftovers = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".tmp"));
    assert.deepEqual(leftovers, []);
  });
});

Deno.test("replaceNames drops the old lines of a host, hashed or not", async () => {
  await withTempDir(async (dir) => {
    const [a, b] = await Promise.all([generateKey(dir, "a"), generateKey(dir, "b")]);
    const path = `${dir}/known_hosts`;
    const hashed = "|1|cyIfi/eUO22zlc4vOqPF6MsnmYU=|bIeDO1KEEPvH3ZuVUqjNFQvPzF8=";
    await Deno.writeTextFile(
      path,
      `[127.0.0.1]:2222 ${a.publicLine}\n${hashed} ${a.publicLine}\nkeep ${a.publicLine}\n`,
    );
    await persistKnownHosts(path, [`[127.0.0.1]:2222 ${b.publicLine}`], {
      replaceNames: ["[127.0.0.1]:2222"],
    });
    assert.equal(
      await Deno.readTextFile(path),
      `keep ${a.publicLine}\n[127.0.0.1]:2222 ${b.publicLine}\n`,
    );
  });
});

Deno.test("a symlink inside the directory is written through, keeping the link", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/real`);
    await Deno.writeTextFile(`${dir}/real/hosts`, "");
    await Deno.symlink("real/hosts", `${dir}/known_hosts`);
    await persistKnownHosts(`${dir}/known_hosts`, ["h ssh-ed25519 AAAA"]);
    assert.ok((await Deno.lstat(`${dir}/known_hosts`)).isSymlink);
    assert.equal(await Deno.readTextFile(`${dir}/real/hosts`), "h ssh-ed25519 AAAA\n");
  });
});

Deno.test("a device keeps nothing and stays a device; a FIFO is refused", async () => {
  await withTempDir(async (dir) => {
    await Deno.symlink("/dev/null", `${dir}/known_hosts`);
    await persistKnownHosts(`${dir}/known_hosts`, ["h ssh-ed25519 AAAA"]);
    assert.ok(Deno.lstatSync(`${dir}/known_hosts`).isSymlink);
    assert.ok(Deno.statSync("/dev/null").isCharDevice);
    const fifo = `${dir}/fifo`;
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    await assert.rejects(
      () => persistKnownHosts(fifo, ["h ssh-ed25519 AAAA"]),
      /not a regular file/,
    );
    assert.ok(Deno.statSync(fifo).isFifo);
    if (Deno.uid() === 0) {
      // What `UserKnownHostsFile /dev/null` is, as a device node of the test's own.
      const dev = `${dir}/null`;
      assert.ok((await new Deno.Command("mknod", { args: [dev, "c", "1", "3"] }).output()).success);
      await persistKnownHosts(dev, ["h ssh-ed25519 AAAA"]);
      assert.ok(Deno.statSync(dev).isCharDevice);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
        "fifo",
        "known_hosts",
        "null",
      ]);
    }
  });
});

Deno.test("a symlink that leaves the directory is refused", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/ssh`);
    await Deno.writeTextFile(`${dir}/elsewhere`, "");
    await Deno.symlink("../elsewhere", `${dir}/ssh/known_hosts`);
    await assert.rejects(
      () => persistKnownHosts(`${dir}/ssh/known_hosts`, ["h ssh-ed25519 AAAA"]),
      KnownHostsWriteError,
    );
    assert.equal(await Deno.readTextFile(`${dir}/elsewhere`), "");
  });
});

Deno.test("the default known_hosts path is under HOME, or ./known_hosts in test mode", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(defaultKnownHostsPath(env({ HOME: "/home/u" })), "/home/u/.ssh/known_hosts");
  assert.equal(
    defaultKnownHostsPath(env({ HOME: "/h", DTAIL_INTEGRATION_TEST_RUN_MODE: "yes" })),
    "./known_hosts",
  );
  assert.equal(
    defaultKnownHostsPath(env({})),
    "/dev/null",
    "no HOME: the working directory decides nothing",
  );
  assert.equal(defaultKnownHostsPath(env({ HOME: "" })), "/dev/null");
});

Deno.test("persisting creates ~/.ssh but never a missing home above it", async () => {
  await withTempDir(async (dir) => {
    const k = await generateKey(dir, "k");
    const path = `${dir}/nonexistent/.ssh/known_hosts`;
    await assert.rejects(
      persistKnownHosts(path, [knownHostsLine("[h]:2222", k.blob)]),
      (err: unknown) =>
        err instanceof KnownHostsWriteError &&
        err.message === `cannot update ${path}: ${dir}/nonexistent does not exist`,
    );
    assert.equal(await Deno.stat(`${dir}/nonexistent`).catch(() => null), null);
  });
});
