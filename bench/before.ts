/**
 * `make bench-before [REV=<rev>] [BEFORE_DIR=<checkout>]`: the serverless throughput cases of
 * `make bench` (bench/cases.ts), this checkout against an earlier commit, in one run.
 *
 * REV (default HEAD~1) is checked out as a detached git worktree in a temporary directory, with
 * this checkout's .tools/ symlinked into it (same Deno, same DENO_DIR cache, no network), and its
 * `make bin` builds the launchers there. BEFORE_DIR=<path> uses an existing checkout with bin/
 * instead. Each case runs one untimed warm-up per side that also compares the outputs (cksum),
 * then BENCH_RUNS rounds (default 9) of before and now alternately, the order swapped every round.
 * Wall time is noisy on a small shared machine, so the CPU time of the command (user + sys from
 * GNU time) is reported next to it. A row passes when now/before is at most 1.05 in CPU or in
 * wall time (medians). The report is printed and appended to bench/results/history.md.
 * Exits 0 when every case was measured, slower rows included; 1 when something could not be.
 */
import { join, resolve } from "node:path";
import { DATA_DIR, display, type PairCase, pairCases, runCount } from "./cases.ts";
import { ensureData, LOG_BYTES } from "./generate.ts";
import {
  CommandFailed,
  measureOnce,
  median,
  outputDigest,
  type Sample,
  TIME_BIN,
} from "./measure.ts";
import { appendHistory, HISTORY_FILE, machineInfo } from "./report.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "..");
const DEFAULT_REV = "HEAD~1";
/** now/before above this in both CPU and wall time makes a row **SLOWER**. */
const TOLERANCE = 1.05;
/** Programs the cases run; a BEFORE_DIR without them cannot be measured. */
const NEEDED_PROGRAMS = ["dcat", "dgrep"];

/** The checkout whose bin/ is "before", and how to get rid of it afterwards. */
interface BeforeCheckout {
  readonly dir: string;
  /** Short sha (worktree) or `git describe --always --dirty` (BEFORE_DIR). */
  readonly commit: string;
  /** How it was chosen, for the report. */
  readonly origin: string;
  readonly cleanup: () => Promise<void>;
}

interface CaseResult {
  readonly name: string;
  readonly beforeWall: number;
  readonly nowWall: number;
  readonly beforeCpu: number;
  readonly nowCpu: number;
  readonly sameOutput: boolean;
  /** Set when a command failed; the numbers are then NaN. */
  readonly failure?: string;
}

class SetupFailed extends Error {}

/** Removes the temporary worktree once it exists: at the end, on failure, or on a signal. */
let pendingCleanup: (() => Promise<void>) | undefined;
/** Set by SIGINT/SIGTERM/SIGHUP: no further runs, no report. */
let interrupted = false;

function stopIfInterrupted(): void {
  if (interrupted) throw new SetupFailed("interrupted; nothing reported");
}

function progress(message: string): void {
  console.error(`bench-before: ${message}`);
}

interface RunOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  readonly clearEnv?: boolean;
}

/** Runs a command to completion; its trimmed stdout, or SetupFailed with the end of its output. */
async function run(
  cmd: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await new Deno.Command(cmd, {
    args: [...args],
    cwd: options.cwd ?? ROOT,
    ...(options.env === undefined ? {} : { env: options.env }),
    clearEnv: options.clearEnv ?? false,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!result.success) {
    const output = `${decoder.decode(result.stdout)}\n${decoder.decode(result.stderr)}`.trim();
    const tail = output.split("\n").slice(-15).join("\n");
    throw new SetupFailed(`${cmd} ${args.join(" ")} exited with ${result.code}\n${tail}`);
  }
  return decoder.decode(result.stdout).trim();
}

const git = (args: readonly string[], cwd = ROOT) => run("git", args, { cwd });

/**
 * The environment for the worktree's `make bin`: ours without make's own variables, so that the
 * REV=... and BEFORE_DIR=... given to our make do not reach it as command-line overrides.
 */
function buildEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of ["MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"]) delete env[name];
  env["DENO_NO_UPDATE_CHECK"] = "1";
  return env;
}

async function checkBin(dir: string): Promise<void> {
  for (const program of NEEDED_PROGRAMS) {
    const path = join(dir, "bin", program);
    const info = await Deno.stat(path).catch(() => null);
    if (!info?.isFile || ((info.mode ?? 0o111) & 0o111) === 0) {
      throw new SetupFailed(`${path} is missing or not executable`);
    }
  }
}

