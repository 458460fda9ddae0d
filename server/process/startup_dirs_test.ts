import assert from "node:assert/strict";
import { defaultConfig } from "../../core/config.ts";
import { runDserver } from "./dserver.ts";
import { testDeps, testSettings } from "./_test_dserver.ts";
import { checkServerDir } from "./startup_dirs.ts";
import { canCreateUsers, setupTestUsers, withTempDir } from "../access/_test_permissions.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const DENO_DIR = Deno.env.get("DENO_DIR") ?? `${ROOT}/.tools/deno-dir`;
const SERVER_USER = "dtail-srv";
const env = (name: string) => name === "DTAIL_HOSTNAME_OVERRIDE" ? "testhost" : undefined;

/** runDserver with this LogDir and CacheDir, stopping after 1 s if it starts at all. */
async function start(dir: string, logDir: string, cacheDir: string) {
  const config = defaultConfig(() => undefined);
  config.Common.LogDir = logDir;
  config.Common.CacheDir = cacheDir;
  config.Server.HostKeyFile = `${dir}/ssh_host_key`;
  const out: string[] = [];
  const err: string[] = [];
  const code = await runDserver(
    testSettings({ logger: "file", logDir, shutdownAfter: 1 }),
    config,
    testDeps({ uid: 1000, gid: 1000, env, stdout: (t) => out.push(t), stderr: (t) => err.push(t) }),
  );
  return { code, out: out.join(""), err: err.join("") };
}

Deno.test("a log directory that cannot be created is one line naming it, exit 1", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "");
    const r = await start(dir, `${dir}/file/log`, `${dir}/cache`);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `dserver: cannot create log directory ${dir}/file/log: ${dir}/file is not a directory\n`,
    );
    assert.doesNotMatch(r.out, /listening/);
  });
});

Deno.test("a cache directory that cannot be created is one line naming it, exit 1", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "");
    const r = await start(dir, `${dir}/log`, `${dir}/file/cache`);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `dserver: cannot create cache directory ${dir}/file/cache: ${dir}/file is not a directory\n`,
    );
    assert.doesNotMatch(r.out, /listening/);
  });
});

Deno.test("a log or cache directory that is a file is one line naming it", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "");
    assert.equal(
      (await start(dir, `${dir}/file`, `${dir}/cache`)).err,
      `dserver: log directory ${dir}/file is not a directory\n`,
    );
    assert.equal(
      (await start(dir, `${dir}/log`, `${dir}/file`)).err,
      `dserver: cache directory ${dir}/file is not a directory\n`,
    );
  });
});

Deno.test("missing log and cache directories are created (0750) and dserver starts", async () => {
  await withTempDir(async (dir) => {
    const r = await start(dir, `${dir}/a/log`, `${dir}/b/cache`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "");
    for (const d of [`${dir}/a/log`, `${dir}/b/cache`]) {
      const info = await Deno.stat(d);
      assert.ok(info.isDirectory);
      assert.equal(info.mode! & 0o027, 0, `${d}: ${info.mode!.toString(8)}`);
    }
    // The write check leaves nothing behind.
    assert.deepEqual([...Deno.readDirSync(`${dir}/b/cache`)], []);
  });
});

Deno.test("a relative directory is named by its absolute path", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "");
    assert.equal(
      checkServerDir("cache directory", "file/x/cache", "srv", dir),
      `cannot create cache directory ${dir}/file/x/cache: ${dir}/file is not a directory`,
    );
    assert.equal(checkServerDir("cache directory", "cache", "srv", dir), null);
    assert.ok((await Deno.stat(`${dir}/cache`)).isDirectory);
  });
});

