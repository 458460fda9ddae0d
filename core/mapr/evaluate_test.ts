import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { applySet, maskDigits, md5sum, parseGoFloat, passesWhere } from "./evaluate.ts";
import type { Condition, Expr, Operand } from "./types.ts";

const field = (name: string): Operand => ({ kind: "field", name });
const num = (value: number): Operand => ({ kind: "number", value });
const str = (value: string): Operand => ({ kind: "string", value });
const cond = (left: Operand, op: string, right: Operand): Condition => ({ left, op, right });
const fieldsOf = (entries: Record<string, string>): Map<string, string> =>
  new Map(Object.entries(entries));

Deno.test("parseGoFloat reads what Go's ParseFloat reads", () => {
  const cases: [string, number][] = [
    ["42", 42],
    ["-1.5", -1.5],
    ["+7", 7],
    [".5", 0.5],
    ["5.", 5],
    ["1e3", 1000],
    ["2.5E-1", 0.25],
    ["0x1p-2", 0.25],
    ["0x1.8P1", 3],
    ["inf", Infinity],
    ["-Infinity", -Infinity],
    ["+INF", Infinity],
  ];
  for (const [text, want] of cases) assert.equal(parseGoFloat(text), want, text);
  assert.ok(Number.isNaN(parseGoFloat("NaN")));
});

Deno.test("parseGoFloat takes linear time on a long run of digits it rejects", () => {
  // A pattern that could split the digits two ways took 1.4 s for 40,000 of them (fuzz).
  const digits = "4".repeat(100_000);
  const started = performance.now();
  for (const text of [digits + "\\", digits + ".5x", "." + digits + "e"]) {
    assert.equal(parseGoFloat(text), null);
  }
  assert.equal(parseGoFloat("0." + digits), 0.4444444444444444);
  const ms = performance.now() - started;
  assert.ok(ms < 200, `${ms.toFixed(0)} ms`);
});

Deno.test("parseGoFloat rejects what Go's ParseFloat rejects", () => {
  for (const text of ["", " 1", "1 ", "1_000", "abc", ".", "1e", "0x10", "+nan", "1e400", "12a"]) {
    assert.equal(parseGoFloat(text), null, JSON.stringify(text));
  }
});

Deno.test("passesWhere with no conditions keeps every line", () => {
  assert.equal(passesWhere([], new Map()), true);
});

Deno.test("every float operator compares field values and literals as numbers", () => {
  const f = fieldsOf({ a: "10", b: "9.5" });
  const truth: [string, boolean][] = [
    ["==", false],
    ["!=", true],
    ["<", false],
    ["<=", false],
    [">", true],
    [">=", true],
  ];
  for (const [op, want] of truth) {
    assert.equal(passesWhere([cond(field("a"), op, field("b"))], f), want, `a ${op} b`);
    assert.equal(passesWhere([cond(num(10), op, num(9.5))], f), want, `10 ${op} 9.5`);
  }
  assert.equal(passesWhere([cond(field("a"), ">=", num(10))], f), true);
  assert.equal(passesWhere([cond(field("a"), "==", num(10))], f), true);
});

Deno.test("a float operator excludes the line when a side is missing or not a number", () => {
  const f = fieldsOf({ a: "10", text: "ten" });
  assert.equal(passesWhere([cond(field("text"), "!=", num(1))], f), false);
  assert.equal(passesWhere([cond(field("missing"), "!=", num(1))], f), false);
  assert.equal(passesWhere([cond(num(1), "<", field("text"))], f), false);
});

Deno.test("every string operator works on field values and quoted literals", () => {
  const f = fieldsOf({ $time: "1002-071949", same: "1002-071949" });
  const truth: [string, string, boolean][] = [
    ["eq", "1002-071949", true],
    ["eq", "1002", false],
    ["ne", "1002", true],
    ["ne", "1002-071949", false],
    ["contains", "-07", true],
    ["contains", "x", false],
    ["ncontains", "x", true],
    ["ncontains", "-07", false],
    ["hasprefix", "1002", true],
    ["hasprefix", "071949", false],
    ["nhasprefix", "071949", true],
    ["nhasprefix", "1002", false],
    ["hassuffix", "949", true],
    ["hassuffix", "1002", false],
    ["nhassuffix", "1002", true],
    ["nhassuffix", "949", false],
  ];
  for (const [op, literal, want] of truth) {
    assert.equal(
      passesWhere([cond(field("$time"), op, str(literal))], f),
      want,
      `${op} ${literal}`,
    );
  }
  assert.equal(passesWhere([cond(field("$time"), "eq", field("same"))], f), true);
  assert.equal(passesWhere([cond(str("ab"), "hasprefix", str("a"))], f), true);
});