async function existingCheckout(given: string): Promise<BeforeCheckout> {
  const dir = resolve(given);
  await checkBin(dir);
  const commit = await git(["describe", "--always", "--dirty"], dir).catch(() => "unknown");
  return { dir, commit, origin: `BEFORE_DIR=${dir}`, cleanup: async () => {} };
}

/** `git worktree add --detach` of rev under a fresh temporary directory, then its `make bin`. */
async function worktreeCheckout(rev: string): Promise<BeforeCheckout> {
  const sha = await git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]).catch(() => {
    throw new SetupFailed(`REV=${rev} is not a commit of this repository`);
  });
  const short = await git(["rev-parse", "--short", sha]);
  const tmp = await Deno.makeTempDir({ prefix: "dtail-bench-before-" });
  const dir = join(tmp, `dtail-before-${short}`);
  let removal: Promise<void> | undefined;
  const cleanup = () => removal ??= removeWorktree();
  const removeWorktree = async () => {
    // The .tools symlink goes first: nothing below may reach our own .tools/ through it.
    await Deno.remove(join(dir, ".tools")).catch(() => {});
    if (await Deno.lstat(dir).then(() => true, () => false)) {
      await git(["worktree", "remove", "--force", dir]).catch(async (err) => {
        progress(`git worktree remove failed (${err.message}); deleting and pruning instead`);
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        await git(["worktree", "prune"]).catch(() => {});
      });
    }
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  };
  pendingCleanup = cleanup;
  try {
    progress(`checking out ${short} (REV=${rev}) in ${dir}`);
    await git(["worktree", "add", "--detach", dir, sha]);
    await Deno.symlink(join(ROOT, ".tools"), join(dir, ".tools"));
    progress(`make bin in ${dir}`);
    await run("make", ["--no-print-directory", "bin"], {
      cwd: dir,
      env: buildEnv(),
      clearEnv: true,
    });
    await checkBin(dir);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { dir, commit: short, origin: `REV=${rev}`, cleanup };
}

function prepareBefore(): Promise<BeforeCheckout> {
  const given = Deno.env.get("BEFORE_DIR");
  if (given) return existingCheckout(given);
  return worktreeCheckout(Deno.env.get("REV") || DEFAULT_REV);
}

const wall = (samples: readonly Sample[]) => median(samples.map((s) => s.seconds));
const cpu = (samples: readonly Sample[]) => median(samples.map((s) => s.cpuSeconds));

/** Warm-up that compares outputs, then before and now alternately, order swapped every round. */
async function measureCase(now: PairCase, before: PairCase, runs: number): Promise<CaseResult> {
  const beforeDigest = await outputDigest(before.ours);
  const nowDigest = await outputDigest(now.ours);
  const nowSamples: Sample[] = [];
  const beforeSamples: Sample[] = [];
  for (let round = 0; round < runs; round++) {
    stopIfInterrupted();
    if (round % 2 === 0) {
      beforeSamples.push(await measureOnce(before.ours));
      nowSamples.push(await measureOnce(now.ours));
    } else {
      nowSamples.push(await measureOnce(now.ours));
      beforeSamples.push(await measureOnce(before.ours));
    }
  }
  if (beforeDigest !== nowDigest) {
    progress(`output differs for ${display(now.ours)}: before ${beforeDigest}, now ${nowDigest}`);
  }
  return {
    name: display(now.ours),
    beforeWall: wall(beforeSamples),
    nowWall: wall(nowSamples),
    beforeCpu: cpu(beforeSamples),
    nowCpu: cpu(nowSamples),
    sameOutput: beforeDigest === nowDigest,
  };
}

function failedCase(now: PairCase, failure: string): CaseResult {
  return {
    name: display(now.ours),
    beforeWall: NaN,
    nowWall: NaN,
    beforeCpu: NaN,
    nowCpu: NaN,
    sameOutput: true,
    failure,
  };
}

async function measureCases(beforeDir: string, runs: number): Promise<CaseResult[]> {
  const data = await ensureData(DATA_DIR);
  const nowCases = pairCases(data);
  const beforeCases = pairCases(data, join(beforeDir, "bin"));
  const results: CaseResult[] = [];
  for (const [i, now] of nowCases.entries()) {
    const before = beforeCases[i];
    if (before === undefined) throw new Error("pairCases gave a different list for before");
    stopIfInterrupted();
    progress(display(now.ours));
    try {
      results.push(await measureCase(now, before, runs));
    } catch (err) {
      if (!(err instanceof CommandFailed)) throw err;
      stopIfInterrupted();
      progress(err.message);
      results.push(failedCase(now, err.message));
    }
  }
  return results;
}

