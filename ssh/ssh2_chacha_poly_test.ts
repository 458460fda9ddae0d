import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { AddressInfo } from "node:net";
import ssh2 from "ssh2";
import sshCrypto from "ssh2/lib/protocol/crypto.js";
import { generateEd25519Key } from "../server/ssh/host_key.ts";
import { installChaChaPoly, recycleWrittenPackets, ssh2Original } from "./ssh2_chacha_poly.ts";
import { MAX_PACKET } from "./chacha_poly.ts";

const CIPHER = "chacha20-poly1305@openssh.com";
const info = sshCrypto.CIPHER_INFO[CIPHER];
assert.equal(installChaChaPoly(), true);
await sshCrypto.init; // ssh2's own Poly1305, for its original encryption and its decryption

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

/** Packets of these payload sizes, encrypted by `encrypt` (ours or ssh2's), as one stream. */
function wire(
  key: Buffer,
  sizes: readonly number[],
  original: boolean,
): { bytes: Uint8Array; payloads: Uint8Array[] } {
  const parts: Uint8Array[] = [];
  const cipher = sshCrypto.createCipher({
    outbound: {
      onWrite: (b: Uint8Array) => parts.push(new Uint8Array(b)),
      cipherInfo: info,
      cipherKey: key,
      seqno: 5,
    },
  });
  const payloads = sizes.map((n) => {
    const payload = random(n);
    const packet = original ? ssh2Original.allocPacket!.call(cipher, n) : cipher.allocPacket(n);
    packet.set(payload, 5);
    if (original) ssh2Original.encrypt!.call(cipher, packet);
    else cipher.encrypt(packet);
    return payload;
  });
  return { bytes: Buffer.concat(parts), payloads };
}

/**
 * The payloads found in the stream, given in reads of `split` bytes, by ssh2's own decryption
 * (`original`) or the one installed here; and the sequence number after them.
 */
function read(
  key: Buffer,
  bytes: Uint8Array,
  original = false,
  split: (at: number) => number = () => bytes.length,
): Uint8Array[] & { seqno?: number } {
  const payloads: Uint8Array[] & { seqno?: number } = [];
  const decipher = sshCrypto.createDecipher({
    inbound: {
      onPayload: (p: Uint8Array) => void payloads.push(new Uint8Array(p)),
      decipherInfo: info,
      decipherKey: key,
      seqno: 5,
    },
  });
  for (let at = 0; at < bytes.length;) {
    const piece = bytes.subarray(at, Math.min(bytes.length, at + Math.max(1, split(at))));
    if (original) ssh2Original.decrypt!.call(decipher, piece, 0, piece.length);
    else decipher.decrypt(piece, 0, piece.length);
    at += piece.length;
  }
  payloads.seqno = decipher.inSeqno;
  return payloads;
}

const sizes = [0, 1, 9, 100, 32768, 5, 20000];
const same = (a: Uint8Array[], b: Uint8Array[]) =>
  a.length === b.length && a.every((x, i) => Buffer.compare(x, b[i]!) === 0);

Deno.test("what is encrypted here, ssh2 decrypts to the same payloads, in packets as long as its own", () => {
  const key = Buffer.from(random(64));
  const ours = wire(key, sizes, false);
  assert.ok(same(read(key, ours.bytes, true), ours.payloads));
  // Padding is random: the same payloads through ssh2's own encryption give other bytes, but
  // the same length and the same payloads back.
  const theirs = wire(key, sizes, true);
  assert.equal(ours.bytes.length, theirs.bytes.length);
  assert.ok(same(read(key, theirs.bytes, true), theirs.payloads));
});

Deno.test("received packets are opened here as ssh2 opens them, however the reads cut them", () => {
  const key = Buffer.from(random(64));
  const theirs = wire(key, [...sizes, 3, 0, 34000, 1, 2], true);
  const count = theirs.payloads.length;
  const splits: Array<(at: number) => number> = [
    () => theirs.bytes.length,
    () => 1,
    () => 3,
    () => 7,
    () => 4096,
    (at) => (at * 7919) % 97,
    (at) => (at * 104729) % 40000,
  ];
  for (const split of splits) {
    const ours = read(key, theirs.bytes, false, split);
    assert.ok(same(ours, theirs.payloads), `reads cut by ${split}`);
    assert.equal(ours.seqno, 5 + count);
    assert.ok(same(read(key, theirs.bytes, true, split), theirs.payloads), "ssh2's agrees");
  }
});

