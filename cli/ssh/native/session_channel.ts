/**
 * A channel of the native client (RFC 4254): the session channel a dtail client opens on a
 * connection with its `shell` request, or a `direct-tcpip` channel through a jump host; the data
 * both ways within the windows, EOF and close, and the requests a server may send (answered with
 * failure where a reply is wanted). What the server sends is handed out as chunks of what one read
 * of the connection carried, and the window is given back as the reader takes them: a reader that
 * stops stops the server.
 */
import { WireReader, WireWriter } from "./ssh_wire.ts";
import { SpareBuffers } from "../../../core/spare_buffers.ts";

export const CHANNEL_MSG = {
  GLOBAL_REQUEST: 80,
  REQUEST_SUCCESS: 81,
  REQUEST_FAILURE: 82,
  OPEN: 90,
  OPEN_CONFIRMATION: 91,
  OPEN_FAILURE: 92,
  WINDOW_ADJUST: 93,
  DATA: 94,
  EXTENDED_DATA: 95,
  EOF: 96,
  CLOSE: 97,
  REQUEST: 98,
  SUCCESS: 99,
  FAILURE: 100,
} as const;

/** What the server may send before the reader takes it (ssh2's default window as well). */
export const WINDOW = 2 * 1024 * 1024;
/**
 * The largest data packet we accept. A server sends up to this (ours do; the Go DTail sends 32
 * KiB): four times fewer packets than the usual 32 KiB, each encrypted, decrypted and written
 * once.
 */
export const MAX_PACKET_DATA = 128 * 1024;
/** Chunk sizes: a channel's first megabyte, then a stream's (fan-outs stay small). */
const CHUNK = 64 * 1024;
const STREAM_CHUNK = 256 * 1024;
const STREAM_AFTER = 1 << 20;
/** Chunks their readers gave back, for the next ones of any channel. */
const spares = new SpareBuffers(8 << 20);

export interface ChannelIO {
  readonly input: AsyncIterable<Uint8Array>;
  write(bytes: Uint8Array): Promise<void>;
  close(): void;
  /**
   * The reader is done with a chunk of `input` and keeps no view of it: its memory may carry
   * later input. Once per chunk, at most; a chunk never given back is simply not reused.
   */
  recycle(chunk: Uint8Array): void;
}

export class ChannelError extends Error {
  override name = "ChannelError";
  /** An open failure's reason code (RFC 4254 5.1) and text; 0 and "" otherwise. */
  constructor(message: string, readonly reason = 0, readonly text = "") {
    super(message);
  }
}

/** Sends a packet on the connection (the transport's `send`). */
export type Send = (payload: Uint8Array) => void;

export class SessionChannel {
  readonly #send: Send;
  /** Our channel number. */
  readonly id: number;
  #shell = true;
  #theirs = -1;
  #opened: { resolve(): void; reject(e: Error): void } | null = null;

  #remoteWindow = 0;
  #remoteMax = 0;
  #pendingWrites: { bytes: Uint8Array; done(): void }[] = [];

  #windowLeft = WINDOW;
  #unacked = 0;
  #chunks: Uint8Array[] = [];
  #builder = new Uint8Array(0);
  #built = 0;
  #used = 0;
  /** Bytes the server sent on the channel so far. */
  #received = 0;
  /** Chunks handed to the reader and not given back, per builder. */
  readonly #lent = new WeakMap<ArrayBuffer, number>();
  #wake: (() => void) | null = null;
  #eof = false;
  #closedByServer = false;
  #closeSent = false;

  constructor(send: Send, id = 0) {
    this.#send = send;
    this.id = id;
  }

  /** Opens a session channel and makes its `shell` request; rejects with the server's refusal. */
  open(): Promise<void> {
    return this.#open(new WireWriter().byte(CHANNEL_MSG.OPEN).string("session"));
  }