const isSlower = (r: CaseResult) =>
  r.failure === undefined && !(r.nowCpu / r.beforeCpu <= TOLERANCE) &&
  !(r.nowWall / r.beforeWall <= TOLERANCE);

const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : "n/a";

function verdict(r: CaseResult): string {
  if (r.failure !== undefined) return `**FAIL**: ${r.failure.replaceAll("|", "\\|")}`;
  const result = isSlower(r) ? "**SLOWER**" : "PASS";
  return r.sameOutput ? result : `${result}, **output differs**`;
}

function comparisonTable(results: readonly CaseResult[]): string {
  const header = [
    "Case",
    "before wall s",
    "now wall s",
    "now/before wall",
    "before CPU s",
    "now CPU s",
    "now/before CPU",
    "Result",
  ];
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const rows = results.map((r) => [
    `\`${r.name}\``,
    fixed(r.beforeWall, 3),
    fixed(r.nowWall, 3),
    fixed(r.nowWall / r.beforeWall, 3),
    fixed(r.beforeCpu, 2),
    fixed(r.nowCpu, 2),
    fixed(r.nowCpu / r.beforeCpu, 3),
    verdict(r),
  ]);
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

interface Summary {
  readonly runs: number;
  readonly loadAtStart: readonly number[];
  readonly minutes: number;
  readonly before: BeforeCheckout;
  readonly now: string;
}

async function buildReport(summary: Summary, results: readonly CaseResult[]): Promise<string> {
  const slower = results.filter(isSlower).length;
  const failed = results.filter((r) => r.failure !== undefined).length;
  const differs = results.filter((r) => r.failure === undefined && !r.sameOutput).length;
  const { before } = summary;
  return [
    `## Before/now comparison ${new Date().toISOString().slice(0, 10)}`,
    await machineInfo(summary.runs, summary.loadAtStart),
    `- before: \`${before.commit}\` (${before.origin}); now: \`${summary.now}\`; ` +
    `before and now alternate, order swapped every round; took ${summary.minutes.toFixed(1)} min`,
    `- input: ${LOG_BYTES.toLocaleString("en")} B log (the \`make bench\` throughput cases); ` +
    `wall = median seconds seen from the bench, CPU = median user+sys seconds from GNU time; ` +
    `PASS when now/before <= ${TOLERANCE} in CPU or in wall time; GNU time counts CPU in ` +
    `10 ms steps, so below 0.2 s of CPU one step is more than 5%`,
    `- **${slower} of ${results.length} row(s) slower than before by more than ` +
    `${Math.round((TOLERANCE - 1) * 100)}%**` +
    (failed > 0 ? `; ${failed} row(s) could not be measured` : "") +
    (differs > 0 ? `; ${differs} row(s) print a different output than before` : ""),
    "",
    comparisonTable(results),
  ].join("\n");
}

async function compare(before: BeforeCheckout, runs: number): Promise<number> {
  const started = performance.now();
  const loadAtStart = Deno.loadavg();
  const results = await measureCases(before.dir, runs);
  const now = await git(["describe", "--always", "--dirty"]).catch(() => "unknown");
  const minutes = (performance.now() - started) / 60_000;
  const report = await buildReport({ runs, loadAtStart, minutes, before, now }, results);
  console.log(report);
  appendHistory(report);
  progress(`results appended to ${HISTORY_FILE}`);
  return results.some((r) => r.failure !== undefined) ? 1 : 0;
}

async function main(): Promise<number> {
  const runs = runCount();
  if (!(await Deno.stat(TIME_BIN).catch(() => null))) {
    throw new SetupFailed(`${TIME_BIN} is missing (make system-deps)`);
  }
  // Ctrl-C or a kill still removes the worktree.
  const onSignal = () => {
    interrupted = true;
    progress("interrupted; removing the before checkout");
    (pendingCleanup?.() ?? Promise.resolve()).finally(() => Deno.exit(130));
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  try {
    const before = await prepareBefore();
    try {
      return await compare(before, runs);
    } finally {
      await before.cleanup();
    }
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
}

if (import.meta.main) {
  try {
    Deno.exitCode = await main();
  } catch (err) {
    if (!(err instanceof SetupFailed)) throw err;
    console.error(`bench-before: ${err.message}`);
    Deno.exitCode = 1;
  }
}
