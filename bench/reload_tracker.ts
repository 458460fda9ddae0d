/**
 * The moving parts of the reload bench (bench/reload.ts): a writer that appends `ERROR <n>` and
 * `WARN <n>` to a followed file every few milliseconds, and a tracker that reads the client's
 * stdout as it streams in and times each reload (a Phase) from its lines.
 */

export type Kind = "ERROR" | "WARN";

export const other = (kind: Kind): Kind => (kind === "ERROR" ? "WARN" : "ERROR");

/** Appends the pair `ERROR <n>` / `WARN <n>` (n = 1, 2, …) in one write every `everyMs`. */
export class Writer {
  /** The n of the last pair written. */
  seq = 0;
  readonly #file: Deno.FsFile;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #encoder = new TextEncoder();

  constructor(path: string, everyMs: number) {
    this.#file = Deno.openSync(path, { append: true });
    this.#timer = setInterval(() => this.#write(), everyMs);
  }

  #write(): void {
    const n = this.seq + 1;
    const bytes = this.#encoder.encode(`ERROR ${n}\nWARN ${n}\n`);
    let done = 0;
    while (done < bytes.length) done += this.#file.writeSync(bytes.subarray(done));
    this.seq = n;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#file.close();
  }
}

/**
 * One workload's lines, from the Enter of its `:reload` (NaN for the first workload) on. Every
 * connection prints each pair's line of the current kind, so once `n` has arrived from all of
 * them, every connection runs the new workload.
 */
export class Phase {
  /** Arrival of the first line of `kind`. */
  firstAt = NaN;
  /** Arrival of the first `n` of `kind` that every connection printed. */
  allAt = NaN;
  /** The writer's n when the reply `reload applied successfully` was seen; set by the bench. */
  seqAtAck = Infinity;
  /** A line of `kind` written after the reply arrived: everything before the reply came before it. */
  pastAck = false;
  /** Lines of the old kind after the first line of `kind` (stale for one connection). */
  staleAfterFirst = 0;
  /** Lines of the old kind after a line written after the reply (stale for any number). */
  staleAfterAck = 0;
  readonly #counts = new Map<number, number>();

  constructor(
    readonly kind: Kind,
    readonly connections: number,
    readonly enterAt: number,
  ) {}

  add(kind: Kind, n: number, at: number): void {
    if (kind !== this.kind) {
      if (!Number.isNaN(this.firstAt)) this.staleAfterFirst++;
      if (this.pastAck) this.staleAfterAck++;
      return;
    }
    if (Number.isNaN(this.firstAt)) this.firstAt = at;
    if (n > this.seqAtAck) this.pastAck = true;
    const count = (this.#counts.get(n) ?? 0) + 1;
    this.#counts.set(n, count);
    if (count === this.connections && Number.isNaN(this.allAt)) this.allAt = at;
  }
}

/** Reads the client's stdout and hands each `ERROR <n>` / `WARN <n>` line to the phase. */
export class Tracker {
  phase: Phase;
  /** Lines that are neither (there should be none). */
  unexpected = 0;
  #partial = "";
  readonly done: Promise<void>;

  constructor(stdout: ReadableStream<Uint8Array>, first: Phase) {
    this.phase = first;
    this.done = this.#consume(stdout);
  }

  async #consume(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const at = performance.now();
      const text = this.#partial + decoder.decode(chunk, { stream: true });
      const lines = text.split("\n");
      this.#partial = lines.pop() ?? "";
      for (const line of lines) this.#line(line, at);
    }
  }

  #line(line: string, at: number): void {
    const space = line.indexOf(" ");
    const kind = line.slice(0, space);
    const n = Number(line.slice(space + 1));
    if ((kind === "ERROR" || kind === "WARN") && Number.isInteger(n)) this.phase.add(kind, n, at);
    else this.unexpected++;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds (checked every millisecond); false after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await sleep(1);
  }
  return true;
}
