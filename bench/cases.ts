/**
 * The serverless throughput cases shared by `make bench` (bench/bench.ts, ours against the Unix
 * peers) and `make bench-before` (bench/before.ts, ours against an earlier commit's bin/).
 */
import { join } from "node:path";
import { type DataSet, RARE_TOKEN } from "./generate.ts";

const BENCH_DIR = import.meta.dirname ?? ".";
export const BIN_DIR = join(BENCH_DIR, "..", "bin");
export const DATA_DIR = join(BENCH_DIR, "data");
const DEFAULT_RUNS = 9;

export interface PairCase {
  readonly ours: readonly string[];
  readonly peer: readonly string[];
  readonly target: number;
}

/** The dcat/dgrep cases over app.log, .gz and .zst; `ours` runs the launchers in binDir. */
export function pairCases(data: DataSet, binDir: string = BIN_DIR): PairCase[] {
  const bin = (program: string) => join(binDir, program);
  const dcat = [bin("dcat"), "--plain"];
  const dgrep = [bin("dgrep"), "--plain"];
  return [
    { ours: [...dcat, data.log], peer: ["cat", data.log], target: 0.6 },
    { ours: [...dcat, data.gz], peer: ["gzip", "-dc", data.gz], target: 1.5 },
    { ours: [...dcat, data.zst], peer: ["zstd", "-dc", data.zst], target: 0.8 },
    {
      ours: [...dgrep, "--grep", RARE_TOKEN, data.log],
      peer: ["grep", "-F", RARE_TOKEN, data.log],
      target: 0.7,
    },
    {
      ours: [...dgrep, "--grep", "ERROR", data.log],
      peer: ["grep", "-F", "ERROR", data.log],
      target: 0.7,
    },
    {
      ours: [...dgrep, "--grep", "[0-9]+ms", data.log],
      peer: ["grep", "-E", "[0-9]+ms", data.log],
      target: 0.5,
    },
    {
      ours: [...dgrep, "--invert", "--grep", "ERROR", data.log],
      peer: ["grep", "-v", "-F", "ERROR", data.log],
      target: 0.7,
    },
  ];
}

const shorten = (arg: string) =>
  arg.replaceAll(`${BIN_DIR}/`, "bin/").replaceAll(`${DATA_DIR}/`, "");

/** Shows a command the way a reader would type it: bin/ relative, data files by base name. */
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
