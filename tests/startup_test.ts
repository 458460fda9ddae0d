/**
 * What a run loads (docs/performance.md#start-up): every module costs start-up time, so a run
 * must not load code it does not run. Checked without timing: the run gets an import map that
 * points the code it must not load (SSH, the server, dmap, …) at files that do not exist, so
 * loading any of it fails the run. Runs as the launchers do, with lazy dynamic imports.
 */
import assert from "node:assert/strict";
import { DENO_DIR, ROOT, tempDir, V8_FLAGS } from "./helpers.ts";
import { launcherRunFlags, RUN_FLAGS } from "../tools/dist.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

const LAZY = "--unstable-lazy-dynamic-imports";
const SAMPLE = `${ROOT}/tests/data/sample.log`;

/**
 * Code a serverless dcat or dgrep of files never runs (journalctl's reader only for a `journal:`
 * target): folders end in `/`, `ssh2` is the npm package.
 */
const NOT_SERVERLESS = [
  "ssh2",
  "cli/ssh/",
  "cli/session/",
  "cli/interactive/",
  "cli/resume/",
  "ssh/",
  "server/",
  "core/mapr/",
  "cli/remote.ts",
  "cli/remote_session.ts",
  "cli/mapreduce.ts",
  "cli/health.ts",
  "core/journal.ts",
  "app/interactive.ts",
  "app/help.ts",
  "app/color_table.ts",
];

/**
 * The regex engine: a run without a pattern (dcat), or whose patterns are plain strings (`dgrep
 * ERROR`, a `dmap` table filter: core/literal_matcher.ts), never loads it.
 */
const REGEX_ENGINE = [
  "re2js",
  "core/matcher.ts",
  "core/irregexp_matcher.ts",
  "core/re2js_matcher.ts",
  "core/re2_translate.ts",
  "core/regex_cost.ts",
  "core/required_literals.ts",
  "core/line_pattern.ts",
  "core/re2_syntax.ts",
];

/**
 * Code a serverless read of plain files by name, without a regex, never runs: the printer of
 * `--json` (and the SSH client's, whose bars it finds), the regex pool, byte sequences (a regex's),
 * decompression on a worker, directory listings (a glob's).
 */
const NOT_PLAIN_READ = [
  "core/json_printer.ts",
  "core/message_printer.ts",
  "core/regex_pool.ts",
  "core/byte_sequence.ts",
  "core/decompress_parallel.ts",
  "core/chunk_ring.ts",
  "core/dir_batches.ts",
];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  /** Flags of `deno run` before the program's own. */
  readonly denoFlags?: string[];
  /** Reads the output only after this long, so that the run has to wait and yield its turns. */
  readonly readAfterMs?: number;
  readonly env?: Record<string, string>;
}

/** Runs a program from the sources with every path in `missing` mapped to a missing file. */
async function runWithout(
  missing: string[],
  program: string,
  args: string[],
  options: RunOptions = {},
): Promise<Outcome> {
  const dir = await tempDir("dtail-startup-");
  try {
    const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
    const imports: Record<string, string> = { ...config.imports };
    for (const path of missing) {
      const key = path.includes("/") ? `file://${ROOT}/${path}` : path;
      imports[key] = `file://${dir}/missing/${path.includes("/") ? path : `${path}.js`}`;
    }
    const map = `${dir}/import_map.json`;
    await Deno.writeTextFile(map, JSON.stringify({ imports }));
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...(options.denoFlags ?? []),
        V8_FLAGS,
        "--allow-all",
        "--no-prompt",
        "--frozen",
        "--cached-only",
        LAZY,
        "--import-map",
        map,
        `${ROOT}/app/main.ts`,
        ...args,
      ],
      env: { DTAIL_PROGRAM: program, NO_COLOR: "", DENO_DIR, ...options.env },
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (options.readAfterMs !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, options.readAfterMs));
    }
    const out = await child.output();
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const sampleLines = async (keep: (line: string) => boolean = () => true) =>
  (await Deno.readTextFile(SAMPLE)).split("\n").filter((l) => l !== "" && keep(l));

Deno.test("a run that needs code mapped away fails: the import map of these tests takes effect", async () => {
  const r = await runWithout(NOT_SERVERLESS, "dcat", [
    "--servers",
    "127.0.0.1:1",
    "--plain",
    SAMPLE,
  ]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /missing\/cli\/remote\.ts/);
});

Deno.test("a serverless dcat loads no SSH, server, MapReduce, resume, interactive, help or regex code", async () => {
  const missing = [...NOT_SERVERLESS, ...REGEX_ENGINE, ...NOT_PLAIN_READ];
  const r = await runWithout(missing, "dcat", ["--plain", SAMPLE]);
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  assert.deepEqual(r.stdout.trimEnd().split("\n"), await sampleLines());
  const json = await runWithout(NOT_PLAIN_READ, "dcat", ["--json", SAMPLE]);
  assert.notEqual(json.code, 0, "--json loads its printer");
  assert.match(json.stderr, /missing\/core\/json_printer\.ts/);
});

