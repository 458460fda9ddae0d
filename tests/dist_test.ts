/**
 * The files `make dist` builds (tools/dist.ts), run as a user would: copied out of the checkout,
 * started with `env -i PATH=/usr/bin:/bin HOME=<empty dir>` as the unprivileged test users, on the
 * golden data (tests/testdata/dtail-upstream), serverless and through a dserver from dist/; and
 * the self-extracting stub's cache rules (tools/sfx/stub.c) with the real dist/dtail.
 * Every test is ignored when dist/ is missing (`make test` builds it first).
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, bytesEqual, ROOT, type RunResult, UPSTREAM } from "./helpers.ts";
import { canRunServers, SERVER_USER, TestClient } from "./ssh_env.ts";
import { assertCaseOutput, type Case, CASES, outfileOf } from "./dmap_cases.ts";
import { PROTOCOL_VERSION, VERSION } from "../app/version.ts";
import { countUsings } from "../tools/dist.ts";

/** dist/ of the checkout, or DTAIL_DIST_DIR: a `tools/dist.ts --out DIR` build elsewhere. */
const DIST = Deno.env.get("DTAIL_DIST_DIR") ?? `${ROOT}/dist`;
const CLIENT_LINKS = ["dcat", "dgrep", "dmap", "dtailhealth"];
const CLIENT_USER = "dtail-alice";
/** The golden files the runs read (copied next to the copied dist/). */
const GOLDEN = ["dcat1a.txt", "dcatcolors.txt", "mapr_testdata.log"];
const VERSION_LINE = new RegExp(
  `^DTail for Deno ${VERSION.replaceAll(".", "\\.")} Protocol ${
    PROTOCOL_VERSION.replaceAll(".", "\\.")
  } Have a lot of fun! \\((self-extracting|compiled), Deno (\\S+), commit (\\S+), built (\\S+)\\)\\n$`,
);
/** Each run gets this long before it is killed (a hang fails the test instead of the suite). */
const RUN_TIMEOUT_MS = 30_000;

function distComplete(): boolean {
  try {
    for (const name of ["dtail", "dserver", "SHA256SUMS", ...CLIENT_LINKS]) {
      Deno.statSync(`${DIST}/${name}`);
    }
    return true;
  } catch {
    return false;
  }
}

const hasDist = distComplete();
if (!hasDist) {
  console.log(`dist_test: ${DIST} is missing or incomplete, skipping every test (make dist)`);
}

const decoder = new TextDecoder();
const golden = (name: string) => Deno.readFileSync(`${UPSTREAM}/${name}`);
const dmap1a: Case = CASES.find((c) => c.name === "dmap1a")!;

async function exec(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; clearEnv?: boolean } = {},
): Promise<RunResult> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: options.cwd ?? "/",
    ...(options.env ? { env: options.env } : {}),
    clearEnv: options.clearEnv ?? false,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
  }).output();
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: decoder.decode(out.stderr),
    text: decoder.decode(out.stdout),
  };
}

