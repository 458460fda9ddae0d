/**
 * The TCP connection of an SSH client, as the stream ssh2 reads and writes. Deno's node:net
 * allocates a fresh 64 KiB buffer for every read of a socket; this stream has the socket read into
 * one reused buffer (node:net's `onread` option: 8 KiB, 256 KiB once 1 MiB came) and copies out
 * only the bytes read: a fifth less CPU for a client that receives 100 MB (docs/performance.md,
 * "The SSH client's reads"). The socket stays node:net's, for its errors and 30 s TCP keepalive.
 */
import { Buffer } from "node:buffer";
import { createConnection, type Socket } from "node:net";
import { Duplex } from "node:stream";

/** The reused read buffer of a connection that carries a stream: fewer, larger reads. */
export const READ_BYTES = 256 * 1024;
/**
 * A connection's buffer until it received BULK_AFTER bytes: a fan-out to 1,000 servers that each
 * answer a few lines would otherwise set 256 MB aside (0.4 s of zeroed memory here).
 */
export const FIRST_READ_BYTES = 8 * 1024;
const BULK_AFTER = 1 << 20;

export class SocketStream extends Duplex {
  /** The node:net socket underneath: wait for its `connect`, set its options there. */
  readonly socket: Socket;

  #buffer = Buffer.allocUnsafe(FIRST_READ_BYTES);
  #received = 0;

  constructor(host: string, port: number) {
    super({ allowHalfOpen: false, readableHighWaterMark: READ_BYTES });
    this.socket = createConnection({
      host,
      port,
      onread: {
        buffer: () => this.#readBuffer(),
        callback: (n: number, buffer: Buffer) => this.#take(buffer, n),
      },
    });
    // Only a Deno without `onread` would emit these: the same bytes, read the usual way.
    this.socket.on("data", (bytes: Buffer) => {
      if (!this.push(bytes)) this.socket.pause();
    });
    this.socket.on("end", () => this.push(null));
    // Until the caller listens (after the connect), the socket's own listeners see its errors.
    this.socket.on("error", (err) => {
      if (this.listenerCount("error") > 0) this.destroy(err);
      else this.destroy();
    });
    // What was read stays readable after the socket closed; the stream closes once it is read.
    this.socket.on("close", () => {
      this.push(null);
      if (this.readableEnded) this.destroy();
      else this.once("end", () => this.destroy());
    });
  }

  /** The peer's address, as node:net's `remoteAddress`. */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** This end's port, as node:net's `localPort` (the dserver's log names a session by it). */
  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  /** The size of the buffer the next read goes into. */
  get readBufferBytes(): number {
    return this.#buffer.length;
  }

  #readBuffer(): Buffer {
    if (this.#received >= BULK_AFTER && this.#buffer.length < READ_BYTES) {
      this.#buffer = Buffer.allocUnsafe(READ_BYTES);
    }
    return this.#buffer;
  }

  /** Copies the bytes out of the reused buffer; false pauses the socket until `_read`. */
  #take(buffer: Buffer, n: number): boolean {
    this.#received += n;
    return this.push(Buffer.from(buffer.subarray(0, n)));
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(
    chunk: Uint8Array,
    _encoding: string,
    callback: (error?: Error | null) => void,
  ): void {
    this.socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.socket.destroyed) callback();
    else this.socket.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}
