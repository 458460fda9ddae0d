/**
 * A tiny terminal screen for tests of live output: applies what a program wrote to a terminal
 * (text, `\r`, `\n`, ESC[nA cursor up, ESC[J erase below, ESC[K erase to the end of the line,
 * ESC[2K the line, ESC[nG to a column;
 * other sequences, e.g. colors, take no room) to a grid of `columns` × `rows`, with the lines
 * scrolled off the top kept. Long lines wrap as xterm's do (the wrap waits for the next character).
 */
const CSI = new RegExp("^\x1b\\[([0-9;?]*)([A-Za-z])");

export class Screen {
  readonly #grid: string[][];
  readonly scrolledOff: string[] = [];
  #row = 0;
  #col = 0;
  /** The last column was written: the next character goes to the next row. */
  #pendingWrap = false;

  constructor(readonly columns = 80, readonly rows = 24) {
    this.#grid = Array.from({ length: rows }, () => []);
  }

  /** Applies terminal output; returns the screen for chaining. */
  write(text: string): this {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === "\x1b" && text[i + 1] === "[") {
        const m = CSI.exec(text.slice(i));
        if (m === null) continue;
        this.#csi(m[1]!, m[2]!);
        i += m[0].length - 1;
      } else if (c === "\r") {
        this.#col = 0;
        this.#pendingWrap = false;
      } else if (c === "\n") {
        // As a terminal shows a program's output (the tty's onlcr): a newline starts the row.
        this.#col = 0;
        this.#lineFeed();
        this.#pendingWrap = false;
      } else if (c >= " ") {
        if (this.#pendingWrap) {
          this.#col = 0;
          this.#lineFeed();
          this.#pendingWrap = false;
        }
        this.#grid[this.#row]![this.#col] = c;
        if (this.#col === this.columns - 1) this.#pendingWrap = true;
        else this.#col++;
      }
    }
    return this;
  }

  /** The visible rows, trailing blanks trimmed, trailing empty rows dropped. */
  lines(): string[] {
    const lines = this.#grid.map((r) => Array.from(r, (c) => c ?? " ").join("").trimEnd());
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    return lines;
  }

  /** Everything: scrolled-off lines, then the visible ones. */
  all(): string[] {
    return [...this.scrolledOff, ...this.lines()];
  }

  text(): string {
    return this.all().join("\n");
  }

  /** The cursor: row on the screen, column. */
  get cursor(): { row: number; col: number } {
    return { row: this.#row, col: this.#col };
  }

  #lineFeed(): void {
    if (this.#row < this.rows - 1) {
      this.#row++;
      return;
    }
    const top = this.#grid.shift()!;
    this.scrolledOff.push(Array.from(top, (c) => c ?? " ").join("").trimEnd());
    this.#grid.push([]);
  }

  #csi(params: string, final: string): void {
    const n = params === "" ? 1 : Number(params.split(";")[0]);
    switch (final) {
      case "A":
        this.#row = Math.max(0, this.#row - Math.max(1, n));
        this.#pendingWrap = false;
        break;
      case "J":
        if (params === "" || params === "0") {
          this.#grid[this.#row]!.length = Math.min(this.#grid[this.#row]!.length, this.#col);
          for (let r = this.#row + 1; r < this.rows; r++) this.#grid[r] = [];
        }
        break;
      case "K":
        if (params === "" || params === "0") {
          this.#grid[this.#row]!.length = Math.min(this.#grid[this.#row]!.length, this.#col);
        } else if (params === "2") this.#grid[this.#row] = [];
        break;
      case "G": // cursor to column n (Deno writes ESC[0G ESC[2K while it starts on a terminal)
        this.#col = Math.min(this.columns - 1, Math.max(0, n - 1));
        this.#pendingWrap = false;
        break;
      default:
        break; // colors and the rest take no room
    }
  }
}
