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
  // small TCP segment the jump host sends on may wait for an ACK (Nagle against delayed ACKs). So
  // a write is taken at once, unless the channel said it is full: then its callback waits.
  let pending: Uint8Array[] = [];
  let full = false;
  let held: (() => void)[] = [];
  let closed = false;
  const flush = () => {
    const bytes = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    pending = [];
    if (channel.write(bytes)) return;
    full = true;
    channel.once("drain", () => {
      full = false;
      const waiting = held;
      held = [];
      for (const callback of waiting) callback();
    });
  };
  const stream = new Duplex({
    read() {
      channel.resume();
    },
    write(chunk: Uint8Array, _encoding, callback: () => void) {
      pending.push(chunk);
      if (pending.length === 1) queueMicrotask(flush);
      if (full) held.push(callback);
      else callback();
    },
    final(callback) {
      queueMicrotask(() => {
        channel.end();
        callback();
      });
    },
    destroy(err, callback) {
      // ssh2's destroy ends the channel again: an error object (with its stack) per closed one.
      if (!closed) channel.destroy();
      callback(err);
    },
  });
  channel.on("data", (chunk: Uint8Array) =>
    queueMicrotask(() => {
      if (!stream.push(chunk)) channel.pause();
    }));
  channel.on("end", () => queueMicrotask(() => stream.push(null)));
  channel.on("close", () => {
    closed = true;
    queueMicrotask(() => stream.destroy());
  });
  channel.on("error", (err: Error) => queueMicrotask(() => stream.destroy(err)));
  return stream;
}
