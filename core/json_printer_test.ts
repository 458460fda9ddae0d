import assert from "node:assert/strict";
import { JsonLinePrinter, JsonMessagePrinter } from "./json_printer.ts";
import { LineBatch } from "./line_batch.ts";
import { BufferedOutput } from "./output.ts";
import { DELIMITER, MessageReader } from "./protocol/messages.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Runs `print` against a small buffer and returns every line written, parsed. */
function objects(print: (out: BufferedOutput) => void): Record<string, unknown>[] {
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()), 64);
  print(out);
  out.flush();
  // Decoded whole: a part may start inside a character, or with a BOM that belongs to a line.
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(
    Uint8Array.from(parts.flatMap((p) => [...p])),
  );
  assert.ok(text === "" || text.endsWith("}\n"), text);
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

/** The serverless printer's objects for whole selected byte ranges of one batch. */
function local(bytes: Uint8Array, regions: number[], firstLineNo = 1, id = "app.log") {
  return objects((out) => {
    new JsonLinePrinter(out, "web1").selection(
      { batch: new LineBatch(bytes, firstLineNo), regions },
      id,
    );
  });
}

Deno.test("a line object has host, source, lineno and line, in that order", () => {
  const bytes = enc.encode("first\nsecond\n");
  const got = local(bytes, [0, bytes.length], 7);
  assert.deepEqual(got, [
    { host: "web1", source: "app.log", lineno: 7, line: "first" },
    { host: "web1", source: "app.log", lineno: 8, line: "second" },
  ]);
  assert.deepEqual(Object.keys(got[0]!), ["host", "source", "lineno", "line"]);
});

Deno.test("line numbers count the lines skipped between selected regions", () => {
  const bytes = enc.encode("l5\nl6\nl7\nl8\nl9");
  const got = local(bytes, [3, 6, 9, 14], 5);
  assert.deepEqual(got.map((o) => [o.lineno, o.line]), [[6, "l6"], [8, "l8"], [9, "l9"]]);
});

Deno.test("quotes, backslashes, tabs and control characters are escaped", () => {
  const line = 'say "hi" \\ now\ttab\x1b[31mred\x00nul\x7fdel\r';
  const bytes = enc.encode(line + "\n");
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()));
  new JsonLinePrinter(out, "h").selection(
    { batch: new LineBatch(bytes, 1), regions: [0, bytes.length] },
    "x",
  );
  out.flush();
  const text = dec.decode(parts[0]);
  const raw = [...text.slice(0, -1)].filter((c) => c.charCodeAt(0) < 0x20);
  assert.deepEqual(raw, [], "no raw control character in the output");
  assert.match(text, /\\u001b\[31mred\\u0000nul/);
  assert.equal(JSON.parse(text).line, line, "the carriage return stays part of the line");
});

Deno.test("non-ASCII text is kept as UTF-8, not escaped, and needs no line_b64", () => {
  for (const line of ["grüße", "日本語 ✓", "emoji 😀", "\uFEFFbom first", "a real \uFFFD"]) {
    const bytes = enc.encode(line + "\n");
    // Decoded as a whole batch (byte-aligned or not) and as single lines.
    for (const regions of [[0, bytes.length], [0, bytes.length - 1]]) {
      const [got] = local(bytes, regions);
      assert.deepEqual(got, { host: "web1", source: "app.log", lineno: 1, line }, line);
    }
  }
});

Deno.test("invalid UTF-8 reads with U+FFFD and comes whole in line_b64", () => {
  const bytes = new Uint8Array([0x61, 0xff, 0xfe, 0x62, 0x0a, 0x6f, 0x6b, 0x0a]);
  const got = local(bytes, [0, bytes.length]);
  assert.deepEqual(got, [
    { host: "web1", source: "app.log", lineno: 1, line: "a\uFFFD\uFFFDb", line_b64: "Yf/+Yg==" },
    { host: "web1", source: "app.log", lineno: 2, line: "ok" },
  ]);
  const raw = Uint8Array.from(atob(got[0]!.line_b64 as string), (c) => c.charCodeAt(0));
  assert.deepEqual(raw, bytes.subarray(0, 4));
  // A truncated multi-byte sequence too.
  const [cut] = local(new Uint8Array([0xc3]), [0, 1]);
  assert.equal(cut!.line_b64, "ww==");
});

Deno.test("an unnumbered batch gets a null lineno", () => {
  assert.deepEqual(local(enc.encode("x\n"), [0, 2], 0), [
    { host: "web1", source: "app.log", lineno: null, line: "x" },
  ]);
});

Deno.test("host and source names are escaped too", () => {
  const got = objects((out) => {
    new JsonLinePrinter(out, 'a"b').selection(
      { batch: new LineBatch(enc.encode("x\n"), 1), regions: [0, 2] },
      "dir\\f\tile",
    );
  });
  assert.deepEqual(got, [{ host: 'a"b', source: "dir\\f\tile", lineno: 1, line: "x" }]);
});

/** What the message printer makes of server messages. */
function remote(...messages: (string | Uint8Array)[]) {
  return objects((out) => {
    const printer = new JsonMessagePrinter(out);
    for (const m of messages) printer.payload(typeof m === "string" ? enc.encode(m) : m);
  });
}

