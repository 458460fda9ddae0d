/**
 * `make dist`: the single files users install (docs/packaging.md).
 *
 * - dist/dtail: the client; dist/dcat, dgrep, dmap and dtailhealth are symlinks to it, and
 *   `dtail dcat …` works too. dist/dserver: the same program under the server's name (a copy, so
 *   each is one file to drop somewhere). dist/SHA256SUMS.
 * - The program is bundled into one module (deno bundle, with the three workers as modules of
 *   their own and re2js's CommonJS build beside them). With a real `denort` (DENORT_BIN) the files
 *   are `deno compile` binaries; otherwise (these machines: Deno's download server is out of
 *   reach) self-extracting executables (tools/sfx): the pinned Deno and the bundle in one file,
 *   unpacked on first run into a per-user cache.
 *
 * Usage: deno run -A tools/dist.ts [--out dist]
 */
import { dirname, join, resolve } from "node:path";
import { createHash } from "node:crypto";
import { buildStub, packSfx } from "./sfx/pack.ts";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
const CLIENT_NAMES = ["dcat", "dgrep", "dmap", "dtailhealth"];
/**
 * The bundle's entry modules, written at build time beside each other so that every output file
 * lands in one flat directory: the program, and the modules its Workers start.
 */
const ENTRIES: readonly [string, string][] = [
  ["main", `import { start } from "${ROOT}/app/main.ts";\nawait start();\n`],
  ["regex_worker", `import "${ROOT}/core/regex_worker.ts";\n`],
  ["decompress_worker", `import "${ROOT}/core/decompress_worker.ts";\n`],
  ["map_worker", `import "${ROOT}/core/mapr/map_worker.ts";\n`],
];
/** The launchers' flags of a run from the checkout that a bundle, holding all its modules, omits. */
const CHECKOUT_ONLY_FLAGS = ["--frozen", "--cached-only"];

/**
 * The Makefile's DENO_RUN_FLAGS, the bin/ launchers' flags (V8 flags, permissions, lazy dynamic
 * imports): one list for both builds.
 */
export function launcherRunFlags(): string[] {
  const makefile = Deno.readTextFileSync(join(ROOT, "Makefile"));
  const flags = /^DENO_RUN_FLAGS\s*:=(.*)$/m.exec(makefile)?.[1]?.trim().split(/\s+/) ?? [];
  if (flags.length === 0 || flags.some((f) => !f.startsWith("--") || f.includes("$"))) {
    throw new Error("the Makefile's DENO_RUN_FLAGS line is missing or not a plain list of flags");
  }
  return flags;
}

/**
 * How the bundle runs: the launchers' flags, and no config, lock file or downloads of the
 * caller's. Its dynamic chunks (ssh2, the server, dmap…) load when imported, not at start-up.
 */
export const RUN_FLAGS = [
  ...launcherRunFlags().filter((f) => !CHECKOUT_ONLY_FLAGS.includes(f)),
  "--no-config",
  "--no-lock",
  "--no-remote",
  "--no-npm",
];
const BUILD_MARK = "DTAIL_BUILD_INFO:kind=launcher";
/** esbuild's CommonJS `require` helper, minified or not; group 1 is its (minified) name. */
const EAGER_REQUIRE = new RegExp(
  String.raw`import ?\{ ?createRequire as __deno_internal_createRequire ?\} from ?"node:module";` +
    String.raw`\s*var (\w+) ?= ?__deno_internal_createRequire\(import\.meta\.url\);`,
);
const lazyRequire = (name: string) =>
  `var __require_made;var ${name}=(id)=>(__require_made??=globalThis.process.getBuiltinModule(` +
  `"node:module").createRequire(import.meta.url))(id);`;

/** The `using` declarations in TypeScript sources (one per line), or in minified JavaScript. */
export function countUsings(text: string, minified: boolean): number {
  const pattern = minified ? /\busing [\w$]+=/g : /^\s*(?:await\s+)?using\s+[\w$]+\s*=/gm;
  return text.match(pattern)?.length ?? 0;
}
/** Where the program's modules are (tests and benches are not bundled). */
const SOURCE_DIRS = ["app", "cli", "core", "server", "ssh"];

class DistError extends Error {}

async function run(cmd: string, args: string[], cwd = ROOT): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join("\n");
    throw new DistError(`${cmd} ${args.join(" ")} failed:\n${err}`);
  }
  return text;
}

