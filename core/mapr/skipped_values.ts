/**
 * Values a numeric aggregation could not use (docs/query-language.md#aggregations): `sum(host)`
 * over `host=web01` skips that value, as Go does, and Go logs an error for every such line; this
 * counts them per select item and tells them once per report, so a query that aggregates text
 * says why its column stays 0 or its table is empty.
 */

/**
 * Per select item: values skipped and the first of them, and the lines it had no value in, of
 * `lines` aggregated; and the lines of the table `read` (the data a map worker sends back).
 */
export interface SkippedCounts {
  readonly counts: readonly number[];
  readonly firsts: readonly (string | null)[];
  readonly absent: readonly number[];
  readonly lines: number;
  readonly read: number;
  /** The where clause's fields some line read had. */
  readonly whereSeen: readonly string[];
}

/** The longest example quoted in a note. */
const MAX_EXAMPLE = 40;

export class SkippedValues {
  readonly #texts: readonly string[];
  readonly #counts: number[];
  readonly #firsts: (string | null)[];
  /** Counts already told by `takeNotes`. */
  readonly #told: number[];
  /** Per slot, the lines aggregated without its field; the lines aggregated; the lines read. */
  readonly #absent: number[];
  #lines = 0;
  #read = 0;
  readonly #whereSeen = new Set<string>();

  /** `texts`: the select text of each slot, as the notes name them. */
  constructor(texts: readonly string[]) {
    this.#texts = texts;
    this.#counts = texts.map(() => 0);
    this.#firsts = texts.map(() => null);
    this.#told = texts.map(() => 0);
    this.#absent = texts.map(() => 0);
  }

  /** A line of the query's table read (before its where clause). */
  read(): void {
    this.#read++;
  }

  /** A line aggregated (whether or not its fields are there). */
  line(): void {
    this.#lines++;
  }

  /** A line read had the where clause's field `name`. */
  whereFieldSeen(name: string): void {
    this.#whereSeen.add(name);
  }

  /** A line aggregated without a value for slot `slot`. */
  absentIn(slot: number): void {
    this.#absent[slot]!++;
  }

  /**
   * For the end of a run: why a result is empty or a column stays 0, which nothing else says (a
   * misspelt table or field name). `table`: the query's `from`, or null; `whereFields`: the
   * fields its where clause names; `variables`: the `$` variables of the log format, for a bare
   * field name that is one of them without its `$` (`goroutines` for `$goroutines`).
   */
  endNotes(
    table: string | null,
    fields: readonly string[],
    whereFields: readonly string[] = [],
    variables: ReadonlySet<string> = new Set(),
  ): string[] {
    // "goroutines" for "$goroutines": the variable meant, as the plan-time warning says the reverse.
    const meant = (names: readonly string[]) => {
      const vars = names.filter((name) => variables.has(`$${name}`)).map((name) =>
        `$${clip(name)}`
      );
      return vars.length === 0 ? "" : `; did you mean ${vars.join(", ")}?`;
    };
    if (this.#read === 0) {
      return [
        table === null
          ? "no line of the input could be read"
          : `no line of table ${table} was read${looksLikeFile(table) ? FILE_HINT : ""}`,
      ];
    }
    if (this.#lines === 0) {
      const absent = whereFields.filter((name) => !this.#whereSeen.has(name));
      const why = absent.length === 0
        ? ""
        : `: no line had the field${absent.length > 1 ? "s" : ""} ${
          absent.map((name) => JSON.stringify(clip(name))).join(", ")
        }${meant(absent)}`;
      return [`none of the ${this.#read} line(s) read was aggregated (see the where clause${why})`];
    }
    const notes: string[] = [];
    for (let i = 0; i < this.#absent.length; i++) {
      if (this.#absent[i] !== this.#lines) continue;
      notes.push(
        `${this.#texts[i]}: no line had the field ${JSON.stringify(clip(fields[i] ?? ""))} ` +
          `(${this.#lines} line(s) aggregated${meant([fields[i] ?? ""])})`,
      );
    }
    return notes;
  }

  /** One value of slot `slot` that is not a number. */
  add(slot: number, value: string): void {
    if (this.#counts[slot]!++ === 0) this.#firsts[slot] = value;
  }

  /** Values skipped elsewhere (a map worker's), added to ours. */
  absorb(other: SkippedCounts): void {
    this.#lines += other.lines;
    this.#read += other.read;
    for (const name of other.whereSeen) this.#whereSeen.add(name);
    for (let i = 0; i < this.#absent.length; i++) this.#absent[i]! += other.absent[i] ?? 0;
    for (let i = 0; i < this.#counts.length; i++) {
      const count = other.counts[i] ?? 0;
      if (count === 0) continue;
      if (this.#counts[i] === 0) this.#firsts[i] = other.firsts[i] ?? null;
      this.#counts[i]! += count;
    }
  }

  /** What `absorb` takes. */
  plain(): SkippedCounts {
    return {
      counts: [...this.#counts],
      firsts: [...this.#firsts],
      absent: [...this.#absent],
      lines: this.#lines,
      read: this.#read,
      whereSeen: [...this.#whereSeen],
    };
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

/** `from app.log`: a table is read from lines `TABLE|…` of the files named after the query. */
const FILE_HINT = " (from names a table, not a file: give the files after the query)";

function looksLikeFile(table: string): boolean {
  return table !== "." && /[./]/.test(table);
}
