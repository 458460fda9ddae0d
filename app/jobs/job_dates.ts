/**
 * The date placeholders of a job's `Files` and `Outfile` (docs/server.md#scheduled-and-continuous-jobs):
 * `$yyyesterday` … `$tomorrow`, each a local calendar day as `YYYYMMDD`.
 */
const PLACEHOLDERS: readonly (readonly [string, number])[] = [
  ["$yyyesterday", -3],
  ["$yyesterday", -2],
  ["$yesterday", -1],
  ["$today", 0],
  ["$tomorrow", 1],
];

/** The local calendar day `offset` days from `now`, as YYYYMMDD. */
export function localDay(now: Date, offset = 0): string {
  const day = new Date(now.getFullYear(), now.getMonth(), now.getDate() + offset);
  const pad = (n: number, width: number) => String(n).padStart(width, "0");
  return pad(day.getFullYear(), 4) + pad(day.getMonth() + 1, 2) + pad(day.getDate(), 2);
}

/** `text` with every placeholder replaced by its day relative to `now`. */
export function fillDates(text: string, now: Date): string {
  let out = text;
  for (const [name, offset] of PLACEHOLDERS) out = out.replaceAll(name, localDay(now, offset));
  return out;
}
