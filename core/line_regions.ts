/**
 * Lines and regions of a batch as flat ascending [start, end) byte-offset pairs (core/select.ts):
 * merged, complemented, intersected, joined, and checked for a needle's place.
 */

/**
 * Appends the lines of `lines` (one [start, end) pair each) that hold `needle` `at` their start,
 * their end (before a "\n") or as the whole line to `regions`, adjacent ones merged if `merge`, up
 * to `left` of them (0: all); how many.
 */
export function placedLines(
  bytes: Uint8Array,
  lines: number[],
  needle: Uint8Array,
  at: "start" | "end" | "whole",
  regions: number[],
  left: number,
  merge: boolean,
): number {
  const k = needle.length;
  const holdsAt = (from: number) => {
    for (let j = 0; j < k; j++) if (bytes[from + j] !== needle[j]) return false;
    return true;
  };
  let found = 0;
  for (let i = 0; i < lines.length; i += 2) {
    const start = lines[i]!;
    const end = lines[i + 1]!;
    const stop = bytes[end - 1] === 10 ? end - 1 : end;
    const placed = at === "start"
      ? holdsAt(start)
      : at === "end"
      ? stop - start >= k && holdsAt(stop - k)
      : stop - start === k && holdsAt(start);
    if (!placed) continue;
    pushLine(regions, start, end, merge);
    if (++found === left) break;
  }
  return found;
}

/** The lines in `a` or `b` (ascending [start, end) pairs, one line each), each once. */
export function eitherLines(a: number[], b: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) {
      out.push(a[i]!, a[i + 1]!);
      i += 2;
    } else {
      if (i < a.length && a[i] === b[j]) i += 2;
      out.push(b[j]!, b[j + 1]!);
      j += 2;
    }
  }
  return out;
}

/** Appends `lines` to `regions`, adjacent ones merged if `merge`, up to `left` (0: all); how many. */
export function takeLines(
  lines: number[],
  regions: number[],
  left: number,
  merge: boolean,
): number {
  let found = 0;
  for (let i = 0; i < lines.length; i += 2) {
    pushLine(regions, lines[i]!, lines[i + 1]!, merge);
    if (++found === left) break;
  }
  return found;
}

/** The lines in both `a` and `b` (ascending [start, end) pairs, one line each). */
export function commonLines(a: number[], b: number[]): number[] {
  const out: number[] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (a[i]! < b[j]!) i += 2;
    else if (a[i]! > b[j]!) j += 2;
    else {
      out.push(a[i]!, a[i + 1]!);
      i += 2;
      j += 2;
    }
  }
  return out;
}

/** Appends the line [start, end) to `regions`: merged with the last region if `merge` (addRegion). */
export function pushLine(regions: number[], start: number, end: number, merge: boolean): void {
  if (merge) addRegion(regions, start, end);
  else regions.push(start, end);
}

/** Appends the region [start, end) to `regions`, merged with the last one when they touch. */
export function addRegion(regions: number[], start: number, end: number): void {
  if (regions.length > 0 && regions[regions.length - 1] === start) {
    regions[regions.length - 1] = end;
  } else regions.push(start, end);
}

/**
 * The regions of [0, length) outside `regions` (ascending [start, end) pairs), in `out` (what it
 * held is replaced, its memory reused).
 */
export function complementOf(regions: number[], length: number, out: number[] = []): number[] {
  let n = 0;
  let from = 0;
  for (let i = 0; i < regions.length; i += 2) {
    if (regions[i]! > from) {
      out[n++] = from;
      out[n++] = regions[i]!;
    }
    from = regions[i + 1]!;
  }
  if (from < length) {
    out[n++] = from;
    out[n++] = length;
  }
  out.length = n;
  return out;
}
