/**
 * Follow burst: `dtail --plain FILE` is started on an empty file, readiness is proven with marker
 * lines, then 100,000 lines are appended in one write and the time until the last one is printed
 * is measured. Every burst line carries a sequence number, so losses and duplicates show up.
 */

import { CommandFailed } from "./measure.ts";

const READY_MARKER = "BENCH-READY-MARKER";
const SEQUENCE_TAG = "[seq=";
const SEQUENCE_DIGITS = 7;
const READY_POLL_MS = 50;
const READY_TIMEOUT_MS = 20_000;
const BURST_TIMEOUT_MS = 30_000;
const SETTLE_MS = 100;
const DUPLICATE_GRACE_MS = 300;
const STOP_TIMEOUT_MS = 5_000;

export interface BurstResult {
  /** From the start of the write until every burst line was printed; NaN if they never were. */
  readonly seconds: number;
  readonly distinct: number;
  readonly duplicates: number;
  readonly rssMb: number;
  readonly exitCode: number;
}

/** Counts sequence numbers in dtail's output as it streams in. */
class OutputTracker {
  readonly seen: Uint8Array;
  distinct = 0;
  duplicates = 0;
  allSeenAt = NaN;
  ready = false;
  #partial = "";
  #decoder = new TextDecoder();

  constructor(lines: number) {
    this.seen = new Uint8Array(lines);
  }

  async consume(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream) this.#add(this.#decoder.decode(chunk, { stream: true }));
  }

  #add(text: string): void {
    const cut = text.lastIndexOf("\n");
    if (cut < 0) {
      this.#partial += text;
      return;
    }
    const complete = this.#partial + text.slice(0, cut);
    this.#partial = text.slice(cut + 1);
    if (!this.ready && complete.includes(READY_MARKER)) this.ready = true;
    this.#countSequences(complete);
  }

  #countSequences(lines: string): void {
    for (let at = lines.indexOf(SEQUENCE_TAG); at >= 0; at = lines.indexOf(SEQUENCE_TAG, at + 1)) {
      const start = at + SEQUENCE_TAG.length;
      const sequence = Number(lines.slice(start, start + SEQUENCE_DIGITS));
      if (!(sequence >= 0 && sequence < this.seen.length)) continue;
      if (this.seen[sequence] === 0) this.distinct++;
      else this.duplicates++;
      this.seen[sequence] = 1;
    }
    if (this.distinct === this.seen.length && Number.isNaN(this.allSeenAt)) {
      this.allSeenAt = performance.now();
    }
  }
}

function burstPayload(lines: number): Uint8Array {
  const parts: string[] = [];
  for (let i = 0; i < lines; i++) {
    const sequence = String(i).padStart(SEQUENCE_DIGITS, "0");
    parts.push(
      `2026-11-24T09:00:00.000Z web07 burst[4242]: INFO  ${SEQUENCE_TAG}${sequence}] ` +
        `follow burst line for the benchmark status=200\n`,
    );
  }
  return new TextEncoder().encode(parts.join(""));
}

function appendAll(path: string, bytes: Uint8Array): void {
  using file = Deno.openSync(path, { append: true });
  let offset = 0;
  while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) await sleep(1);
}

async function appendMarkersUntilReady(path: string, tracker: OutputTracker): Promise<void> {
  const marker = new TextEncoder().encode(`${READY_MARKER}\n`);
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (!tracker.ready) {
    if (performance.now() > deadline) {
      throw new CommandFailed("dtail printed no marker line in time");
    }
    appendAll(path, marker);
    await sleep(READY_POLL_MS);
  }
  await sleep(SETTLE_MS);
}

/** VmHWM of a live process, in MB (10^6 bytes). */
function peakRssMb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return (Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]) * 1024) / 1e6;
  } catch {
    return NaN; // the process is gone
  }
}

function sendSignal(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // already exited
  }
}

/** SIGTERM, then SIGKILL if dtail is still running after STOP_TIMEOUT_MS; returns the exit code. */
async function stop(child: Deno.ChildProcess): Promise<number> {
  sendSignal(child, "SIGTERM");
  const timer = setTimeout(() => {
    console.error(`bench: dtail ignored SIGTERM for ${STOP_TIMEOUT_MS} ms, sending SIGKILL`);
    sendSignal(child, "SIGKILL");
  }, STOP_TIMEOUT_MS);
  const { code } = await child.status;
  clearTimeout(timer);
  return code;
}

/** Appends the payload in one write; seconds until the tracker saw every line (NaN on timeout). */
async function timeBurst(path: string, payload: Uint8Array, tracker: OutputTracker) {
  const start = performance.now();
  appendAll(path, payload);
  await waitUntil(() => tracker.distinct === tracker.seen.length, BURST_TIMEOUT_MS);
  return (tracker.allSeenAt - start) / 1000;
}

/** One burst against a fresh dtail process and a fresh file. */
export async function followBurst(
  dtail: string,
  path: string,
  lines: number,
): Promise<BurstResult> {
  Deno.writeFileSync(path, new Uint8Array());
  const payload = burstPayload(lines);
  const child = new Deno.Command(dtail, {
    args: ["--plain", path],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const tracker = new OutputTracker(lines);
  const reading = tracker.consume(child.stdout);
  try {
    await appendMarkersUntilReady(path, tracker);
    const seconds = await timeBurst(path, payload, tracker);
    await sleep(DUPLICATE_GRACE_MS);
    const rssMb = peakRssMb(child.pid);
    const exitCode = await stop(child);
    await reading;
    return { seconds, distinct: tracker.distinct, duplicates: tracker.duplicates, rssMb, exitCode };
  } catch (err) {
    sendSignal(child, "SIGKILL");
    await child.status;
    throw err;
  }
}
