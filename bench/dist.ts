/**
 * The dist/ binaries (`make dist`) against the bin/ launchers, in the same run: file sizes, first
 * run (unpacking into an empty cache), warm start-up of `--version` and of a serverless dcat of a
 * small file, and the serverless throughput rows. Targets (the standalone issue): warm start-up
 * at most 1.2x the launcher's, first run under 2 s, files at most 45 MB, throughput within 10%.
 */
import { join, resolve } from "node:path";
import { BIN_DIR, DATA_DIR, display, DIST_DIR, pairCases } from "./cases.ts";
import type { DataSet } from "./generate.ts";
import { measureOnce, median, outputDigest, type Sample } from "./measure.ts";
import { appendHistory, machineInfo } from "./report.ts";

/** The 15 KB sample log of the README's first command. */
const SMALL_FILE = resolve(BIN_DIR, "..", "tests", "data", "sample.log");
const STARTUP_RUNS = 15;
const FIRST_RUNS = 3;
const SIZE_LIMIT_MB = 45;
const STARTUP_RATIO = 1.2;
const FIRST_RUN_LIMIT_S = 2;
const THROUGHPUT_TOLERANCE = 0.1;

interface Row {
  readonly name: string;
  readonly measured: string;
  readonly target: string;
  readonly pass: boolean;
  readonly details: string;
}

const fixed = (n: number, digits: number) => Number.isFinite(n) ? n.toFixed(digits) : "n/a";
const seconds = (samples: readonly Sample[]) => median(samples.map((s) => s.seconds));

/** Both commands alternately, order swapped each round; medians of wall seconds. */
async function alternate(a: string[], b: string[], runs: number): Promise<[number, number]> {
  const sa: Sample[] = [];
  const sb: Sample[] = [];
  for (let round = 0; round < runs; round++) {
    if (round % 2 === 0) {
      sa.push(await measureOnce(a));
      sb.push(await measureOnce(b));
    } else {
      sb.push(await measureOnce(b));
      sa.push(await measureOnce(a));
    }
  }
  return [seconds(sa), seconds(sb)];
}

async function sizeRows(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const name of ["dtail", "dserver"]) {
    const mb = (await Deno.stat(join(DIST_DIR, name))).size / 1e6;
    rows.push({
      name: `size of dist/${name}`,
      measured: `${fixed(mb, 1)} MB`,
      target: `<= ${SIZE_LIMIT_MB} MB`,
      pass: mb <= SIZE_LIMIT_MB,
      details: "one file: the pinned Deno and the bundled program, compressed",
    });
  }
  return rows;
}

async function firstRunRow(): Promise<Row> {
  const times: number[] = [];
  for (let i = 0; i < FIRST_RUNS; i++) {
    const cache = await Deno.makeTempDir({ prefix: "bench-sfx-" });
    try {
      const t0 = performance.now();
      const out = await new Deno.Command(join(DIST_DIR, "dtail"), {
        args: ["--version"],
        env: { DTAIL_SFX_CACHE: cache },
        stdout: "null",
        stderr: "piped",
      }).output();
      if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
      times.push((performance.now() - t0) / 1000);
    } finally {
      await Deno.remove(cache, { recursive: true });
    }
  }
  const s = median(times);
  return {
    name: "first run: `dist/dtail --version` on an empty cache (unpacks)",
    measured: `${fixed(s, 3)} s`,
    target: `< ${FIRST_RUN_LIMIT_S} s`,
    pass: s < FIRST_RUN_LIMIT_S,
    details: `median of ${FIRST_RUNS} (${times.map((t) => fixed(t, 2)).join(", ")} s)`,
  };
}

async function startupRows(): Promise<Row[]> {
  // Warm: the cache the default location gives (unpacked by the first of these runs).
  await measureOnce([join(DIST_DIR, "dtail"), "--version"]);
  const small = SMALL_FILE;
  const cases: [string, string[], string[]][] = [
    ["`dtail --version`", [join(DIST_DIR, "dtail"), "--version"], [
      join(BIN_DIR, "dtail"),
      "--version",
    ]],
    ["`dcat --plain sample.log` (15 KB)", [join(DIST_DIR, "dcat"), "--plain", small], [
      join(BIN_DIR, "dcat"),
      "--plain",
      small,
    ]],
  ];
  const rows: Row[] = [];
  for (const [name, dist, launcher] of cases) {
    const [d, l] = await alternate(dist, launcher, STARTUP_RUNS);
    rows.push({
      name: `warm start-up: ${name}, dist vs launcher`,
      measured: `${fixed(d / l, 2)}x (${fixed(d, 3)} s vs ${fixed(l, 3)} s)`,
      target: `<= ${STARTUP_RATIO}x`,
      pass: d / l <= STARTUP_RATIO,
      details: `median of ${STARTUP_RUNS} each, alternating`,
    });
  }
  return rows;
}

async function throughputRows(data: DataSet, runs: number): Promise<Row[]> {
  const rows: Row[] = [];
  const launcherCases = pairCases(data);
  const distCases = pairCases(data, DIST_DIR);
  for (let i = 0; i < launcherCases.length; i++) {
    const launcher = [...launcherCases[i]!.ours];
    const dist = [...distCases[i]!.ours];
    const same = (await outputDigest(dist)) === (await outputDigest(launcher));
    const [d, l] = await alternate(dist, launcher, runs);
    const ratio = l / d; // throughput of dist over the launcher's
    rows.push({
      name: `throughput: \`${display(launcher).replace(/^bin\//, "")}\`, dist vs launcher`,
      measured: `${fixed(ratio, 2)}x (${fixed(d, 3)} s vs ${fixed(l, 3)} s)`,
      target: `${1 - THROUGHPUT_TOLERANCE}x–${1 + THROUGHPUT_TOLERANCE}x or faster`,
      pass: same && ratio >= 1 - THROUGHPUT_TOLERANCE,
      details: same ? `median of ${runs} each; same output` : "**output differs**",
    });
  }
  return rows;
}

function table(rows: readonly Row[]): string {
  const lines = [
    "| Case | Measured | Target | Result | Details |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${r.measured} | ${r.target} | ${
        r.pass ? "PASS" : "**MISS**"
      } | ${r.details} |`,
    );
  }
  return lines.join("\n");
}

/** Appends the dist section to bench/results/history.md; skipped when dist/ was not built. */
export async function runDistBench(data: DataSet, runs: number): Promise<void> {
  if (!(await Deno.stat(join(DIST_DIR, "dtail")).catch(() => null))) {
    console.error("bench: dist/ not built (make dist): dist rows skipped");
    return;
  }
  const started = performance.now();
  console.error("bench: dist binaries against the launchers");
  const rows = [
    ...await sizeRows(),
    await firstRunRow(),
    ...await startupRows(),
    ...await throughputRows(data, runs),
  ];
  const misses = rows.filter((r) => !r.pass).length;
  const minutes = (performance.now() - started) / 60_000;
  const report = [
    `## Dist benchmark ${new Date().toISOString().slice(0, 10)}`,
    await machineInfo(runs, Deno.loadavg()),
    `- dist/ (make dist) against bin/ launchers, same run; ${misses} target(s) missed; ` +
    `took ${fixed(minutes, 1)} min; data in ${display([DATA_DIR])}`,
    "",
    table(rows),
  ].join("\n");
  console.log(report);
  appendHistory(report);
}

if (import.meta.main) {
  const { ensureData } = await import("./generate.ts");
  const { runCount } = await import("./cases.ts");
  await runDistBench(await ensureData(DATA_DIR), runCount());
}
