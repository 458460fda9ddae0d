/**
 * The TCP connection of an SSH client, as the stream ssh2 reads and writes. Deno's node:net
 * allocates a fresh 64 KiB buffer for every read of a socket; this stream has the socket read into
 * one reused buffer (node:net's `onread` option) and copies out only the bytes read: a fifth less
 * CPU for a client that receives 100 MB (docs/performance.md, "The SSH client's reads"). The
 * socket itself stays node:net's, for its connect errors and its 30 s TCP keepalive.
 */
import { Buffer } from "node:buffer";
import { createConnection, type Socket } from "node:net";
import { Duplex } from "node:stream";

/** The reused read buffer: bigger than node:net's 64 KiB, so a busy connection reads less often. */
export const READ_BYTES = 256 * 1024;

export class SocketStream extends Duplex {
  /** The node:net socket underneath: wait for its `connect`, set its options there. */
  readonly socket: Socket;

  constructor(host: string, port: number) {
    super({ allowHalfOpen: false, readableHighWaterMark: READ_BYTES });
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    this.socket = createConnection({
      host,
      port,
      onread: { buffer, callback: (n: number) => this.#received(buffer, n) },
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

  /** Copies the bytes out of the reused buffer; false pauses the socket until `_read`. */
  #received(buffer: Buffer, n: number): boolean {
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
