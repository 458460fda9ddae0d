/**
 * The serverless throughput cases shared by `make bench` (bench/bench.ts, ours against the Unix
 * peers and the Go DTail, issue 15's targets) and `make bench-before` (bench/before.ts, ours
 * against an earlier commit's bin/).
 */
import { join } from "node:path";
import { type LogSet, RARE_TOKEN } from "./generate.ts";
import { GO_DIR } from "./go_peer.ts";

const BENCH_DIR = import.meta.dirname ?? ".";
export const BIN_DIR = join(BENCH_DIR, "..", "bin");
/** The installed programs (`make dist`): the rows against the Go DTail measure them when built. */
export const DIST_DIR = join(BENCH_DIR, "..", "dist");
export const DATA_DIR = join(BENCH_DIR, "data");
const DEFAULT_RUNS = 9;

/** The issue 15 target against the Go DTail for every serverless dcat/dgrep row (Go s / our s). */
export const GO_TARGET = 1.5;

export interface PairCase {
  readonly ours: readonly string[];
  /** The Unix tool doing the same job. */
  readonly peer: readonly string[];
  /** Minimum peer seconds / our seconds. */
  readonly target: number;
  /** The Go DTail's same command; absent without the Go binaries. */
  readonly go?: readonly string[];
}

/**
 * The dcat/dgrep cases over one log and its .gz and .zst copies; `ours` runs the launchers in
 * binDir, `go` the Go programs in goDir when given.
 */
export function pairCases(data: LogSet, binDir: string = BIN_DIR, goDir?: string): PairCase[] {
  const bin = (program: string) => join(binDir, program);
  const go = (program: string, args: readonly string[]) =>
    goDir === undefined ? {} : { go: [join(goDir, program), "--plain", "--cfg", "none", ...args] };
  const dcat = (file: string) => ({ ours: [bin("dcat"), "--plain", file], ...go("dcat", [file]) });
  const dgrep = (args: readonly string[]) => ({
    ours: [bin("dgrep"), "--plain", ...args, data.log],
    ...go("dgrep", [...args, data.log]),
  });
  return [
    { ...dcat(data.log), peer: ["cat", data.log], target: 0.6 },
    { ...dcat(data.gz), peer: ["gzip", "-dc", data.gz], target: 1.5 },
    { ...dcat(data.zst), peer: ["zstd", "-dc", data.zst], target: 0.8 },
    { ...dgrep(["--grep", RARE_TOKEN]), peer: ["grep", "-F", RARE_TOKEN, data.log], target: 0.8 },
    { ...dgrep(["--grep", "ERROR"]), peer: ["grep", "-F", "ERROR", data.log], target: 0.8 },
    { ...dgrep(["--grep", "[0-9]+ms"]), peer: ["grep", "-E", "[0-9]+ms", data.log], target: 0.9 },
    {
      ...dgrep(["--invert", "--grep", "ERROR"]),
      peer: ["grep", "-v", "-F", "ERROR", data.log],
      target: 0.8,
    },
  ];
}

const shorten = (arg: string) =>
  arg.replaceAll(`${BIN_DIR}/`, "bin/").replaceAll(`${DIST_DIR}/`, "dist/")
    .replaceAll(`${DATA_DIR}/`, "").replaceAll(`${GO_DIR}/`, "go/");

/** Whether `make dist` built the installed programs (then they are ours, bin/ runs beside them). */
export async function distBuilt(): Promise<boolean> {
  return await Deno.stat(join(DIST_DIR, "dcat")).then(() => true, () => false);
}

/** Shows a command the way a reader would type it: bin/, dist/ relative, data files by base name, go/. */
export function display(argv: readonly string[]): string {
  return argv.map(shorten).join(" ");
}

/** BENCH_RUNS: timed runs per side (default 9 when unset or empty; below 5 medians are noisy). */
export function runCount(): number {
  const runs = Number(Deno.env.get("BENCH_RUNS") || DEFAULT_RUNS);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("BENCH_RUNS must be a positive integer");
  if (runs < 5) console.error(`bench: BENCH_RUNS=${runs} is below 5; medians will be noisy`);
  return runs;
}
