/**
 * chacha20-poly1305@openssh.com encryption (PROTOCOL.chacha20poly1305 in OpenSSH) on a
 * WebAssembly module (chacha_poly_wasm.ts): ChaCha20 4 blocks at a time in SIMD, Poly1305 on
 * 64-bit integers, four blocks at a time in SIMD for all but the last few of a long message (by
 * the powers of r up to r^4). One instance serves every connection of the process: each call
 * writes the state it needs and finishes before returning, and nothing stays in its memory
 * between calls.
 *
 * A packet on the wire is: 4-byte length (ChaCha20 with the second key, counter 0), the packet
 * (padding length, payload, padding; first key, counter 1), and a Poly1305 tag over both, keyed
 * by the first 32 bytes of the first key's block 0. The nonce is the sequence number.
 */
import { CHACHA_POLY_PAGES, CHACHA_POLY_WASM_HEX } from "./chacha_poly_wasm_bytes.ts";

/** Byte offsets in the module's memory. */
const STATE = 0; // 16 words: the ChaCha20 input
const POLY = 64; // h0..h4, r0..r4, s1..s4 (32-bit words)
const POWERS_CONTEXT = 128; // POLY's layout, where r^2, r^3 and r^4 are made
const R_BLOCK = 192; // r (clamped) as a message block
const ZERO_BLOCK = 208; // 16 zero bytes
const SCRATCH = 256; // 256 bytes of key stream
const PAD = 512; // a padded last Poly1305 block
const POWERS = 768; // poly4's vectors: (r^4_j, r^3_j, r^2_j, r_j), j = 0..4; then times 5, j = 1..4
const DATA = 1024; // length + packet while it is processed
const SLACK = 256; // ChaCha20 works in 256-byte steps past a packet's end
/** The largest packet (after the length field) this can encrypt. */
export const MAX_PACKET = CHACHA_POLY_PAGES * 65536 - DATA - 4 - SLACK;
export const TAG_SIZE = 16;
/** Poly1305's clamp of r (RFC 8439 2.5), as four little-endian words. */
const CLAMP = [0x0fffffff, 0x0ffffffc, 0x0ffffffc, 0x0ffffffc];
/** Messages from this size are hashed four blocks at a time (the powers of r cost ~3 blocks). */
const POLY4_FROM = 256;

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

interface Exports {
  chacha(state: number, at: number, end: number): void;
  poly(context: number, at: number, end: number, highBit: number): void;
  poly4(context: number, powers: number, at: number, end: number): void;
  mem: WebAssembly.Memory;
}

let engine: Engine | null = null;

/** The shared engine, or null where it cannot run (a big-endian host). */
export function chachaPolyEngine(): Engine | null {
  if (engine === null && littleEndian) engine = new Engine();
  return engine;
}

/** The 16 words of a ChaCha20 state for a 32-byte key, counter and nonce left 0. */
export function keyState(key: Uint8Array): Uint32Array {
  const words = new Uint32Array(16);
  words.set(SIGMA);
  const view = new DataView(key.buffer, key.byteOffset, 32);
  for (let i = 0; i < 8; i++) words[4 + i] = view.getUint32(4 * i, true);
  return words;
}

/** The two keys of one direction: K_1 (packets, Poly1305 keys) and K_2 (lengths). */
export interface DirectionKeys {
  readonly main: Uint32Array;
  readonly length: Uint32Array;
}

export class Engine {
  readonly #x: Exports;
  readonly #bytes: Uint8Array;
  readonly #words: Uint32Array;
  readonly #view: DataView;

  constructor() {
    const bytes = Uint8Array.fromHex(CHACHA_POLY_WASM_HEX);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    this.#x = instance.exports as unknown as Exports;
    const buffer = this.#x.mem.buffer;
    this.#bytes = new Uint8Array(buffer);
    this.#words = new Uint32Array(buffer);
    this.#view = new DataView(buffer);
  }