/** A serverless dgrep of SAMPLE with `pattern` prints the lines `keep` selects, and no more. */
async function assertGrepsSample(
  missing: string[],
  pattern: string,
  keep: (line: string) => boolean,
): Promise<void> {
  const r = await runWithout(missing, "dgrep", ["--plain", "--grep", pattern, SAMPLE]);
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  assert.deepEqual(r.stdout.trimEnd().split("\n"), await sampleLines(keep));
}

Deno.test("a serverless dgrep of a plain string loads no SSH, server, MapReduce, resume, interactive, help or regex code", async () => {
  await assertGrepsSample(
    [...NOT_SERVERLESS, ...REGEX_ENGINE, ...NOT_PLAIN_READ],
    "ERROR",
    (l) => l.includes("ERROR"),
  );
});

Deno.test("a serverless dgrep of an escaped literal loads no regex code, and of a regex does", async () => {
  await assertGrepsSample(REGEX_ENGINE, "ERROR\\|", (l) => l.includes("ERROR|"));
  const regex = await runWithout(REGEX_ENGINE, "dgrep", ["--plain", "--grep", "ERR.R", SAMPLE]);
  assert.notEqual(regex.code, 0);
  assert.match(regex.stderr, /missing\/core\/matcher\.ts/);
});

/** What a serverless dmap must not load: NOT_SERVERLESS but the MapReduce code, and the regex engine. */
const NOT_DMAP = [
  ...NOT_SERVERLESS.filter((p) => p !== "core/mapr/" && p !== "cli/mapreduce.ts"),
  ...REGEX_ENGINE,
];

/** A serverless dmap of `query` on `file`, loading none of NOT_DMAP, counts `count` lines. */
async function assertDmapCounts(query: string, file: string, count: number): Promise<void> {
  assert.ok(count > 0);
  const r = await runWithout(NOT_DMAP, "dmap", ["--plain", "--query", query, "--files", file]);
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  assert.match(r.stdout, new RegExp(`^\\s+${count}\\s*$`, "m"));
}

Deno.test("a serverless dmap loads no SSH, server, resume, interactive or regex code", async () => {
  const lines = (await sampleLines()).length;
  await assertDmapCounts("select count($line) logformat generic", SAMPLE, lines);
});

Deno.test("a serverless dmap of a table matches its filter without the regex engine", async () => {
  const file = `${ROOT}/tests/testdata/dtail-upstream/mapr_testdata.log`;
  const stats = (await Deno.readTextFile(file)).split("\n")
    .filter((l) => l.includes("|MAPREDUCE:STATS|")).length;
  await assertDmapCounts("from STATS select count($line)", file, stats);
});

/**
 * Node's timers: Deno's global `setTimeout` loads `ext:deno_node/timers.ts` and ~20 modules more
 * at its first call (core/delay.ts). The debug log names every module a run loads.
 */
const NODE_MODULE = /ES module: ext:deno_node\//;
/** The module of btoa and atob, which Deno loads at their first call. */
const DENO_LAZY_MODULE = /ES module: ext:deno_web\/05_base64\.js/;

