/**
 * AGGREGATE messages (docs/protocol.md#aggregate, docs/protocol.md#merging-on-the-client): one
 * message per group, `AGGREGATE|<host>|<groupkey>∥<samples>∥<storage>≔<value>∥…∥`, numeric entries
 * first, then strings, then sketches.
 */
import { GroupSet } from "./aggregate.ts";
import type { Query } from "./types.ts";

/** U+2225, between the parts of a serialized group. */
export const AGGREGATE_DELIMITER = "\u2225";
/** U+2254, between a storage key and its value. */
export const AGGREGATE_KV_DELIMITER = "\u2254";

const PREFIX = "AGGREGATE|";
const INTEGER = /^[+-]?\d+$/;

/**
 * A number as Go's `strconv.FormatFloat(v, 'f', -1, 64)` writes it: the shortest digits that
 * read back to the same float, never an exponent (`6942`, `0.5`, `1e21` ⇒ `1000…0`).
 */
export function formatWireNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (Object.is(value, -0)) return "-0";
  const text = String(value);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (m === null) return text;
  const [, sign = "", lead = "", frac = "", exp = "0"] = m;
  const digits = lead + frac;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The AGGREGATE messages for every group of the set (without the 0xAC framing). */
export function serializeGroups(set: GroupSet, shortHost: string): string[] {
  const messages: string[] = [];
  const slots = set.slots;
  for (const [key, group] of set.groups()) {
    let message = `${PREFIX}${shortHost}|${key}${AGGREGATE_DELIMITER}${group.samples}` +
      AGGREGATE_DELIMITER;
    for (let i = 0; i < slots.length; i++) {
      if (group.seen[i] !== 1) continue;
      message += slots[i]!.text + AGGREGATE_KV_DELIMITER + formatWireNumber(group.numbers[i]!) +
        AGGREGATE_DELIMITER;
    }
    for (let i = 0; i < slots.length; i++) {
      const text = group.strings[i];
      if (text === undefined) continue;
      message += slots[i]!.text + AGGREGATE_KV_DELIMITER + text + AGGREGATE_DELIMITER;
    }
    // Sketches (`quantile`, `count_distinct`) last, base64: only peers of ours ask for them.
    for (let i = 0; i < slots.length; i++) {
      const sketch = group.sketches[i];
      if (sketch === undefined) continue;
      message += slots[i]!.text + AGGREGATE_KV_DELIMITER + sketch.toBase64() + AGGREGATE_DELIMITER;
    }
    messages.push(message);
  }
  return messages;
}

/**
 * One received group as a set of its own (docs/protocol.md#merging-on-the-client), from a whole
 * `AGGREGATE|host|…` message or just its payload after the host. Null when malformed: fewer than 4
 * `∥` parts or bad samples. Entries that are no select item, or whose value does not parse, are
 * skipped.
 */
export function parseAggregate(message: string, query: Query): GroupSet | null {
  let payload = message;
  if (payload.startsWith(PREFIX)) {
    const hostEnd = payload.indexOf("|", PREFIX.length);
    if (hostEnd < 0) return null;
    payload = payload.slice(hostEnd + 1);
  }
  const parts = payload.split(AGGREGATE_DELIMITER);
  if (parts.length < 4) return null;
  const samplesText = parts[1]!;
  if (!INTEGER.test(samplesText)) return null;
  const samples = Number(samplesText);
  if (!Number.isSafeInteger(samples)) return null;
  const values = new Map<string, string>();
  for (let i = 2; i < parts.length; i++) {
    const part = parts[i]!;
    const cut = part.indexOf(AGGREGATE_KV_DELIMITER);
    if (cut < 0) continue;
    values.set(part.slice(0, cut), part.slice(cut + AGGREGATE_KV_DELIMITER.length));
  }
  const set = new GroupSet(query);
  set.addAggregated(parts[0]!, samples, values);
  return set;
}
