import assert from "node:assert/strict";
import {
  cleanPath,
  dirStat,
  expandGlob,
  GlobPatternError,
  hasGlobMeta,
  segmentRegExp,
  sourceId,
  sourceIds,
} from "./glob.ts";

const glob = async (pattern: string) => (await expandGlob(pattern)).paths;

async function withTree(files: string[], fn: (root: string) => void | Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "glob_test_" });
  try {
    for (const f of files) {
      const path = `${root}/${f}`;
      if (f.endsWith("/")) await Deno.mkdir(path, { recursive: true });
      else {
        await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
        await Deno.writeTextFile(path, f);
      }
    }
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("cleanPath cleans like Go's path.Clean", () => {
  const cases: [string, string][] = [
    ["", "."],
    [".", "."],
    ["/", "/"],
    ["//", "/"],
    ["a/b", "a/b"],
    ["a//b", "a/b"],
    ["a/./b", "a/b"],
    ["a/b/", "a/b"],
    ["a/b/..", "a"],
    ["a/../..", ".."],
    ["../../a", "../../a"],
    ["a/../../b", "../b"],
    ["/..", "/"],
    ["/../a", "/a"],
    ["/a/b/../../..", "/"],
    ["./a/", "a"],
    ["a/..", "."],
    ["/var//log/./*/app.log", "/var/log/*/app.log"],
  ];
  for (const [input, want] of cases) assert.equal(cleanPath(input), want, JSON.stringify(input));
});

Deno.test("hasGlobMeta spots *, ?, [ and backslash", () => {
  for (const p of ["*.log", "a?", "[ab]", "a\\*"]) assert.equal(hasGlobMeta(p), true, p);
  for (const p of ["/var/log/app.log", "a-b.c", "{a,b}"]) assert.equal(hasGlobMeta(p), false, p);
});

Deno.test("segmentRegExp matches names like Go's filepath.Match", () => {
  const cases: [string, string, boolean][] = [
    ["*.log", "app.log", true],
    ["*.log", ".hidden.log", true],
    ["*.log", "app.log.1", false],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["[ab]x", "bx", true],
    ["[ab]x", "cx", false],
    ["[a-c]x", "bx", true],
    ["[^a-c]x", "bx", false],
    ["[^a-c]x", "dx", true],
    ["a\\*b", "a*b", true],
    ["a\\*b", "axb", false],
    ["a.b", "axb", false],
    ["(x)+", "(x)+", true],
    // Go rejects a "]" right after "[" as a bad pattern; we read it as a literal.
    ["[]a]", "]", true],
    ["[]a]", "a", true],
    ["[]a]", "b", false],
    ["[^]a]", "b", true],
    ["[^]a]", "]", false],
    ["[\\]]", "]", true],
    ["[a\\]b]", "]", true],
    ["[a\\]b]", "\\", false],
    ["[a-]", "-", true],
    ["[a-]", "b", false],
    ["[\\-z]", "-", true],
    ["[\\-z]", "m", false],
    ["*", "", true],
  ];
  for (const [pattern, name, want] of cases) {
    assert.equal(segmentRegExp(pattern).test(name), want, `${pattern} vs ${name}`);
  }
});

Deno.test("segmentRegExp rejects malformed patterns", () => {
  assert.throws(() => segmentRegExp("[ab"), GlobPatternError);
  assert.throws(() => segmentRegExp("ab\\"), GlobPatternError);
});

Deno.test("expandGlob lists matches sorted, including dotfiles", async () => {
  await withTree(["b.log", "a.log", ".c.log", "d.txt", "sub/e.log"], async (root) => {
    assert.deepEqual(await glob(`${root}/*.log`), [
      `${root}/.c.log`,
      `${root}/a.log`,
      `${root}/b.log`,
    ]);
    assert.deepEqual(await glob(`${root}/?.txt`), [`${root}/d.txt`]);
    assert.deepEqual(await glob(`${root}/[ab].log`), [`${root}/a.log`, `${root}/b.log`]);
    assert.deepEqual(await glob(`${root}/[^ab].*`), [`${root}/d.txt`]);
  });
});

Deno.test("expandGlob walks nested directory wildcards", async () => {
  await withTree(
    ["web/app.log", "db/app.log", "db/other.log", "x/", "file/app.log"],
    async (root) => {
      assert.deepEqual(await glob(`${root}/*/app.log`), [
        `${root}/db/app.log`,
        `${root}/file/app.log`,
        `${root}/web/app.log`,
      ]);
      assert.deepEqual(await glob(`${root}/*/*.log`), [
        `${root}/db/app.log`,
        `${root}/db/other.log`,
        `${root}/file/app.log`,
        `${root}/web/app.log`,
      ]);
      assert.deepEqual(await glob(`${root}/d*/o*`), [`${root}/db/other.log`]);
    },
  );
});

Deno.test("expandGlob does not descend into files matched by a directory segment", async () => {
  await withTree(["a/app.log", "b"], async (root) => {
    assert.deepEqual(await glob(`${root}/*/app.log`), [`${root}/a/app.log`]);
  });
});

Deno.test("expandGlob returns nothing for missing directories or files", async () => {
  await withTree(["a.log"], async (root) => {
    assert.deepEqual(await glob(`${root}/missing/*.log`), []);
    assert.deepEqual(await glob(`${root}/*/x.log`), []);
    assert.deepEqual(await glob(`${root}/*.gz`), []);
    assert.deepEqual(await glob(`${root}/nothing.log`), []);
  });
});

Deno.test("expandGlob returns a plain path as is, cleaned, when it exists", async () => {
  await withTree(["dir/a.log"], async (root) => {
    assert.deepEqual(await glob(`${root}//dir/./a.log`), [`${root}/dir/a.log`]);
    assert.deepEqual(await glob(`${root}/dir`), [`${root}/dir`]);
  });
});

Deno.test("expandGlob matches escaped metacharacters literally", async () => {
  await withTree(["a*b.log", "axb.log"], async (root) => {
    assert.deepEqual(await glob(`${root}/a\\*b.log`), [`${root}/a*b.log`]);
  });
});

Deno.test("expandGlob works with relative patterns", async () => {
  await withTree(["rel/one.log", "rel/two.log"], async (root) => {
    const cwd = Deno.cwd();
    Deno.chdir(root);
    try {
      assert.deepEqual(await glob("rel/*.log"), ["rel/one.log", "rel/two.log"]);
      assert.deepEqual(await glob("./rel/t*"), ["rel/two.log"]);
    } finally {
      Deno.chdir(cwd);
    }
  });
});

// See docs/compatibility.md#globs-and-source-ids.
Deno.test("sourceId takes the segments matched by a star", () => {
  assert.equal(sourceId("/var/log/*/app.log", "/var/log/web/app.log"), "web");
  assert.equal(sourceId("/var/log/*.log", "/var/log/app.log"), "app.log");
  assert.equal(sourceId("/var/*/x/*.log", "/var/a/x/b.log"), "a/b.log");
  assert.equal(sourceId("/var/log//*/app.log", "/var/log/web/app.log"), "web");
});

Deno.test("sourceId is the basename when no segment has a star", () => {
  assert.equal(sourceId("/var/log/app.log", "/var/log/app.log"), "app.log");
  assert.equal(sourceId("/var/log/app?.log", "/var/log/app1.log"), "app1.log");
  assert.equal(sourceId("rel/[ab].log", "rel/a.log"), "a.log");
  assert.equal(sourceId("plain.txt", "plain.txt"), "plain.txt");
});

Deno.test("a source id shows a | or a control character of a file name as ?", () => {
  assert.equal(sourceId("/l/a|b.log", "/l/a|b.log"), "a?b.log");
  assert.equal(sourceId("/l/*.log", "/l/c\nd.log"), "c?d.log");
  assert.equal(sourceId("/*/x.log", "/a\tb|c/x.log"), "a?b?c");
  assert.equal(sourceId("/l/ok €.log", "/l/ok €.log"), "ok €.log", "other text stays");
});

Deno.test("a glob class starting with ! is a literal ! as in Go, not a negation", () => {
  const re = segmentRegExp("[!a]");
  assert.ok(re.test("!"));
  assert.ok(re.test("a"));
  assert.ok(!re.test("b"));
});

Deno.test("expandGlob stops at maxTargets and says so, without counting the rest", async () => {
  await withTree(["a.log", "b.log", "c.log"], async (root) => {
    const r = await expandGlob(`${root}/*.log`, { maxTargets: 2 });
    assert.deepEqual(r, { paths: [`${root}/a.log`, `${root}/b.log`], limit: "targets" });
    assert.equal((await expandGlob(`${root}/*.log`, { maxTargets: 3 })).limit, null);
  });
});

Deno.test("expandGlob stops after maxDirs listed directories", async () => {
  await withTree(["a/x/z.log", "b/x/z.log", "c/x/z.log"], async (root) => {
    const r = await expandGlob(`${root}/*/*/z.log`, { maxDirs: 2 });
    assert.equal(r.limit, "dirs");
    assert.deepEqual(r.paths, [`${root}/a/x/z.log`], "what was found before the bound");
    const cut = await expandGlob(`${root}/*/*/*.log`, { maxDirs: 2 });
    assert.deepEqual(cut, { paths: [], limit: "dirs" });
    assert.equal((await expandGlob(`${root}/*/*/*.log`, { maxDirs: 7 })).paths.length, 3);
  });
});

Deno.test("expandGlob never enters a directory twice on one path (symlink loops)", async () => {
  await withTree(["d/app.log"], async (root) => {
    Deno.symlinkSync(root, `${root}/d/up`);
    Deno.symlinkSync(".", `${root}/d/self`);
    const r = await expandGlob(`${root}/*/*/*/*/*/*/*/*/*.log`, { maxDirs: 1_000_000 });
    assert.deepEqual(r, { paths: [], limit: null });
    assert.deepEqual(await glob(`${root}/*/*.log`), [`${root}/d/app.log`]);
  });
});

Deno.test("expandGlob stats only what the listing says may be a directory", async () => {
  const files = Array.from({ length: 200 }, (_, i) => `a/${i}.log`);
  await withTree([...files, "a/sub/x.log"], async (root) => {
    Deno.symlinkSync(`${root}/a/sub`, `${root}/a/link`);
    const statted: string[] = [];
    const stat = (path: string) => {
      if (path.startsWith(`${root}/a/`)) statted.push(path);
      return dirStat(path);
    };
    const r = await expandGlob(`${root}/*/*/x.log`, { stat });
    assert.deepEqual(r.paths, [`${root}/a/link/x.log`, `${root}/a/sub/x.log`]);
    assert.deepEqual(statted.sort(), [`${root}/a/link`, `${root}/a/sub`], "none of a/'s 200 files");
  });
});

Deno.test("dirStat tells a directory, a file and a missing path, following symlinks", async () => {
  await withTree(["d/f.log"], (root) => {
    Deno.symlinkSync(`${root}/d`, `${root}/link`);
    const info = Deno.statSync(`${root}/d`);
    assert.deepEqual(dirStat(`${root}/d`), {
      isDirectory: true,
      id: `${info.dev}:${info.ino}`,
      size: info.size,
    });
    assert.deepEqual(dirStat(`${root}/link`), dirStat(`${root}/d`));
    assert.equal(dirStat(`${root}/d/f.log`)?.isDirectory, false);
    assert.equal(dirStat(`${root}/missing`), null);
  });
});

Deno.test("expandGlob keeps the first matches of a large directory in name order", async () => {
  const root = await Deno.makeTempDir({ prefix: "glob_test_" });
  try {
    const names = Array.from({ length: 5000 }, (_, i) => `${String(i).padStart(4, "0")}.log`);
    for (const name of shuffled(names)) Deno.writeFileSync(`${root}/${name}`, new Uint8Array(0));
    const all = await expandGlob(`${root}/*.log`);
    assert.deepEqual(all, { paths: names.map((n) => `${root}/${n}`), limit: null });
    const first = await expandGlob(`${root}/*.log`, { maxTargets: 7 });
    assert.deepEqual(first, {
      paths: names.slice(0, 7).map((n) => `${root}/${n}`),
      limit: "targets",
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("expandGlob follows no match of a directory that sorts after the ones it keeps", async () => {
  const root = await Deno.makeTempDir({ prefix: "glob_test_" });
  try {
    const dirs = Array.from({ length: 2000 }, (_, i) => `d${String(i).padStart(4, "0")}`);
    for (const dir of shuffled(dirs)) {
      Deno.mkdirSync(`${root}/${dir}`);
      Deno.writeFileSync(`${root}/${dir}/app.log`, new Uint8Array(0));
    }
    let stats = 0;
    const stat = (path: string) => (stats++, dirStat(path));
    const r = await expandGlob(`${root}/*/app.log`, { maxTargets: 10, stat });
    const want = dirs.slice(0, 10).map((d) => `${root}/${d}/app.log`);
    assert.deepEqual(r, { paths: want, limit: "targets" });
    assert.ok(stats < 1000, `${stats} stats for 2,000 directories, of which 11 are kept`);
    // Without a bound every directory is entered, and all are found.
    assert.equal((await expandGlob(`${root}/*/app.log`)).paths.length, 2000);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** Files made in random order: the listing's order says nothing of the names'. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

Deno.test("expandGlob lists only directories canList allows", async () => {
  await withTree(["open/a.log", "closed/b.log"], async (root) => {
    const canList = (dir: string) => !dir.endsWith("/closed");
    const r = await expandGlob(`${root}/*/*.log`, { canList });
    assert.deepEqual(r.paths, [`${root}/open/a.log`]);
  });
});

Deno.test("expandGlob of /*/*/*/*/*/*/*/*/zz is bounded and yields to other work", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const started = performance.now();
  try {
    const r = await expandGlob("/*/*/*/*/*/*/*/*/zz", { maxDirs: 3000 });
    assert.equal(r.limit, "dirs");
  } finally {
    clearInterval(timer);
  }
  assert.ok(performance.now() - started < 5000, "bounded");
  assert.ok(ticks > 3, `timers ran ${ticks} times during the expansion`);
});

Deno.test("segmentRegExp: a reversed range matches nothing, as in Go, and is no error", () => {
  assert.ok(!segmentRegExp("[b-a]").test("a"));
  assert.ok(!segmentRegExp("[b-a]").test("b"));
  assert.ok(segmentRegExp("[^b-a]").test("x"));
  assert.ok(segmentRegExp("x[b-az]").test("xz"));
});

Deno.test("segmentRegExp refuses segments no file name can match, with a GlobPatternError", () => {
  assert.throws(() => segmentRegExp("*".repeat(10_000) + "x"), GlobPatternError);
  assert.throws(() => segmentRegExp("]".repeat(2000)), GlobPatternError);
  const stars = segmentRegExp("*".repeat(200) + "x"); // collapsed: no backtracking blow-up
  const started = performance.now();
  assert.ok(!stars.test("a".repeat(255)));
  assert.ok(performance.now() - started < 100);
});

Deno.test("sourceIds of one pattern give sourceId's answer for clean and unclean paths alike", () => {
  const reference = (pattern: string, path: string) => {
    const patternParts = cleanPath(pattern).split("/");
    const pathParts = cleanPath(path).split("/");
    const picked = patternParts.flatMap((part, i) =>
      part.includes("*") && pathParts[i] !== undefined ? [pathParts[i]!] : []
    );
    return picked.length > 0 ? picked.join("/") : pathParts[pathParts.length - 1] ?? path;
  };
  const patterns = ["/var/log/*.log", "/var/*/x/*.log", "rel/*.log", "*.log", "/a/b?.log", "/*"];
  const paths = [
    "/var/log/app.log",
    "/var/log//app.log",
    "/var/log/./app.log",
    "/var/log/x/../app.log",
    "/var/a/x/b.log",
    "rel/a.log",
    "./rel/a.log",
    "a.log",
    "/a/b1.log",
    "/var/log/deeper/app.log",
    "/",
    "/x",
  ];
  for (const pattern of patterns) {
    const idOf = sourceIds(pattern);
    for (const path of paths) {
      assert.equal(idOf(path), reference(pattern, path), `${pattern} ${path}`);
    }
  }
});
