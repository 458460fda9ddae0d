import assert from "node:assert/strict";
import { buildStub, packSfx, SfxError } from "./pack.ts";

const SETUP_ERROR = 125;
const PATH = "/usr/local/bin:/usr/bin:/bin";

const stubDir = Deno.makeTempDirSync({ prefix: "dtail-sfx-stub-" });
globalThis.addEventListener("unload", () => Deno.removeSync(stubDir, { recursive: true }));
let stubBuilt: Promise<string> | undefined;

/** The stub, compiled once per test process. */
function stub(): Promise<string> {
  stubBuilt ??= buildStub(`${stubDir}/stub`).then(() => `${stubDir}/stub`);
  return stubBuilt;
}

/** The packed program: prints its name, directory, environment, arguments and a payload file. */
const RUNTIME = `#!/bin/sh
echo "program=$DTAIL_PROGRAM"
echo "dir=$DTAIL_SFX_DIR"
echo "greeting=$GREETING"
for a in "$@"; do echo "arg=$a"; done
cat "$DTAIL_SFX_DIR/share/data.txt"
`;

interface Fixture {
  /** Temp dir of the test (removed by cleanup). */
  dir: string;
  sfx: string;
  /** Cache directory for DTAIL_SFX_CACHE (not created). */
  cache: string;
  hash: string;
  /** The payload's unique line (makes the hash unique per fixture). */
  nonce: string;
  /** Large incompressible file of the payload. */
  big: Uint8Array;
  cleanup: () => Promise<void>;
}

