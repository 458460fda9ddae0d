/**
 * Directory change notifications from Linux inotify through FFI, for the followers' wakers.
 *
 * Not `Deno.watchFs`: adding a second watch on a directory that holds a FIFO makes its watcher
 * thread open the FIFO, which blocks until someone writes to it, and the whole process with it
 * (docs/decisions.md). inotify_add_watch never opens a file. One inotify descriptor serves the
 * whole process; a single non-blocking `poll` (run on Deno's blocking thread pool) waits for
 * events and for the wake-up eventfd that stops it when the last watch goes.
 */
import { fileLibc } from "./libc.ts";

const IN_MODIFY = 0x2;
const IN_ATTRIB = 0x4;
const IN_CLOSE_WRITE = 0x8;
const IN_MOVED_FROM = 0x40;
const IN_MOVED_TO = 0x80;
const IN_CREATE = 0x100;
const IN_DELETE = 0x200;
const IN_DELETE_SELF = 0x400;
const IN_MOVE_SELF = 0x800;
const IN_Q_OVERFLOW = 0x4000;
const IN_ONLYDIR = 0x1000000;
const IN_NONBLOCK = 0o4000;
const IN_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const POLLIN = 1;

const MASK = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE |
  IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

const SYMBOLS = {
  inotify_init1: { parameters: ["i32"], result: "i32" },
  inotify_add_watch: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  inotify_rm_watch: { parameters: ["i32", "i32"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
} as const;

type Calls = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Unsubscribes a directory watch. */
export type Unwatch = () => void;

class Inotify {
  readonly #subscribers = new Map<number, Set<() => void>>();
  readonly #buffer = new Uint8Array(64 * 1024);
  readonly #pollfds = new Uint8Array(16);
  #running = false;

  constructor(
    private readonly c: Calls,
    private readonly fd: number,
    private readonly wake: number,
  ) {
    const view = new DataView(this.#pollfds.buffer);
    view.setInt32(0, fd, true);
    view.setInt16(4, POLLIN, true);
    view.setInt32(8, wake, true);
    view.setInt16(12, POLLIN, true);
  }

  watch(dir: string, onChange: () => void): Unwatch | null {
    const wd = this.c.inotify_add_watch(this.fd, new TextEncoder().encode(dir + "\0"), MASK);
    if (wd < 0) return null;
    let set = this.#subscribers.get(wd);
    if (set === undefined) this.#subscribers.set(wd, set = new Set());
    set.add(onChange);
    if (!this.#running) this.#run();
    return () => {
      if (!set.delete(onChange) || set.size > 0) return;
      this.#subscribers.delete(wd);
      this.c.inotify_rm_watch(this.fd, wd);
      if (this.#subscribers.size === 0) this.c.write(this.wake, ONE, 8n); // end the poll now
    };
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#subscribers.size > 0) {
        const ready = await this.c.poll(this.#pollfds, 2n, -1);
        if (ready < 0) break;
        this.#drain(this.wake, () => {});
        this.#drain(this.fd, (wd) => {
          for (const onChange of this.#subscribers.get(wd) ?? []) onChange();
        });
      }
    } finally {
      this.#running = false;
    }
  }

  /** Reads what is ready on a non-blocking descriptor; calls `onEvent` per inotify event. */
  #drain(fd: number, onEvent: (wd: number) => void): void {
    for (;;) {
      const n = Number(this.c.read(fd, this.#buffer, BigInt(this.#buffer.length)));
      if (n <= 0) return;
      if (fd !== this.fd) continue;
      const view = new DataView(this.#buffer.buffer, 0, n);
      const woken = new Set<number>();
      let overflow = false;
      for (let at = 0; at + 16 <= n; at += 16 + view.getUint32(at + 12, true)) {
        const wd = view.getInt32(at, true);
        // The kernel's queue overflowed (wd -1): events were lost, so every watch may have one.
        if (wd === -1 && (view.getUint32(at + 4, true) & IN_Q_OVERFLOW) !== 0) overflow = true;
        else woken.add(wd);
      }
      for (const wd of overflow ? this.#subscribers.keys() : woken) onEvent(wd);
    }
  }
}

const ONE = new Uint8Array(new BigUint64Array([1n]).buffer);
let instance: Inotify | null | undefined;

function inotify(): Inotify | null {
  if (instance !== undefined) return instance;
  instance = null;
  if (Deno.build.os !== "linux" || fileLibc() === null) return null;
  try {
    const c = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
    const fd = c.inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    const wake = c.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd >= 0 && wake >= 0) instance = new Inotify(c, fd, wake);
  } catch {
    instance = null;
  }
  return instance;
}

/**
 * Calls `onChange` after anything changed in directory `dir` (a file created, written, renamed,
 * removed). Null when inotify is not available here: the caller then polls.
 */
export function watchDirectory(dir: string, onChange: () => void): Unwatch | null {
  return inotify()?.watch(dir, onChange) ?? null;
}
