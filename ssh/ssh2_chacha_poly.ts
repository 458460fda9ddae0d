/**
 * Puts chacha_poly.ts under what ssh2 sends with chacha20-poly1305@openssh.com. Without its
 * native addon (never loaded in Deno) ssh2 builds three node:crypto ChaCha20 ciphers per packet,
 * each a stream object, runs Poly1305 in an Emscripten module that copies its input, and hands
 * every packet to the socket as three writes (length, packet, tag). Here a packet is encrypted in
 * place and written once: a dserver sending `dcat` output spends about a quarter less CPU
 * (docs/performance.md). The bytes on the wire are the same, to any peer.
 *
 * Received packets are checked and decrypted here too, with ssh2's limits on their length: for
 * large packets ssh2's code costs about what this does (~0.2 s per 100 MB), but it builds three
 * node:crypto ciphers for every packet, however small, and a client sending its bytes one SSH
 * packet each made a dserver spend ~100 µs per packet (docs/decisions.md, "A connection's input has
 * its turn").
 *
 * ssh2 picks its cipher class inside lib/protocol/crypto.js, so the methods are replaced on the
 * prototype of the class it uses here, found through an instance made with a zero key. Each
 * instance's keys, sequence number and write callback stay where ssh2 keeps and changes them
 * (`outSeqno`: strict key exchange resets it; `_onWrite`).
 */
import sshCrypto from "ssh2/lib/protocol/crypto.js";
import { Buffer } from "node:buffer";
import { SpareBuffers } from "../core/spare_buffers.ts";
import {
  chachaPolyEngine,
  type DirectionKeys,
  type Engine,
  keyState,
  MAX_PACKET,
  TAG_SIZE,
} from "./chacha_poly.ts";

const CIPHER = "chacha20-poly1305@openssh.com";

interface CipherInstance {
  outSeqno: number;
  _onWrite(bytes: Uint8Array): void;
  _encKeyMain: Uint8Array;
  _encKeyPktLen: Uint8Array;
  _dead: boolean;
  [KEYS]?: DirectionKeys;
}

const KEYS = Symbol("chacha-poly keys");

interface DecipherInstance {
  inSeqno: number;
  _onPayload(payload: Buffer): unknown;
  _decKeyMain: Uint8Array;
  _decKeyPktLen: Uint8Array;
  [RECEIVING]?: Receiving;
}

/** A connection's received packet while it arrives in pieces. */
interface Receiving {
  readonly keys: DirectionKeys;
  /** The encrypted length field, while fewer than 4 bytes of it came. */
  readonly head: Uint8Array;
  /** Length field, packet and tag, once the length is known. */
  packet: Uint8Array | null;
  /** Bytes of the current packet received (length field included). */
  held: number;
  /** The packet's length (after its length field); -1 until known. */
  len: number;
}

const RECEIVING = Symbol("chacha-poly receiving");
/** ssh2's bound on a received packet's length (lib/protocol/crypto.js). */
const MAX_RECEIVED = 35000;

let installed: boolean | null = null;

/** ssh2's own methods, as they were before installChaChaPoly (tests compare with them). */
export const ssh2Original: {
  allocPacket?: (this: unknown, payloadLen: number) => Buffer;
  encrypt?: (this: unknown, packet: Uint8Array) => void;
  decrypt?: (this: unknown, data: Uint8Array, p: number, dataLen: number) => unknown;
} = {};

/**
 * Replaces ssh2's chacha20-poly1305 encryption, once per process; false (ssh2's own code stays)
 * when the engine cannot run here or ssh2 is not the version whose class this knows.
 */