async function must(cmd: string, ...args: string[]): Promise<string> {
  const r = await exec(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stderr}`);
  return r.text;
}

/** A fresh temporary directory (outside the checkout) holding a `cp -a` copy of dist/. */
async function copyDist(): Promise<string> {
  const base = await Deno.makeTempDir({ prefix: "dtail-dist-" });
  await Deno.chmod(base, 0o755);
  await must("cp", "-a", DIST, `${base}/dist`);
  return base;
}

/** An empty directory owned by `user` (a HOME, or a working directory it may write in). */
async function ownedDir(path: string, user: string, mode = 0o700): Promise<string> {
  await Deno.mkdir(path, { mode });
  await Deno.chmod(path, mode);
  await must("chown", `${user}:${user}`, path);
  return path;
}

/** The argv that runs `argv` as `user` with nothing of our environment but PATH and HOME. */
function asUser(user: string, home: string, argv: string[], extraEnv: string[] = []): string[] {
  return [
    `--reuid=${user}`,
    `--regid=${user}`,
    "--init-groups",
    "--",
    "/usr/bin/env",
    "-i",
    "PATH=/usr/bin:/bin",
    `HOME=${home}`,
    ...extraEnv,
    ...argv,
  ];
}

function runAs(user: string, home: string, cwd: string, argv: string[]): Promise<RunResult> {
  return exec("/usr/bin/setpriv", asUser(user, home, argv), { cwd, clearEnv: true });
}

/** Runs a dist executable as root with the stub's cache in `cache` and a minimal environment. */
function runWithCache(exe: string, cache: string, args: string[]): Promise<RunResult> {
  return exec(exe, args, {
    env: { PATH: "/usr/bin:/bin", DTAIL_SFX_CACHE: cache },
    clearEnv: true,
  });
}

/** The payload directories (`<cache>/<sha-256>`) the stub extracted into `cache`. */
function extractions(cache: string): string[] {
  return [...Deno.readDirSync(cache)].map((e) => e.name).filter((n) => /^[0-9a-f]{64}$/.test(n));
}

function assertVersionLine(r: RunResult): void {
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.text, VERSION_LINE);
}

/**
 * A dserver from the copied dist/, started like TestServer (tests/ssh_env.ts) starts bin/dserver:
 * its own config, cache (with the client's authorized_keys), log dir and host key, as dtail-srv,
 * but with `env -i PATH HOME=<empty dir>` and the dist executable.
 */
class DistServer {
  private constructor(
    readonly port: number,
    private readonly child: Deno.ChildProcess,
    private readonly output: () => string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  log(): string {
    return this.output();
  }

  static async start(base: string, publicKey: string): Promise<DistServer> {
    const dir = `${base}/server`;
    await Deno.mkdir(dir, { mode: 0o755 });
    await Deno.chmod(dir, 0o755);
    const cache = await ownedDir(`${dir}/cache`, SERVER_USER);
    const log = await ownedDir(`${dir}/log`, SERVER_USER);
    await Deno.copyFile(publicKey, `${cache}/${CLIENT_USER}.authorized_keys`);
    await must("chown", SERVER_USER, `${cache}/${CLIENT_USER}.authorized_keys`);
    const config = {
      Common: { CacheDir: cache, LogDir: log },
      Server: { HostKeyFile: `${cache}/ssh_host_key`, MaxConnections: 100 },
    };
    await Deno.writeTextFile(`${dir}/dtail.json`, JSON.stringify(config));
    const home = await ownedDir(`${base}/home-srv`, SERVER_USER);
    const child = new Deno.Command("/usr/bin/setpriv", {
      args: asUser(SERVER_USER, home, [
        `${base}/dist/dserver`,
        "--cfg",
        `${dir}/dtail.json`,
        "--port",
        "0",
        "--bindAddress",
        "127.0.0.1",
        "--logger",
        "stdout",
      ], ["DTAIL_HOSTNAME_OVERRIDE=integrationtest"]),
      cwd: dir,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let text = "";
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      const d = new TextDecoder();
      for await (const chunk of stream) text += d.decode(chunk, { stream: true });
    };
    pump(child.stdout);
    pump(child.stderr);
    let exited: Deno.CommandStatus | undefined;
    child.status.then((s) => exited = s);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const m = /listening on port (\d+)/.exec(text);
      if (m) return new DistServer(Number(m[1]), child, () => text);
      if (exited || Date.now() > deadline) {
        if (!exited) child.kill("SIGKILL");
        const status = await child.status;
        await new Promise((r) => setTimeout(r, 50)); // the last of its output
        throw new Error(`the dist dserver did not start (exit ${status.code}):\n${text}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<number> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // already gone
    }
    return (await this.child.status).code;
  }
}

/** The copied golden files, readable by every test user. */
async function copyGolden(base: string): Promise<string> {
  const data = `${base}/data`;
  await Deno.mkdir(data, { mode: 0o755 });
  await Deno.chmod(data, 0o755);
  for (const name of GOLDEN) {
    await Deno.copyFile(`${UPSTREAM}/${name}`, `${data}/${name}`);
    await Deno.chmod(`${data}/${name}`, 0o644);
  }
  return data;
}

