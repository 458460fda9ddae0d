/** The SSH bench's result rows and their Markdown table. */

export interface SshRow {
  readonly name: string;
  /** The figure the target is about, formatted. */
  readonly measured: string;
  readonly target: string;
  readonly pass: boolean;
  /** Supporting figures: runs, RSS, checks. */
  readonly details: string;
  /** Set when the case could not be measured. */
  readonly failure?: string;
}

export const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : "n/a";

export function failedRow(name: string, target: string, err: unknown): SshRow {
  const failure = err instanceof Error ? err.message : String(err);
  return { name, measured: "n/a", target, pass: false, details: "", failure };
}

const escape = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function verdict(row: SshRow): string {
  if (row.failure !== undefined) return `**FAIL**: ${escape(row.failure).slice(0, 300)}`;
  return row.pass ? "PASS" : "**MISS**";
}

export function sshTable(rows: readonly SshRow[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const header = ["Case", "Measured", "Target", "Result", "Details"];
  return [
    line(header),
    line(header.map(() => "---")),
    ...rows.map((r) => line([r.name, r.measured, r.target, verdict(r), escape(r.details)])),
  ].join("\n");
}

export const misses = (rows: readonly SshRow[]) => rows.filter((r) => !r.pass).length;