async function fixture(name = "dtail", bigSize = 600 * 1024): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-sfx-test-" });
  await Deno.chmod(dir, 0o755); // other users run the sfx in some tests
  const nonce = `nonce ${crypto.randomUUID()}`;
  // Default 600 KiB: more than one read chunk of the stub, compressed and inflated.
  const big = new Uint8Array(bigSize);
  for (let at = 0; at < big.length; at += 65536) {
    crypto.getRandomValues(big.subarray(at, Math.min(at + 65536, big.length)));
  }
  await Deno.writeTextFile(`${dir}/run.sh`, RUNTIME);
  await Deno.writeTextFile(`${dir}/data.txt`, `${nonce}\n`);
  await Deno.writeFile(`${dir}/big.bin`, big);
  const sfx = `${dir}/${name}`;
  const { hash } = await packSfx({
    stub: await stub(),
    out: sfx,
    files: [
      { name: "run", path: `${dir}/run.sh`, mode: 0o755 },
      { name: "share/data.txt", path: `${dir}/data.txt`, mode: 0o644 },
      { name: "big.bin", path: `${dir}/big.bin`, mode: 0o644 },
    ],
    exec: "run",
    argv: ["{dir}/run", "--from-template"],
    env: ["GREETING=hello from {dir}"],
  });
  return {
    dir,
    sfx,
    cache: `${dir}/cache`,
    hash,
    nonce,
    big,
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  program: string,
  args: string[],
  env: Record<string, string>,
  user?: string,
): Promise<Result> {
  const [cmd, cmdArgs] = user
    ? ["setpriv", [`--reuid=${user}`, `--regid=${user}`, "--init-groups", "--", program, ...args]]
    : [program, args];
  const out = await new Deno.Command(cmd, {
    args: cmdArgs,
    env: { PATH, ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

function expectedOutput(f: Fixture, dir: string, program: string, args: string[]): string {
  return [
    `program=${program}`,
    `dir=${dir}`,
    `greeting=hello from ${dir}`,
    "arg=--from-template",
    ...args.map((a) => `arg=${a}`),
    f.nonce,
    "",
  ].join("\n");
}

/** Asserts a refusal: exit 125, nothing on stdout, exactly one "dtail: ..." line on stderr. */
function assertRefused(r: Result, pattern: RegExp): void {
  assert.equal(r.code, SETUP_ERROR, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^dtail: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

function userId(name: string): number | null {
  try {
    const out = new Deno.Command("id", { args: ["-u", name], stdout: "piped", stderr: "null" })
      .outputSync();
    return out.success ? Number(new TextDecoder().decode(out.stdout).trim()) : null;
  } catch {
    return null;
  }
}

const aliceUid = userId("dtail-alice");

/** Runs fn, then removes <base>/<hash> and, if fn created it, <base> itself. */
async function withSharedCache(
  base: string,
  hash: string,
  fn: () => Promise<void>,
): Promise<void> {
  const existed = await exists(base);
  try {
    await fn();
  } finally {
    await Deno.remove(existed ? `${base}/${hash}` : base, { recursive: true }).catch(() => {});
  }
}

Deno.test("the first run extracts the payload into the cache and runs it with the user's arguments", async () => {
  const f = await fixture();
  const r = await run(f.sfx, ["a b", "c", ""], { DTAIL_SFX_CACHE: f.cache });
  const dir = `${f.cache}/${f.hash}`;
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  assert.equal(r.stdout, expectedOutput(f, dir, "dtail", ["a b", "c", ""]));
  assert.equal((await Deno.lstat(f.cache)).mode! & 0o7777, 0o700);
  assert.equal((await Deno.lstat(dir)).mode! & 0o7777, 0o700);
  assert.equal((await Deno.lstat(`${dir}/run`)).mode! & 0o7777, 0o700);
  assert.equal((await Deno.lstat(`${dir}/share/data.txt`)).mode! & 0o7777, 0o600);
  assert.deepEqual(await Deno.readFile(`${dir}/big.bin`), f.big);
  assert.deepEqual(await entries(f.cache), [f.hash]);
  await f.cleanup();
});

Deno.test("a second run uses the cached files without extracting again", async () => {
  const f = await fixture();
  const env = { DTAIL_SFX_CACHE: f.cache };
  assert.equal((await run(f.sfx, [], env)).code, 0);
  const dir = `${f.cache}/${f.hash}`;
  const before = await Promise.all(
    ["run", "big.bin", ".dtail-sfx-stamp"].map((n) => Deno.lstat(`${dir}/${n}`)),
  );
  await Deno.symlink(f.sfx, `${f.dir}/dgrep`);
  const r = await run(`${f.dir}/dgrep`, ["x"], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, expectedOutput(f, dir, "dgrep", ["x"]));
  const after = await Promise.all(
    ["run", "big.bin", ".dtail-sfx-stamp"].map((n) => Deno.lstat(`${dir}/${n}`)),
  );
  assert.deepEqual(after.map((s) => [s.ino, s.mtime]), before.map((s) => [s.ino, s.mtime]));
  await f.cleanup();
});

Deno.test("two processes started at the same moment on an empty cache both succeed with the same output", async () => {
  const f = await fixture("dtail", 4 << 20); // extraction outlasts the staggered starts
  const results = await Promise.all(
    Array.from({ length: 6 }, () => run(f.sfx, ["same"], { DTAIL_SFX_CACHE: f.cache })),
  );
  const expected = expectedOutput(f, `${f.cache}/${f.hash}`, "dtail", ["same"]);
  for (const r of results) {
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
    assert.equal(r.stdout, expected);
  }
  assert.deepEqual(await entries(f.cache), [f.hash]); // the losers' temp dirs are gone
  await f.cleanup();
});

Deno.test("a group-writable cache directory is refused with one clear line and nothing is run", async () => {
  const f = await fixture();
  await Deno.mkdir(f.cache);
  await Deno.chmod(f.cache, 0o770);
  const r = await run(f.sfx, [], { DTAIL_SFX_CACHE: f.cache });
  assertRefused(r, /refusing cache directory .*\/cache: writable by group or others \(mode 0770\)/);
  assert.deepEqual(await entries(f.cache), []);
  await f.cleanup();
});

Deno.test("a cache directory that is a symlink, belongs to another user or sits in a group-writable parent is refused", async () => {
  const f = await fixture();
  const env = { DTAIL_SFX_CACHE: f.cache };
  await Deno.mkdir(`${f.dir}/elsewhere`, { mode: 0o700 });
  await Deno.symlink(`${f.dir}/elsewhere`, f.cache);
  assertRefused(await run(f.sfx, [], env), /refusing cache directory .*: a symlink/);
  await Deno.remove(f.cache);

  if (Deno.uid() === 0) { // chown needs root
    await Deno.mkdir(f.cache, { mode: 0o700 });
    await Deno.chown(f.cache, 4242, 4242);
    assertRefused(await run(f.sfx, [], env), /owned by uid 4242, not 0/);
    await Deno.remove(f.cache);
  }

  await Deno.mkdir(`${f.dir}/shared`);
  await Deno.chmod(`${f.dir}/shared`, 0o777);
  assertRefused(
    await run(f.sfx, [], { DTAIL_SFX_CACHE: `${f.dir}/shared/cache` }),
    /refusing cache under .*\/shared: writable by group or others and not sticky/,
  );
  assert.deepEqual(await entries(`${f.dir}/shared`), []);

  assert.equal((await run(f.sfx, [], env)).code, 0);
  await Deno.chmod(`${f.cache}/${f.hash}`, 0o775);
  assertRefused(await run(f.sfx, [], env), /refusing .*\/[0-9a-f]{64}: writable by group/);
  await f.cleanup();
});

Deno.test("a cached file corrupted in place is detected and extracted again", async () => {
  const f = await fixture();
  const env = { DTAIL_SFX_CACHE: f.cache };
  assert.equal((await run(f.sfx, [], env)).code, 0);
  const dir = `${f.cache}/${f.hash}`;
  const inode = (await Deno.lstat(`${dir}/big.bin`)).ino;
  const file = await Deno.open(`${dir}/big.bin`, { write: true });
  await file.seek(300 * 1024, Deno.SeekMode.Start);
  await file.write(new Uint8Array(64).fill(0x5a)); // same size, different bytes
  file.close();
  await Deno.writeTextFile(`${dir}/share/data.txt`, "tampered\n".padEnd(f.nonce.length + 1));

  const r = await run(f.sfx, ["again"], env);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, expectedOutput(f, dir, "dtail", ["again"]));
  assert.deepEqual(await Deno.readFile(`${dir}/big.bin`), f.big);
  assert.notEqual((await Deno.lstat(`${dir}/big.bin`)).ino, inode);
  assert.deepEqual(await entries(f.cache), [".lock", f.hash]); // the bad copy is gone
  await f.cleanup();
});

Deno.test("a cached file touched without a content change is verified and kept with a new stamp", async () => {
  const f = await fixture();
  const env = { DTAIL_SFX_CACHE: f.cache };
  assert.equal((await run(f.sfx, [], env)).code, 0);
  const dir = `${f.cache}/${f.hash}`;
  const file = (await Deno.lstat(`${dir}/big.bin`)).ino;
  const stamp = (await Deno.lstat(`${dir}/.dtail-sfx-stamp`)).ino;
  await Deno.utime(`${dir}/big.bin`, new Date(2000, 0, 1), new Date(2000, 0, 1));
  const r = await run(f.sfx, [], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await Deno.lstat(`${dir}/big.bin`)).ino, file);
  assert.notEqual((await Deno.lstat(`${dir}/.dtail-sfx-stamp`)).ino, stamp);
  assert.deepEqual((await entries(dir)).filter((n) => n.startsWith(".")), [".dtail-sfx-stamp"]);
  await f.cleanup();
});

Deno.test("a half-written temp directory is never used and a stale one is removed", async () => {
  const f = await fixture();
  const env = { DTAIL_SFX_CACHE: f.cache };
  await Deno.mkdir(f.cache, { mode: 0o700 });
  const fresh = `.tmp-${f.hash}-99999-0123456789abcdef`;
  const stale = `.tmp-${f.hash}-99998-fedcba9876543210`;
  for (const name of [fresh, stale]) {
    await Deno.mkdir(`${f.cache}/${name}/share`, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(`${f.cache}/${name}/run`, "#!/bin/sh\necho half", { mode: 0o700 });
  }
  const hourAgo = new Date(Date.now() - 2 * 3600 * 1000);
  await Deno.utime(`${f.cache}/${stale}`, hourAgo, hourAgo);

  const r = await run(f.sfx, [], env);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, expectedOutput(f, `${f.cache}/${f.hash}`, "dtail", []));
  assert.deepEqual(await entries(f.cache), [fresh, f.hash].sort());
  await f.cleanup();
});

Deno.test("an extraction directory without its stamp and with a truncated file is extracted again", async () => {
  const f = await fixture();
  const env = { DTAIL_SFX_CACHE: f.cache };
  assert.equal((await run(f.sfx, [], env)).code, 0);
  const dir = `${f.cache}/${f.hash}`;
  await Deno.remove(`${dir}/.dtail-sfx-stamp`);
  await Deno.truncate(`${dir}/big.bin`, 1000);
  const r = await run(f.sfx, [], env);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, expectedOutput(f, dir, "dtail", []));
  assert.deepEqual(await Deno.readFile(`${dir}/big.bin`), f.big);
  await f.cleanup();
});

Deno.test("a damaged payload or trailer is refused before anything is extracted or run", async () => {
  const f = await fixture();
  const env = { DTAIL_SFX_CACHE: f.cache };
  const stubSize = (await Deno.stat(await stub())).size;
  const good = await Deno.readFile(f.sfx);
  const flip = async (at: number) => {
    const bad = good.slice();
    bad[at]! ^= 0xff;
    await Deno.writeFile(f.sfx, bad);
  };
  await flip(stubSize + 200_000); // inside the compressed big.bin
  assertRefused(await run(f.sfx, [], env), /payload file big\.bin is corrupt|payload is corrupt/);
  assert.deepEqual(await entries(f.cache), []); // the temp dir is removed again
  await flip(good.length - 100); // the trailer's hash
  assertRefused(await run(f.sfx, [], env), /damaged trailer/);
  await flip(good.length - 200); // the manifest
  assertRefused(await run(f.sfx, [], env), /damaged manifest/);
  await Deno.writeFile(f.sfx, good.subarray(0, stubSize)); // the stub alone
  assertRefused(await run(f.sfx, [], env), /no dtail payload/);
  await f.cleanup();
});

Deno.test("without HOME the cache falls back to /tmp/dtail-sfx-<uid>", async () => {
  const f = await fixture();
  const base = `/tmp/dtail-sfx-${Deno.uid()}`;
  await withSharedCache(base, f.hash, async () => {
    const r = await run(f.sfx, ["no-home"], {});
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, expectedOutput(f, `${base}/${f.hash}`, "dtail", ["no-home"]));
    assert.equal((await Deno.lstat(base)).mode! & 0o022, 0);
  });
  await f.cleanup();
});

Deno.test("a HOME that cannot hold a cache or belongs to another user falls back to /tmp/dtail-sfx-<uid>", async () => {
  const f = await fixture();
  const base = `/tmp/dtail-sfx-${Deno.uid()}`;
  const expected = expectedOutput(f, `${base}/${f.hash}`, "dtail", []);
  await Deno.writeTextFile(`${f.dir}/file`, "");
  const homes = [`${f.dir}/file/home`, "relative/home"];
  await Deno.mkdir(`${f.dir}/someone`, { mode: 0o755 });
  if (Deno.uid() === 0) { // chown needs root
    await Deno.chown(`${f.dir}/someone`, 4242, 4242); // like a HOME kept by sudo
    homes.push(`${f.dir}/someone`);
  }
  await withSharedCache(base, f.hash, async () => {
    for (const home of homes) {
      const r = await run(f.sfx, [], { HOME: home, XDG_CACHE_HOME: "relative" });
      assert.equal(r.stderr, "", home);
      assert.equal(r.stdout, expected, home);
    }
  });
  assert.deepEqual(await entries(`${f.dir}/someone`), []);
  await f.cleanup();
});

Deno.test("XDG_CACHE_HOME is used when set and HOME/.cache otherwise", async () => {
  const f = await fixture();
  await Deno.mkdir(`${f.dir}/home`, { mode: 0o700 });
  const home = { HOME: `${f.dir}/home` };
  let r = await run(f.sfx, [], home);
  assert.equal(r.stderr, "");
  assert.equal(
    r.stdout,
    expectedOutput(f, `${f.dir}/home/.cache/dtail-sfx/${f.hash}`, "dtail", []),
  );
  assert.equal((await Deno.lstat(`${f.dir}/home/.cache`)).mode! & 0o7777, 0o700);
  r = await run(f.sfx, [], { ...home, XDG_CACHE_HOME: `${f.dir}/xdg` });
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, expectedOutput(f, `${f.dir}/xdg/dtail-sfx/${f.hash}`, "dtail", []));
  await f.cleanup();
});

Deno.test({
  name: "an unprivileged user with a read-only HOME falls back to /tmp/dtail-sfx-<uid>",
  ignore: Deno.uid() !== 0 || aliceUid === null,
  fn: async () => {
    const f = await fixture();
    const home = `${f.dir}/home`;
    await Deno.mkdir(home);
    await Deno.chown(home, aliceUid!, aliceUid!);
    await Deno.chmod(home, 0o555);
    const base = `/tmp/dtail-sfx-${aliceUid}`;
    await withSharedCache(base, f.hash, async () => {
      const r = await run(f.sfx, ["alice"], { HOME: home }, "dtail-alice");
      assert.equal(r.stderr, "");
      assert.equal(r.stdout, expectedOutput(f, `${base}/${f.hash}`, "dtail", ["alice"]));
      assert.equal((await Deno.lstat(`${base}/${f.hash}/run`)).uid, aliceUid);
      // The same user's cache in root's hands would be refused, not used:
      const asRoot = await run(f.sfx, [], { DTAIL_SFX_CACHE: base });
      assertRefused(asRoot, new RegExp(`owned by uid ${aliceUid}, not 0`));
    });
    await f.cleanup();
  },
});
if (Deno.uid() === 0 && aliceUid === null) {
  console.log("sfx_test: skipping the unprivileged-user test: user dtail-alice does not exist");
}

Deno.test("packSfx rejects names that could leave the extraction directory", async () => {
  const f = await fixture();
  const base = {
    stub: await stub(),
    out: `${f.dir}/bad`,
    exec: "run",
    argv: ["{dir}/run"],
    env: [],
  };
  for (const name of ["../x", "/abs", "a/b/c", ".hidden", "a/..", "", "a//b"]) {
    await assert.rejects(
      packSfx({ ...base, files: [{ name, path: `${f.dir}/run.sh`, mode: 0o755 }], exec: name }),
      SfxError,
      name,
    );
  }
  const runFile = { name: "run", path: `${f.dir}/run.sh`, mode: 0o755 };
  await assert.rejects(
    packSfx({ ...base, files: [runFile], exec: "other" }),
    /not one of the files/,
  );
  await assert.rejects(packSfx({ ...base, files: [{ ...runFile, mode: 0o644 }] }), /execute bit/);
  await assert.rejects(packSfx({ ...base, files: [runFile], env: ["=x"] }), /NAME=value/);
  await assert.rejects(packSfx({ ...base, files: [runFile], argv: [] }), /argv template/);
  assert.equal(await exists(`${f.dir}/bad`), false);
  await f.cleanup();
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timed(fn: () => Promise<Result>): Promise<[Result, number]> {
  const start = performance.now();
  const r = await fn();
  return [r, performance.now() - start];
}

Deno.test({
  name: "the real Deno runtime runs from a packed executable (DTAIL_SFX_SKIP_DENO=1 skips)",
  ignore: Deno.env.get("DTAIL_SFX_SKIP_DENO") === "1",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "dtail-sfx-deno-" });
    const main = `${dir}/main.js`;
    await Deno.writeTextFile(
      main,
      'console.log(Deno.env.get("DTAIL_PROGRAM"), Deno.args.join(" "));\n',
    );
    const deno = Deno.execPath();
    let start = performance.now();
    const { size } = await packSfx({
      stub: await stub(),
      out: `${dir}/dtail`,
      files: [
        { name: "deno", path: deno, mode: 0o755 },
        { name: "main.js", path: main, mode: 0o644 },
      ],
      exec: "deno",
      argv: ["{dir}/deno", "run", "--allow-all", "--no-prompt", "{dir}/main.js"],
      env: ["DENO_DIR={dir}/deno-dir", "DENO_NO_UPDATE_CHECK=1"],
    });
    const packMs = performance.now() - start;
    const env = { DTAIL_SFX_CACHE: `${dir}/cache`, HOME: dir };

    const [first, firstMs] = await timed(() => run(`${dir}/dtail`, ["a", "b c"], env));
    assert.equal(first.stderr, "");
    assert.equal(first.stdout, "dtail a b c\n");
    assert.ok(firstMs < 5000, `first run took ${firstMs.toFixed(0)} ms`);

    const warm: number[] = [];
    const direct: number[] = [];
    const stubOnly: number[] = [];
    const directEnv = { DENO_DIR: `${dir}/direct-deno-dir`, DENO_NO_UPDATE_CHECK: "1", HOME: dir };
    const directArgs = ["run", "--allow-all", "--no-prompt", main, "a"];
    assert.equal((await run(deno, directArgs, directEnv)).code, 0); // warm its DENO_DIR too
    for (let i = 0; i < 7; i++) {
      const [w, wMs] = await timed(() => run(`${dir}/dtail`, ["a"], env));
      assert.equal(w.stdout, "dtail a\n");
      warm.push(wMs);
      const [d, dMs] = await timed(() => run(deno, directArgs, directEnv));
      assert.equal(d.stdout, "undefined a\n");
      direct.push(dMs);
    }
    // The stub's own share: a packed /bin/true (warm), against /bin/true run directly.
    await packSfx({
      stub: await stub(),
      out: `${dir}/true`,
      files: [{ name: "true", path: "/bin/true", mode: 0o755 }],
      exec: "true",
      argv: ["{dir}/true"],
      env: [],
    });
    assert.equal((await run(`${dir}/true`, [], env)).code, 0);
    const plainTrue: number[] = [];
    for (let i = 0; i < 15; i++) {
      stubOnly.push((await timed(() => run(`${dir}/true`, [], env)))[1]);
      plainTrue.push((await timed(() => run("/bin/true", [], env)))[1]);
    }
    start = performance.now();
    const denoSize = (await Deno.stat(deno)).size;
    console.log(
      [
        `sfx: deno ${(denoSize / 1e6).toFixed(1)} MB packed into ${(size / 1e6).toFixed(1)} MB ` +
        `in ${packMs.toFixed(0)} ms`,
        `sfx: first run (extraction + deno) ${firstMs.toFixed(0)} ms`,
        `sfx: warm run ${median(warm).toFixed(1)} ms vs deno directly ${
          median(direct).toFixed(1)
        } ms (median of ${warm.length})`,
        `sfx: stub alone (packed /bin/true) ${median(stubOnly).toFixed(2)} ms vs /bin/true ${
          median(plainTrue).toFixed(2)
        } ms (median of ${stubOnly.length})`,
      ].join("\n"),
    );
    await Deno.remove(dir, { recursive: true });
  },
});
