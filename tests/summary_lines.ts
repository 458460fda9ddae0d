/**
 * The outcome summary a client prints on stderr after a run over SSH
 * (docs/usage.md#the-outcome-summary): `dcat: 3 of 5 servers answered`, then
 * `dcat: 2 servers: <cause>: <servers>`. Tests of other things strip it.
 */
const SUMMARY_LINE = /^[a-z]+: (?:\d+ of \d+ servers answered|\d+ servers?: .*)$/;

/** The summary lines in stderr, in order (every summary printed, if several). */
export function summaryLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => SUMMARY_LINE.test(line));
}

/** stderr without the summary lines. */
export function withoutSummary(stderr: string): string {
  return stderr.split("\n").filter((line) => !SUMMARY_LINE.test(line)).join("\n");
}