Deno.test("a string operator excludes the line when a field is missing", () => {
  const f = fieldsOf({ a: "x" });
  assert.equal(passesWhere([cond(field("b"), "ne", str("x"))], f), false);
  assert.equal(passesWhere([cond(str("x"), "ncontains", field("b"))], f), false);
});

Deno.test("all where conditions must hold", () => {
  const f = fieldsOf({ a: "5", s: "abc" });
  const ok = cond(field("a"), ">", num(1));
  const bad = cond(field("s"), "eq", str("x"));
  assert.equal(passesWhere([ok, ok], f), true);
  assert.equal(passesWhere([ok, bad], f), false);
  assert.equal(passesWhere([bad, ok], f), false);
});

Deno.test("applySet assigns in order and later assignments see earlier ones", () => {
  const f = fieldsOf({ $time: "1002-071949" });
  const expr = (e: Expr) => e;
  applySet([
    {
      target: "$mask",
      expr: { kind: "call", fn: "maskdigits", arg: { kind: "field", name: "$time" } },
    },
    { target: "$md5", expr: { kind: "call", fn: "md5sum", arg: { kind: "field", name: "$time" } } },
    { target: "$foo", expr: expr({ kind: "number", text: "42" }) },
    { target: "$bar", expr: expr({ kind: "string", value: "baz" }) },
    { target: "$baz", expr: expr({ kind: "field", name: "$time" }) },
    { target: "$copy", expr: expr({ kind: "field", name: "$mask" }) },
    { target: "$word", expr: expr({ kind: "field", name: "nosuchfield" }) },
  ], f);
  assert.deepEqual(Object.fromEntries(f), {
    $time: "1002-071949",
    $mask: "....-......",
    $md5: "0b53853845d68785051a6a9922b601f3",
    $foo: "42",
    $bar: "baz",
    $baz: "1002-071949",
    $copy: "....-......",
    $word: "nosuchfield",
  });
});

Deno.test("applySet can overwrite a field the line already has", () => {
  const f = fieldsOf({ $time: "1" });
  applySet([{ target: "$time", expr: { kind: "string", value: "2" } }], f);
  assert.equal(f.get("$time"), "2");
});

Deno.test("md5sum of $line matches the upstream function test", () => {
  // Upstream calls the md5sum($line) stack on its own text.
  const f = fieldsOf({ $line: "md5sum($line)" });
  applySet([{
    target: "$h",
    expr: { kind: "call", fn: "md5sum", arg: { kind: "field", name: "$line" } },
  }], f);
  assert.equal(f.get("$h"), "b38699013d79e50d9d122433753959c1");
});

Deno.test("nested functions apply innermost first", () => {
  const text = "maskdigits(md5sum(maskdigits($line)))";
  const f = fieldsOf({ $line: text });
  const line: Expr = { kind: "field", name: "$line" };
  const inner: Expr = { kind: "call", fn: "maskdigits", arg: line };
  const md5: Expr = { kind: "call", fn: "md5sum", arg: inner };
  applySet([{ target: "$h", expr: { kind: "call", fn: "maskdigits", arg: md5 } }], f);
  assert.equal(f.get("$h"), ".fac.bbe..bb.........d...a.c..b.");
});

Deno.test("md5sum is lowercase hex MD5 of the UTF-8 text", () => {
  for (const text of ["", "abc", "grüße €"]) {
    assert.equal(
      md5sum(text),
      createHash("md5").update(new TextEncoder().encode(text)).digest("hex"),
    );
  }
});

Deno.test("maskDigits replaces only ASCII digits", () => {
  assert.equal(maskDigits("a1b22-٣"), "a.b..-٣");
});

Deno.test("plain decimals parse to exactly what Number() gives", () => {
  const samples = ["0", "-0", "7", "-12", "1.98", "0.21", "123456789012345", "-99999.00001"];
  for (let i = 0; i < 2000; i++) {
    const digits = String(Math.floor(Math.random() * 1e15));
    const cut = Math.floor(Math.random() * digits.length);
    samples.push(cut > 0 ? `${digits.slice(0, cut)}.${digits.slice(cut)}` : digits);
  }
  for (const text of samples) {
    if (text.endsWith(".")) continue;
    assert.ok(Object.is(parseGoFloat(text), Number(text)), text);
  }
});
