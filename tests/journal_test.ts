/**
 * Journal targets end to end (docs/server.md#journal-targets): `journal:<unit>` read by running
 * journalctl, here tests/fixtures/fake_journalctl first on PATH (a real journalctl where the machine
 * has one). Serverless, over SSH with real dservers, and against the Go DTail both ways: cat, grep
 * with context, MapReduce and tail (with journalctl's restart) give what the same lines in a file
 * give; permission rules match the spec; journal-v1 is advertised only where journalctl exists,
 * and a client refuses journal targets on a server without it.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, ROOT, run, tempDir } from "./helpers.ts";
import { Follower } from "./follower.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { go, goPeerSkipReason, GoServer, ours, rawSession } from "./go_peer_env.ts";
import { statsLine } from "./dmap_cases.ts";
import { journalAvailable } from "../core/journal.ts";
import { loadConfig } from "../core/config.ts";
import { checkRules, permissionsProblem, rulesFor } from "../server/access/path_rules.ts";

const FAKE = new URL("./fixtures/fake_journalctl", import.meta.url).pathname;
const SPEC = "journal:app.service";
const LINES = [
  "boot ok",
  "ERROR disk full",
  "retrying",
  "all good",
  statsLine("alpha", 3),
  statsLine("beta", 5),
  statsLine("alpha", 7),
];
/** LINES as journalctl prints them: with lines of its own, which are no entries. */
const JOURNALCTL_STDOUT = [
  "-- Logs begin at Thu 2026-12-03 10:00:00 UTC, end at Sat 2026-12-05 11:00:00 UTC. --",
  ...LINES.slice(0, 3),
  "-- Boot 5f3e1c0a9b2d4e6f8a0b1c2d3e4f5a6b --",
  ...LINES.slice(3),
];
const GREP = ["--regex", "ERROR", "--before", "1", "--after", "1"];
const QUERY =
  "from STATS select host,count($line),sum($goroutines) group by host order by count($line)";
/** What QUERY makes of LINES. */
const CSV = "host,count($line),sum($goroutines)\nalpha,2,10.000000\nbeta,1,5.000000\n";

/** A directory whose `journalctl` is the fake, and a world-writable one for its log. */
async function fakeSetup(): Promise<{ bin: string; dir: string; log: string; follow: string }> {
  const bin = await tempDir("dtail-fake-bin-");
  await Deno.chmod(bin, 0o755);
  await Deno.symlink(FAKE, `${bin}/journalctl`);
  const dir = await tempDir("dtail-fake-journal-");
  await Deno.chmod(dir, 0o777); // the fake runs as the dserver's user
  const follow = `${dir}/follow`;
  await Deno.writeTextFile(follow, "");
  await Deno.chmod(follow, 0o644);
  return { bin, dir, log: `${dir}/log`, follow };
}

/** The environment of whatever runs journalctl: the fake first on PATH, and what it does. */
function fakeEnv(
  f: { bin: string; log: string },
  more: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: `${f.bin}:${Deno.env.get("PATH")}`,
    FAKE_JOURNALCTL_LOG: f.log,
    FAKE_JOURNALCTL_STDOUT: JOURNALCTL_STDOUT.map((l) => `${l}\\n`).join(""),
    FAKE_JOURNALCTL_STDERR: "fake warning\\n",
    ...more,
  };
}

/** A PATH with what the servers need (setpriv, getfacl, ssh-keygen) and no journalctl. */
async function pathWithoutJournalctl(): Promise<string> {
  const bin = await tempDir("dtail-no-journal-bin-");
  await Deno.chmod(bin, 0o755);
  for (const name of ["setpriv", "getfacl", "ssh-keygen", "sh"]) {
    for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
      try {
        await Deno.symlink(`${dir}/${name}`, `${bin}/${name}`);
        Deno.statSync(`${bin}/${name}`);
        break;
      } catch {
        await Deno.remove(`${bin}/${name}`).catch(() => {});
      }
    }
  }
  return bin;
}

