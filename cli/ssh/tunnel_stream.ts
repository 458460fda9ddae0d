/**
 * A jump host's channel as the stream an SSH connection runs over (cli/ssh/dialer.ts). What goes
 * through it is handed on in a microtask, never inside the other connection's packet handling:
 * ssh2's chacha20-poly1305 keeps its nonce in one module-wide buffer and writes a packet in three
 * pieces, so an inner connection whose first piece was encrypted again by the jump connection
 * synchronously found the jump connection's sequence number in its nonce for the rest of the
 * packet (the server rejected it and the handshake stalled).
 */
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import type { ClientChannel } from "ssh2";

export function tunnelStream(channel: ClientChannel): Duplex {
  // What one turn wrote goes out as one channel packet: ssh2 writes a packet in pieces, and each
  // small TCP segment the jump host sends on may wait for an ACK (Nagle against delayed ACKs).
  let pending: Uint8Array[] = [];
  let callbacks: ((error?: Error | null) => void)[] = [];
  const flush = () => {
    const chunks = pending;
    const done = callbacks;
    pending = [];
    callbacks = [];
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    channel.write(bytes, (err?: Error | null) => {
      for (const callback of done) callback(err);
    });
  };
  const stream = new Duplex({
    read() {
      channel.resume();
    },
    write(chunk: Uint8Array, _encoding, callback) {
      pending.push(chunk);
      callbacks.push(callback);
      if (pending.length === 1) queueMicrotask(flush);
    },
    final(callback) {
      queueMicrotask(() => {
        channel.end();
        callback();
      });
    },
    destroy(err, callback) {
      channel.destroy();
      callback(err);
    },
  });
  channel.on("data", (chunk: Uint8Array) =>
    queueMicrotask(() => {
      if (!stream.push(chunk)) channel.pause();
    }));
  channel.on("end", () => queueMicrotask(() => stream.push(null)));
  channel.on("close", () => queueMicrotask(() => stream.destroy()));
  channel.on("error", (err: Error) => queueMicrotask(() => stream.destroy(err)));
  return stream;
}
