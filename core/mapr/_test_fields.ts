/** Test helper: what every log-format parser test starts from. */
import assert from "node:assert/strict";
import { type LineParser, PARSED } from "./format_common.ts";

export const UTC = { name: "UTC", offset: 0 };

/** The first line of the upstream mapr_testdata.log. */
export const STATS_LINE = "INFO|1002-071143|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:STATS|" +
  "currentConnections=0|lifetimeConnections=1";

/** The fields every parser adds (format_common.ts) for host `h1` in UTC, in their order. */
export const COMMON_FIELDS: readonly [string, string][] = [
  ["*", "*"],
  ["$empty", ""],
  ["$hostname", "h1"],
  ["$server", "h1"],
  ["$timezone", "UTC"],
  ["$timeoffset", "0"],
];

/**
 * Asserts that a parser gives, for each of `lines` (joined by "\n"; the last maybe without one),
 * the same from the separators' positions (`parseLineIndexed`) as from every byte (`parseLineAt`):
 * code, fields, line end, and that it reads every entry of its line and none of the next.
 */
export function assertIndexedParseAgrees(makeParser: () => LineParser, lines: string[]): void {
  const bytes = new TextEncoder().encode(lines.join("\n"));
  const seps = Int32Array.from(
    [...bytes].flatMap((b, i) => b === 124 || b === 61 || b === 10 ? [i] : []),
  );
  const byBytes = makeParser();
  const bySeparators = makeParser();
  assert.ok(bySeparators.indexed, "the parser parses from separators");
  let start = 0;
  let k = 0;
  for (const line of lines) {
    const expected = byBytes.parseLineAt(bytes, start, bytes.length, "src", null);
    const code = bySeparators.parseLineIndexed(
      bytes,
      start,
      bytes.length,
      null,
      seps,
      k,
      seps.length,
    );
    assert.equal(code, expected, line);
    if (code === PARSED) {
      assert.deepEqual(bySeparators.fields.toMap(), byBytes.fields.toMap(), line);
    }
    assert.equal(bySeparators.lineEnd, byBytes.lineEnd, line);
    start = bySeparators.lineEnd + 1;
    k = bySeparators.nextSep;
    assert.ok(k === 0 || seps[k - 1]! < start, `entries of the line read: ${line}`);
    assert.ok(k === seps.length || seps[k]! >= start, `next line's entries unread: ${line}`);
  }
  assert.equal(k, seps.length, "every entry was read");
}
