/**
 * Line editing on the control terminal in raw mode (docs/usage.md#line-editing): the keys of a
 * shell (arrows, Home/End, Ctrl-A/E/B/F/K/U/W, Backspace/Delete), history (Up/Down, Ctrl-P/N) and
 * reverse search (Ctrl-R). Pure: it takes what the terminal sent and answers with what to draw
 * and the lines entered; control_terminal.ts does the I/O.
 */

import { MAX_CONTROL_LINE } from "./line_splitter.ts";

export type EditorEvent =
  | { readonly kind: "line"; readonly text: string }
  /** Ctrl-D on an empty line: the end of input. */
  | { readonly kind: "eof" }
  /** Ctrl-C on an empty line (the terminal sends it as a key when it is not our controlling one). */
  | { readonly kind: "interrupt" };

export interface Feed {
  readonly events: EditorEvent[];
  /**
   * What to write to the terminal (redraws, the newline of an entered line: "\n", which the
   * terminal's output processing turns into CR LF).
   */
  readonly draw: string;
}

const ESC = "\x1b";
const CLEAR_LINE = "\r\x1b[2K";
const HISTORY_LIMIT = 1000;

interface Search {
  query: string;
  /** The history entry shown; -1 when nothing matches. */
  at: number;
  /** The line being edited when the search began (restored on Ctrl-G / Esc). */
  readonly saved: string[];
  readonly savedCursor: number;
}

export class LineEditor {
  /** The line as code points, so a cursor step is one character. */
  #line: string[] = [];
  #cursor = 0;
  readonly #history: string[] = [];
  /** Which history entry is shown (history.length: the line being typed). */
  #browse = 0;
  #draft: string[] = [];
  #search: Search | null = null;
  /** An escape sequence cut off at the end of the last chunk. */
  #pending = "";
  #lastWasCR = false;

  constructor(readonly prompt = "") {}

  /** The history, oldest first. */
  get history(): readonly string[] {
    return this.#history;
  }

  /** The line as typed so far. */
  get text(): string {
    return this.#line.join("");
  }

  get cursor(): number {
    return this.#cursor;
  }

