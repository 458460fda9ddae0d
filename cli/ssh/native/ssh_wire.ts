/**
 * The SSH wire encoding (RFC 4251 section 5): bytes, uint32, boolean, string, mpint and name-list,
 * written into a growing buffer and read with a bound check on every field. A short or malformed
 * message is a `WireError`, never a read past the message.
 */

export class WireError extends Error {
  override name = "WireError";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

export class WireWriter {
  #buf: Uint8Array;
  #view: DataView;
  #n: number;

  /** `reserve` bytes are left free at the start (a packet header written later). */
  constructor(reserve = 0, capacity = 256) {
    this.#buf = new Uint8Array(Math.max(capacity, reserve + 16));
    this.#view = new DataView(this.#buf.buffer);
    this.#n = reserve;
  }

  get length(): number {
    return this.#n;
  }

  #room(more: number): void {
    if (this.#n + more <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#n + more));
    grown.set(this.#buf.subarray(0, this.#n));
    this.#buf = grown;
    this.#view = new DataView(grown.buffer);
  }

  byte(v: number): this {
    this.#room(1);
    this.#buf[this.#n++] = v;
    return this;
  }

  bool(v: boolean): this {
    return this.byte(v ? 1 : 0);
  }

  u32(v: number): this {
    this.#room(4);
    this.#view.setUint32(this.#n, v >>> 0);
    this.#n += 4;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.#room(bytes.length);
    this.#buf.set(bytes, this.#n);
    this.#n += bytes.length;
    return this;
  }

  string(v: Uint8Array | string): this {
    const bytes = typeof v === "string" ? encoder.encode(v) : v;
    return this.u32(bytes.length).raw(bytes);
  }

  nameList(names: readonly string[]): this {
    return this.string(names.join(","));
  }

  /** An unsigned big-endian integer as an mpint: no leading zeros, a 0 byte before a high bit. */
  mpint(unsigned: Uint8Array): this {
    let i = 0;
    while (i < unsigned.length && unsigned[i] === 0) i++;
    const digits = unsigned.subarray(i);
    const pad = digits.length > 0 && (digits[0]! & 0x80) !== 0 ? 1 : 0;
    this.u32(digits.length + pad);
    if (pad) this.byte(0);
    return this.raw(digits);
  }

  /** The bytes written (a view of the buffer, including any reserved start). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#n);
  }
}

export class WireReader {
  readonly #b: Uint8Array;
  readonly #view: DataView;
  #at: number;

  constructor(bytes: Uint8Array, at = 0) {
    this.#b = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#at = at;
  }

  #need(n: number): void {
    if (n < 0 || this.#at + n > this.#b.length) throw new WireError("message too short");
  }

  get left(): number {
    return this.#b.length - this.#at;
  }

  byte(): number {
    this.#need(1);
    return this.#b[this.#at++]!;
  }

  bool(): boolean {
    return this.byte() !== 0;
  }

  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#at);
    this.#at += 4;
    return v;
  }

  /** A string's bytes (a view of the message). */
  string(): Uint8Array {
    const n = this.u32();
    this.#need(n);
    const v = this.#b.subarray(this.#at, this.#at + n);
    this.#at += n;
    return v;
  }

  text(): string {
    return decoder.decode(this.string());
  }

  nameList(): string[] {
    const t = this.text();
    return t === "" ? [] : t.split(",");
  }

  /** The message must end here. */
  end(): void {
    if (this.#at !== this.#b.length) {
      throw new WireError("unexpected bytes at the end of a message");
    }
  }
}