Deno.test("a received packet whose tag or length is wrong is refused as ssh2 refuses it", () => {
  const key = Buffer.from(random(64));
  const { bytes } = wire(key, [100, 200], true);
  for (const at of [4 + 104 + 3, bytes.length - 1, 20]) {
    const bad = bytes.slice();
    bad[at]! ^= 1;
    assert.throws(() => read(key, bad), /Invalid MAC/, `byte ${at} changed`);
    assert.throws(() => read(key, bad, false, () => 5), /Invalid MAC/, `byte ${at}, in pieces`);
    assert.throws(() => read(key, bad, true), /Invalid MAC/, `ssh2: byte ${at} changed`);
  }
  const long = wire(key, [36000], false).bytes;
  assert.throws(() => read(key, long), /Bad packet length/);
  assert.throws(() => read(key, long, true), /Bad packet length/);
  const otherKey = Buffer.from(random(64));
  assert.throws(() => read(otherKey, bytes), /Bad packet length|Invalid MAC/);
});

Deno.test("a payload handler that returns ends the read there, as a new key takes over", () => {
  const key = Buffer.from(random(64));
  const { bytes } = wire(key, [10, 20, 30], true);
  const first = 4 + 16 + 16; // length, 1 + 10 payload bytes + 5 of padding, tag
  for (const original of [false, true]) {
    let calls = 0;
    const decipher = sshCrypto.createDecipher({
      inbound: {
        onPayload: () => ++calls === 1 ? false : undefined,
        decipherInfo: info,
        decipherKey: key,
        seqno: 5,
      },
    });
    const decrypt = original
      ? ssh2Original.decrypt!.bind(decipher)
      : decipher.decrypt.bind(decipher);
    assert.equal(decrypt(bytes, 0, bytes.length), first);
    assert.equal(calls, 1);
    assert.equal(decipher.inSeqno, 6);
    assert.equal(decrypt(bytes, first, bytes.length), undefined);
    assert.equal(calls, 3);
  }
});

Deno.test("a packet from before the cipher took over, without room for the tag, is sent whole", () => {
  const key = Buffer.from(random(64));
  const parts: Uint8Array[] = [];
  const cipher = sshCrypto.createCipher({
    outbound: {
      onWrite: (b: Uint8Array) => parts.push(new Uint8Array(b)),
      cipherInfo: info,
      cipherKey: key,
      seqno: 5,
    },
  });
  const payload = random(50);
  const packet = ssh2Original.allocPacket!.call(cipher, payload.length);
  packet.set(payload, 5);
  cipher.encrypt(packet);
  assert.equal(parts.length, 1);
  assert.ok(same(read(key, Buffer.concat(parts)), [payload]));
});

/** An ssh2 server echoing a shell channel; whether what came back is what was sent. */
Deno.test("a packet larger than the engine's memory is left to ssh2's own encryption", () => {
  const parts: Uint8Array[] = [];
  const cipher = sshCrypto.createCipher({
    outbound: {
      onWrite: (b: Uint8Array) => parts.push(b),
      cipherInfo: info,
      cipherKey: Buffer.from(random(64)),
      seqno: 5,
    },
  });
  const packet = cipher.allocPacket(MAX_PACKET + 100);
  cipher.encrypt(packet);
  assert.equal(parts.length, 3, "ssh2 writes length, packet and tag apart");
  assert.equal(parts.reduce((n, p) => n + p.length, 0), packet.length);
  assert.equal(cipher.outSeqno, 6);
});

