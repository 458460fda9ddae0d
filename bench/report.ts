import { join } from "node:path";
/** Markdown tables for the benchmark results, and the machine description that goes with them. */

/** One command's median time and largest peak RSS over the timed runs. */
export interface Timing {
  readonly seconds: number;
  readonly rssMb: number;
}

/** A program ours is compared with: a Unix tool or the Go DTail. */
export interface Side extends Timing {
  readonly name: string;
  /** Its seconds / our seconds must reach this. */
  readonly target: number;
  /** It printed the same bytes (`cksum`) as ours. */
  readonly sameOutput: boolean;
}

export interface PairResult {
  /** The data set: app.log or mixed.log (bench/generate_mixed.ts). */
  readonly shape: string;
  readonly name: string;
  /** Uncompressed input bytes, for MB/s. */
  readonly bytes: number;
  readonly ours: Timing;
  readonly peer: Side;
  /** Absent when the Go binaries are not there. */
  readonly go?: Side;
  /** Ours through the bin/ launchers when `ours` ran dist/ (`make dist`), same rounds. */
  readonly bin?: Timing & { readonly sameOutput: boolean };
  /** Set when a command failed; the numbers are then NaN. */
  readonly failure?: string;
}

export interface MemoryResult {
  readonly name: string;
  readonly seconds: number;
  readonly mbPerS: number;
  readonly rssMb: number;
  readonly limitMb: number;
  readonly failure?: string;
}

export interface FollowSummary {
  readonly medianSeconds: number;
  readonly minSeconds: number;
  readonly maxSeconds: number;
  readonly lines: number;
  readonly runs: number;
  readonly faultyRuns: number;
  readonly rssMb: number;
  readonly limitSeconds: number;
  readonly failure?: string;
}

const verdict = (pass: boolean, failure?: string) =>
  failure !== undefined
    ? `**FAIL**: ${failure.replaceAll("|", "\\|")}`
    : pass
    ? "PASS"
    : "**MISS**";
const fixed = (
  value: number,
  digits: number,
) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** The other side's seconds / ours: above 1 when ours is faster. */
export const ratio = (side: Timing, ours: Timing) => side.seconds / ours.seconds;

const sideMiss = (side: Side, ours: Timing, label: string): string | null =>
  !side.sameOutput
    ? `${label} output differs`
    : ratio(side, ours) >= side.target
    ? null
    : `${label} ${fixed(ratio(side, ours), 2)}x < ${side.target}x`;

/** Why the row misses its targets (empty when it passes). */
export function pairMisses(r: PairResult): string[] {
  const misses = [sideMiss(r.peer, r.ours, r.peer.name.split(" ")[0] ?? "peer")];
  if (r.go !== undefined) misses.push(sideMiss(r.go, r.ours, "Go"));
  if (r.bin !== undefined && !r.bin.sameOutput) misses.push("bin/ output differs");
  return misses.filter((m) => m !== null);
}

export function pairPasses(r: PairResult): boolean {
  return r.failure === undefined && pairMisses(r).length === 0;
}

const timed = (t: Timing, bytes: number) =>
  `${fixed(t.seconds, 3)} (${fixed(bytes / 1e6 / t.seconds, 0)})`;

/** Ours, the Go DTail and the Unix tool in one row, each ratio with its target. */
export function pairTable(results: readonly PairResult[]): string {
  const header = [
    "Data",
    "Case",
    "Ours s (MB/s)",
    "Go s (MB/s)",
    "Go/ours",
    "Unix tool",
    "Unix s (MB/s)",
    "Unix/ours",
    "Result",
    "Peak RSS MB ours / Go / Unix",
    "bin/ s (Go/bin/)",
  ];
  const vsTarget = (side: Side | undefined, ours: Timing) =>
    side === undefined ? "skipped" : `${fixed(ratio(side, ours), 2)}x (>= ${side.target}x)`;
  const result = (r: PairResult) => {
    if (r.failure !== undefined) return verdict(false, r.failure);
    const misses = pairMisses(r);
    return misses.length === 0 ? "PASS" : `**MISS**: ${misses.join("; ")}`;
  };
  return table(
    header,
    results.map((r) => [
      r.shape,
      `\`${r.name}\``,
      timed(r.ours, r.bytes),
      r.go === undefined ? "skipped" : timed(r.go, r.bytes),
      vsTarget(r.go, r.ours),
      `\`${r.peer.name}\``,
      timed(r.peer, r.bytes),
      vsTarget(r.peer, r.ours),
      result(r),
      [r.ours, r.go, r.peer].map((t) => (t === undefined ? "-" : fixed(t.rssMb, 1))).join(" / "),
      r.bin === undefined
        ? "-"
        : `${fixed(r.bin.seconds, 3)}${r.go ? ` (${fixed(ratio(r.go, r.bin), 2)}x)` : ""}`,
    ]),
  );
}

