/**
 * Follow never serves what the checked open would refuse (issue 9, items 1 and 2): a followed
 * path that rotates into a symlink to the dserver's own host key, a glob that gains such a
 * symlink, a followed file swapped for a symlink, a symlink out of the user's Permissions rules,
 * and a FIFO put in a followed file's place. A real dserver (as dtail-srv) serves dtail-alice;
 * the attacks run while a second client checks that the server still answers.
 */
import assert from "node:assert/strict";
import { Follower } from "./follower.ts";
import { assertServerAnswers, PROBE_RULE, probeFile } from "./liveness.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SECRET = /PRIVATE KEY|OUTSIDE-THE-RULES/;

async function logDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  await Deno.chmod(dir, 0o755);
  return dir;
}

async function writeLog(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text, { append: true });
  await Deno.chmod(path, 0o644);
}

function follower(client: TestClient, server: TestServer, target: string): Follower {
  return new Follower([
    "--user",
    "dtail-alice",
    "--servers",
    server.address,
    "--trustAllHosts",
    target,
  ], { HOME: client.home, SSH_AUTH_SOCK: "" });
}

interface Attack {
  readonly name: string;
  /** The followed target, given the directory; files are created before following. */
  readonly setup: (dir: string) => Promise<string>;
  /** Replaces files by symlinks/FIFOs; returns a file the writer still appends to. */
  readonly attack: (dir: string, secret: string) => Promise<string>;
  /** A line the attack writes that must arrive (the swapped file really was followed). */
  readonly mustSee?: string;
}

const ATTACKS: Attack[] = [
  {
    name: "rename rotation to a symlink",
    setup: async (dir) => {
      await writeLog(`${dir}/app.log`, "old\n");
      return `${dir}/app.log`;
    },
    attack: async (dir, secret) => {
      await Deno.rename(`${dir}/app.log`, `${dir}/app.log.1`);
      await Deno.symlink(secret, `${dir}/app.log`);
      return `${dir}/app.log.1`;
    },
  },
  {
    name: "rm and a symlink",
    setup: async (dir) => {
      await writeLog(`${dir}/app.log`, "old\n");
      return `${dir}/app.log`;
    },
    attack: async (dir, secret) => {
      await Deno.remove(`${dir}/app.log`);
      await Deno.symlink(secret, `${dir}/app.log`);
      await writeLog(`${dir}/other.log`, "");
      return `${dir}/other.log`; // not followed: only the symlink is at the path
    },
  },
  {
    name: "a glob that gains a symlink after a rename",
    setup: async (dir) => {
      await writeLog(`${dir}/a.log`, "old\n");
      return `${dir}/*.log`;
    },
    attack: async (dir, secret) => {
      await Deno.rename(`${dir}/a.log`, `${dir}/a.log.1`);
      await Deno.symlink(secret, `${dir}/b.log`);
      await writeLog(`${dir}/c.log`, "");
      return `${dir}/c.log`;
    },
  },
  {
    name: "a new regular file matching the glob, later swapped for a symlink",
    mustSee: "first line of new",
    setup: async (dir) => {
      await writeLog(`${dir}/a.log`, "old\n");
      return `${dir}/*.log`;
    },
    attack: async (dir, secret) => {
      await writeLog(`${dir}/new.log`, "first line of new\n");
      await sleep(1500); // the glob is expanded again at least once a second
      await Deno.remove(`${dir}/new.log`);
      await Deno.symlink(secret, `${dir}/new.log`);
      return `${dir}/a.log`;
    },
  },
  {
    name: "a symlink to a world-readable file outside the user's Permissions rules",
    setup: async (dir) => {
      await writeLog(`${dir}/app.log`, "old\n");
      return `${dir}/app.log`;
    },
    attack: async (dir) => {
      const outside = await logDir("dtail-outside-");
      await writeLog(`${outside}/outside.log`, "OUTSIDE-THE-RULES\n");
      await Deno.rename(`${dir}/app.log`, `${dir}/app.log.1`);
      await Deno.symlink(`${outside}/outside.log`, `${dir}/app.log`);
      return `${dir}/app.log.1`;
    },
  },
];

