import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { chachaPolyEngine, keyState, MAX_PACKET } from "./chacha_poly.ts";
import { chachaPolyWasmModule } from "./chacha_poly_wasm.ts";

const engine = chachaPolyEngine()!;
const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (s: string) => new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
const random = (n: number) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
};

Deno.test("the embedded module is the one chacha_poly_wasm.ts assembles", async () => {
  const file = await Deno.readTextFile(new URL("./chacha_poly_wasm_bytes.ts", import.meta.url));
  assert.equal(file, chachaPolyWasmModule(), "run: deno run ssh/chacha_poly_wasm.ts");
});

Deno.test("ChaCha20 encrypts RFC 8439's example (2.4.2)", () => {
  const key = new Uint8Array(32).map((_, i) => i);
  const iv = fromHex("01000000" + "000000000000004a00000000");
  const text = new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the " +
      "future, sunscreen would be it.",
  );
  engine.xorStream(key, iv, text);
  assert.equal(
    hex(text.subarray(0, 32)),
    "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b",
  );
  assert.equal(hex(text.subarray(text.length - 10)), "b40b8eedf2785e42874d");
});

Deno.test("ChaCha20 matches node:crypto for every length around the 256-byte steps", () => {
  for (const n of [0, 1, 4, 63, 64, 65, 255, 256, 257, 511, 4096 + 7, 32768, 35000]) {
    const key = random(32);
    const iv = random(16);
    iv.set([n & 255, 0, 0, 0]); // a small block counter, as SSH uses
    const data = random(n);
    const ours = data.slice();
    engine.xorStream(key, iv, ours);
    assert.equal(hex(ours), hex(createCipheriv("chacha20", key, iv).update(data)), `${n} bytes`);
  }
});

Deno.test("Poly1305 gives RFC 8439's tag (2.5.2)", () => {
  const key = fromHex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
  const tag = engine.poly1305(key, new TextEncoder().encode("Cryptographic Forum Research Group"));
  assert.equal(hex(tag), "a8061dc1305136c6c22b8baf0c0127a9");
});

Deno.test("Poly1305 reduces a sum at or above 2^130 - 5 (RFC 8439 A.3, vectors 6 and 9)", () => {
  const six = engine.poly1305(
    fromHex("02" + "00".repeat(15) + "00".repeat(16)),
    fromHex("ff".repeat(16)),
  );
  assert.equal(hex(six), "03000000000000000000000000000000");
  const nine = engine.poly1305(
    fromHex("02" + "00".repeat(15) + "00".repeat(16)),
    fromHex("fdffffffffffffffffffffffffffffff"),
  );
  assert.equal(hex(nine), "faffffffffffffffffffffffffffffff");
});

/** Poly1305 by its definition (RFC 8439 2.5.1), in BigInt: the reference for the tests. */
function referencePoly1305(key: Uint8Array, message: Uint8Array): string {
  const le = (bytes: Uint8Array) => bytes.reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);
  const p = (1n << 130n) - 5n;
  const r = le(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  let h = 0n;
  for (let at = 0; at < message.length; at += 16) {
    const block = message.subarray(at, at + 16);
    h = ((h + le(block) + (1n << BigInt(8 * block.length))) * r) % p;
  }
  let tag = (h + le(key.subarray(16, 32))) & ((1n << 128n) - 1n);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++, tag >>= 8n) out[i] = Number(tag & 255n);
  return hex(out);
}

Deno.test("Poly1305 equals its definition for every length to 700 bytes and for long messages", () => {
  const keys = [
    random(32),
    random(32),
    new Uint8Array(32).fill(0xff), // the largest r clamping allows, with the largest s
    fromHex("ffffff0f" + "fcffff0f".repeat(3) + "00".repeat(16)),
  ];
  const lengths = [...Array(701).keys(), 4095, 4096, 4097, 32768 + 5, 35000, MAX_PACKET];
  for (const [k, key] of keys.entries()) {
    const message = k === 2 ? new Uint8Array(MAX_PACKET).fill(0xff) : random(MAX_PACKET);
    for (const n of lengths) {
      const part = message.subarray(0, n);
      assert.equal(hex(engine.poly1305(key, part)), referencePoly1305(key, part), `key ${k}, ${n}`);
    }
  }
});

