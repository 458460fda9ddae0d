import assert from "node:assert/strict";
import { KeyValues } from "./format_kv.ts";
import { LineFields } from "./line_fields.ts";

/** Adds the tokens of `line` from the character `from` (ASCII before it). */
const addAll = (kv: KeyValues, line: string, from: number, strict: boolean) => {
  const fields = new LineFields();
  const bytes = new TextEncoder().encode(line);
  fields.begin(bytes, null);
  const ok = kv.add(fields, bytes, from, bytes.length, strict);
  return { ok, fields: fields.toMap() };
};

Deno.test("KeyValues adds every token from the start position, split at the first =", () => {
  const { ok, fields } = addAll(new KeyValues(null), "skip=me|a=1|b=x=y|c=", 8, true);
  assert.equal(ok, true);
  assert.deepEqual(fields, new Map([["a", "1"], ["b", "x=y"], ["c", ""]]));
});

Deno.test("KeyValues in strict mode reports a token without = and keeps earlier fields", () => {
  const { ok, fields } = addAll(new KeyValues(null), "a=1|bad|c=3", 0, true);
  assert.equal(ok, false);
  assert.deepEqual(fields, new Map([["a", "1"]]));
});

Deno.test("KeyValues in lenient mode ignores tokens without =", () => {
  const { ok, fields } = addAll(new KeyValues(null), "bad|a=1||c=3|x", 0, false);
  assert.equal(ok, true);
  assert.deepEqual(fields, new Map([["a", "1"], ["c", "3"]]));
});

Deno.test("KeyValues adds only the needed keys and still finds malformed tokens", () => {
  const needed = new KeyValues(new Set(["ab", "c"]));
  assert.deepEqual(
    addAll(needed, "a=1|ab=2|abc=3|c=4", 0, true).fields,
    new Map([["ab", "2"], ["c", "4"]]),
  );
  assert.equal(addAll(needed, "ab=2|oops", 0, true).ok, false);
  assert.equal(new KeyValues(new Set()).none, true);
  assert.equal(needed.none, false);
  assert.equal(new KeyValues(null).none, false);
});

Deno.test("KeyValues with many needed keys looks them up by name", () => {
  const names = Array.from({ length: 12 }, (_, i) => `k${i}`);
  const { fields } = addAll(new KeyValues(new Set(names)), "k1=a|k11=b|z=c", 0, true);
  assert.deepEqual(fields, new Map([["k1", "a"], ["k11", "b"]]));
});

Deno.test("KeyValues reads keys and values with UTF-8 text and stops at the line's end", () => {
  const { ok, fields } = addAll(
    new KeyValues(new Set(["usér", "b"])),
    "usér=Zoë|b=上游|c=x",
    0,
    true,
  );
  assert.equal(ok, true);
  assert.deepEqual(fields, new Map([["usér", "Zoë"], ["b", "上游"]]));
  const line = new TextEncoder().encode("a=1|b=2|c=3");
  const fields2 = new LineFields();
  fields2.begin(line, null);
  assert.equal(new KeyValues(new Set(["b", "c"])).add(fields2, line, 0, 7, true), true);
  assert.deepEqual(fields2.toMap(), new Map([["b", "2"]]));
});

Deno.test("KeyValues in strict mode finds a line ending in | malformed", () => {
  assert.equal(addAll(new KeyValues(new Set(["a"])), "a=1|", 0, true).ok, false);
  assert.equal(addAll(new KeyValues(new Set(["a"])), "a=1|", 0, false).ok, true);
});
