import assert from "node:assert/strict";
import { concatBytes } from "../bytes.ts";
import {
  capabilitiesMessage,
  escapeMessage,
  isControl,
  MessageReader,
  parseCapabilities,
  type PayloadRun,
  unescapeMessage,
} from "./messages.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("messages split at 0xAC across reads", () => {
  const r = new MessageReader();
  const stream = new Uint8Array([...enc.encode("one"), 0xac, ...enc.encode("tw"), 0xac]);
  assert.deepEqual(r.push(stream.subarray(0, 5)).map((m) => dec.decode(m)), ["one"]);
  assert.deepEqual(r.push(stream.subarray(5)).map((m) => dec.decode(m)), ["tw"]);
  assert.equal(r.rest(), null);
});

Deno.test("without escaping, a euro sign is cut at its 0xAC byte (the Go wire format)", () => {
  const r = new MessageReader();
  const parts = r.push(new Uint8Array([...enc.encode("5 €"), 0xac]));
  assert.equal(parts.length, 2);
});

Deno.test("escaped messages keep every byte, including 0xAB and 0xAC", () => {
  const payload = new Uint8Array([...enc.encode("price 5 € ¬ "), 0xab, 0x01, 0xac, 0x02, 0xff]);
  const escaped = escapeMessage(payload);
  assert.equal(escaped.indexOf(0xac), -1);
  assert.deepEqual(unescapeMessage(escaped), payload);
  const r = new MessageReader(() => true);
  const got = r.push(
    new Uint8Array([...escaped, 0xac, ...escapeMessage(enc.encode("next")), 0xac]),
  );
  assert.deepEqual(got[0], payload);
  assert.equal(dec.decode(got[1]), "next");
});

Deno.test("capabilities are advertised and parsed", () => {
  const m = capabilitiesMessage(["query-update-v1", "escape-ac-v1"]);
  assert.equal(m, ".syn capabilities query-update-v1 escape-ac-v1");
  assert.deepEqual(parseCapabilities(m), ["query-update-v1", "escape-ac-v1"]);
  assert.deepEqual(parseCapabilities(".syn capabilities"), []);
  assert.equal(parseCapabilities("SERVER|h|x"), null);
});

Deno.test("control messages keep their marker through the escaped reader", () => {
  const r = new MessageReader(() => true);
  const notice = new Uint8Array([0xab, 3, ...enc.encode("SERVER|h|ERROR|x")]);
  const [got] = r.push(new Uint8Array([...notice, 0xac]));
  assert.deepEqual(got, notice);
  assert.ok(isControl(got!));
  assert.ok(
    !isControl(escapeMessage(new Uint8Array([0xab, 3]))),
    "payload can never look like one",
  );
});

Deno.test("splitPayload yields the same messages as push, chunk by chunk", () => {
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
  const messages: Uint8Array[] = [];
  for (let i = 0; i < 400; i++) {
    const r = next() % 20;
    if (r === 0) messages.push(new Uint8Array([0xab, 3, ...enc.encode(".syn note")]));
    else if (r === 1) messages.push(new Uint8Array(0));
    else {
      const text = enc.encode(`line ${i} ${"x".repeat(next() % 90)}${r === 2 ? "€" : ""}\n`);
      messages.push(escapeMessage(text));
    }
  }
  const stream = concatBytes(...messages.flatMap((m) => [m, new Uint8Array([0xac])]));
  const expected = new MessageReader(() => true).push(stream);
  const fast = new MessageReader(() => true);
  const got: Uint8Array[] = [];
  let fastRuns = 0;
  for (let at = 0; at < stream.length;) {
    const chunk = stream.subarray(at, at + 1 + (next() % 700));
    at += chunk.length;
    const run = fast.splitPayload(chunk);
    if (run === null) {
      got.push(...fast.push(chunk));
      continue;
    }
    fastRuns++;
    if (run.joined !== null) got.push(run.joined);
    let start = run.start;
    for (const end of run.ends) {
      got.push(run.bytes.subarray(start, end));
      start = end + 1;
    }
  }
  assert.ok(fastRuns > 10, `only ${fastRuns} chunks took the fast path`);
  assert.equal(fast.rest(), null);
  assert.deepEqual(got.map((m) => [...m]), expected.map((m) => [...m]));
});