async function runsOf(log: string): Promise<{ pid: number; args: string }[]> {
  const text = await Deno.readTextFile(log).catch(() => "");
  return text.split("\n").filter((l) => l !== "").map((l) => {
    const space = l.indexOf(" ");
    return { pid: Number(l.slice(0, space)), args: l.slice(space + 1) };
  });
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Output lines with the source id (a file's name or the spec) made the same. */
function sameSource(text: string, id: string): string[] {
  return text.split("\n").filter((l) => l !== "").map((l) => l.replaceAll(`|${id}|`, "|SRC|"));
}

/** The journal's lines in a file, to compare a read of the journal with. */
async function linesFile(): Promise<string> {
  const dir = await tempDir("dtail-journal-file-");
  await Deno.chmod(dir, 0o755); // the dserver's user reads it
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, LINES.map((l) => `${l}\n`).join(""));
  await Deno.chmod(path, 0o644);
  return path;
}

Deno.test("the journal example of docs/server.md loads and grants what the page says", async () => {
  const doc = await Deno.readTextFile(`${ROOT}/docs/server.md`);
  const start = doc.indexOf("## Journal targets");
  assert.ok(start >= 0, "docs/server.md has a Journal targets section");
  const end = doc.indexOf("\n## ", start + 1);
  const json = /```json\n([\s\S]*?)```/.exec(doc.slice(start, end < 0 ? undefined : end))![1]!;
  const path = `${await tempDir("dtail-journal-doc-")}/dtail.json`;
  await Deno.writeTextFile(path, json);
  const { Permissions } = loadConfig(path, () => undefined).Server;
  assert.equal(permissionsProblem(Permissions), null);
  const may = (user: string, target: string) => checkRules(rulesFor(Permissions, user), target).ok;
  assert.ok(may("alice", "journal:nginx.service") && may("alice", "journal:sshd.service"));
  assert.ok(
    !may("alice", "journal:nginx-private.service") && !may("alice", "journal:cron.service"),
  );
  assert.ok(may("ops", "journal:cron.service") && !may("ops", "journal:user@1000.service"));
  assert.ok(!may("bob", "journal:nginx.service") && may("bob", "/var/log/syslog"));
});

// ---------------------------------------------------------------------------------------------
// Serverless

Deno.test("serverless dcat prints a journal's lines with the spec as source id and its stderr as a notice", async () => {
  const f = await fakeSetup();
  const r = await run("dcat", ["--cfg", "none", "--noColor", "--files", SPEC], {
    env: fakeEnv(f),
  });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.text.split("\n").filter((l) => l !== "");
  assert.deepEqual(lines.map((l) => l.replace(/^.*\|journal:app\.service\|/, "")), LINES);
  assert.ok(lines.every((l) => l.startsWith("REMOTE|")), r.text);
  assert.match(r.stderr, /journalctl stderr: fake warning/);
  assert.deepEqual((await runsOf(f.log)).map((x) => x.args), ["-u app.service"]);
});

/** Syslog-style entries an hour and a minute old, as journalctl prints them, and --since 30m. */
function timedJournal(): { stdout: string; recent: string; sinceArg: RegExp; since: number } {
  const stamp = (ms: number) => {
    const d = new Date(ms);
    const month = d.toLocaleString("en-US", { month: "short" });
    const two = (n: number) => String(n).padStart(2, "0");
    return `${month} ${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${
      two(d.getSeconds())
    }`;
  };
  const now = Date.now();
  const recent = `${stamp(now - 60_000)} host app[1]: a recent entry`;
  return {
    stdout: `${stamp(now - 3_600_000)} host app[1]: an old entry\\n${recent}\\n`,
    recent,
    sinceArg: /^-u app\.service --since @(\d+)$/,
    since: Math.floor((now - 30 * 60_000) / 1000),
  };
}

/** The `--since @N` journalctl got is the range's start (to the second, a few seconds' run). */
function assertSinceArg(args: string | undefined, j: ReturnType<typeof timedJournal>): void {
  const m = j.sinceArg.exec(args ?? "");
  assert.ok(m !== null, args);
  assert.ok(Math.abs(Number(m[1]) - j.since) <= 30, `${m[1]} is not about ${j.since}`);
}

Deno.test("serverless --since asks journalctl for the range and still cuts the lines to it", async () => {
  const f = await fakeSetup();
  const j = timedJournal();
  const r = await run("dcat", ["--cfg", "none", "--plain", "--since", "30m", "--files", SPEC], {
    env: fakeEnv(f, { FAKE_JOURNALCTL_STDOUT: j.stdout }),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.text, `${j.recent}\n`); // the fake printed the old entry too
  assertSinceArg((await runsOf(f.log)).at(-1)?.args, j);
});

Deno.test("serverless dgrep with context or --max and dmap give for a journal what they give for a file", async () => {
  const f = await fakeSetup();
  const file = await linesFile();
  const args = ["--cfg", "none", "--noColor", ...GREP];
  const fromFile = await run("dgrep", [...args, "--files", file]);
  const fromJournal = await run("dgrep", [...args, "--files", SPEC], { env: fakeEnv(f) });
  assert.equal(fromJournal.code, 0, fromJournal.stderr);
  assert.deepEqual(sameSource(fromJournal.text, SPEC), sameSource(fromFile.text, "app.log"));
  assert.equal(sameSource(fromJournal.text, SPEC).length, 3);
  const maxArgs = ["--cfg", "none", "--noColor", "--regex", "o", "--max", "2"];
  const maxFile = await run("dgrep", [...maxArgs, "--files", file]);
  const maxJournal = await run("dgrep", [...maxArgs, "--files", SPEC], { env: fakeEnv(f) });
  assert.equal(maxJournal.code, 0, maxJournal.stderr);
  assert.deepEqual(sameSource(maxJournal.text, SPEC), sameSource(maxFile.text, "app.log"));
  assert.equal(sameSource(maxJournal.text, SPEC).length, 2);

  const dir = await tempDir("dtail-journal-dmap-");
  for (const [name, target] of [["file", file], ["journal", SPEC]]) {
    const r = await run("dmap", [
      "--cfg",
      "none",
      "--query",
      `${QUERY} outfile ${name}.csv`,
      "--files",
      target!,
    ], { cwd: dir, env: fakeEnv(f) });
    assert.equal(r.code, 0, r.stderr);
  }
  const csv = await Deno.readTextFile(`${dir}/journal.csv`);
  assert.equal(csv, await Deno.readTextFile(`${dir}/file.csv`));
  assert.equal(csv, CSV);
});

Deno.test("serverless dtail follows a journal and runs journalctl again after it exits", async () => {
  const f = await fakeSetup();
  const follower = new Follower(
    ["--files", SPEC],
    fakeEnv(f, {
      FAKE_JOURNALCTL_STDOUT: "started\\n",
      FAKE_JOURNALCTL_EXIT: "1",
      FAKE_JOURNALCTL_EXIT_RUNS: "1",
      FAKE_JOURNALCTL_FOLLOW: f.follow,
    }),
  );
  try {
    // The first run exits; ReadRetryIntervalMs (2 s) later the second one follows.
    await follower.waitFor((l) => l.filter((x) => x === "started").length === 2, "two runs");
    await Deno.writeTextFile(f.follow, "new entry\n", { append: true });
    await follower.waitFor((l) => l.includes("new entry"), "the new entry");
  } finally {
    assert.equal(await follower.stop(), 0);
  }
  assert.deepEqual(follower.lines, ["started", "started", "new entry"]);
  assert.match(follower.stderr, /journal:app\.service: journalctl exited with status 1/);
  const runs = await runsOf(f.log);
  assert.deepEqual(runs.map((x) => x.args), Array(2).fill("-u app.service -f -n 0"));
  assert.ok(!alive(runs[1]!.pid), "journalctl ended with dtail");
});

Deno.test("serverless dtail --since prints a journal from the start, then follows it", async () => {
  const f = await fakeSetup();
  const j = timedJournal();
  const follower = new Follower(
    ["--since", "30m", "--files", SPEC],
    fakeEnv(f, { FAKE_JOURNALCTL_STDOUT: j.stdout, FAKE_JOURNALCTL_FOLLOW: f.follow }),
  );
  try {
    await follower.waitFor((l) => l.includes(j.recent), "the recent entry");
    const later = j.recent.replace("a recent entry", "a new entry");
    await Deno.writeTextFile(f.follow, `${later}\n`, { append: true });
    await follower.waitFor((l) => l.includes(later), "the new entry");
  } finally {
    assert.equal(await follower.stop(), 0);
  }
  assert.equal(follower.lines.length, 2, follower.lines.join("\n"));
  const runs = await runsOf(f.log);
  assert.equal(runs.length, 1);
  const m = /^-u app\.service -f -n all --since @(\d+)$/.exec(runs[0]!.args);
  assert.ok(m !== null && Math.abs(Number(m[1]) - j.since) <= 30, runs[0]!.args);
});

Deno.test("serverless dtail follows a file and a journal side by side", async () => {
  const f = await fakeSetup();
  const log = `${await tempDir("dtail-journal-mixed-")}/app.log`;
  await Deno.writeTextFile(log, "old line\n");
  const follower = new Follower(
    ["--files", `${log},${SPEC}`],
    fakeEnv(f, { FAKE_JOURNALCTL_STDOUT: "started\n", FAKE_JOURNALCTL_FOLLOW: f.follow }),
  );
  try {
    await follower.waitFor((l) => l.includes("started"), "journalctl's start");
    await follower.ready(log);
    await Deno.writeTextFile(f.follow, "from the journal\n", { append: true });
    await Deno.writeTextFile(log, "from the file\n", { append: true });
    await follower.waitFor(
      (l) => l.includes("from the journal") && l.includes("from the file"),
      "a line of each",
    );
  } finally {
    assert.equal(await follower.stop(), 0);
  }
  assert.deepEqual(follower.payload().sort(), ["from the file", "from the journal", "started"]);
});

Deno.test("serverless, a bad journal spec and a missing journalctl are one line each, exit 1", async () => {
  const f = await fakeSetup();
  const bad = await run("dcat", ["--cfg", "none", "--files", "journal:-x"], { env: fakeEnv(f) });
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr,
    "dcat: journal:-x: invalid journal target: the unit must not start with '-'\n",
  );
  assert.deepEqual(await runsOf(f.log), []);
  const missing = await run("dcat", ["--cfg", "none", "--files", SPEC], {
    env: { PATH: await pathWithoutJournalctl() },
  });
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr,
    "dcat: journal:app.service: cannot run journalctl: not found on PATH\n",
  );
});