  /** Opens a `direct-tcpip` channel to `host:port` (through a jump host). */
  openDirect(host: string, port: number): Promise<void> {
    this.#shell = false;
    return this.#open(
      new WireWriter().byte(CHANNEL_MSG.OPEN).string("direct-tcpip"),
      (w) => w.string(host).u32(port).string("127.0.0.1").u32(0),
    );
  }

  #open(head: WireWriter, more: (w: WireWriter) => void = () => {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#opened = { resolve, reject };
      const w = head.u32(this.id).u32(WINDOW).u32(MAX_PACKET_DATA);
      more(w);
      this.#send(w.bytes());
    });
  }

  /** Closed both ways: nothing more comes for it (what came may still wait for its reader). */
  get finished(): boolean {
    return this.#closeSent && this.#closedByServer;
  }

  /** A connection-layer packet for this channel; false when it is not one. */
  packet(payload: Uint8Array): boolean {
    const type = payload[0]!;
    if (type < CHANNEL_MSG.OPEN_CONFIRMATION || type > CHANNEL_MSG.FAILURE) return false;
    const r = new WireReader(payload, 1);
    if (r.u32() !== this.id) throw new ChannelError(`message ${type} for another channel`);
    switch (type) {
      case CHANNEL_MSG.OPEN_CONFIRMATION: {
        this.#theirs = r.u32();
        this.#remoteWindow = r.u32();
        this.#remoteMax = Math.max(1, Math.min(r.u32(), MAX_PACKET_DATA));
        if (!this.#shell) {
          this.#settleOpen(null);
          break;
        }
        this.#send(
          new WireWriter().byte(CHANNEL_MSG.REQUEST).u32(this.#theirs).string("shell").bool(true)
            .bytes(),
        );
        break;
      }
      case CHANNEL_MSG.OPEN_FAILURE: {
        const reason = r.u32();
        const why = r.text().slice(0, 200);
        const what = this.#shell ? "a session channel" : "the channel";
        this.#settleOpen(new ChannelError(`${what}${why ? ` (${why})` : ""}`, reason, why));
        this.#closedByServer = this.#eof = true;
        break;
      }
      case CHANNEL_MSG.SUCCESS:
        this.#settleOpen(null);
        break;
      case CHANNEL_MSG.FAILURE:
        this.#settleOpen(new ChannelError("the shell request"));
        break;
      case CHANNEL_MSG.WINDOW_ADJUST:
        this.#remoteWindow = Math.min(this.#remoteWindow + r.u32(), 0xffffffff);
        this.#flushWrites();
        break;
      case CHANNEL_MSG.DATA:
        this.#data(r.string());
        break;
      case CHANNEL_MSG.EXTENDED_DATA: {
        r.u32();
        const n = r.string().length; // stderr: not part of the protocol, only its window
        this.#take(n);
        this.#giveBack(n);
        break;
      }
      case CHANNEL_MSG.EOF:
        this.#eof = true;
        this.#wake?.();
        break;
      case CHANNEL_MSG.CLOSE:
        this.#closedByServer = this.#eof = true;
        this.batchEnd();
        this.#newBuilder(0);
        this.#sendClose();
        this.#settleOpen(new ChannelError("the shell request (channel closed)"));
        this.#wake?.();
        break;
      case CHANNEL_MSG.REQUEST: {
        r.text();
        if (r.bool()) {
          this.#send(new WireWriter().byte(CHANNEL_MSG.FAILURE).u32(this.#theirs).bytes());
        }
        break;
      }
      default:
        return false;
    }
    return true;
  }

  /** The end of one read's packets: what came is handed to the reader as one chunk. */
  batchEnd(): void {
    if (this.#built === this.#used) return;
    this.#chunks.push(this.#builder.subarray(this.#used, this.#built));
    const buffer = this.#builder.buffer;
    this.#lent.set(buffer, (this.#lent.get(buffer) ?? 0) + 1);
    this.#used = this.#built;
    this.#wake?.();
  }

  /** The connection ended: the reader gets what came, then the end. */
  ended(): void {
    this.#eof = this.#closedByServer = true;
    this.#settleOpen(new ChannelError("the shell request (connection closed)"));
    for (const w of this.#pendingWrites.splice(0)) w.done();
    this.#wake?.();
  }

  io(close: () => void): ChannelIO {
    return {
      input: this.#input(),
      write: (bytes) => this.#write(bytes),
      recycle: (chunk) => this.#recycle(chunk),
      close: () => {
        this.#sendClose();
        close();
      },
    };
  }

  #settleOpen(error: Error | null): void {
    const o = this.#opened;
    if (o === null) return;
    this.#opened = null;
    if (error === null) o.resolve();
    else o.reject(error);
  }

  #take(n: number): void {
    if (n > this.#windowLeft) throw new ChannelError("the server sent more than the window");
    this.#windowLeft -= n;
  }

  #data(bytes: Uint8Array): void {
    this.#take(bytes.length);
    this.#received += bytes.length;
    if (this.#closedByServer) return;
    if (this.#built + bytes.length > this.#builder.length) {
      this.batchEnd();
      this.#newBuilder(bytes.length);
    }
    this.#builder.set(bytes, this.#built);
    this.#built += bytes.length;
  }

  /** Starts a builder with room for `n` bytes (0: none yet); the old one is spare once unlent. */
  #newBuilder(n: number): void {
    const old = this.#builder.buffer as ArrayBuffer;
    const size = this.#received > STREAM_AFTER ? STREAM_CHUNK : CHUNK;
    this.#builder = n === 0
      ? new Uint8Array(0)
      : n <= size
      ? spares.take(size, size)
      : new Uint8Array(n);
    this.#built = this.#used = 0;
    if (!this.#lent.has(old)) spare(old);
  }

  #recycle(chunk: Uint8Array): void {
    const buffer = chunk.buffer as ArrayBuffer;
    const lent = this.#lent.get(buffer);
    if (lent === undefined) return;
    if (lent > 1) {
      this.#lent.set(buffer, lent - 1);
      return;
    }
    this.#lent.delete(buffer);
    if (buffer !== this.#builder.buffer) spare(buffer);
  }

  /** Gives `n` bytes of window back once the reader has taken them. */
  #giveBack(n: number): void {
    this.#unacked += n;
    if (this.#unacked < WINDOW / 2 || this.#closedByServer || this.#theirs < 0) return;
    this.#send(
      new WireWriter().byte(CHANNEL_MSG.WINDOW_ADJUST).u32(this.#theirs).u32(this.#unacked).bytes(),
    );
    this.#windowLeft += this.#unacked;
    this.#unacked = 0;
  }

  async *#input(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        this.#giveBack(chunk.length);
        yield chunk;
        continue;
      }
      if (this.#eof) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }

  #write(bytes: Uint8Array): Promise<void> {
    if (this.#closedByServer || this.#closeSent || bytes.length === 0) return Promise.resolve();
    return new Promise<void>((done) => {
      this.#pendingWrites.push({ bytes, done });
      this.#flushWrites();
    });
  }

  #flushWrites(): void {
    while (this.#pendingWrites.length > 0 && this.#remoteWindow > 0 && this.#theirs >= 0) {
      const w = this.#pendingWrites[0]!;
      const n = Math.min(w.bytes.length, this.#remoteWindow, this.#remoteMax);
      this.#send(
        new WireWriter(0, n + 16).byte(CHANNEL_MSG.DATA).u32(this.#theirs).string(
          w.bytes.subarray(0, n),
        ).bytes(),
      );
      this.#remoteWindow -= n;
      w.bytes = w.bytes.subarray(n);
      if (w.bytes.length === 0) {
        this.#pendingWrites.shift();
        w.done();
      }
    }
  }

  #sendClose(): void {
    if (this.#closeSent || this.#theirs < 0) return;
    this.#closeSent = true;
    this.#send(new WireWriter().byte(CHANNEL_MSG.CLOSE).u32(this.#theirs).bytes());
  }
}

/** Keeps a chunk's memory of one of the two chunk sizes for the next chunks. */
function spare(buffer: ArrayBuffer): void {
  if (buffer.byteLength === CHUNK || buffer.byteLength === STREAM_CHUNK) {
    spares.give(new Uint8Array(buffer));
  }
}
