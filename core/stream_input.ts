/**
 * Reads a Node-style stream (an SSH channel) as an async generator. Unlike the stream's own
 * async iterator, stopping early does not destroy the stream, so its other direction can still
 * send a last message (a notice, a close request).
 */

export interface EventStream {
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close", listener: () => void): unknown;
  off(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  off(event: "end" | "close", listener: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

const HIGH_WATER = 16;

export async function* streamInput(stream: EventStream): AsyncGenerator<Uint8Array> {
  const queue: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  const onData = (chunk: Uint8Array) => {
    // A plain view: ssh2 hands out Node Buffers, whose indexOf and subarray are slow JavaScript
    // in Deno's node compatibility layer (a fifth of the client's time over SSH).
    queue.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (queue.length >= HIGH_WATER) stream.pause(); // back-pressure to the sender
    wake?.();
  };
  const onEnd = () => {
    ended = true;
    wake?.();
  };
  stream.on("data", onData);
  stream.on("end", onEnd);
  stream.on("close", onEnd);
  try {
    for (;;) {
      while (queue.length === 0) {
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      const chunk = queue.shift()!;
      if (queue.length <= HIGH_WATER / 2) stream.resume();
      yield chunk;
    }
  } finally {
    stream.off("data", onData);
    stream.off("end", onEnd);
    stream.off("close", onEnd);
    stream.resume();
  }
}

export interface WritableEventStream {
  readonly destroyed: boolean;
  readonly writable: boolean;
  /** Bytes buffered and not yet sent (Node streams). */
  readonly writableLength?: number;
  write(bytes: Uint8Array, done?: (err?: Error | null) => void): boolean;
  on(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/** How much may wait in a stream's buffer before writers pause: keeps an SSH channel full. */
export const MAX_BACKLOG = 4 << 20;

/**
 * Writes to a Node-style stream and resolves at once while its backlog is under MAX_BACKLOG,
 * else when it drains (or closes): the caller's pace follows the reader's, with bounded memory.
 * (Waiting for a full drain after every write would leave the channel idle between writes.)
 */
export function streamWrite(
  stream: WritableEventStream,
  bytes: Uint8Array,
  taken?: () => void,
): Promise<void> {
  return new Promise<void>((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    // Node calls a write's callback once the stream is done with its chunk (ssh2: copied into
    // packets); after an error it refers to nothing any more either.
    if (stream.write(bytes, taken === undefined ? undefined : () => taken())) return resolve();
    if ((stream.writableLength ?? Infinity) < MAX_BACKLOG) return resolve();
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