Deno.test("a serverless dcat, dgrep and dmap that yield their turns load none of Deno's Node modules", async () => {
  const dir = await tempDir("dtail-startup-data-");
  try {
    // ~30 MB, read out only after 300 ms: the runs wait on the pipe and yield many turns.
    const file = `${dir}/big.log`;
    const sample = await Deno.readTextFile(SAMPLE);
    const copies = Math.ceil(30e6 / sample.length);
    await Deno.writeTextFile(file, sample.repeat(copies));
    const lines = (await sampleLines()).length * copies;
    const options = { denoFlags: ["-L", "debug"], readAfterMs: 300 };
    const notCat = [...NOT_SERVERLESS, ...REGEX_ENGINE];
    const cat = await runWithout(notCat, "dcat", ["--plain", file], options);
    assert.equal(cat.code, 0);
    assert.equal(cat.stdout.split("\n").length - 1, lines);
    assert.match(cat.stderr, /ES module: file:\/\/\S+\/core\/turns\.ts/);
    assert.doesNotMatch(cat.stderr, NODE_MODULE);
    const grep = await runWithout(
      NOT_SERVERLESS,
      "dgrep",
      ["--plain", "--grep", "2026", file],
      options,
    );
    assert.equal(grep.code, 0);
    assert.equal(grep.stdout.split("\n").length - 1, lines);
    assert.doesNotMatch(grep.stderr, NODE_MODULE);
    const map = await runWithout([], "dmap", [
      "--plain",
      "--query",
      "select count($line) logformat generic",
      "--files",
      SAMPLE,
    ], { denoFlags: ["-L", "debug"] });
    assert.equal(map.code, 0);
    assert.match(map.stdout, /count\(\$line\)/);
    assert.doesNotMatch(map.stderr, NODE_MODULE);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "a dcat and a plain-string dgrep over SSH with a key file load neither ssh2, Node's modules, Deno's base64 module, the regex engine nor the serverless, query, resume, interactive, time or journal code",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    try {
      // The ssh2 client and everything that loads it, mapped away: the native client serves.
      const ssh2Side = ["ssh2", "cli/ssh/connect.ts", "cli/ssh/ssh2_client.ts", "server/"];
      const notRemoteDcat = [
        ...ssh2Side,
        ...REGEX_ENGINE,
        "core/mapr/",
        "core/protocol/session_spec_decode.ts",
        "cli/serverless.ts",
        "core/pipeline.ts",
        "cli/resume/resume_state.ts",
        "cli/interactive/",
        // Without --since or a journal target: neither the time parsers nor journalctl's reader.
        "core/journal.ts",
        "core/time_window.ts",
        "core/log_time.ts",
      ];
      const remote = ["--cfg", "none", "--user", "dtail-alice", "--trustAllHosts"];
      const env = { HOME: client.home, SSH_AUTH_SOCK: "" };
      const r = await runWithout(
        notRemoteDcat,
        "dcat",
        [...remote, "--servers", server.address, "--plain", SAMPLE],
        { denoFlags: ["-L", "debug"], env },
      );
      assert.equal(r.code, 0, r.stderr.split("\n").filter((l) => !l.includes("DEBUG")).join("\n"));
      assert.equal(r.stdout, await Deno.readTextFile(SAMPLE));
      assert.match(r.stderr, /ES module: file:\/\/\S+\/cli\/ssh\/native\/transport\.ts/);
      assert.doesNotMatch(r.stderr, NODE_MODULE);
      // Deno loads btoa's and atob's module at their first call: V8's base64 serves instead.
      assert.doesNotMatch(r.stderr, DENO_LAZY_MODULE);
      // The servers match a plain string: the client has nothing to compile.
      const grep = await runWithout(
        notRemoteDcat,
        "dgrep",
        [...remote, "--servers", server.address, "--plain", "--grep", "ERROR", SAMPLE],
        { env },
      );
      assert.equal(grep.code, 0, grep.stderr);
      const lines = (await Deno.readTextFile(SAMPLE)).split("\n").filter((l) =>
        l.includes("ERROR")
      );
      assert.ok(lines.length > 0);
      assert.equal(grep.stdout, lines.map((l) => l + "\n").join(""));
    } finally {
      await server.stop();
      await Deno.remove(client.home, { recursive: true });
    }
  },
});

Deno.test("a serverless dcat of a small .gz file inflates it without Node's zlib", async () => {
  const dir = await tempDir("dtail-startup-gz-");
  try {
    const sample = await Deno.readFile(SAMPLE);
    const gz = await new Deno.Command("gzip", { args: ["-c"], stdin: "piped", stdout: "piped" })
      .spawn();
    const writer = gz.stdin.getWriter();
    await writer.write(sample);
    await writer.close();
    const file = `${dir}/small.log.gz`;
    await Deno.writeFile(file, (await gz.output()).stdout);
    const r = await runWithout([], "dcat", ["--plain", file], { denoFlags: ["-L", "debug"] });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, new TextDecoder().decode(sample));
    assert.match(r.stderr, /ES module: file:\/\/\S+\/core\/libz\.ts/);
    assert.doesNotMatch(r.stderr, NODE_MODULE);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the check for Node's modules sees them when a run loads them", async () => {
  // The same check on a run that calls setTimeout: dtail stops after --shutdownAfter by a timer.
  const r = await runWithout([], "dtail", ["--plain", "--shutdownAfter", "1", SAMPLE], {
    denoFlags: ["-L", "debug"],
  });
  assert.match(r.stderr, NODE_MODULE);
});

Deno.test("--version and --help load neither the config, the settings nor any client code", async () => {
  const notVersion = [...NOT_SERVERLESS, "cli/", "app/run_program.ts", "app/settings.ts"];
  const version = await runWithout([...notVersion, "core/config.ts"], "dcat", ["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^DTail for Deno \S+ Protocol /);
  const withoutHelp = notVersion.filter((p) => p !== "app/help.ts");
  const help = await runWithout(withoutHelp, "dcat", ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: dcat /);
});

Deno.test("the bin/ launchers and the dist build import dynamic imports lazily", async () => {
  const dir = await tempDir("dtail-launchers-");
  try {
    // write_launchers.sh writes into the checkout its own file is in: a copy of it, here.
    await Deno.mkdir(`${dir}/tools`);
    await Deno.copyFile(`${ROOT}/tools/write_launchers.sh`, `${dir}/tools/write_launchers.sh`);
    // `make bin` passes the Makefile's DENO_RUN_FLAGS, which dist.ts reads too.
    const flags = launcherRunFlags().join(" ");
    const out = await new Deno.Command("bash", {
      args: [`${dir}/tools/write_launchers.sh`, Deno.execPath(), flags, "dcat"],
    }).output();
    assert.ok(out.success);
    const launcher = await Deno.readTextFile(`${dir}/bin/dcat`);
    assert.equal(launcher.split(LAZY).length - 1, 1, launcher);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.ok(RUN_FLAGS.includes(LAZY));
});