  /** Sets the ChaCha20 state: a key's words, block counter, nonce = the sequence number. */
  #state(key: Uint32Array, counter: number, seqno: number): void {
    const w = this.#words;
    w.set(key, STATE >> 2);
    w[(STATE >> 2) + 12] = counter;
    w[(STATE >> 2) + 13] = 0;
    w[(STATE >> 2) + 14] = 0;
    // The nonce is the sequence number as 8 big-endian bytes; a word is read little-endian.
    w[(STATE >> 2) + 15] = ((seqno & 0xff) << 24 | (seqno & 0xff00) << 8 |
      (seqno >>> 8) & 0xff00 | seqno >>> 24) >>> 0;
  }

  /** Key stream blocks 0–3 of the state into SCRATCH. */
  #keyStream(key: Uint32Array, seqno: number): void {
    this.#state(key, 0, seqno);
    this.#bytes.fill(0, SCRATCH, SCRATCH + 256);
    this.#x.chacha(STATE, SCRATCH, SCRATCH + 256);
  }

  /**
   * Encrypts in place: packet[0..4] the length, packet[4..4+len] the packet; writes the tag at
   * packet[4+len..4+len+16].
   */
  encrypt(keys: DirectionKeys, seqno: number, packet: Uint8Array, len: number): void {
    const b = this.#bytes;
    b.set(packet.subarray(0, 4 + len), DATA);
    this.#keyStream(keys.length, seqno);
    for (let i = 0; i < 4; i++) b[DATA + i]! ^= b[SCRATCH + i]!;
    this.#keyStream(keys.main, seqno); // SCRATCH[0..32]: the Poly1305 key
    this.#state(keys.main, 1, seqno);
    this.#x.chacha(STATE, DATA + 4, DATA + 4 + roundUp256(len));
    this.#tag(4 + len);
    packet.set(b.subarray(DATA, DATA + 4 + len), 0);
    packet.set(b.subarray(PAD, PAD + TAG_SIZE), 4 + len);
  }

  /** The length field of a received packet: `src[at..at+4]` decrypted (src is not changed). */
  decryptLength(keys: DirectionKeys, seqno: number, src: Uint8Array, at: number): number {
    const b = this.#bytes;
    this.#keyStream(keys.length, seqno);
    return ((src[at]! ^ b[SCRATCH]!) << 24 | (src[at + 1]! ^ b[SCRATCH + 1]!) << 16 |
      (src[at + 2]! ^ b[SCRATCH + 2]!) << 8 | (src[at + 3]! ^ b[SCRATCH + 3]!)) >>> 0;
  }

  /**
   * Checks and decrypts a received packet: `src[at..at+4+len+16]` holds the encrypted length, the
   * packet and the tag. When the tag matches, writes the plain packet (padding length, payload,
   * padding) to `out[outAt..outAt+len]` and returns true; otherwise writes nothing.
   */
  decrypt(
    keys: DirectionKeys,
    seqno: number,
    src: Uint8Array,
    at: number,
    len: number,
    out: Uint8Array,
    outAt: number,
  ): boolean {
    const plain = this.decryptHere(keys, seqno, src, at, len);
    if (plain === null) return false;
    out.set(plain, outAt);
    return true;
  }

  /**
   * As `decrypt`, but the plain packet stays in the engine's memory: the view returned is valid
   * until the engine's next call (by any connection of the process); null when the tag differs.
   */
  decryptHere(
    keys: DirectionKeys,
    seqno: number,
    src: Uint8Array,
    at: number,
    len: number,
  ): Uint8Array | null {
    if (len > MAX_PACKET) return null;
    const b = this.#bytes;
    b.set(src.subarray(at, at + 4 + len), DATA);
    this.#keyStream(keys.main, seqno); // SCRATCH[0..32]: the Poly1305 key
    this.#tag(4 + len);
    let diff = 0;
    const tagAt = at + 4 + len;
    for (let i = 0; i < TAG_SIZE; i++) diff |= b[PAD + i]! ^ src[tagAt + i]!;
    if (diff !== 0) return null;
    this.#state(keys.main, 1, seqno);
    this.#x.chacha(STATE, DATA + 4, DATA + 4 + roundUp256(len));
    return b.subarray(DATA + 4, DATA + 4 + len);
  }

  /**
   * Poly1305 of DATA[0..n] keyed by SCRATCH[0..32] (RFC 8439 2.5, as poly1305-donna-32); the tag
   * goes to PAD[0..16].
   */
  #tag(n: number): void {
    const v = this.#view, w = this.#words, b = this.#bytes;
    const r0 = v.getUint32(SCRATCH, true) & 0x3ffffff;
    const r1 = (v.getUint32(SCRATCH + 3, true) >>> 2) & 0x3ffff03;
    const r2 = (v.getUint32(SCRATCH + 6, true) >>> 4) & 0x3ffc0ff;
    const r3 = (v.getUint32(SCRATCH + 9, true) >>> 6) & 0x3f03fff;
    const r4 = (v.getUint32(SCRATCH + 12, true) >>> 8) & 0x00fffff;
    const p = POLY >> 2;
    w.fill(0, p, p + 5);
    w[p + 5] = r0, w[p + 6] = r1, w[p + 7] = r2, w[p + 8] = r3, w[p + 9] = r4;
    w[p + 10] = r1 * 5, w[p + 11] = r2 * 5, w[p + 12] = r3 * 5, w[p + 13] = r4 * 5;
    const whole = n - (n & 15);
    let from = DATA;
    if (whole >= POLY4_FROM) {
      this.#powers();
      from = DATA + whole - (whole & 63);
      this.#x.poly4(POLY, POWERS, DATA, from);
    }
    this.#x.poly(POLY, from, DATA + whole, 1 << 24);
    if (whole < n) {
      b.fill(0, PAD, PAD + 16);
      b.copyWithin(PAD, DATA + whole, DATA + n);
      b[PAD + n - whole] = 1;
      this.#x.poly(POLY, PAD, PAD + 16, 0);
    }
    let h0 = w[p]!, h1 = w[p + 1]!, h2 = w[p + 2]!, h3 = w[p + 3]!, h4 = w[p + 4]!;
    const M = 0x3ffffff;
    let c = h1 >>> 26;
    h1 &= M, h2 += c, c = h2 >>> 26, h2 &= M, h3 += c, c = h3 >>> 26, h3 &= M;
    h4 += c, c = h4 >>> 26, h4 &= M, h0 += c * 5, c = h0 >>> 26, h0 &= M, h1 += c;
    // h + 5 - 2^130: taken when not negative, i.e. when h >= 2^130 - 5.
    let g0 = h0 + 5;
    c = g0 >>> 26, g0 &= M;
    let g1 = h1 + c;
    c = g1 >>> 26, g1 &= M;
    let g2 = h2 + c;
    c = g2 >>> 26, g2 &= M;
    let g3 = h3 + c;
    c = g3 >>> 26, g3 &= M;
    const g4 = h4 + c - (1 << 26);
    const keep = g4 >> 31; // all ones when g4 < 0: keep h
    const take = ~keep;
    h0 = (h0 & keep) | (g0 & take), h1 = (h1 & keep) | (g1 & take);
    h2 = (h2 & keep) | (g2 & take), h3 = (h3 & keep) | (g3 & take);
    h4 = (h4 & keep) | (g4 & take);
    const words = [
      (h0 | (h1 << 26)) >>> 0,
      ((h1 >>> 6) | (h2 << 20)) >>> 0,
      ((h2 >>> 12) | (h3 << 14)) >>> 0,
      ((h3 >>> 18) | (h4 << 8)) >>> 0,
    ];
    let carry = 0;
    for (let i = 0; i < 4; i++) {
      const f = words[i]! + v.getUint32(SCRATCH + 16 + 4 * i, true) + carry;
      v.setUint32(PAD + 4 * i, f >>> 0, true);
      carry = f > 0xffffffff ? 1 : 0;
    }
  }

  /**
   * POWERS for poly4 from r and s in POLY: r^2 = (0 + r) r, r^3 = (r^2 + 0) r, r^4 = (r^3 + 0) r,
   * each by one step of the block loop (limbs partly reduced, as h is between blocks).
   */
  #powers(): void {
    const w = this.#words;
    const p = POLY >> 2, q = POWERS_CONTEXT >> 2, out = POWERS >> 2, rb = R_BLOCK >> 2;
    w.copyWithin(q + 5, p + 5, p + 14);
    w.fill(0, q, q + 5);
    w.fill(0, ZERO_BLOCK >> 2, (ZERO_BLOCK >> 2) + 4);
    const v = this.#view;
    for (let i = 0; i < 4; i++) w[rb + i] = (v.getUint32(SCRATCH + 4 * i, true) & CLAMP[i]!) >>> 0;
    for (let j = 0; j < 5; j++) w[out + 4 * j + 3] = w[p + 5 + j]!;
    for (let power = 2, block = R_BLOCK; power <= 4; power++, block = ZERO_BLOCK) {
      this.#x.poly(POWERS_CONTEXT, block, block + 16, 0);
      for (let j = 0; j < 5; j++) w[out + 4 * j + 4 - power] = w[q + j]!;
    }
    for (let j = 1; j < 5; j++) {
      for (let lane = 0; lane < 4; lane++) {
        w[out + 20 + 4 * (j - 1) + lane] = w[out + 4 * j + lane]! * 5;
      }
    }
  }

  /**
   * Raw ChaCha20 (tests): xors data with the key stream of a 32-byte key and a 16-byte IV as
   * OpenSSL reads it (block counter, then nonce: state words 12–15, little-endian).
   */
  xorStream(key: Uint8Array, iv: Uint8Array, data: Uint8Array): void {
    const b = this.#bytes;
    b.set(data, DATA);
    this.#words.set(keyState(key), STATE >> 2);
    b.set(iv.subarray(0, 16), STATE + 48);
    this.#x.chacha(STATE, DATA, DATA + roundUp256(data.length));
    data.set(b.subarray(DATA, DATA + data.length));
  }

  /** Raw Poly1305 (tests): the tag of message under a 32-byte key. */
  poly1305(key: Uint8Array, message: Uint8Array): Uint8Array {
    const b = this.#bytes;
    b.set(key, SCRATCH);
    b.set(message, DATA);
    this.#tag(message.length);
    return b.slice(PAD, PAD + TAG_SIZE);
  }
}

function roundUp256(n: number): number {
  return (n + 255) & ~255;
}