export function installChaChaPoly(): boolean {
  if (installed !== null) return installed;
  installed = false;
  const engine = chachaPolyEngine();
  if (engine === null) return false;
  const cipher = sshCrypto.createCipher({
    outbound: {
      onWrite() {},
      cipherInfo: sshCrypto.CIPHER_INFO[CIPHER],
      cipherKey: Buffer.alloc(64),
      seqno: 0,
    },
  });
  const proto = Object.getPrototypeOf(cipher);
  // ssh2's ChaChaPolyCipherNative, told by its fields: the installed programs are minified, so
  // class names are not kept.
  const known = cipher._encKeyMain?.length === 32 && cipher._encKeyPktLen?.length === 32 &&
    typeof proto.encrypt === "function" && typeof proto.allocPacket === "function";
  const decipher = sshCrypto.createDecipher({
    inbound: {
      onPayload() {},
      decipherInfo: sshCrypto.CIPHER_INFO[CIPHER],
      decipherKey: Buffer.alloc(64),
      seqno: 0,
    },
  });
  const decipherProto = Object.getPrototypeOf(decipher);
  const knownDecipher = decipher._decKeyMain?.length === 32 &&
    decipher._decKeyPktLen?.length === 32 && typeof decipherProto.decrypt === "function" &&
    typeof decipher.inSeqno === "number";
  if (!known || !knownDecipher) return false;
  ssh2Original.decrypt = decipherProto.decrypt;
  decipherProto.decrypt = function (
    this: DecipherInstance,
    data: Uint8Array,
    p: number,
    dataLen: number,
  ) {
    return decrypt(engine, this, data, p, dataLen);
  };
  ssh2Original.allocPacket = proto.allocPacket;
  ssh2Original.encrypt = proto.encrypt;
  proto.allocPacket = allocPacket;
  proto.encrypt = function (this: CipherInstance, packet: Uint8Array) {
    encrypt(engine, this, packet);
  };
  installed = true;
  return true;
}

/**
 * Buffers of large packets the socket has written, for the next ones (fresh memory costs a page
 * fault per 4 KiB: about a sixth of a dserver's CPU for `dcat`, docs/performance.md). A buffer
 * comes back only through `recycleWrittenPackets`. The socket reports its writes done in later
 * turns of the event loop, so while a session searches a file 50-odd packets (~10 MB) can be out
 * with 2 MiB of window.
 */
const spares = new SpareBuffers(16 << 20);
const SPARE_MIN = 16 * 1024;
/** One size for every large packet's buffer (room for the largest the engine takes), so any serves. */
const PACKET_SPARE = Math.ceil((4 + MAX_PACKET + TAG_SIZE) / 65536) * 65536;
/** The spare-size buffer under each large packet handed out, while ssh2 fills it. */
const under = new WeakMap<Uint8Array, Uint8Array<ArrayBuffer>>();
/** What goes back when the socket has written a packet (keyed by what ssh2 writes). */
const onWritten = new WeakMap<Uint8Array, () => void>();

function packetBuffer(size: number): Buffer {
  if (size < SPARE_MIN) return Buffer.allocUnsafe(size);
  const buffer = size <= PACKET_SPARE ? spares.take(PACKET_SPARE, PACKET_SPARE) : spares.take(size);
  const packet = Buffer.from(buffer.buffer, 0, size);
  under.set(packet, buffer);
  return packet;
}

interface WritableSocket {
  write(data: Uint8Array, ...rest: unknown[]): boolean;
}

/**
 * Packet buffers written to `socket` go back for reuse once its write is done: Node calls a
 * write's callback after the socket wrote the bytes or failed, and holds them no longer. ssh2
 * writes each packet as `socket.write(packet)`; any other write passes through unchanged.
 */
export function recycleWrittenPackets(socket: WritableSocket): void {
  const write = socket.write;
  socket.write = function (this: unknown, data: Uint8Array, ...rest: unknown[]): boolean {
    const back = rest.length === 0 ? onWritten.get(data) : undefined;
    if (back === undefined) return write.call(this, data, ...rest);
    onWritten.delete(data);
    return write.call(this, data, () => back());
  };
}

/** As ssh2's, with room for the tag after the packet, so that it goes out in one write. */
function allocPacket(payloadLen: number): Buffer {
  let pktLen = 4 + 1 + payloadLen;
  let padLen = 8 - ((pktLen - 4) & 7);
  if (padLen < 4) padLen += 8;
  pktLen += padLen;
  const packet = packetBuffer(pktLen + TAG_SIZE);
  packet.writeUInt32BE(pktLen - 4, 0);
  packet[4] = padLen;
  crypto.getRandomValues(packet.subarray(5 + payloadLen, pktLen));
  return packet;
}