Deno.test("a server's labelled line becomes a line object, its newline dropped", () => {
  assert.deepEqual(
    remote("REMOTE|web2|100|42|app.log|cat keeps the newline\n", "REMOTE|web2|100|43|b|tail|x"),
    [
      { host: "web2", source: "app.log", lineno: 42, line: "cat keeps the newline" },
      { host: "web2", source: "b", lineno: 43, line: "tail|x" },
    ],
  );
});

Deno.test("a server message without the label has null host, source and lineno", () => {
  assert.deepEqual(remote("REMOTE|only|two\n", "plain text"), [
    { host: null, source: null, lineno: null, line: "REMOTE|only|two" },
    { host: null, source: null, lineno: null, line: "plain text" },
  ]);
});

Deno.test("a line number that is not a plain decimal reads as null", () => {
  assert.deepEqual(remote("REMOTE|h|100|x1|s|a", "REMOTE|h|100|007|s|b", "REMOTE|h|100||s|c"), [
    { host: "h", source: "s", lineno: null, line: "a" },
    { host: "h", source: "s", lineno: null, line: "b" },
    { host: "h", source: "s", lineno: null, line: "c" },
  ]);
});

Deno.test("a server's invalid UTF-8 line comes in line_b64; non-ASCII stays", () => {
  const bad = new Uint8Array([...enc.encode("REMOTE|h|100|1|s|"), 0x80, 0x41, 0x0a]);
  assert.deepEqual(remote(bad, "REMOTE|h|100|2|s|ünï\n"), [
    { host: "h", source: "s", lineno: 1, line: "\uFFFDA", line_b64: "gEE=" },
    { host: "h", source: "s", lineno: 2, line: "ünï" },
  ]);
});

Deno.test("a run of messages prints as the messages one by one", () => {
  const reader = new MessageReader();
  const messages = ["REMOTE|h|100|1|s|one\n", "REMOTE|h|100|2|t|two\n", "REMOTE|h|100|3|s|three\n"];
  const bytes = new Uint8Array(messages.flatMap((m) => [...enc.encode(m), DELIMITER]));
  const run = reader.splitPayload(bytes)!;
  assert.ok(run !== null);
  const got = objects((out) => new JsonMessagePrinter(out).payloadRun(run));
  assert.deepEqual(got.map((o) => [o.source, o.lineno, o.line]), [
    ["s", 1, "one"],
    ["t", 2, "two"],
    ["s", 3, "three"],
  ]);
});

Deno.test("a line read here or sent by a server is written as JSON.stringify writes its text", () => {
  // Plain ASCII goes out as it is; quotes, backslashes, control bytes, other UTF-8 and invalid
  // bytes go through the decoder and JSON.stringify: the bytes must be the same either way.
  const pieces = [
    "ab",
    "x y",
    '"',
    "\\",
    "\t",
    "\x01",
    "\x1f",
    "\x7f",
    "é",
    "😀",
    "\xff",
    "\uFEFF",
    " ",
  ];
  const raw = (p: string) => p === "\xff" ? Uint8Array.of(0xff) : enc.encode(p);
  let seed = 5;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let round = 0; round < 200; round++) {
    const lines: Uint8Array[] = Array.from({ length: 1 + Math.floor(next() * 8) }, () => {
      const parts = Array.from({ length: Math.floor(next() * 6) }, () => {
        const p = pieces[Math.floor(next() * pieces.length)]!;
        return raw(next() < 0.8 ? pieces[0]! : p);
      });
      return Uint8Array.from(parts.flatMap((p) => [...p]));
    });
    const joined = lines.flatMap((l, i) => [...l, ...(i < lines.length - 1 ? [10] : [])]);
    // A last line that is empty is there only with the "\n" that ends it.
    const ended = next() < 0.5 || lines.at(-1)!.length === 0;
    const bytes = Uint8Array.from(ended ? [...joined, 10] : joined);
    const parts: Uint8Array[] = [];
    const out = new BufferedOutput((b) => parts.push(b.slice()), 64);
    new JsonLinePrinter(out, "h").selection(
      { batch: new LineBatch(bytes, 3), regions: [0, bytes.length] },
      "x",
    );
    // The same lines as a server labels them, through the client's printer.
    const fromServer = new JsonMessagePrinter(out);
    lines.forEach((line, i) => {
      fromServer.payload(Uint8Array.from([...enc.encode(`REMOTE|h|100|${3 + i}|x|`), ...line, 10]));
    });
    out.flush();
    const got = new TextDecoder("utf-8", { ignoreBOM: true }).decode(
      Uint8Array.from(parts.flatMap((p) => [...p])),
    );
    const lossy = new TextDecoder("utf-8", { ignoreBOM: true });
    const strict = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
    const want = lines.map((line, i) => {
      const text = lossy.decode(line);
      let valid = true;
      try {
        strict.decode(line);
      } catch {
        valid = false;
      }
      const b64 = valid ? "" : `,"line_b64":"${line.toBase64()}"`;
      return `{"host":"h","source":"x","lineno":${3 + i},"line":${JSON.stringify(text)}${b64}}\n`;
    }).join("");
    assert.equal(got, want + want, `round ${round}`);
  }
});