Deno.test("splitPayload refuses a chunk whose pending tail may start a control message", () => {
  const r = new MessageReader(() => true);
  assert.deepEqual(r.push(new Uint8Array([0xab, 3, 0x2e])), []);
  assert.equal(r.splitPayload(enc.encode("syn close connection\xac")), null);
  const [control] = r.push(new Uint8Array([...enc.encode("x"), 0xac]));
  assert.ok(isControl(control!));
});

Deno.test("a control message's text is escaped after its marker and comes back whole", () => {
  const text = enc.encode('SERVER|h|ERROR|bad pattern "(€"');
  const wire = new Uint8Array([0xab, 3, ...escapeMessage(text), 0xac]);
  assert.equal(wire.indexOf(0xac), wire.length - 1, "no delimiter inside the message");
  const [got, ...rest] = new MessageReader(() => true).push(wire);
  assert.deepEqual(rest, []);
  assert.ok(isControl(got!));
  assert.equal(dec.decode(got!.subarray(2)), dec.decode(text));
});

Deno.test("a message cut into many pieces is joined whole, its escapes undone once", () => {
  const r = new MessageReader(() => true);
  const payload = new Uint8Array(300_000).map((_, i) => i % 251 === 0 ? 0xac : i & 0xff);
  const wire = new Uint8Array([...escapeMessage(payload), 0xac, ...enc.encode("next"), 0xac]);
  const got: Uint8Array[] = [];
  for (let at = 0; at < wire.length; at += 997) {
    const piece = wire.subarray(at, at + 997);
    const run = r.splitPayload(piece);
    got.push(...(run === null ? r.push(piece) : runMessages(run)));
  }
  assert.equal(got.length, 2);
  assert.deepEqual(got[0], payload);
  assert.equal(dec.decode(got[1]), "next");
  assert.equal(r.inMessage, false);
});

Deno.test("a message may grow to the bound, and one byte more ends the stream", () => {
  const exact = new MessageReader(() => false, 1000);
  assert.deepEqual(exact.push(new Uint8Array(600)), []);
  assert.ok(exact.inMessage);
  assert.deepEqual(exact.push(new Uint8Array(400)), []);
  assert.equal(exact.rest()?.length, 1000);
  const [whole] = exact.push(new Uint8Array([0xac]));
  assert.equal(whole?.length, 1000);
  assert.equal(exact.error, null);

  const over = new MessageReader(() => true, 1000);
  over.push(new Uint8Array(600));
  // The over-long piece ends the stream; the 0xAC that would have ended the message comes later.
  assert.deepEqual(over.push(new Uint8Array(401)), []);
  assert.equal(over.error, "a message of more than 1000 bytes without its end (0xAC)");
  assert.deepEqual(over.push(enc.encode("a\xac")), [], "nothing after the error");
  assert.equal(over.splitPayload(enc.encode("b\xac")), null);
  assert.equal(over.rest(), null);
});

Deno.test("the default bound is 64 MiB, named so in the error", () => {
  const r = new MessageReader();
  const piece = new Uint8Array(1 << 20);
  for (let i = 0; i < 64; i++) assert.deepEqual(r.push(piece), []);
  assert.equal(r.error, null);
  r.push(new Uint8Array(1));
  assert.equal(r.error, "a message of more than 64 MiB without its end (0xAC)");
});

function runMessages(run: PayloadRun): Uint8Array[] {
  const out = run.joined === null ? [] : [run.joined];
  let start = run.start;
  for (const end of run.ends) {
    out.push(run.bytes.subarray(start, end));
    start = end + 1;
  }
  return out;
}