async function commit(): Promise<string> {
  try {
    return (await run("git", ["describe", "--always", "--dirty"])).trim();
  } catch {
    return "unknown";
  }
}

/**
 * Bundles the entries into `dir` (code-split: what the program imports dynamically, such as the
 * server and ssh2, stays out of a client's start-up) and points the files at each other.
 */
async function bundle(dir: string, kind: string): Promise<string[]> {
  const entries = join(dir, "..", "entries");
  await Deno.mkdir(entries, { recursive: true });
  for (const [name, source] of ENTRIES) {
    await Deno.writeTextFile(join(entries, `${name}.ts`), source);
  }
  await run(Deno.execPath(), [
    "bundle",
    "--quiet",
    "--frozen",
    "--platform",
    "deno",
    "--code-splitting",
    // Half the bytes to load at every start (3-6 ms here). No --keep-names: with it Deno 2.9.6
    // leaves out the `require` that ssh2 needs, so nothing may depend on a function's name.
    "--minify",
    // ssh2's optional native addons: it falls back to JavaScript when they are missing.
    "--external",
    "cpu-features",
    "--external",
    "*.node",
    "--outdir",
    dir,
    ...ENTRIES.map(([name]) => join(entries, `${name}.ts`)),
  ]);
  await Deno.remove(entries, { recursive: true });
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.endsWith(".js")) {
      throw new DistError(`unexpected bundle output ${e.name}`);
    }
    names.push(e.name);
  }
  names.sort();
  const date = new Date().toISOString().slice(0, 10);
  const mark = `DTAIL_BUILD_INFO:kind=${kind};commit=${await commit()};date=${date}`;
  let marks = 0;
  let lazyRequires = 0;
  let usings = 0;
  const started = new Set<string>();
  for (const name of names) {
    const path = join(dir, name);
    let text = await Deno.readTextFile(path);
    // Workers start from a URL relative to the module that starts them: in the bundle, the
    // directory of all output files, where the worker entries are.
    for (const [worker] of ENTRIES.slice(1)) {
      if (text.includes(`"./${worker}.ts"`)) started.add(worker);
      text = text.replaceAll(`"./${worker}.ts"`, `"./${worker}.js"`);
    }
    // esbuild's helpers create a CommonJS `require` when loaded, importing node:module (~20 ms
    // of start-up) even where no CommonJS package is used: create it at the first call instead.
    const eager = text.match(EAGER_REQUIRE);
    if (eager) {
      text = text.replace(EAGER_REQUIRE, lazyRequire(eager[1]!));
      lazyRequires++;
    }
    // ssh2 is CommonJS and uses __dirname, which an ES module bundle does not define.
    if (/\b__(dirname|filename)\b/.test(text)) {
      text = "var __filename = import.meta.filename, __dirname = import.meta.dirname;\n" + text;
    }
    marks += text.split(BUILD_MARK).length - 1;
    usings += countUsings(text, true);
    text = text.replaceAll(BUILD_MARK, mark);
    await Deno.writeTextFile(path, text);
  }
  if (marks !== 1) throw new DistError(`expected the build mark once in the bundle, saw ${marks}`);
  if (lazyRequires === 0) throw new DistError("esbuild's eager require was not found to defer");
  const written = await usingsInSources();
  if (usings < written) {
    throw new DistError(
      `the minified bundle has ${usings} of the sources' ${written} \`using\` declarations: ` +
        "esbuild drops a `using` whose one use is the next statement; release it in a finally",
    );
  }
  for (const [worker] of ENTRIES.slice(1)) {
    if (!started.has(worker)) {
      throw new DistError(`nothing starts ${worker}.js: the worker URL was not found to rewrite`);
    }
  }
  // re2js_matcher.ts loads re2js's CommonJS build from beside the bundle (re2jsBuildUrl).
  const re2js = new URL("index.cjs", import.meta.resolve("re2js"));
  await Deno.copyFile(re2js, join(dir, "re2js.cjs"));
  names.push("re2js.cjs");
  return names;
}

/** The `using` declarations in the program's sources. */
async function usingsInSources(): Promise<number> {
  let count = 0;
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path);
      else if (/(?<!_test|_bench)\.ts$/.test(e.name)) {
        count += countUsings(await Deno.readTextFile(path), false);
      }
    }
  };
  for (const dir of SOURCE_DIRS) await walk(join(ROOT, dir));
  return count;
}

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

