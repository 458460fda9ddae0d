/** The query bench's rows and their Markdown tables (bench/query_beyond.ts). */
import { fixed } from "./ssh_report.ts";

/** A program beside ours, its median seconds. */
export interface PeerTiming {
  readonly name: string;
  readonly seconds: number;
  readonly rssMb: number;
}

/** dmap on one log format, with jq beside it where jq can read the format. */
export interface FormatRow {
  readonly format: string;
  readonly query: string;
  readonly bytes: number;
  readonly seconds: number;
  readonly rssMb: number;
  /** jq's timing, or why there is none. */
  readonly jq: PeerTiming | string;
  readonly targetMbPerS: number;
  /** dmap's groups equal the generated ones (and jq's, where jq ran). */
  readonly ok: boolean;
  readonly checks: string;
  readonly failure?: string;
}

/** One command's time to its first line of output, and of its whole run. */
export interface SinceRow {
  readonly name: string;
  /** Seconds to the first byte on stdout, every run. */
  readonly firstLine: readonly number[];
  /** Median seconds of whole runs, NaN when not measured. */
  readonly whole: number;
  readonly peer?: { readonly name: string; readonly firstLine: number; readonly whole: number };
  /** The first line must come within this; null: a figure for comparison. */
  readonly targetSeconds: number | null;
  /** Why a row without a target has none (default: "for comparison"). */
  readonly noTarget?: string;
  /** The output was checked and right. */
  readonly ok: boolean;
  readonly checks: string;
  /** The flag is refused: the row is not measured and not a miss. */
  readonly unavailable?: string;
  readonly failure?: string;
}

export const mbPerS = (bytes: number, seconds: number) => bytes / 1e6 / seconds;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] ?? NaN;
  return ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

const escape = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
const table = (header: readonly string[], rows: readonly (readonly string[])[]) =>
  [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
const failed = (failure: string) => `**FAIL**: ${escape(failure).slice(0, 300)}`;

export const formatPasses = (r: FormatRow) =>
  r.failure === undefined && r.ok && mbPerS(r.bytes, r.seconds) >= r.targetMbPerS;

export function formatTable(rows: readonly FormatRow[]): string {
  const header = ["Log", "Query", "dmap MB/s (median s)", "jq MB/s (median s)", "jq s / dmap s"];
  header.push("Target", "Result", "Peak RSS MB dmap / jq", "Checks");
  return table(
    header,
    rows.map((r) => {
      const jq = typeof r.jq === "string" ? undefined : r.jq;
      return [
        `${r.format}, ${fixed(r.bytes / 1e6, 0)} MB`,
        `\`${escape(r.query)}\``,
        `${fixed(mbPerS(r.bytes, r.seconds), 0)} (${fixed(r.seconds, 3)})`,
        jq
          ? `${fixed(mbPerS(r.bytes, jq.seconds), 1)} (${fixed(jq.seconds, 3)})`
          : escape(`${r.jq}`),
        jq ? `${fixed(jq.seconds / r.seconds, 2)}x` : "-",
        `>= ${r.targetMbPerS} MB/s, groups = generated`,
        r.failure !== undefined ? failed(r.failure) : formatPasses(r) ? "PASS" : "**MISS**",
        `${fixed(r.rssMb, 1)} / ${jq ? fixed(jq.rssMb, 1) : "-"}`,
        escape(r.checks),
      ];
    }),
  );
}

export const sincePasses = (r: SinceRow) =>
  r.unavailable === undefined && r.failure === undefined && r.ok &&
  (r.targetSeconds === null || median(r.firstLine) < r.targetSeconds);

/** Rows that miss a target they were measured against. */
export const sinceMisses = (rows: readonly SinceRow[]) =>
  rows.filter((r) => r.unavailable === undefined && !sincePasses(r)).length;

export function sinceTable(rows: readonly SinceRow[]): string {
  const header = ["Case", "First line s, median (min–max)", "Whole run s", "Peer"];
  header.push("Peer first line s", "Peer whole run s", "Peer / ours, first line", "Target");
  header.push("Result", "Checks");
  const verdict = (r: SinceRow) =>
    r.unavailable !== undefined
      ? escape(r.unavailable)
      : r.failure !== undefined
      ? failed(r.failure)
      : r.targetSeconds === null
      ? "-"
      : sincePasses(r)
      ? "PASS"
      : "**MISS**";
  return table(
    header,
    rows.map((r) => {
      const first = median(r.firstLine);
      const range = r.firstLine.length === 0
        ? "n/a"
        : `${fixed(first, 3)} (${fixed(Math.min(...r.firstLine), 3)}–${
          fixed(Math.max(...r.firstLine), 3)
        })`;
      return [
        `\`${escape(r.name)}\``,
        range,
        fixed(r.whole, 3),
        r.peer ? `\`${escape(r.peer.name)}\`` : "-",
        r.peer ? fixed(r.peer.firstLine, 3) : "-",
        r.peer ? fixed(r.peer.whole, 3) : "-",
        r.peer ? `${fixed(r.peer.firstLine / first, 1)}x` : "-",
        r.targetSeconds === null
          ? `none (${escape(r.noTarget ?? "for comparison")})`
          : `first line < ${r.targetSeconds} s`,
        verdict(r),
        escape(r.checks),
      ];
    }),
  );
}