  feed(chunk: string): Feed {
    const events: EditorEvent[] = [];
    let draw = "";
    let dirty = false;
    const text = this.#pending + chunk;
    this.#pending = "";
    const chars = [...text];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      let key = c;
      if (c === ESC) {
        // A lone Esc comes in a read of its own; a sequence cut off by the read is completed by
        // the next one.
        const end = chars.length === 1 ? 1 : escapeEnd(chars, i);
        if (end < 0) {
          this.#pending = chars.slice(i).join("");
          break;
        }
        key = chars.slice(i, end).join("");
        i = end - 1;
      }
      const cr = key === "\r";
      if (key === "\n" && this.#lastWasCR) {
        this.#lastWasCR = false;
        continue; // the "\n" of a pasted "\r\n"
      }
      this.#lastWasCR = cr;
      if (key === "\r" || key === "\n") {
        const line = this.#search ? this.#acceptSearch() : this.text;
        draw += this.render() + "\n";
        dirty = false;
        this.#remember(line);
        this.#line = [];
        this.#cursor = 0;
        events.push({ kind: "line", text: line });
        continue;
      }
      const event = this.#key(key);
      if (event === "interrupt" || event === "eof") {
        events.push({ kind: event });
        continue;
      }
      if (event === "cancelled") {
        draw += this.render() + "^C\n";
        this.#line = [];
        this.#cursor = 0;
        dirty = true;
        continue;
      }
      dirty = true;
    }
    if (dirty) draw += this.render();
    return { events, draw };
  }

  /** The current line, drawn over the terminal's current row. */
  render(): string {
    if (this.#search) {
      const s = this.#search;
      const shown = s.at < 0 ? "" : this.#history[s.at]!;
      const label = s.at < 0 && s.query !== "" ? "failing reverse-i-search" : "reverse-i-search";
      return `${CLEAR_LINE}(${label})'${s.query}': ${shown}`;
    }
    const back = this.#line.length - this.#cursor;
    return CLEAR_LINE + this.prompt + this.text + (back > 0 ? `${ESC}[${back}D` : "");
  }

  /** Clears the row the line is drawn on (before other output is printed over it). */
  hide(): string {
    return CLEAR_LINE;
  }

  /** Nothing is drawn for the line: other output needs no hide and redraw around it. */
  get idle(): boolean {
    return this.#line.length === 0 && this.#search === null && this.prompt === "";
  }

  /** One key (a character or a whole escape sequence). */
  #key(key: string): "interrupt" | "eof" | "cancelled" | null {
    if (this.#search) {
      if (this.#searchKey(key)) return null;
      this.#acceptSearch(); // any other key leaves the search with the match, then acts
    }
    const line = this.#line;
    switch (key) {
      case "\x03": // Ctrl-C
        return line.length === 0 ? "interrupt" : "cancelled";
      case "\x04": // Ctrl-D
        if (line.length === 0) return "eof";
        line.splice(this.#cursor, 1);
        return null;
      case "\x7f":
      case "\x08":
        if (this.#cursor > 0) line.splice(--this.#cursor, 1);
        return null;
      case `${ESC}[3~`:
        line.splice(this.#cursor, 1);
        return null;
      case "\x01":
      case `${ESC}[H`:
      case `${ESC}OH`:
      case `${ESC}[1~`:
      case `${ESC}[7~`:
        this.#cursor = 0;
        return null;
      case "\x05":
      case `${ESC}[F`:
      case `${ESC}OF`:
      case `${ESC}[4~`:
      case `${ESC}[8~`:
        this.#cursor = line.length;
        return null;
      case "\x02":
      case `${ESC}[D`:
      case `${ESC}OD`:
        this.#cursor = Math.max(0, this.#cursor - 1);
        return null;
      case "\x06":
      case `${ESC}[C`:
      case `${ESC}OC`:
        this.#cursor = Math.min(line.length, this.#cursor + 1);
        return null;
      case `${ESC}b`:
      case `${ESC}[1;5D`:
        this.#cursor = wordStart(line, this.#cursor);
        return null;
      case `${ESC}f`:
      case `${ESC}[1;5C`:
        this.#cursor = wordEnd(line, this.#cursor);
        return null;
      case "\x0b": // Ctrl-K
        line.splice(this.#cursor);
        return null;
      case "\x15": // Ctrl-U
        line.splice(0, this.#cursor);
        this.#cursor = 0;
        return null;
      case "\x17": { // Ctrl-W
        const start = wordStart(line, this.#cursor);
        line.splice(start, this.#cursor - start);
        this.#cursor = start;
        return null;
      }
      case "\x10":
      case `${ESC}[A`:
      case `${ESC}OA`:
        this.#browseTo(this.#browse - 1);
        return null;
      case "\x0e":
      case `${ESC}[B`:
      case `${ESC}OB`:
        this.#browseTo(this.#browse + 1);
        return null;
      case "\x12": // Ctrl-R
        this.#search = { query: "", at: -1, saved: [...line], savedCursor: this.#cursor };
        return null;
    }
    if (key.startsWith(ESC) || key < " ") return null; // keys without a meaning here
    if (line.length >= MAX_CONTROL_LINE) return null; // full: a paste stops there
    line.splice(this.#cursor++, 0, key);
    return null;
  }

  /** A key while searching; false when it ends the search (the key then acts as usual). */
  #searchKey(key: string): boolean {
    const s = this.#search!;
    if (key === "\x07" || key === ESC) { // Ctrl-G, Esc: back to the line as it was
      this.#line = [...s.saved];
      this.#cursor = s.savedCursor;
      this.#search = null;
      return true;
    }
    if (key === "\x12") {
      if (s.query !== "") s.at = this.#find(s.query, (s.at < 0 ? this.#history.length : s.at) - 1);
      return true;
    }
    if (key === "\x7f" || key === "\x08") {
      s.query = [...s.query].slice(0, -1).join("");
      s.at = s.query === "" ? -1 : this.#find(s.query, this.#history.length - 1);
      return true;
    }
    if (key.startsWith(ESC) || key < " ") return false;
    s.query += key;
    s.at = this.#find(s.query, s.at < 0 ? this.#history.length - 1 : s.at);
    return true;
  }

  /** Ends the search with its match (or the saved line) as the line; returns it. */
  #acceptSearch(): string {
    const s = this.#search!;
    this.#search = null;
    this.#line = s.at < 0 ? [...s.saved] : [...this.#history[s.at]!];
    this.#cursor = this.#line.length;
    this.#browse = this.#history.length;
    return this.text;
  }

  /** The newest entry at or before `from` that contains `query`; -1 when none does. */
  #find(query: string, from: number): number {
    for (let i = Math.min(from, this.#history.length - 1); i >= 0; i--) {
      if (this.#history[i]!.includes(query)) return i;
    }
    return -1;
  }

  #browseTo(index: number): void {
    if (index < 0 || index > this.#history.length) return;
    if (this.#browse === this.#history.length) this.#draft = [...this.#line];
    this.#browse = index;
    this.#line = index === this.#history.length ? [...this.#draft] : [...this.#history[index]!];
    this.#cursor = this.#line.length;
  }

  #remember(line: string): void {
    if (line.trim() !== "" && this.#history.at(-1) !== line) {
      this.#history.push(line);
      if (this.#history.length > HISTORY_LIMIT) this.#history.shift();
    }
    this.#browse = this.#history.length;
    this.#draft = [];
  }
}

/**
 * Where the escape sequence at `i` ends (exclusive), or -1 when the chunk ends inside it:
 * `ESC [ params final` (CSI), `ESC O x` (SS3), or `ESC x` (Alt-x).
 */
function escapeEnd(chars: string[], i: number): number {
  const next = chars[i + 1];
  if (next === undefined) return -1;
  if (next === "O") return chars[i + 2] === undefined ? -1 : i + 3;
  if (next !== "[") return i + 2;
  for (let j = i + 2; j < chars.length; j++) {
    const code = chars[j]!.charCodeAt(0);
    if (code >= 0x40 && code <= 0x7e) return j + 1;
  }
  return -1;
}

const isWordChar = (c: string | undefined) => c !== undefined && !/\s/.test(c);

function wordStart(line: string[], cursor: number): number {
  let i = cursor;
  while (i > 0 && !isWordChar(line[i - 1])) i--;
  while (i > 0 && isWordChar(line[i - 1])) i--;
  return i;
}

function wordEnd(line: string[], cursor: number): number {
  let i = cursor;
  while (i < line.length && !isWordChar(line[i])) i++;
  while (i < line.length && isWordChar(line[i])) i++;
  return i;
}