async function echo(clientCiphers: string[], size: number) {
  const server = new ssh2.Server({ hostKeys: [generateEd25519Key().private] }, (conn) => {
    conn.on("error", () => {});
    conn.on("authentication", (ctx) => ctx.accept());
    conn.on("session", (accept) => {
      accept().on("shell", (accept) => {
        const channel = accept();
        channel.on("data", (data: Buffer) => channel.write(data));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const client = new ssh2.Client();
  try {
    await new Promise<void>((resolve, reject) => {
      client.on("ready", resolve).on("error", reject).connect({
        host: "127.0.0.1",
        port: (server.address() as AddressInfo).port,
        username: "test",
        algorithms: { cipher: clientCiphers as ssh2.CipherAlgorithm[] },
      });
    });
    const data = random(size);
    const back = await new Promise<Uint8Array>((resolve, reject) => {
      client.shell(false, (err, channel) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        let got = 0;
        channel.on("data", (d: Buffer) => {
          chunks.push(d);
          if ((got += d.length) >= size) resolve(Buffer.concat(chunks));
        });
        channel.write(data);
      });
    });
    return Buffer.compare(Buffer.from(back), Buffer.from(data)) === 0;
  } finally {
    client.end();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

Deno.test("over a real connection 3 MB echo back intact, both sides encrypting here", async () => {
  assert.ok(await echo([CIPHER], 3 << 20));
});

Deno.test("another cipher is left to ssh2 and works as before", async () => {
  assert.ok(await echo(["aes128-gcm@openssh.com"], 1 << 20));
});

interface Write {
  data: Uint8Array;
  copy: Uint8Array;
  done: (() => void) | undefined;
}

/** A cipher writing to a socket that records each write (and a copy of it) and its callback. */
function recordingCipher(keyByte: number) {
  const writes: Write[] = [];
  const socket = {
    write(data: Uint8Array, done?: () => void): boolean {
      writes.push({ data, copy: data.slice(), done });
      return true;
    },
  };
  recycleWrittenPackets(socket);
  const cipher = sshCrypto.createCipher({
    outbound: {
      onWrite: (b: Uint8Array) => socket.write(b),
      cipherInfo: info,
      cipherKey: Buffer.alloc(64, keyByte),
      seqno: 0,
    },
  });
  return { writes, socket, cipher };
}

Deno.test("a packet's memory is reused only after the socket wrote it", () => {
  const { writes, socket, cipher } = recordingCipher(3);
  const send = (fill: number) => {
    const packet = cipher.allocPacket(20_000);
    packet.fill(fill, 5, 5 + 20_000);
    cipher.encrypt(packet);
  };
  for (let i = 1; i <= 3; i++) send(i);
  assert.equal(writes.length, 3);
  assert.ok(writes.every((w) => w.done !== undefined), "each packet's write reports back");
  writes[0]!.done!();
  send(4);
  send(5);
  assert.equal(writes[3]!.data.buffer, writes[0]!.data.buffer, "the written packet's memory");
  assert.notEqual(writes[4]!.data.buffer, writes[0]!.data.buffer);
  for (const [i, w] of writes.entries()) {
    if (i !== 0) assert.deepEqual(w.data, w.copy, `packet ${i + 1} is as it was written`);
  }
  // Other writes pass through as they were made.
  let own = false;
  socket.write(new Uint8Array(3));
  assert.equal(writes.at(-1)!.done, undefined);
  (socket.write as (d: Uint8Array, cb: () => void) => boolean)(new Uint8Array(3), () => own = true);
  writes.at(-1)!.done!();
  assert.equal(own, true);
});

Deno.test("a written packet's memory serves the next large packet, whatever their sizes", () => {
  const { writes, cipher } = recordingCipher(4);
  const send = (n: number) => cipher.encrypt(cipher.allocPacket(n));
  send(20_000);
  writes[0]!.done!();
  send(128 * 1024);
  assert.equal(writes[1]!.data.buffer, writes[0]!.data.buffer, "a larger one after a smaller");
  writes[1]!.done!();
  send(17_000);
  assert.equal(writes[2]!.data.buffer, writes[0]!.data.buffer, "a smaller one after a larger");
});