Deno.test({
  name: "follow never serves a file the checked open refuses, however the path is swapped",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const root = await logDir("dtail-follow-attack-");
    const server = await TestServer.start(client, {
      server: {
        Permissions: { Default: [`readfiles:^${root}/`, PROBE_RULE] },
      },
    });
    const probe = await probeFile();
    const secret = `${server.dir}/cache/ssh_host_key`;
    try {
      assert.match(await Deno.readTextFile(secret), /PRIVATE KEY/, "the host key exists");
      for (const [i, attack] of ATTACKS.entries()) {
        await t.step(attack.name, async () => {
          const dir = `${root}/${i}`;
          await Deno.mkdir(dir, { mode: 0o755 });
          await Deno.chmod(dir, 0o755);
          const target = await attack.setup(dir);
          const f = follower(client, server, target);
          try {
            await f.ready(target.includes("*") ? `${dir}/a.log` : target);
            const still = await attack.attack(dir, secret);
            await assertServerAnswers(server, client, probe);
            await writeLog(still, "written after the attack\n");
            if (still !== `${dir}/other.log`) {
              await f.waitFor((l) => l.includes("written after the attack"), "the later line");
            }
            await sleep(2500); // time for a reopen, a rescan and the quiet drain of the old file
          } finally {
            await f.stop();
          }
          const out = f.lines.join("\n");
          if (attack.mustSee) assert.ok(f.lines.includes(attack.mustSee), out);
          assert.doesNotMatch(out, SECRET, `${attack.name}: ${out}`);
          assert.doesNotMatch(f.stderr, SECRET);
        });
      }
      assert.doesNotMatch(server.log(), /\n\s+at /, "no stack trace in the server log");
      assert.match(server.log(), /cannot read/);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "a followed file rotated into a FIFO hangs nothing: the server answers, later lines arrive",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const probe = await probeFile();
    const dir = await logDir("dtail-follow-fifo-");
    const path = `${dir}/app.log`;
    await writeLog(path, "");
    const f = follower(client, server, path);
    try {
      await f.ready(path);
      await Deno.rename(path, `${path}.1`);
      const mk = await new Deno.Command("mkfifo", { args: ["-m", "0644", path] }).output();
      assert.ok(mk.success);
      await sleep(500); // the follower sees the rotation and tries the FIFO
      await assertServerAnswers(server, client, probe);
      await writeLog(`${path}.1`, "after the fifo\n");
      await f.waitFor((l) => l.includes("after the fifo"), "the line written to the old file");
      // A regular file in the FIFO's place is followed again.
      await Deno.remove(path);
      await writeLog(path, "a regular file again\n");
      await f.waitFor((l) => l.includes("a regular file again"), "the new file's line");
    } finally {
      await f.stop();
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "a followed file whose read fails (EPERM on /proc/1/timerslack_ns) ends alone: dserver lives",
  ignore: !canRunServers || !(() => {
    try {
      return Deno.statSync("/proc/1/timerslack_ns").isFile;
    } catch {
      return false;
    }
  })(),
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const probe = await probeFile();
    const dir = await logDir("dtail-follow-eperm-");
    await writeLog(`${dir}/app.log`, "");
    const f = new Follower([
      "--user",
      "dtail-alice",
      "--servers",
      server.address,
      "--trustAllHosts",
      "/proc/1/t*",
      `${dir}/app.log`,
    ], { HOME: client.home, SSH_AUTH_SOCK: "" });
    try {
      await f.ready(`${dir}/app.log`);
      await sleep(500);
      await assertServerAnswers(server, client, probe);
      await writeLog(`${dir}/app.log`, "still followed\n");
      await f.waitFor((l) => l.includes("still followed"), "a line of the other file");
    } finally {
      await f.stop();
      assert.equal(await server.stop(), 0, server.log());
    }
    assert.doesNotMatch(server.log(), /internal error|\n\s+at /);
  },
});
