/**
 * Values a numeric aggregation could not use (docs/query-language.md#aggregations): `sum(host)`
 * over `host=web01` skips that value, as Go does, and Go logs an error for every such line; this
 * counts them per select item and tells them once per report, so a query that aggregates text
 * says why its column stays 0 or its table is empty.
 */

/** Per select item: values skipped and the first of them (the data a map worker sends back). */
export interface SkippedCounts {
  readonly counts: readonly number[];
  readonly firsts: readonly (string | null)[];
}

/** The longest example quoted in a note. */
const MAX_EXAMPLE = 40;

export class SkippedValues {
  readonly #texts: readonly string[];
  readonly #counts: number[];
  readonly #firsts: (string | null)[];
  /** Counts already told by `takeNotes`. */
  readonly #told: number[];

  /** `texts`: the select text of each slot, as the notes name them. */
  constructor(texts: readonly string[]) {
    this.#texts = texts;
    this.#counts = texts.map(() => 0);
    this.#firsts = texts.map(() => null);
    this.#told = texts.map(() => 0);
  }

  /** One value of slot `slot` that is not a number. */
  add(slot: number, value: string): void {
    if (this.#counts[slot]!++ === 0) this.#firsts[slot] = value;
  }

  /** Values skipped elsewhere (a map worker's), added to ours. */
  absorb(other: SkippedCounts): void {
    for (let i = 0; i < this.#counts.length; i++) {
      const count = other.counts[i] ?? 0;
      if (count === 0) continue;
      if (this.#counts[i] === 0) this.#firsts[i] = other.firsts[i] ?? null;
      this.#counts[i]! += count;
    }
  }

  /** What `absorb` takes. */
  plain(): SkippedCounts {
    return { counts: [...this.#counts], firsts: [...this.#firsts] };
  }

  /** One note per select item that skipped values since the last call. */
  takeNotes(): string[] {
    const notes: string[] = [];
    for (let i = 0; i < this.#counts.length; i++) {
      const count = this.#counts[i]! - this.#told[i]!;
      if (count === 0) continue;
      this.#told[i] = this.#counts[i]!;
      notes.push(
        `${this.#texts[i]}: skipped ${count} value(s) that are not numbers ` +
          `(the first: ${JSON.stringify(clip(this.#firsts[i] ?? ""))})`,
      );
    }
    return notes;
  }
}

function clip(text: string): string {
  return text.length <= MAX_EXAMPLE ? text : `${text.slice(0, MAX_EXAMPLE)}…`;
}
