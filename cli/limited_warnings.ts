/**
 * Warnings of one kind that a server can repeat without end (a malformed AGGREGATE message per
 * group of a server on another wire): the first `max` are printed, then one line says the rest
 * are not, and `end` tells how many there were in all.
 */
export class LimitedWarnings {
  #count = 0;

  constructor(
    private readonly warn: (line: string) => void,
    /** What the warnings are about, plural: `malformed AGGREGATE messages ignored`. */
    private readonly what: string,
    private readonly max = 10,
  ) {}

  add(line: string): void {
    this.#count++;
    if (this.#count <= this.max) this.warn(line);
    else if (this.#count === this.max + 1) this.warn(`more ${this.what}: not shown one by one`);
  }

  /** At the run's end: how many in all, when some were not shown. */
  end(): void {
    if (this.#count > this.max) this.warn(`${this.#count} ${this.what} in all`);
  }
}