/** The real dserver (these sources) as dtail-srv, as a first-time admin starts it. */
async function dserverAs(
  user: string,
  dir: string,
  common: Record<string, string>,
  hostKey = `${dir}/ssh_host_key`,
) {
  await Deno.writeTextFile(
    `${dir}/dtail.json`,
    JSON.stringify({ Common: common, Server: { HostKeyFile: hostKey } }),
  );
  const out = await new Deno.Command("setpriv", {
    args: [
      `--reuid=${user}`,
      `--regid=${user}`,
      "--init-groups",
      "--",
      Deno.execPath(),
      "run",
      "--allow-all",
      "--frozen",
      "--cached-only",
      `${ROOT}/app/main.ts`,
      ...["--cfg", `${dir}/dtail.json`, "--port", "0", "--bindAddress", "127.0.0.1"],
      "--shutdownAfter",
      "1",
    ],
    env: { DTAIL_PROGRAM: "dserver", DENO_DIR, HOME: dir },
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test({
  name: "as an unprivileged user: no permission to create or write a directory is one line",
  ignore: !canCreateUsers,
  fn: async () => {
    setupTestUsers();
    await withTempDir(async (dir) => {
      // dir is root's (0755): dtail-srv can create nothing in it.
      await Deno.mkdir(`${dir}/cache`, { mode: 0o755 });
      await Deno.mkdir(`${dir}/log`, { mode: 0o755 });
      const noLog = await dserverAs(SERVER_USER, dir, {
        LogDir: `${dir}/var/log/dserver`,
        CacheDir: `${dir}/cache`,
      });
      assert.equal(noLog.code, 1);
      assert.equal(
        noLog.stderr,
        `dserver: cannot create log directory ${dir}/var/log/dserver: permission denied ` +
          `(create it as root, owned by ${SERVER_USER})\n`,
      );
      const readOnlyLog = await dserverAs(SERVER_USER, dir, {
        LogDir: `${dir}/log`,
        CacheDir: `${dir}/cache`,
      });
      assert.equal(readOnlyLog.code, 1);
      assert.equal(
        readOnlyLog.stderr,
        `dserver: cannot write to log directory ${dir}/log: permission denied ` +
          `(make it writable by ${SERVER_USER}: chown ${SERVER_USER} ${dir}/log)\n`,
      );
      await new Deno.Command("chown", { args: [SERVER_USER, `${dir}/log`] }).output();
      const noCache = await dserverAs(SERVER_USER, dir, {
        LogDir: `${dir}/log`,
        CacheDir: `${dir}/var/lib/dserver/cache`,
      });
      assert.equal(noCache.code, 1);
      assert.equal(
        noCache.stderr,
        `dserver: cannot create cache directory ${dir}/var/lib/dserver/cache: permission denied ` +
          `(create it as root, owned by ${SERVER_USER})\n`,
      );
      // A cache directory the server only reads is fine (authorized_keys, a host key elsewhere)…
      const readOnlyCacheOk = await dserverAs(SERVER_USER, dir, {
        LogDir: `${dir}/log`,
        CacheDir: `${dir}/cache`,
      });
      assert.equal(readOnlyCacheOk.code, 0, readOnlyCacheOk.stderr);
      // …unless the host key is to be generated in it.
      const readOnlyCache = await dserverAs(SERVER_USER, dir, {
        LogDir: `${dir}/log`,
        CacheDir: `${dir}/cache`,
      }, `${dir}/cache/ssh_host_key`);
      assert.equal(readOnlyCache.code, 1);
      assert.equal(
        readOnlyCache.stderr,
        `dserver: cannot write to cache directory ${dir}/cache: permission denied ` +
          `(make it writable by ${SERVER_USER}: chown ${SERVER_USER} ${dir}/cache)\n`,
      );
      await new Deno.Command("chown", { args: [SERVER_USER, `${dir}/cache`] }).output();
      const ok = await dserverAs(SERVER_USER, dir, {
        LogDir: `${dir}/log`,
        CacheDir: `${dir}/cache`,
      });
      assert.equal(ok.code, 0, ok.stderr);
    });
  },
});