Deno.test("the build counts `using` declarations in sources and in minified bundles alike", () => {
  const source = "  using file = open(p);\n  // not using x = y here\n  await using s = take();\n" +
    "const slot = take(); // using a finally";
  assert.equal(countUsings(source, false), 2);
  // esbuild's minifier drops a `using` whose one use follows it: the bundle then holds fewer.
  assert.equal(countUsings("let a=1;using f=x(e);g(f);if((await t())===null)return", true), 1);
  assert.equal(countUsings("{await using l=o();using $=n}", true), 2);
});

Deno.test({
  name:
    "dist/SHA256SUMS matches sha256sum of dtail and dserver, and the client names link to dtail",
  ignore: !hasDist,
  fn: async () => {
    const base = await copyDist();
    try {
      const check = await exec("sha256sum", ["--check", "--strict", "SHA256SUMS"], {
        cwd: `${base}/dist`,
      });
      assert.equal(check.code, 0, check.text + check.stderr);
      assert.equal(check.text, "dtail: OK\ndserver: OK\n");
      // Hard links: a compiled binary knows only the path it was started by (/proc/self/exe),
      // which a symlink would resolve to dtail.
      const dtail = await Deno.lstat(`${base}/dist/dtail`);
      for (const name of CLIENT_LINKS) {
        const link = await Deno.lstat(`${base}/dist/${name}`);
        assert.ok(link.isFile, `${name} is a file`);
        assert.equal(link.ino, dtail.ino, `${name} is a hard link to dtail`);
      }
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "--version says which kind of build it is, the Deno version and a commit",
  ignore: !hasDist,
  fn: async () => {
    const base = await copyDist();
    try {
      for (const name of ["dtail", "dserver", "dcat"]) {
        const r = await runWithCache(`${base}/dist/${name}`, `${base}/cache`, ["--version"]);
        assertVersionLine(r);
        const [, kind, deno, commit, built] = VERSION_LINE.exec(r.text)!;
        assert.ok(kind === "self-extracting" || kind === "compiled", kind);
        assert.equal(deno, Deno.version.deno, "the pinned Deno that built dist/");
        assert.match(commit!, /^(?:\S+-g)?[0-9a-f]{7,40}(?:-dirty)?$/, "a git commit");
        assert.match(built!, /^\d{4}-\d{2}-\d{2}$/);
      }
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "`dtail dcat --plain FILE` and the dcat link print the same bytes, the golden file",
  ignore: !hasDist,
  fn: async () => {
    const base = await copyDist();
    try {
      const file = `${UPSTREAM}/dcat1a.txt`;
      const cache = `${base}/cache`;
      const viaArg = await runWithCache(`${base}/dist/dtail`, cache, ["dcat", "--plain", file]);
      const viaLink = await runWithCache(`${base}/dist/dcat`, cache, ["--plain", file]);
      assert.equal(viaArg.code, 0, viaArg.stderr);
      assert.equal(viaLink.code, 0, viaLink.stderr);
      assert.ok(bytesEqual(viaArg.stdout, viaLink.stdout), "the same output both ways");
      assert.ok(bytesEqual(viaLink.stdout, golden("dcat1a.txt")), "dcat1a.txt byte for byte");
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "the installed dcat reads files under /proc and /dev/shm (Deno opens them only with every permission)",
  ignore: !hasDist,
  fn: async () => {
    const base = await copyDist();
    const shm = await Deno.makeTempDir({ dir: "/dev/shm", prefix: "dtail-dist-" }).catch(() =>
      null
    );
    try {
      const args = ["--plain", "/proc/self/status"];
      if (shm !== null) {
        await Deno.writeTextFile(`${shm}/app.log`, "a log line in tmpfs\n");
        args.push(`${shm}/app.log`);
      }
      const r = await runWithCache(`${base}/dist/dcat`, `${base}/cache`, args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.text, /^Name:\t\S+\n/);
      if (shm !== null) assert.ok(r.text.endsWith("\na log line in tmpfs\n"), r.text);
    } finally {
      if (shm !== null) await Deno.remove(shm, { recursive: true });
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "two processes started at the same moment on an empty cache both work",
  ignore: !hasDist,
  fn: async () => {
    const base = await copyDist();
    try {
      const cache = `${base}/cache`;
      const runs = await Promise.all(
        [1, 2].map(() => runWithCache(`${base}/dist/dtail`, cache, ["--version"])),
      );
      for (const r of runs) {
        assertVersionLine(r);
        assert.equal(r.stderr, "");
      }
      assert.equal(runs[0]!.text, runs[1]!.text);
      assert.equal(extractions(cache).length, 1, "one extraction directory");
      const leftovers = [...Deno.readDirSync(cache)].map((e) => e.name)
        .filter((n) => n.startsWith(".tmp-") || n.startsWith(".bad-"));
      assert.deepEqual(leftovers, [], "no temp directory left behind");
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "a group-writable cache directory is refused with one line naming it, exit 125",
  ignore: !hasDist,
  fn: async () => {
    const base = await copyDist();
    try {
      const cache = `${base}/cache`;
      assertVersionLine(await runWithCache(`${base}/dist/dtail`, cache, ["--version"]));
      await Deno.chmod(cache, 0o770);
      const r = await runWithCache(`${base}/dist/dtail`, cache, ["--version"]);
      assert.equal(r.code, 125, r.stderr);
      assert.equal(r.text, "", "nothing is run");
      assertNoStackTrace(r.stderr);
      const lines = r.stderr.split("\n").filter((l) => l !== "");
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0]!.includes(cache), `the line names ${cache}: ${lines[0]}`);
      assert.match(lines[0]!, /^dtail: /);
      await Deno.chmod(cache, 0o700);
      assertVersionLine(await runWithCache(`${base}/dist/dtail`, cache, ["--version"]));
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "a cached main.js corrupted in place is extracted again and the next run works",
  ignore: !hasDist,
  fn: async () => {
    const base = await copyDist();
    try {
      const cache = `${base}/cache`;
      const exe = `${base}/dist/dtail`;
      const first = await runWithCache(exe, cache, ["--version"]);
      assertVersionLine(first);
      const [hash] = extractions(cache);
      assert.ok(hash, "an extraction directory");
      const mainJs = `${cache}/${hash}/main.js`;
      const original = await Deno.readFile(mainJs);
      const damaged = original.slice();
      const middle = Math.floor(damaged.length / 2);
      damaged.set(new TextEncoder().encode("\n}}}} throw 1; {{{{\n"), middle);
      await Deno.writeFile(mainJs, damaged);
      assert.equal((await Deno.stat(mainJs)).size, original.length, "the size is kept");
      assert.ok(!bytesEqual(await Deno.readFile(mainJs), original));

      const again = await runWithCache(exe, cache, ["--version"]);
      assertVersionLine(again);
      assert.equal(again.text, first.text);
      assert.ok(bytesEqual(await Deno.readFile(mainJs), original), "main.js is restored");
      assert.deepEqual(extractions(cache), [hash]);
      const cat = await runWithCache(exe, cache, ["dcat", "--plain", `${UPSTREAM}/dcat1a.txt`]);
      assert.ok(bytesEqual(cat.stdout, golden("dcat1a.txt")), cat.stderr);
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "copied out of the checkout, dist's dcat, dgrep and dmap run serverless as an " +
    "unprivileged user with only PATH and an empty HOME",
  ignore: !hasDist || !canRunServers,
  fn: async () => {
    const base = await copyDist();
    try {
      const data = await copyGolden(base);
      const home = await ownedDir(`${base}/home-alice`, CLIENT_USER);
      const work = await ownedDir(`${base}/work`, CLIENT_USER, 0o755);
      const dist = `${base}/dist`;

      const cat = await runAs(CLIENT_USER, home, work, [
        `${dist}/dcat`,
        "--plain",
        "--cfg",
        "none",
        `${data}/dcat1a.txt`,
      ]);
      assert.equal(cat.code, 0, cat.stderr);
      assert.ok(bytesEqual(cat.stdout, golden("dcat1a.txt")), "dcat1a.txt byte for byte");

      const grep = await runAs(CLIENT_USER, home, work, [
        `${dist}/dgrep`,
        "--plain",
        "--cfg",
        "none",
        "--grep",
        "1002-071947",
        `${data}/mapr_testdata.log`,
      ]);
      assert.equal(grep.code, 0, grep.stderr);
      assert.equal(grep.text, decoder.decode(golden("dgrep1.txt.expected")));

      const map = await runAs(CLIENT_USER, home, work, [
        `${dist}/dmap`,
        "--cfg",
        "none",
        "--query",
        dmap1a.query.trim(),
        "--files",
        `${data}/mapr_testdata.log`,
      ]);
      assert.equal(map.code, 0, map.stderr);
      await assertCaseOutput(dmap1a, work);
      const owner = (await Deno.stat(`${work}/${outfileOf(dmap1a.query)}`)).uid;
      assert.equal(owner, await uidOf(CLIENT_USER), "written by the unprivileged user");

      const caches = [...Deno.readDirSync(`${home}/.cache/dtail-sfx`)].map((e) => e.name);
      assert.ok(caches.some((n) => /^[0-9a-f]{64}$/.test(n)), "unpacked into $HOME/.cache");
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "copied out of the checkout, a dist dserver serves dist's dcat, dgrep and dmap over SSH " +
    "with the golden outputs",
  ignore: !hasDist || !canRunServers,
  fn: async (t) => {
    const base = await copyDist();
    const client = await TestClient.create();
    let server: DistServer | undefined;
    try {
      const data = await copyGolden(base);
      const home = await ownedDir(`${base}/home-alice`, CLIENT_USER);
      const keys = await ownedDir(`${base}/keys`, CLIENT_USER);
      await Deno.copyFile(`${client.home}/.ssh/id_ed25519`, `${keys}/id_ed25519`);
      await must("chown", CLIENT_USER, `${keys}/id_ed25519`);
      const dist = `${base}/dist`;
      server = await DistServer.start(base, `${client.home}/.ssh/id_ed25519.pub`);
      const remote = (program: string, cwd: string, args: string[]) =>
        runAs(CLIENT_USER, home, cwd, [
          `${dist}/${program}`,
          "--cfg",
          "none",
          "--user",
          CLIENT_USER,
          "--servers",
          server!.address,
          "--trustAllHosts",
          "--auth-key-path",
          `${keys}/id_ed25519`,
          ...args,
        ]);
      const work = await ownedDir(`${base}/work`, CLIENT_USER, 0o755);

      await t.step("dcat --plain reproduces dcat1a.txt byte for byte", async () => {
        const r = await remote("dcat", work, ["--plain", `${data}/dcat1a.txt`]);
        assert.equal(r.code, 0, r.stderr + server!.log());
        assert.ok(bytesEqual(r.stdout, golden("dcat1a.txt")));
      });
      await t.step("dcat --noColor prints the Go server-mode rendering", async () => {
        const r = await remote("dcat", work, ["--noColor", `${data}/dcatcolors.txt`]);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(bytesEqual(r.stdout, golden("dcatcolors.server.expected")));
      });
      await t.step("dgrep --plain matches dgrep1.txt.expected", async () => {
        const r = await remote("dgrep", work, [
          "--plain",
          "--grep",
          "1002-071947",
          `${data}/mapr_testdata.log`,
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.text, decoder.decode(golden("dgrep1.txt.expected")));
      });
      await t.step("dmap writes dmap1a's golden CSV and .query file", async () => {
        const r = await remote("dmap", work, [
          "--quiet",
          "--query",
          dmap1a.query.trim(),
          "--files",
          `${data}/mapr_testdata.log`,
        ]);
        assert.equal(r.code, 0, r.stderr);
        await assertCaseOutput(dmap1a, work);
      });
      await t.step("dtailhealth finds the server healthy", async () => {
        const r = await runAs(CLIENT_USER, home, work, [
          `${dist}/dtailhealth`,
          "--server",
          server!.address,
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.text, `OK: All fine at ${server!.address} :-)\n`);
      });
    } finally {
      if (server) assert.equal(await server.stop(), 0, server.log());
      await Deno.remove(base, { recursive: true });
      await Deno.remove(client.home, { recursive: true });
    }
  },
});

async function uidOf(user: string): Promise<number> {
  return Number((await must("id", "-u", user)).trim());
}
