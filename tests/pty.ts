/**
 * A real pseudo-terminal for tests (x86_64 Linux glibc, through FFI): a test passes `slavePath`
 * to a program as its `--control-tty`, types into the master and reads what the program wrote to
 * the terminal. The pty keeps a slave descriptor of its own open, so the terminal lives until
 * `close()` whatever the program does with its end.
 */

const SYMBOLS = {
  posix_openpt: { parameters: ["i32"], result: "i32" },
  grantpt: { parameters: ["i32"], result: "i32" },
  unlockpt: { parameters: ["i32"], result: "i32" },
  ptsname_r: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // Waits in a worker thread, so the event loop (and the program under test) goes on.
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
} as const;

const O_RDWR = 0o2;
const O_NOCTTY = 0o400;
const POLLIN = 0x1;
const POLL_WAIT_MS = 20;

let lib: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | null = null;
function libc() {
  lib ??= Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  return lib;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Keys as a terminal sends them. */
export const KEY = {
  up: "\x1b[A",
  down: "\x1b[B",
  right: "\x1b[C",
  left: "\x1b[D",
  backspace: "\x7f",
  ctrlA: "\x01",
  ctrlE: "\x05",
  ctrlR: "\x12",
  ctrlC: "\x03",
  ctrlD: "\x04",
  enter: "\r",
} as const;

export class Pty {
  #text = "";
  #closed = false;
  readonly #reading: Promise<void>;

  private constructor(
    readonly slavePath: string,
    private readonly master: number,
    private readonly slave: number,
  ) {
    this.#reading = this.#readLoop();
  }

  static open(): Pty {
    const c = libc();
    const master = c.posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0) throw new Error("posix_openpt failed");
    if (c.grantpt(master) !== 0 || c.unlockpt(master) !== 0) {
      c.close(master);
      throw new Error("grantpt/unlockpt failed");
    }
    const name = new Uint8Array(128);
    if (c.ptsname_r(master, name, BigInt(name.length)) !== 0) {
      c.close(master);
      throw new Error("ptsname_r failed");
    }
    const path = decoder.decode(name.subarray(0, name.indexOf(0)));
    const slave = c.open(encoder.encode(path + "\0"), O_RDWR | O_NOCTTY, 0);
    if (slave < 0) {
      c.close(master);
      throw new Error(`cannot open ${path}`);
    }
    return new Pty(path, master, slave);
  }

  /** Everything the program wrote to the terminal so far. */
  get output(): string {
    return this.#text;
  }

  /** Types text (as keys: "\r" is Enter in a terminal). */
  type(text: string): void {
    const bytes = encoder.encode(text);
    let done = 0;
    while (done < bytes.length) {
      const n = Number(
        libc().write(this.master, bytes.subarray(done), BigInt(bytes.length - done)),
      );
      if (n <= 0) throw new Error("write to the pty master failed");
      done += n;
    }
  }

  /** Types a line and Enter. */
  line(text: string): void {
    this.type(text + "\r");
  }

  /**
   * Waits until the output after `from` (an index into `output`) matches, and returns the index
   * just after the match.
   */
  async waitFor(pattern: RegExp | string, from = 0, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.#text.slice(from);
      const at = typeof pattern === "string" ? indexAfter(rest, pattern) : (() => {
        const m = pattern.exec(rest);
        return m === null ? -1 : m.index + m[0].length;
      })();
      if (at >= 0) return from + at;
      if (Date.now() > deadline) {
        throw new Error(
          `the terminal did not show ${pattern} within ${timeoutMs} ms; it shows:\n${
            JSON.stringify(rest)
          }`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async #readLoop(): Promise<void> {
    const c = libc();
    const pollfd = new Uint8Array(8);
    const view = new DataView(pollfd.buffer);
    const buffer = new Uint8Array(4096);
    while (!this.#closed) {
      view.setInt32(0, this.master, true);
      view.setInt16(4, POLLIN, true);
      view.setInt16(6, 0, true);
      const ready = await c.poll(pollfd, 1n, POLL_WAIT_MS);
      if (this.#closed) break;
      if (ready <= 0 || (view.getInt16(6, true) & POLLIN) === 0) continue;
      const n = Number(c.read(this.master, buffer, BigInt(buffer.length)));
      if (n > 0) this.#text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#reading;
    libc().close(this.slave);
    libc().close(this.master);
  }
}

function indexAfter(text: string, part: string): number {
  const i = text.indexOf(part);
  return i < 0 ? -1 : i + part.length;
}
