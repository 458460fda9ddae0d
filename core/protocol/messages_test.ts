import assert from "node:assert/strict";
import {
  capabilitiesMessage,
  escapeMessage,
  isControl,
  MessageReader,
  parseCapabilities,
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
