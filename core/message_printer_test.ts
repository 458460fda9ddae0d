import assert from "node:assert/strict";
import { RemotePaints } from "./remote_paints.ts";
import { BlockPrinter, MessagePrinter } from "./message_printer.ts";
import { BufferedOutput } from "./output.ts";
import { MessageReader } from "./protocol/messages.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const paints = new RemotePaints();

/** What `messages` print colored: each the painted prefix, text and close, as serverless does. */
function paintedLines(messages: readonly string[]): string {
  return messages.map((m) => {
    const f = m.split("|");
    if (f[0] !== "REMOTE" || f.length < 6) return m.endsWith("\n") ? m : m + "\n";
    const content = f.slice(5).join("|").replace(/\n$/, "");
    const paint = paints.textPaint(enc.encode(content));
    return paints.prefix(f[1]!, f[2]!, f[3]!, f[4]!) + paint.open + content + paint.close + "\n";
  }).join("");
}

Deno.test("colored payload lines equal the painted prefix, text and close, whatever repeats", () => {
  const messages = [
    "REMOTE|web1|100|1|app.log|INFO all good\n",
    "REMOTE|web1|100|2|app.log|WARN careful\n",
    "REMOTE|db-2|97|3|other.log|ERROR broken",
    "REMOTE|web1|100|10|app.log|FATAL gone\n",
    "REMOTE|web1|100|11|app.log|€ text | with bars\n",
    "REMOTE|db-2|97|4|other.log|\n",
    "REMOTE|hôte-ü|100|5|журнал.log|ERROR ünïcode\n",
    "SERVER|web1|a notice",
    "REMOTE|short|1",
    // Fields too long to cache are painted anew each time, the same way.
    `REMOTE|${"h".repeat(300)}|100|6|app.log|INFO long host\n`,
    `REMOTE|${"h".repeat(301)}|100|7|${"s".repeat(400)}|WARN long id\n`,
    `REMOTE|${"h".repeat(300)}|100|8|${"s".repeat(400)}|INFO both again\n`,
  ];
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()), 32);
  const printer = new MessagePrinter(out, { plain: false, color: true });
  for (const m of [...messages, ...messages.toReversed()]) printer.payload(enc.encode(m));
  out.flush();
  const expected = paintedLines([...messages, ...messages.toReversed()]);
  assert.equal(parts.map((p) => dec.decode(p)).join(""), expected);

  // The same messages as runs of one chunk, read from offsets into it, with short fields that
  // repeat and change (the last key is compared in place).
  // (A byte 0xAC or 0xAB in a message is escaped on the wire, not the run's case: left out.)
  const plain = messages.filter((m) => !enc.encode(m).some((b) => b === 0xac || b === 0xab));
  assert.ok(plain.length >= messages.length - 2);
  const many = Array.from({ length: 300 }, (_, i) => plain[(i * 7) % plain.length]!);
  many.push(
    ...Array.from({ length: 50 }, (_, i) => `REMOTE|h${i % 3}|100|${i}|x${i % 2}|WARN ${i}\n`),
  );
  const stream = new Uint8Array(many.flatMap((m) => [...enc.encode(m), 0xac]));
  for (const cut of [1, 100, 4096, stream.length]) {
    const got: Uint8Array[] = [];
    const runOut = new BufferedOutput((b) => got.push(b.slice()), 64);
    const runPrinter = new MessagePrinter(runOut, { plain: false, color: true });
    const reader = new MessageReader(() => true);
    for (let at = 0; at < stream.length; at += cut) {
      const run = reader.splitPayload(stream.subarray(at, at + cut));
      assert.ok(run !== null);
      if (run.joined !== null) runPrinter.payload(run.joined);
      runPrinter.payloadRun(run);
    }
    runOut.flush();
    assert.equal(got.map((p) => dec.decode(p)).join(""), paintedLines(many), `pieces of ${cut}`);
  }
});

Deno.test("a payload run prints exactly like its messages one by one", () => {
  const messages = ["REMOTE|h|100|1|a|INFO x\n", "", "no newline", "REMOTE|h|100|2|a|ERROR y\n"];
  const stream = new Uint8Array(
    [...messages.flatMap((m) => [...enc.encode(m), 0xac]), ...enc.encode("tail")],
  );
  for (const options of [{ plain: true, color: false }, { plain: false, color: true }]) {
    const print = (fast: boolean) => {
      const parts: Uint8Array[] = [];
      const out = new BufferedOutput((b) => parts.push(b.slice()), 16);
      const printer = new MessagePrinter(out, options);
      const reader = new MessageReader(() => true);
      for (const chunk of [stream.subarray(0, 9), stream.subarray(9)]) {
        const run = fast ? reader.splitPayload(chunk) : null;
        if (run === null) {
          for (const m of reader.push(chunk)) printer.payload(m);
          continue;
        }
        if (run.joined !== null) printer.payload(run.joined);
        printer.payloadRun(run);
      }
      out.flush();
      return parts.map((p) => dec.decode(p)).join("");
    };
    const slow = print(false);
    assert.match(slow, /no newline\n/);
    assert.equal(print(true), slow, JSON.stringify(options));
  }
});

Deno.test("BlockPrinter prints whole lines only and never a line cut off", () => {
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()), 4);
  const printer = new BlockPrinter(out);
  const printed = () => {
    out.flush();
    return parts.map((p) => dec.decode(p)).join("");
  };
  printer.piece(enc.encode("one\ntw"));
  assert.equal(printed(), "one\n");
  printer.piece(enc.encode("o-"));
  printer.piece(enc.encode("two\nthree\nfo"));
  assert.equal(printed(), "one\ntwo-two\nthree\n");
  printer.piece(enc.encode("ur\n"));
  printer.piece(enc.encode("cut off"));
  assert.equal(printed(), "one\ntwo-two\nthree\nfour\n");
});

Deno.test("for a terminal, every field a server sent shows its controls, colored or not", () => {
  // A Go dserver sends a file name as it is; ours makes ids printable before they leave it.
  const message =
    "REMOTE|h\x1b[2J|100|7\r|a\x1b]0;t\x07.log|x \x1b]52;c;eA==\x07 \x1b[31my\x1b[0m\n";
  for (const color of [false, true]) {
    const parts: Uint8Array[] = [];
    const out = new BufferedOutput((b) => parts.push(b.slice()));
    const printer = new MessagePrinter(out, { plain: false, color, visibleControls: true });
    printer.payload(enc.encode(message));
    out.flush();
    const text = dec.decode(parts.length === 1 ? parts[0]! : new Uint8Array(0));
    for (const shown of ["h\\x1b[2J", "7\\r", "a\\x1b]0;t\\x07.log", "x \\x1b]52;c;eA==\\x07 "]) {
      assert.ok(text.includes(shown), `${color}: ${JSON.stringify(text)}`);
    }
    assert.ok(text.includes("\x1b[31my\x1b[0m"), JSON.stringify(text)); // SGR kept
    const raw = text.replaceAll(new RegExp("\x1b\\[[0-9;]*m", "g"), "");
    assert.ok(!raw.includes("\x1b") && !raw.includes("\x07") && !raw.includes("\r"), raw);
  }
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()));
  new MessagePrinter(out, { plain: true, color: false, visibleControls: true }).payload(
    enc.encode(message),
  );
  out.flush();
  assert.equal(dec.decode(parts[0]!), message); // --plain: as sent
});
