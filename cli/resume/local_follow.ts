/**
 * Serverless `dtail --resume FILE` (docs/usage.md#resume-across-runs): each target is followed
 * on its own with the resume rules of a dserver (core/resume_points.ts) from the positions the
 * state file has for it, and the position of every file is recorded as its lines are printed
 * (core/follow_position.ts). A target is named by its absolute path in the file, and followed as
 * that: the same relative glob run from another directory is another target.
 */
import { cleanPath } from "../../core/glob.ts";
import { isJournalTarget } from "../../core/journal_target.ts";
import { ResumePoints } from "../../core/resume_points.ts";
import { followFiles, type FollowFilesOptions, type RunResult } from "../../core/run.ts";
import type { Sink } from "../../core/sink.ts";
import { type ResumeSettings, ResumeState, SERVERLESS } from "./resume_state.ts";

export interface LocalFollowIO {
  readonly warn: (message: string) => void;
  /** Writes out what was printed so far (before positions are saved). */
  readonly flushOutput: () => void;
}

export async function followResumed(
  targets: readonly string[],
  sink: Sink,
  options: Omit<FollowFilesOptions, "resume" | "onPosition">,
  settings: ResumeSettings,
  io: LocalFollowIO,
): Promise<RunResult> {
  const state = new ResumeState(settings, io);
  const table = state.table(SERVERLESS);
  state.start();
  try {
    const results = await Promise.all(targets.map((given) => {
      const target = absoluteTarget(given);
      const saved = table.positionsOf(target);
      // Without positions the target is new to the file: followed from the end, as without it.
      const resume = saved.length === 0 ? null : new ResumePoints(target, saved, {
        maxGapBytes: settings.maxGapBytes,
        notice: (message) => io.warn(`resume: ${message}`),
        onRefused: (path, err) =>
          io.warn(`resume: not reading ${path}: ${err instanceof Error ? err.message : err}`),
      });
      return followFiles([target], sink, {
        ...options,
        ...(resume === null ? {} : { resume }),
        onPosition: (position) => table.record(target, position),
      });
    }));
    return {
      ok: results.reduce((n, r) => n + r.ok, 0),
      failed: results.reduce((n, r) => n + r.failed, 0),
    };
  } finally {
    await state.close();
  }
}

/** A target as the state file names it: its absolute, cleaned path (a journal spec as it is). */
export function absoluteTarget(target: string): string {
  if (isJournalTarget(target)) return target;
  return cleanPath(target.startsWith("/") ? target : `${Deno.cwd()}/${target}`);
}
