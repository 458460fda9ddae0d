/**
 * What one connection's incoming bytes may cost the dserver's event loop before the others get a
 * turn. ssh2 decrypts and dispatches a whole socket read at once, and a peer that keeps the
 * socket's receive buffer full keeps it readable for the next: a client writing a command frame
 * one byte per SSH packet held a dserver's loop for up to 2.2 s at a time, and other clients'
 * logins timed out (docs/decisions.md, "A connection's input has its turn").
 *
 * Here a connection's reads reach ssh2 in slices of at most `SLICE_BYTES`; once they have taken
 * `BUDGET_MS` of the loop since it last let others run, and brought `MIN_BYTES`, the socket is
 * paused until the next
 * polling turn of the event loop (a 0 ms timer: sockets, timers and signals are polled while it
 * waits), and what was read meanwhile waits, in order, with the socket's end after it.
 */
import { delay } from "../../core/delay.ts";

/** The most input handed to ssh2 in one piece: ~85 tiny packets, a few ms with ssh2's ciphers. */
export const SLICE_BYTES = 4096;
/** The loop time a connection's input may take before it waits for a turn. */
export const BUDGET_MS = 5;
/**
 * …and once it brought this much since then: a window adjust may set off milliseconds of sending
 * (what the budget also counts), but a client's adjusts and commands stay far below this, while
 * a flood of tiny packets (~40 bytes each) passes it within a few milliseconds.
 */
export const MIN_BYTES = 16 * 1024;
/** A pause between two reads longer than this means the loop ran other work meanwhile. */
const GAP_MS = 1;

interface MeteredSocket {
  emit(event: string | symbol, ...args: unknown[]): boolean;
  pause(): unknown;
  resume(): unknown;
  readonly destroyed: boolean;
}

const END = Symbol("end");

export interface MeterOptions {
  readonly sliceBytes?: number;
  readonly budgetMs?: number;
  readonly minBytes?: number;
  readonly gapMs?: number;
  /** How the connection waits for its next turn (tests count them). */
  readonly turn?: () => Promise<unknown>;
}

/**
 * Meters `socket`'s `data` events (and orders its `end` after them) for every listener, present
 * or later; call before anyone reads it.
 */
export function meterInput(socket: MeteredSocket, options: MeterOptions = {}): void {
  const sliceBytes = options.sliceBytes ?? SLICE_BYTES;
  const budgetMs = options.budgetMs ?? BUDGET_MS;
  const minBytes = options.minBytes ?? MIN_BYTES;
  const gapMs = options.gapMs ?? GAP_MS;
  const turn = options.turn ?? (() => delay(0));
  const emit = socket.emit;
  const held: Array<Uint8Array | typeof END> = [];
  let spent = 0;
  let brought = 0;
  let lastEnd = -Infinity;
  let waiting = false;
  let running = false;

  const run = (): void => {
    if (running) return; // a listener's call made a read: the loop below takes it in order
    running = true;
    try {
      step();
    } finally {
      running = false;
    }
  };
  const step = (): void => {
    while (held.length > 0 && !waiting) {
      const start = performance.now();
      if (start - lastEnd > gapMs) spent = brought = 0;
      if (spent >= budgetMs && brought >= minBytes) {
        waiting = true;
        socket.pause();
        turn().then(() => {
          waiting = false;
          lastEnd = -Infinity; // a new budget: the loop ran others
          if (socket.destroyed) return;
          socket.resume();
          run();
        });
        return;
      }
      const item = held[0]!;
      if (item === END) {
        held.shift();
        emit.call(socket, "end");
        continue;
      }
      let piece = item;
      if (item.length > sliceBytes) {
        piece = item.subarray(0, sliceBytes);
        held[0] = item.subarray(sliceBytes);
      } else held.shift();
      emit.call(socket, "data", piece);
      brought += piece.length;
      lastEnd = performance.now();
      spent += lastEnd - start;
    }
  };

  socket.emit = function (this: unknown, event: string | symbol, ...args: unknown[]): boolean {
    if (event === "data") {
      held.push(args[0] as Uint8Array);
      run();
      return true;
    }
    if (event === "end" && (held.length > 0 || waiting)) {
      held.push(END);
      return true;
    }
    return emit.call(this, event, ...args);
  };
}
