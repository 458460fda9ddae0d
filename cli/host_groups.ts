/**
 * Server labels compressed into range patterns for the outcome summary
 * (docs/usage.md#the-outcome-summary): `web001:2222` … `web412:2222` → `web[001-412]:2222`, gaps
 * as comma lists (`web[001-100,200-412]:2222`, the pdsh/ClusterShell form). Labels group when they
 * differ in one number only (a host number, an address's last byte, or the port); anything else
 * is listed on its own, and IPv6 labels (`[::1]:2222`) stay as they are.
 */

/** Groups listed before the rest is only counted. */
export const MAX_GROUPS = 10;

/** The labels as `, `-separated groups, in natural order; past MAX_GROUPS, `and N more`. */
export function groupHostNames(labels: readonly string[], maxGroups = MAX_GROUPS): string {
  const groups = hostGroups(labels);
  if (groups.length <= maxGroups) return groups.map((g) => g.pattern).join(", ");
  const shown = groups.slice(0, maxGroups);
  const rest = groups.slice(maxGroups).reduce((n, g) => n + g.size, 0);
  return `${shown.map((g) => g.pattern).join(", ")} and ${rest} more`;
}

export interface HostGroup {
  readonly pattern: string;
  /** How many labels the pattern stands for. */
  readonly size: number;
}

export function hostGroups(labels: readonly string[]): HostGroup[] {
  const unique = [...new Set(labels)];
  const literal: HostGroup[] = [];
  // Labels of one shape: the same text around the same number of numbers.
  const shapes = new Map<string, Parsed[]>();
  for (const label of unique) {
    const parsed = parse(label);
    if (parsed === null) {
      literal.push({ pattern: label, size: 1 });
      continue;
    }
    const shape = parsed.texts.join("#");
    const list = shapes.get(shape);
    if (list === undefined) shapes.set(shape, [parsed]);
    else list.push(parsed);
  }
  const groups: Sortable[] = literal.map((g) => ({ ...g, first: g.pattern }));
  for (const list of shapes.values()) groups.push(...groupShape(list));
  return groups
    .sort((a, b) => naturalCompare(a.first, b.first))
    .map(({ pattern, size }) => ({ pattern, size }));
}

/** A group and its first label, which orders it. */
interface Sortable extends HostGroup {
  readonly first: string;
}

/** A label cut into texts and numbers: texts[0] n[0] texts[1] n[1] … texts[k]. */
interface Parsed {
  readonly label: string;
  readonly texts: string[];
  readonly numbers: string[];
}

function parse(label: string): Parsed | null {
  if (label.startsWith("[")) return null; // IPv6: its hex digits are not numbers to range over
  const parts = label.split(/(\d+)/);
  const texts: string[] = [];
  const numbers: string[] = [];
  parts.forEach((part, i) => (i % 2 === 0 ? texts : numbers).push(part));
  return numbers.length === 0 ? null : { label, texts, numbers };
}

/**
 * The number that varies most is ranged over; labels that agree on every other number form one
 * group (ties: the leftmost number, so a host number goes before a port).
 */
function groupShape(list: Parsed[]): Sortable[] {
  const count = list[0]!.numbers.length;
  let at = 0;
  let most = 0;
  for (let i = 0; i < count; i++) {
    const distinct = new Set(list.map((p) => p.numbers[i])).size;
    if (distinct > most) [at, most] = [i, distinct];
  }
  const byRest = new Map<string, Parsed[]>();
  for (const p of list) {
    const key = p.numbers.map((n, i) => (i === at ? "" : n)).join("#");
    const same = byRest.get(key);
    if (same === undefined) byRest.set(key, [p]);
    else same.push(p);
  }
  return [...byRest.values()].map((same) => {
    same.sort((a, b) => compareNumbers(a.numbers[at]!, b.numbers[at]!));
    const first = same[0]!;
    const values = same.map((p) => p.numbers[at]!);
    const ranged = values.length === 1 ? values[0]! : `[${ranges(values)}]`;
    let pattern = first.texts[0]!;
    for (let i = 0; i < count; i++) {
      pattern += (i === at ? ranged : first.numbers[i]!) + first.texts[i + 1]!;
    }
    return { pattern, size: same.length, first: first.label };
  });
}

/** `001,002,003,007` → `001-003,007`: runs of consecutive numbers of one width. */
function ranges(values: string[]): string {
  const sorted = [...values].sort(compareNumbers);
  const out: string[] = [];
  let start = sorted[0]!;
  let prev = start;
  const close = () => out.push(start === prev ? start : `${start}-${prev}`);
  for (const value of sorted.slice(1)) {
    if (follows(prev, value)) {
      prev = value;
      continue;
    }
    close();
    start = prev = value;
  }
  close();
  return out.join(",");
}

/** `next` comes right after `prev`, written alike (`009` → `010`, `9` → `10`, not `09` → `10`). */
function follows(prev: string, next: string): boolean {
  if (BigInt(next) !== BigInt(prev) + 1n) return false;
  const padded = (s: string) => s.length > 1 && s.startsWith("0");
  return next.length === prev.length || (!padded(prev) && !padded(next));
}

function compareNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : a.length - b.length;
}

/** Text compared with its numbers as numbers: `web9` before `web10`. */
export function naturalCompare(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    if (i % 2 === 1) return compareNumbers(x, y);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}