Deno.test({
  name: "serverless dcat of a real journal prints its entries, not journalctl's own lines",
  ignore: !journalAvailable(),
  fn: async () => {
    const unit = "dtail-test-no-such-unit.service";
    const direct = await new Deno.Command("journalctl", {
      args: ["-u", unit],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const r = await run("dcat", ["--cfg", "none", "--plain", "--files", `journal:${unit}`]);
    assertNoStackTrace(r.stderr);
    assert.equal(r.code, direct.success ? 0 : 1, r.stderr);
    // A unit without entries: journalctl prints "-- No entries --" (or nothing where it has no
    // journal at all); neither is a log line.
    assert.match(new TextDecoder().decode(direct.stdout), /^(-- No entries --\n)?$/);
    assert.equal(r.text, "");
    // The real journalctl takes the range as asked (`--since @<epoch s>`, `--until @…`).
    const ranged = await run("dcat", [
      ...["--cfg", "none", "--plain", "--since", "2h", "--until", "1h"],
      ...["--files", `journal:${unit}`],
    ]);
    assert.equal(ranged.code, r.code, ranged.stderr);
    assert.equal(ranged.stderr, r.stderr);
    assert.equal(ranged.text, "");
  },
});
if (!journalAvailable()) console.log("skipped the real journalctl test: no journalctl on PATH");

// ---------------------------------------------------------------------------------------------
// Over SSH, with real dservers

/** Alice may read app.service only; bob has the default rule only; carol all but secrets. */
const PERMISSIONS = {
  Default: ["^/.*"],
  Users: {
    "dtail-alice": ["^/.*", "readfiles:^journal:app\\.service$"],
    "dtail-carol": ["readfiles:^journal:.*", "readfiles:!^journal:secret"],
  },
};
const USERS = ["dtail-alice", "dtail-bob", "dtail-carol"];

Deno.test({
  name: "over SSH, cat, grep with context and MapReduce read a journal as a file",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const f = await fakeSetup();
    const server = await TestServer.start(client, {
      server: { Permissions: PERMISSIONS },
      users: USERS,
      env: fakeEnv(f),
    });
    const file = await linesFile();
    try {
      await t.step("dcat: the lines with the spec as source id, stderr as a notice", async () => {
        const r = await client.run("dcat", [server], [
          "--trustAllHosts",
          "--noColor",
          "--files",
          SPEC,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.text.split("\n").filter((l) => l !== "");
        assert.deepEqual(
          lines.map((l) => l.replace(/^REMOTE\|[^|]+\|100\|\d+\|journal:app\.service\|/, "")),
          LINES,
        );
        assert.match(r.stderr, /SERVER\|[^|]+\|journalctl stderr: fake warning/);
        assert.equal((await runsOf(f.log)).at(-1)?.args, "-u app.service");
      });
      await t.step("dgrep with context: as for the same lines in a file", async () => {
        const args = ["--trustAllHosts", "--noColor", ...GREP];
        const fromFile = await client.run("dgrep", [server], [...args, "--files", file]);
        const fromJournal = await client.run("dgrep", [server], [...args, "--files", SPEC]);
        assert.equal(fromJournal.code, 0, fromJournal.stderr);
        const lines = sameSource(fromJournal.text, SPEC);
        assert.deepEqual(lines, sameSource(fromFile.text, "app.log"));
        assert.equal(lines.length, 3);
      });
      await t.step("dmap: the CSV of the same lines in a file", async () => {
        const dir = await tempDir("dtail-journal-dmap-ssh-");
        for (const [name, target] of [["file", file], ["journal", SPEC]]) {
          const r = await client.run("dmap", [server], [
            "--trustAllHosts",
            "--quiet",
            "--query",
            `${QUERY} outfile ${name}.csv`,
            "--files",
            target!,
          ], { cwd: dir });
          assert.equal(r.code, 0, r.stderr);
        }
        const csv = await Deno.readTextFile(`${dir}/journal.csv`);
        assert.equal(csv, await Deno.readTextFile(`${dir}/file.csv`));
        assert.equal(csv, CSV);
      });
      await t.step("the rules match the spec; the default rule grants no journal", async () => {
        const before = (await runsOf(f.log)).length;
        const bob = await client.run("dcat", [server], ["--trustAllHosts", "--files", SPEC], {
          user: "dtail-bob",
        });
        assert.equal(bob.code, 1, bob.stderr);
        assert.equal(bob.text, "");
        assert.match(bob.stderr, /Unable to read file\(s\), check server logs/);
        const other = await client.run("dcat", [server], [
          "--trustAllHosts",
          "--files",
          "journal:app.service.evil",
        ]);
        assert.equal(other.code, 1, "alice's rule is anchored at both ends");
        const secret = await client.run("dcat", [server], [
          "--trustAllHosts",
          "--files",
          "journal:secret.service",
        ], { user: "dtail-carol" });
        assert.equal(secret.code, 1, "a deny rule wins");
        const badSpec = await client.run("dcat", [server], [
          "--trustAllHosts",
          "--files",
          "journal:-o",
        ], { user: "dtail-carol" });
        assert.equal(badSpec.code, 1, "an option is no unit");
        assert.equal((await runsOf(f.log)).length, before, "journalctl was never run");
        assert.match(server.log(), /user dtail-bob: journal:app\.service matches no allow rule/);
        const carol = await client.run("dcat", [server], [
          "--trustAllHosts",
          "--plain",
          "--files",
          "journal:other.service",
        ], { user: "dtail-carol" });
        assert.equal(carol.code, 0, carol.stderr);
        assert.equal(carol.text, LINES.map((l) => `${l}\n`).join(""));
        assert.equal((await runsOf(f.log)).at(-1)?.args, "-u other.service");
      });
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "over SSH, dtail follows a journal, journalctl runs again after it exits and ends with the session",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const f = await fakeSetup();
    const server = await TestServer.start(client, {
      server: { Permissions: PERMISSIONS, ReadRetryIntervalMs: 300 },
      env: fakeEnv(f, {
        FAKE_JOURNALCTL_STDOUT: "started\\n",
        FAKE_JOURNALCTL_EXIT: "1",
        FAKE_JOURNALCTL_EXIT_RUNS: "1",
        FAKE_JOURNALCTL_FOLLOW: f.follow,
        FAKE_JOURNALCTL_IGNORE_TERM: "1",
      }),
    });
    const follower = new Follower([
      "--user",
      "dtail-alice",
      "--servers",
      server.address,
      "--trustAllHosts",
      "--files",
      SPEC,
    ], { HOME: client.home, SSH_AUTH_SOCK: "" });
    try {
      await follower.waitFor((l) => l.filter((x) => x === "started").length === 2, "two runs");
      await Deno.writeTextFile(f.follow, "new entry\n", { append: true });
      await follower.waitFor((l) => l.includes("new entry"), "the new entry");
    } finally {
      await follower.stop();
      await server.stop().catch(() => 0);
    }
    assert.deepEqual(follower.lines, ["started", "started", "new entry"]);
    const runs = await runsOf(f.log);
    assert.deepEqual(runs.map((x) => x.args), Array(2).fill("-u app.service -f -n 0"));
    assert.match(server.log(), /journal:app\.service: journalctl exited with status 1/);
    // It ignores SIGTERM: SIGKILL 200 ms after the stop.
    await waitUntil("journalctl to be gone", () => !alive(runs[1]!.pid), 3000);
  },
});

Deno.test({
  name: "journal-v1 is advertised only where journalctl is, and our client needs it for journals",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const f = await fakeSetup();
    const [with_, without] = await Promise.all([
      TestServer.start(client, { server: { Permissions: PERMISSIONS }, env: fakeEnv(f) }),
      TestServer.start(client, {
        server: { Permissions: PERMISSIONS },
        env: { ...fakeEnv(f), PATH: await pathWithoutJournalctl() },
      }),
    ]);
    try {
      const advertised = async (server: TestServer) =>
        (await rawSession(client, server, [], { until: (m) => m.length > 0, timeoutMs: 5000 }))[0];
      assert.match((await advertised(with_))!, /^\.syn capabilities .*\bjournal-v1\b/);
      assert.match((await advertised(without))!, /^\.syn capabilities (?!.*journal-v1)/);
      const r = await client.run("dcat", [without], [
        "--trustAllHosts",
        "--files",
        `${SPEC},/etc/hostname`,
      ]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.text, "", "nothing of the job was sent");
      assert.match(
        r.stderr,
        new RegExp(
          `SERVER\\|${without.address}\\|ERROR\\|journal file targets require server capability journal-v1`,
        ),
      );
      assertNoStackTrace(r.stderr);
      const file = await client.run("dcat", [without], [
        "--trustAllHosts",
        "--files",
        "/etc/hostname",
      ]);
      assert.equal(file.code, 0, "files need no capability");
      assert.deepEqual(await runsOf(f.log), []);
    } finally {
      await with_.stop();
      await without.stop();
    }
  },
});

Deno.test({
  name: "over SSH, --since reaches the dserver's journalctl, and the lines are cut to it",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const f = await fakeSetup();
    const j = timedJournal();
    const server = await TestServer.start(client, {
      server: { Permissions: PERMISSIONS },
      env: fakeEnv(f, { FAKE_JOURNALCTL_STDOUT: j.stdout }),
    });
    try {
      const r = await client.run("dcat", [server], [
        ...["--trustAllHosts", "--plain", "--since", "30m", "--files", SPEC],
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.text, `${j.recent}\n`);
      assertSinceArg((await runsOf(f.log)).at(-1)?.args, j);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "over SSH, dcat of a real journal prints no journalctl line of its own",
  ignore: !canRunServers || !journalAvailable(),
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, {
      server: { Permissions: PERMISSIONS },
      users: ["dtail-carol"],
    });
    const unit = "dtail-test-no-such-unit.service";
    try {
      const direct = await new Deno.Command("runuser", {
        args: ["-u", "dtail-srv", "--", "journalctl", "-u", unit],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const r = await client.run("dcat", [server], [
        "--trustAllHosts",
        "--plain",
        "--files",
        `journal:${unit}`,
      ], { user: "dtail-carol" });
      assertNoStackTrace(r.stderr);
      assert.equal(r.code, direct.success ? 0 : 1, r.stderr);
      assert.match(new TextDecoder().decode(direct.stdout), /^(-- No entries --\n)?$/);
      assert.equal(r.text, "");
    } finally {
      await server.stop();
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Against the Go DTail

Deno.test({
  name: "our client and the Go dserver: journals where it has journalctl, Go's refusal where not",
  ignore: goPeerSkipReason !== null,
  fn: async () => {
    const client = await TestClient.create();
    const f = await fakeSetup();
    const permissions = { Default: ["readfiles:^/.*$", "readfiles:^journal:.*"] };
    const withJournal = await GoServer.start(client, {
      server: { Permissions: permissions },
      env: fakeEnv(f),
    });
    const without = await GoServer.start(client, {
      server: { Permissions: permissions },
      env: { PATH: await pathWithoutJournalctl() },
    });
    try {
      const r = await ours(client, "dcat", [withJournal], ["--plain", "--files", SPEC]);
      assert.equal(r.code, 0, r.stderr);
      // A fact of the peer: the Go dserver sends journalctl's own "-- … --" lines as log lines.
      assert.deepEqual(
        r.text.split("\n").filter((l) => l !== "" && !l.startsWith("journalctl stderr:")),
        JOURNALCTL_STDOUT,
      );
      const g = await ours(client, "dgrep", [withJournal], ["--noColor", ...GREP, "--files", SPEC]);
      assert.equal(g.code, 0, g.stderr);
      assert.deepEqual(
        g.text.split("\n").filter((l) => l.startsWith("REMOTE|")).map((l) => l.split("|").at(-1)),
        ["boot ok", "ERROR disk full", "retrying"],
      );
      const refused = await ours(client, "dcat", [without], ["--files", SPEC]);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(
          `SERVER\\|${without.address}\\|ERROR\\|journal file targets require server capability journal-v1`,
        ),
      );
    } finally {
      await withJournal.stop();
      await without.stop();
    }
  },
});

Deno.test({
  name: "the Go client and our dserver: journals where it has journalctl, Go's refusal where not",
  ignore: goPeerSkipReason !== null,
  fn: async () => {
    const client = await TestClient.create();
    const f = await fakeSetup();
    const withJournal = await TestServer.start(client, {
      server: { Permissions: PERMISSIONS },
      env: fakeEnv(f),
    });
    const without = await TestServer.start(client, {
      server: { Permissions: PERMISSIONS },
      env: { PATH: await pathWithoutJournalctl() },
    });
    try {
      const r = await go(client, "dcat", [withJournal], ["--plain", "--files", SPEC]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        r.text.split("\n").filter((l) => l !== "" && !l.startsWith("journalctl stderr:")),
        LINES,
      );
      assert.match(r.text, /journalctl stderr: fake warning/);
      const refused = await go(client, "dcat", [without], ["--plain", "--files", SPEC]);
      assert.equal(refused.code, 1);
      assert.match(refused.text, /journal file targets require server capability journal-v1/);
    } finally {
      await withJournal.stop();
      await without.stop();
    }
  },
});
if (goPeerSkipReason !== null) {
  console.log(`skipped the Go DTail journal tests: ${goPeerSkipReason}`);
}
