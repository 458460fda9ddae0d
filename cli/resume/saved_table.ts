/**
 * The positions of one server in a `dtail --resume` run (docs/usage.md#resume-across-runs): a
 * PositionTable seeded from the state file, so that the first connection already resumes, which
 * also knows what to save: the positions confirmed in this run, and the saved ones of files it
 * has not confirmed (yet).
 *
 * A saved position is dropped only when the server confirmed other files of the same target in
 * this run, the first of them at least `settleMs` before the save: a server confirms every file
 * it follows as soon as it starts reading it, so a file left out by then was deleted, or renamed
 * to a name whose position came instead, or no longer matches the glob. Until then it is kept: a
 * Ctrl-C right after the start loses no position.
 */
import type { FilePosition } from "../../core/protocol/resume.ts";
import { PositionTable } from "./position_table.ts";

/** A file not confirmed this long after its target's first position is gone (see above). */
export const SETTLE_MS = 10_000;

interface Confirmed {
  /** When the first position of the target came. */
  readonly since: number;
  readonly files: Map<string, FilePosition>;
}

export class SavedPositionTable extends PositionTable {
  readonly #saved = new Map<string, Map<string, FilePosition>>();
  readonly #confirmed = new Map<string, Confirmed>();
  readonly #onChange: () => void;
  readonly #now: () => number;
  readonly #settleMs: number;

  constructor(
    saved: ReadonlyMap<string, readonly FilePosition[]>,
    options: { onChange?: () => void; now?: () => number; settleMs?: number } = {},
  ) {
    super();
    this.#onChange = options.onChange ?? (() => {});
    this.#now = options.now ?? Date.now;
    this.#settleMs = options.settleMs ?? SETTLE_MS;
    for (const [target, files] of saved) {
      const byPath = new Map<string, FilePosition>();
      for (const position of files) {
        byPath.set(position.path, position);
        super.record(target, position);
      }
      this.#saved.set(target, byPath);
    }
  }

  override record(target: string, position: FilePosition): void {
    super.record(target, position);
    let confirmed = this.#confirmed.get(target);
    if (confirmed === undefined) {
      this.#confirmed.set(target, confirmed = { since: this.#now(), files: new Map() });
    }
    confirmed.files.set(position.path, position);
    this.#onChange();
  }

  /** The positions of a target to resume from (those of the state file, then this run's). */
  positionsOf(target: string): FilePosition[] {
    const merged = new Map(this.#saved.get(target));
    for (const [path, p] of this.#confirmed.get(target)?.files ?? []) merged.set(path, p);
    return [...merged.values()];
  }

  /**
   * Target → positions, as the state file keeps them now (see the rule above); with
   * `onlyConfirmed`, only the targets this run's server confirmed a file of.
   */
  toSave(onlyConfirmed = false): Map<string, FilePosition[]> {
    const out = new Map<string, FilePosition[]>();
    const now = this.#now();
    const targets = onlyConfirmed
      ? this.#confirmed.keys()
      : [...this.#saved.keys(), ...this.#confirmed.keys()];
    for (const target of new Set(targets)) {
      const confirmed = this.#confirmed.get(target);
      const settled = confirmed !== undefined && now - confirmed.since >= this.#settleMs;
      const files = new Map(settled ? [] : this.#saved.get(target));
      for (const [path, p] of confirmed?.files ?? []) files.set(path, p);
      if (files.size > 0) out.set(target, [...files.values()]);
    }
    return out;
  }
}
