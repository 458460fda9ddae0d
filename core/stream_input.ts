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
    queue.push(chunk);
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
  write(bytes: Uint8Array): boolean;
  on(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/**
 * Writes to a Node-style stream and resolves when it can take more ("drain"), or at once when
 * it is closed: the caller's pace follows the reader's (back-pressure, never unbounded buffers).
 */
export function streamWrite(stream: WritableEventStream, bytes: Uint8Array): Promise<void> {
  return new Promise<void>((resolve) => {
    if (stream.destroyed || !stream.writable || stream.write(bytes)) return resolve();
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
