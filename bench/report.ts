import { join } from "node:path";
/** Markdown tables for the benchmark results, and the machine description that goes with them. */

export interface PairResult {
  readonly name: string;
  readonly peerName: string;
  readonly ourSeconds: number;
  readonly peerSeconds: number;
  readonly ourMbPerS: number;
  readonly peerMbPerS: number;
  readonly ourRssMb: number;
  readonly peerRssMb: number;
  readonly target: number;
  readonly sameOutput: boolean;
  /** Set when a command failed; the other numbers are then NaN. */
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

export function pairPasses(result: PairResult): boolean {
  return result.failure === undefined && result.sameOutput &&
    result.ourMbPerS / result.peerMbPerS >= result.target;
}

export function pairTable(results: readonly PairResult[]): string {
  const header = [
    "Case",
    "Ours MB/s (s)",
    "Peer",
    "Peer MB/s (s)",
    "Ours/peer",
    "Target",
    "Result",
    "Our peak RSS MB",
    "Peer peak RSS MB",
  ];
  return table(
    header,
    results.map((r) => [
      `\`${r.name}\``,
      `${fixed(r.ourMbPerS, 0)} (${fixed(r.ourSeconds, 3)})`,
      `\`${r.peerName}\``,
      `${fixed(r.peerMbPerS, 0)} (${fixed(r.peerSeconds, 3)})`,
      `${fixed(r.ourMbPerS / r.peerMbPerS, 2)}x`,
      `>= ${r.target}x`,
      r.sameOutput ? verdict(pairPasses(r), r.failure) : "**MISS** (output differs)",
      fixed(r.ourRssMb, 1),
      fixed(r.peerRssMb, 1),
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