export function memoryPasses(result: MemoryResult): boolean {
  return result.failure === undefined && result.rssMb < result.limitMb;
}

export function memoryTable(results: readonly MemoryResult[]): string {
  const header = ["Case", "Seconds", "MB/s", "Peak RSS MB", "Target", "Result"];
  return table(
    header,
    results.map((r) => [
      `\`${r.name}\``,
      fixed(r.seconds, 3),
      fixed(r.mbPerS, 0),
      fixed(r.rssMb, 1),
      `< ${r.limitMb} MB`,
      verdict(memoryPasses(r), r.failure),
    ]),
  );
}

export function followPasses(summary: FollowSummary): boolean {
  return summary.failure === undefined && summary.faultyRuns === 0 &&
    summary.medianSeconds < summary.limitSeconds;
}

export function followTable(summary: FollowSummary): string {
  const header = [
    "Case",
    "Median s",
    "Min–max s",
    "Runs",
    "Runs lost/duplicated lines",
    "Peak RSS MB",
    "Target",
    "Result",
  ];
  return table(header, [[
    `\`dtail --plain\`, ${summary.lines.toLocaleString("en")} lines in one write`,
    fixed(summary.medianSeconds, 3),
    `${fixed(summary.minSeconds, 3)}–${fixed(summary.maxSeconds, 3)}`,
    String(summary.runs),
    String(summary.faultyRuns),
    fixed(summary.rssMb, 1),
    `< ${summary.limitSeconds} s`,
    verdict(followPasses(summary), summary.failure),
  ]]);
}

async function commandLine(cmd: string, args: readonly string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args: [...args], stdout: "piped", stderr: "null" })
      .output();
    const first = new TextDecoder().decode(out.stdout).split("\n")[0] ?? "";
    return first.replace(/^[*\s]+|[*\s]+$/g, "");
  } catch {
    return "unavailable";
  }
}

function cpuModel(): string {
  const cpuinfo = Deno.readTextFileSync("/proc/cpuinfo");
  return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown CPU";
}

export async function machineInfo(runs: number, loadAtStart: readonly number[]): Promise<string> {
  const memoryGiB = Deno.systemMemoryInfo().total / 2 ** 30;
  const commit = await commandLine("git", ["describe", "--always", "--dirty"]);
  const tools = await Promise.all([
    commandLine("grep", ["--version"]),
    commandLine("gzip", ["--version"]),
    commandLine("zstd", ["--version"]),
  ]);
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: nproc ${navigator.hardwareConcurrency}, ${cpuModel()}, ${
      memoryGiB.toFixed(1)
    } GiB, ` +
    `kernel ${Deno.osRelease()}, LANG=${Deno.env.get("LANG") ?? ""}, ` +
    `load average at start ${loadAtStart.map((load) => load.toFixed(2)).join(" ")}`,
    `- deno ${Deno.version.deno} (V8 ${Deno.version.v8}); peers: ${tools.join("; ")}`,
    `- commit ${commit}; ${runs} timed runs per side (median), output piped to \`cat > /dev/null\``,
  ].join("\n");
}

/** bench/results/history.md: every report of every bench, appended. */
export const HISTORY_FILE = join(import.meta.dirname ?? ".", "results", "history.md");

export function appendHistory(report: string): void {
  Deno.mkdirSync(join(import.meta.dirname ?? ".", "results"), { recursive: true });
  Deno.writeTextFileSync(HISTORY_FILE, `${report}\n\n`, { append: true });
}
