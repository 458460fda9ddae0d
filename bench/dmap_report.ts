/** The MapReduce bench's rows and their Markdown table (bench/dmap.ts). */
import { fixed } from "./ssh_report.ts";

export interface Row {
  /** The input file: mapr.log or mapr-mixed.log. */
  readonly data: string;
  readonly name: string;
  readonly seconds: number;
  readonly mbPerS: number;
  readonly peer?: { readonly name: string; readonly seconds: number; readonly mbPerS: number };
  readonly target: string;
  readonly pass: boolean;
  readonly rssMb: number;
  readonly checks: string;
  readonly failure?: string;
}

export function failedRow(data: string, name: string, target: string, err: unknown): Row {
  const failure = err instanceof Error ? err.message : String(err);
  return {
    data,
    name,
    seconds: NaN,
    mbPerS: NaN,
    target,
    pass: false,
    rssMb: NaN,
    checks: "",
    failure,
  };
}

const escape = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** Rows grouped by input in the order they first appear, by case name within each. */
export function table(rows: readonly Row[]): string {
  const order = new Map<string, number>();
  for (const r of rows) if (!order.has(r.data)) order.set(r.data, order.size);
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const header = ["Data", "Case", "dmap MB/s (s)", "Peer", "Peer MB/s (s)", "dmap/peer", "Target"];
  header.push("Result", "dmap peak RSS MB", "Checks");
  const verdict = (r: Row) =>
    r.failure !== undefined
      ? `**FAILED**: ${escape(r.failure).slice(0, 300)}`
      : r.pass
      ? "PASS"
      : "**MISS**";
  return [
    line(header),
    line(header.map(() => "---")),
    ...[...rows].sort((a, b) =>
      (order.get(a.data) ?? 0) - (order.get(b.data) ?? 0) || a.name.localeCompare(b.name)
    ).map((r) =>
      line([
        r.data,
        escape(r.name),
        `${fixed(r.mbPerS, 0)} (${fixed(r.seconds, 3)})`,
        r.peer ? `\`${escape(r.peer.name)}\`` : "",
        r.peer ? `${fixed(r.peer.mbPerS, 0)} (${fixed(r.peer.seconds, 3)})` : "",
        r.peer ? `${fixed(r.mbPerS / r.peer.mbPerS, 2)}x` : "",
        r.target,
        verdict(r),
        fixed(r.rssMb, 1),
        escape(r.checks),
      ])
    ),
  ].join("\n");
}
