/**
 * The control terminal of --interactive-query (`--control-tty`, default /dev/tty): read and
 * written directly, never through stdin or stdout. A terminal is put in raw mode (no canonical
 * input, no echo; signals keys still work) with `stty` for the line editor, and its mode is
 * restored on every way out (close, process exit). A path that is no terminal (a file, a pipe)
 * is read line by line without editing.
 */
import { SetupError } from "../../core/errors.ts";
import type { SyncSink } from "../../core/output.ts";
import { type EditorEvent, LineEditor } from "./line_editor.ts";
import { LineSplitter, MAX_CONTROL_LINE } from "./line_splitter.ts";

export class ControlTerminal {
  readonly #file: Deno.FsFile;
  readonly #editor: LineEditor | null;
  /** `stty -g` of the terminal before raw mode; null when its mode was not changed. */
  readonly #saved: string | null;
  #closed = false;
  #restored = false;
  readonly #onUnload = () => this.#restore();

  private constructor(readonly path: string, file: Deno.FsFile, saved: string | null) {
    this.#file = file;
    this.#saved = saved;
    this.#editor = saved === null ? null : new LineEditor();
    if (saved !== null) globalThis.addEventListener("unload", this.#onUnload);
  }

  /** Opens the terminal; a missing or closed one is a SetupError of one line. */
  static open(path: string): ControlTerminal {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true, write: true });
    } catch (err) {
      throw new SetupError(`cannot open the control terminal ${path}: ${reasonOf(err)}`);
    }
    let saved: string | null = null;
    try {
      if (file.isTerminal()) saved = enterRawMode(path);
    } catch (err) {
      // Without stty the terminal stays as it is: lines as the terminal edits them, as in Go.
      if (err instanceof NoStty) return new ControlTerminal(path, file, null);
      file.close();
      throw new SetupError(`cannot use the control terminal ${path}: ${reasonOf(err)}`);
    }
    return new ControlTerminal(path, file, saved);
  }

  /** Whether keys are edited here (a terminal in raw mode). */
  get editing(): boolean {
    return this.#editor !== null;
  }

  /** The lines entered, then "eof" at the end of input; "interrupt" for Ctrl-C on an empty line. */
  async *input(): AsyncGenerator<EditorEvent> {
    const buffer = new Uint8Array(4096);
    const decoder = new TextDecoder();
    const splitter = new LineSplitter();
    for (;;) {
      let n: number | null;
      try {
        n = await this.#file.read(buffer);
      } catch {
        n = null; // EIO: the terminal went away
      }
      if (n === null || this.#closed) {
        const last = splitter.end();
        if (!this.#closed && this.#editor === null && last !== null && last.trim() !== "") {
          yield { kind: "line", text: last };
        }
        yield { kind: "eof" };
        return;
      }
      const text = decoder.decode(buffer.subarray(0, n), { stream: true });
      if (this.#editor === null) {
        const { lines, dropped } = splitter.push(text);
        if (dropped > 0) this.say(`a line longer than ${MAX_CONTROL_LINE} characters is ignored`);
        for (const line of lines) yield { kind: "line", text: line };
        continue;
      }
      const { events, draw } = this.#editor.feed(text);
      this.#write(draw);
      yield* events;
    }
  }

  /** Writes one line of ours (a reply), keeping what is being typed below it. */
  say(line: string): void {
    const editor = this.#editor;
    if (editor === null || editor.idle) this.#write(line + "\n");
    else this.#write(editor.hide() + line + "\n" + editor.render());
  }

  /**
   * A sink for other output on the same screen (stdout, stderr): the line being typed is taken
   * away while it writes and drawn again after.
   */
  around(sink: SyncSink): SyncSink {
    if (this.#editor === null) return sink;
    return (bytes) => this.aside(() => sink(bytes));
  }

  /** Runs `write` (other output on the same screen) with the line being typed out of its way. */
  aside(write: () => void): void {
    const editor = this.#editor;
    if (editor === null || editor.idle) return write();
    this.#write(editor.hide());
    try {
      write();
    } finally {
      this.#write(editor.render());
    }
  }

  /** Restores the terminal's mode and closes it (a pending read ends with the process). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#editor !== null && !this.#editor.idle) this.#write(this.#editor.hide());
    this.#restore();
    globalThis.removeEventListener("unload", this.#onUnload);
    try {
      this.#file.close();
    } catch {
      // closed already
    }
  }

  #write(text: string): void {
    if (text === "" || this.#restored) return;
    const bytes = new TextEncoder().encode(text);
    try {
      let done = 0;
      while (done < bytes.length) done += this.#file.writeSync(bytes.subarray(done));
    } catch {
      // the terminal went away: its input ends too, and that ends the control
    }
  }

  #restore(): void {
    if (this.#saved === null || this.#restored) return;
    this.#restored = true;
    stty(this.path, [this.#saved]);
  }
}

/** Puts the terminal in raw mode and returns its previous settings (`stty -g`). */
function enterRawMode(path: string): string {
  const saved = stty(path, ["-g"]).trim();
  // -icanon: keys come one by one; -echo: the editor draws the line; isig stays, so Ctrl-C on
  // the terminal that started us still interrupts the run.
  stty(path, ["-icanon", "-echo", "-iexten", "min", "1", "time", "0"]);
  return saved;
}

function stty(path: string, args: string[]): string {
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command("stty", {
      args: ["-F", path, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new NoStty();
    throw err;
  }
  if (!out.success) {
    const why = new TextDecoder().decode(out.stderr).trim().replace(/^stty: /, "");
    throw new Error(why || `stty exited with ${out.code}`);
  }
  return new TextDecoder().decode(out.stdout);
}

class NoStty extends Error {}

/** An OS error's message without Deno's "(os error N)" and file name. */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s*\(os error \d+\).*$/s, "");
}