function encrypt(engine: Engine, self: CipherInstance, packet: Uint8Array): void {
  if (self._dead) return;
  const keys = self[KEYS] ??= {
    main: keyState(self._encKeyMain),
    length: keyState(self._encKeyPktLen),
  };
  const len = (packet[0]! << 24 | packet[1]! << 16 | packet[2]! << 8 | packet[3]!) >>> 0;
  if (len > MAX_PACKET) {
    // Only for a peer that asked for packets larger than the engine's memory (ours and Go's ask
    // for 32 KiB): ssh2's own code, on the packet without the tag's room.
    ssh2Original.encrypt!.call(self, packet.subarray(0, 4 + len));
    return;
  }
  const size = 4 + len + TAG_SIZE;
  // A packet allocated before this cipher took over has no room for the tag.
  let out = packet;
  if (packet.length < size) {
    out = Buffer.allocUnsafe(size);
    out.set(packet.subarray(0, 4 + len));
  }
  engine.encrypt(keys, self.outSeqno, out, len);
  const written = out.length === size ? out : out.subarray(0, size);
  const buffer = under.get(out);
  if (buffer !== undefined) {
    under.delete(out);
    let done = false;
    onWritten.set(written, () => {
      if (!done) spares.give(buffer);
      done = true;
    });
  }
  self._onWrite(written);
  self.outSeqno = (self.outSeqno + 1) >>> 0;
}

/**
 * ssh2's decipher contract: takes `data[p..dataLen]`, calls `_onPayload` with each packet's
 * payload (after counting the packet in `inSeqno`), and returns where the next reader of the
 * chunk must go on when `_onPayload` returns something (a new key took over), else nothing.
 * A packet wholly in the chunk is opened where it is; one split over reads is gathered first.
 */
function decrypt(
  engine: Engine,
  self: DecipherInstance,
  data: Uint8Array,
  p: number,
  dataLen: number,
): unknown {
  const r = self[RECEIVING] ??= {
    keys: { main: keyState(self._decKeyMain), length: keyState(self._decKeyPktLen) },
    head: new Uint8Array(4),
    packet: null,
    held: 0,
    len: -1,
  };
  while (p < dataLen) {
    let payload: Buffer;
    if (r.len < 0 && r.held === 0 && dataLen - p >= 4) {
      const len = checkedLength(engine.decryptLength(r.keys, self.inSeqno, data, p));
      const size = 4 + len + TAG_SIZE;
      if (dataLen - p < size) {
        r.len = len;
        r.packet = new Uint8Array(size);
        r.packet.set(data.subarray(p, dataLen));
        r.held = dataLen - p;
        return undefined;
      }
      payload = open(engine, r.keys, self.inSeqno, data, p, len);
      p += size;
    } else {
      if (r.len < 0) {
        while (r.held < 4 && p < dataLen) r.head[r.held++] = data[p++]!;
        if (r.held < 4) return undefined;
        r.len = checkedLength(engine.decryptLength(r.keys, self.inSeqno, r.head, 0));
        r.packet = new Uint8Array(4 + r.len + TAG_SIZE);
        r.packet.set(r.head);
      }
      const packet = r.packet!;
      const n = Math.min(packet.length - r.held, dataLen - p);
      packet.set(data.subarray(p, p + n), r.held);
      r.held += n;
      p += n;
      if (r.held < packet.length) return undefined;
      payload = open(engine, r.keys, self.inSeqno, packet, 0, r.len);
      r.packet = null;
      r.len = -1;
      r.held = 0;
    }
    self.inSeqno = (self.inSeqno + 1) >>> 0;
    const ret = self._onPayload(payload);
    if (ret !== undefined) return ret === false ? p : ret;
  }
  return undefined;
}

function checkedLength(len: number): number {
  if (len > MAX_RECEIVED || len < 8 || (len & 7) !== 0) throw new Error("Bad packet length");
  return len;
}

/** The payload of the packet at `src[at..]` (length field, `len` bytes, tag), checked. */
function open(
  engine: Engine,
  keys: DirectionKeys,
  seqno: number,
  src: Uint8Array,
  at: number,
  len: number,
): Buffer {
  const plain = Buffer.allocUnsafe(len);
  if (!engine.decrypt(keys, seqno, src, at, len, plain, 0)) throw new Error("Invalid MAC");
  const padding = plain[0]!;
  if (padding + 1 > len) throw new Error("Bad padding length");
  return plain.subarray(1, len - padding);
}