/** An SSH packet: length, padding length, payload, padding; room for the tag. */
function packet(payload: Uint8Array): { bytes: Uint8Array; len: number } {
  let padLen = 8 - ((1 + payload.length) & 7);
  if (padLen < 4) padLen += 8;
  const len = 1 + payload.length + padLen;
  const bytes = new Uint8Array(4 + len + 16);
  new DataView(bytes.buffer).setUint32(0, len);
  bytes[4] = padLen;
  bytes.set(payload, 5);
  return { bytes, len };
}

/** The nonce as ssh2 hands it to node:crypto: block counter, then the sequence number. */
function iv(counter: number, seqno: number): Uint8Array {
  const out = new Uint8Array(16);
  out[0] = counter;
  new DataView(out.buffer).setUint32(12, seqno);
  return out;
}

Deno.test("a packet is encrypted as PROTOCOL.chacha20poly1305 says, computed with node:crypto", () => {
  const k1 = random(32), k2 = random(32);
  const keys = { main: keyState(k1), length: keyState(k2) };
  for (
    const [size, seqno] of [[0, 0], [3, 1], [100, 0xfffffffe], [32768, 7], [MAX_PACKET - 300, 9]]
  ) {
    const { bytes, len } = packet(random(size!));
    const plain = bytes.slice(0, 4 + len);
    engine.encrypt(keys, seqno!, bytes, len);
    const length = createCipheriv("chacha20", k2, iv(0, seqno!)).update(plain.subarray(0, 4));
    const body = createCipheriv("chacha20", k1, iv(1, seqno!)).update(plain.subarray(4));
    assert.equal(hex(bytes.subarray(0, 4)), hex(length), `length of ${size}`);
    assert.equal(hex(bytes.subarray(4, 4 + len)), hex(body), `packet of ${size}`);
    const polyKey = createCipheriv("chacha20", k1, iv(0, seqno!)).update(new Uint8Array(32));
    const tag = engine.poly1305(polyKey, bytes.subarray(0, 4 + len));
    assert.equal(hex(bytes.subarray(4 + len)), hex(tag), `tag of ${size}`);
  }
});

Deno.test("a packet encrypted by the engine decrypts to itself, and any changed byte is refused", () => {
  const keys = { main: keyState(random(32)), length: keyState(random(32)) };
  for (const len of [8, 16, 200, 255, 256, 4096 + 8, 32768 + 16]) {
    const seqno = 0xfffffff0 + (len & 15);
    const plain = random(4 + len);
    new DataView(plain.buffer).setUint32(0, len);
    const wire = new Uint8Array(4 + len + 16);
    wire.set(plain);
    engine.encrypt(keys, seqno, wire, len);
    assert.equal(engine.decryptLength(keys, seqno, wire, 0), len);
    const out = new Uint8Array(len + 3);
    assert.ok(engine.decrypt(keys, seqno, wire, 0, len, out, 3));
    assert.equal(hex(out.subarray(3)), hex(plain.subarray(4)), `${len} bytes`);
    assert.equal(engine.decrypt(keys, seqno + 1, wire, 0, len, out, 0), false, "other seqno");
    for (const at of [0, 3, 4, 4 + len - 1, 4 + len, 4 + len + 15]) {
      const bad = wire.slice();
      bad[at]! ^= 1;
      const untouched = new Uint8Array(len);
      assert.equal(engine.decrypt(keys, seqno, bad, 0, len, untouched, 0), false, `byte ${at}`);
      assert.ok(untouched.every((b) => b === 0), "nothing written for a refused packet");
    }
  }
});
