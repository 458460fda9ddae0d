/**
 * What a run loads (docs/performance.md#start-up): every module costs start-up time, so a run
 * must not load code it does not run. Checked without timing: the run gets an import map that
 * points the code it must not load (SSH, the server, dmap, …) at files that do not exist, so
 * loading any of it fails the run. Runs as the launchers do, with lazy dynamic imports.
 */
import assert from "node:assert/strict";
import { DENO_DIR, ROOT, tempDir, V8_FLAGS } from "./helpers.ts";
import { RUN_FLAGS } from "../tools/dist.ts";

const LAZY = "--unstable-lazy-dynamic-imports";
const SAMPLE = `${ROOT}/tests/data/sample.log`;

/** Code a serverless dcat or dgrep never runs: folders end in `/`, `ssh2` is the npm package. */
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
  "app/interactive.ts",
  "app/help.ts",
  "app/color_table.ts",
];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program from the sources with every path in `missing` mapped to a missing file. */
async function runWithout(missing: string[], program: string, args: string[]): Promise<Outcome> {
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
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
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
      env: { DTAIL_PROGRAM: program, NO_COLOR: "", DENO_DIR },
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
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

Deno.test("a serverless dcat loads no SSH, server, MapReduce, resume, interactive or help code", async () => {
  const r = await runWithout(NOT_SERVERLESS, "dcat", ["--plain", SAMPLE]);
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  assert.deepEqual(r.stdout.trimEnd().split("\n"), await sampleLines());
});

Deno.test("a serverless dgrep loads no SSH, server, MapReduce, resume, interactive or help code", async () => {
  const r = await runWithout(NOT_SERVERLESS, "dgrep", ["--plain", "--grep", "ERROR", SAMPLE]);
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  assert.deepEqual(
    r.stdout.trimEnd().split("\n"),
    await sampleLines((l) => l.includes("ERROR")),
  );
});

Deno.test("a serverless dmap loads no SSH, server, resume or interactive code", async () => {
  const notDmap = NOT_SERVERLESS.filter((p) => p !== "core/mapr/" && p !== "cli/mapreduce.ts");
  const r = await runWithout(notDmap, "dmap", [
    "--plain",
    "--query",
    "select count($line) logformat generic",
    "--files",
    SAMPLE,
  ]);
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  assert.match(r.stdout, new RegExp(`^\\s+${(await sampleLines()).length}\\s*$`, "m"));
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
    for (const flags of ["--allow-all", `--allow-all ${LAZY}`]) {
      const out = await new Deno.Command("bash", {
        args: [`${dir}/tools/write_launchers.sh`, Deno.execPath(), flags, "dcat"],
      }).output();
      assert.ok(out.success);
      const launcher = await Deno.readTextFile(`${dir}/bin/dcat`);
      assert.equal(launcher.split(LAZY).length - 1, 1, launcher);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.ok(RUN_FLAGS.includes(LAZY));
});