/** Writes the client links and SHA256SUMS beside `dtail` and `dserver`. */
async function finish(out: string): Promise<void> {
  // Hard links: a compiled binary knows only the path it was started by (/proc/self/exe), which
  // a symlink would resolve to dtail; the self-extracting stub reads argv[0] and takes either.
  for (const name of CLIENT_NAMES) {
    await Deno.remove(join(out, name)).catch(() => {});
    await Deno.link(join(out, "dtail"), join(out, name));
  }
  const sums = [];
  for (const name of ["dtail", "dserver"]) sums.push(`${await sha256(join(out, name))}  ${name}`);
  await Deno.writeTextFile(join(out, "SHA256SUMS"), sums.join("\n") + "\n");
}

/** `deno compile` with DENORT_BIN; null when there is no usable denort. */
async function compiled(build: string, files: string[]): Promise<string | null> {
  const exe = join(build, "..", "dtail-compiled");
  const includes = files.filter((f) => f !== "main.js").flatMap((f) => ["--include", f]);
  try {
    await run(Deno.execPath(), [
      "compile",
      ...RUN_FLAGS.filter((f) => !["--no-prompt", "--no-lock", "--no-remote"].includes(f)),
      ...includes,
      "-o",
      exe,
      "main.js",
    ], build);
    // DENORT_BIN=<a full deno> gives a binary that only prints Deno's help: not a denort.
    const version = await run(exe, ["--version"]);
    if (!version.startsWith("DTail for Deno")) {
      console.error(
        "dist: the compiled file does not run the program (DENORT_BIN is a full deno?)",
      );
      return null;
    }
    return exe;
  } catch (err) {
    // deno's own reason, without its colors: the first cause, or the error line.
    const lines = (err instanceof Error ? err.message : String(err))
      // deno-lint-ignore no-control-regex
      .replace(/\x1b\[[0-9;]*m/g, "").split("\n");
    const why = (lines.find((l) => /^\s*1: /.test(l)) ?? lines.find((l) => /error/.test(l)) ?? "")
      .replace(/^\s*(1: |error: )/, "").trim();
    console.error(`dist: no denort for deno compile (${why}); building self-extracting files`);
    return null;
  }
}

async function main(): Promise<void> {
  const outIndex = Deno.args.indexOf("--out");
  const out = resolve(ROOT, outIndex >= 0 ? Deno.args[outIndex + 1] ?? "dist" : "dist");
  const work = join(out, ".build");
  const build = join(work, "program");
  await Deno.remove(work, { recursive: true }).catch(() => {});
  await Deno.mkdir(build, { recursive: true });
  const started = performance.now();

  // deno compile finds denort through DENORT_BIN, its cache or Deno's download server; it fails
  // within seconds where none of them is there. DTAIL_DIST=sfx skips the attempt.
  const trySfxOnly = Deno.env.get("DTAIL_DIST") === "sfx";
  let exe = trySfxOnly ? null : await compiled(build, await bundle(build, "compiled"));
  if (exe === null) {
    await Deno.remove(build, { recursive: true });
    await Deno.mkdir(build);
    const files = await bundle(build, "self-extracting");
    await Deno.copyFile(Deno.execPath(), join(work, "deno"));
    const stub = join(work, "stub");
    await buildStub(stub);
    exe = join(work, "dtail-sfx");
    const { size, hash } = await packSfx({
      stub,
      out: exe,
      files: [
        { name: "deno", path: join(work, "deno"), mode: 0o755 },
        ...files.map((name) => ({ name, path: join(build, name), mode: 0o644 })),
      ],
      exec: "deno",
      argv: ["{dir}/deno", "run", ...RUN_FLAGS, "{dir}/main.js"],
      env: ["DENO_DIR={dir}/deno-dir", "DENO_NO_UPDATE_CHECK=1", "DENO_NO_PROMPT=1"],
    });
    console.error(`dist: self-extracting, ${(size / 1e6).toFixed(1)} MB, payload ${hash}`);
  }
  for (const name of ["dtail", "dserver"]) {
    const tmp = join(out, `.${name}.tmp`);
    await Deno.copyFile(exe, tmp);
    await Deno.chmod(tmp, 0o755);
    await Deno.rename(tmp, join(out, name));
  }
  await finish(out);
  await Deno.remove(work, { recursive: true });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.error(`dist: ${out}/{dtail,dserver} and links ${CLIENT_NAMES.join(", ")} (${seconds} s)`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (err) {
    if (!(err instanceof DistError)) throw err;
    console.error(`dist: ${err.message}`);
    Deno.exit(1);
  }
}
