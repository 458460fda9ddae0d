/**
 * Chunks handed from a worker to the thread that started it through shared memory: a ring of
 * SLOTS slots of SLOT_BYTES and a few counters, with Atomics to wait. A `postMessage` per chunk
 * (and one back with the buffer) cost more than it saved (docs/performance.md, "zstd and gzip
 * decoding"); a copy into and out of a slot costs ~0.1 ms per MiB on each side.
 */

export const SLOTS = 4;
export const SLOT_BYTES = 1 << 20;

/**
 * Control words: chunks put, chunks taken, the producer's end (see `END_*`), a count of the
 * producer's changes (what the consumer waits on), whether the consumer gave up, then lengths.
 */
const PUT = 0;
const TAKEN = 1;
const STATE = 2;
const SIGNAL = 3;
const CANCELLED = 4;
const LENGTHS = 5;
const OPEN = 0;
/** The producer is done: every chunk is put. */
export const END_DONE = 1;
/** The producer failed: it tells why by other means (a message). */
export const END_FAILED = 2;
/** The producer looks again this often whether the consumer gave up (a notify can come early). */
const WAIT_MS = 100;

/** What a worker is given to share a ring: sent to it as it is. */
export interface RingMemory {
  readonly slots: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
}

export function newRingMemory(): RingMemory {
  return {
    slots: new SharedArrayBuffer(SLOTS * SLOT_BYTES),
    control: new SharedArrayBuffer(4 * (LENGTHS + SLOTS)),
  };
}

/** The producer's side (a worker, which may block). */
export class RingWriter {
  readonly #slots: Uint8Array;
  readonly #control: Int32Array;
  #put = 0;
  /** Chunks whose slots were claimed. */
  #claimed = 0;

  constructor(memory: RingMemory) {
    this.#slots = new Uint8Array(memory.slots);
    this.#control = new Int32Array(memory.control);
  }

  /**
   * Copies `chunk` (at most SLOT_BYTES) into the next slot, waiting while every slot is full, or
   * takes it as it is when it is that slot (`claim`); false when the consumer gave up (then
   * nothing more should be put).
   */
  put(chunk: Uint8Array): boolean {
    const slot = this.#put % SLOTS;
    const inSlot = chunk.buffer === this.#slots.buffer && chunk.byteOffset === slot * SLOT_BYTES;
    // A chunk decoded into the slot claimed for it (claim) is there already.
    if (!inSlot) {
      if (!this.#room(this.#put)) return false;
      this.#slots.set(chunk, slot * SLOT_BYTES);
    }
    const c = this.#control;
    c[LENGTHS + slot] = chunk.length;
    Atomics.store(c, PUT, ++this.#put);
    this.#signal();
    return true;
  }

  /**
   * The slot of the next chunk not yet claimed, to decode into and then `put` without a copy: a
   * decoder claims the next slot before it puts the one it filled. Waits while the consumer still
   * holds that slot; null when the consumer gave up. Claimed slots are put in the order claimed.
   */
  claim(): Uint8Array | null {
    const n = Math.max(this.#claimed, this.#put);
    if (!this.#room(n)) return null;
    this.#claimed = n + 1;
    const slot = n % SLOTS;
    return this.#slots.subarray(slot * SLOT_BYTES, (slot + 1) * SLOT_BYTES);
  }

  /** Waits until the chunk numbered `n` has a free slot; false when the consumer gave up. */
  #room(n: number): boolean {
    const c = this.#control;
    for (;;) {
      if (Atomics.load(c, CANCELLED) !== 0) return false;
      const taken = Atomics.load(c, TAKEN);
      if (n - taken < SLOTS) return true;
      Atomics.wait(c, TAKEN, taken, WAIT_MS);
    }
  }

  /** Ends the ring: `END_DONE` after the last chunk, or `END_FAILED`. */
  end(state: typeof END_DONE | typeof END_FAILED): void {
    Atomics.store(this.#control, STATE, state);
    this.#signal();
  }

  #signal(): void {
    Atomics.add(this.#control, SIGNAL, 1);
    Atomics.notify(this.#control, SIGNAL);
  }
}

/**
 * The consumer's side (a thread with an event loop, which must not block). Its waits keep no
 * event loop alive: the producing worker does.
 */
export class RingReader {
  readonly #slots: Uint8Array;
  readonly #control: Int32Array;
  #taken = 0;

  constructor(memory: RingMemory) {
    this.#slots = new Uint8Array(memory.slots);
    this.#control = new Int32Array(memory.control);
  }

  /**
   * Copies the next chunk into `into` (SLOT_BYTES at least) and frees its slot; returns its
   * length, or the end state negated (`-END_DONE`, `-END_FAILED`) once no chunk is left. Waits
   * without blocking the event loop.
   */
  async take(into: Uint8Array): Promise<number> {
    const c = this.#control;
    for (;;) {
      // Read before looking: a change after it makes the wait return at once.
      const signal = Atomics.load(c, SIGNAL);
      if (Atomics.load(c, PUT) !== this.#taken) break;
      const state = Atomics.load(c, STATE);
      if (state !== OPEN) return -state;
      if (Atomics.load(c, CANCELLED) !== 0) return -END_FAILED;
      const waiting = Atomics.waitAsync(c, SIGNAL, signal);
      if (waiting.async) await waiting.value;
    }
    const slot = this.#taken % SLOTS;
    const length = c[LENGTHS + slot]!;
    into.set(this.#slots.subarray(slot * SLOT_BYTES, slot * SLOT_BYTES + length));
    Atomics.store(c, TAKEN, ++this.#taken);
    Atomics.notify(c, TAKEN);
    return length;
  }

  /**
   * Tells the producer that no more chunks will be taken (it stops waiting for room); a `take`
   * still waiting returns `-END_FAILED`.
   */
  cancel(): void {
    Atomics.store(this.#control, CANCELLED, 1);
    Atomics.notify(this.#control, TAKEN);
    Atomics.add(this.#control, SIGNAL, 1);
    Atomics.notify(this.#control, SIGNAL);
  }
}
